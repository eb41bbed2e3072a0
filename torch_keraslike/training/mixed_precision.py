"""Mixed precision inside ``fit``: loss scaling for float16, float32 losses.

Under the ``"mixed_float16"`` dtype policy (``tkl.config.set_dtype_policy`` or the
model's ``dtype=``), float16 gradients of small losses underflow to zero. As Keras's
``LossScaleOptimizer`` does, ``fit`` multiplies the loss by a dynamic scale before
``backward`` and divides the gradients by it before the update, skipping steps whose
gradients overflowed: here that is torch's own ``torch.amp.GradScaler``
(``compile(auto_scale_loss=False)`` turns it off). ``"mixed_bfloat16"`` needs no
scaling (bfloat16 has float32's range). In both, the model's low-precision outputs
are cast to float32 before the loss, so losses and metrics are computed in float32.

Example:
    >>> import torch
    >>> from torch_keraslike.training.mixed_precision import float32_outputs
    >>> float32_outputs(torch.ones(2, dtype=torch.bfloat16)).dtype
    torch.float32
"""

import torch

from .data import map_structure

__all__ = ["float32_outputs", "make_scaler", "scaled_backward_and_step"]

_LOW = (torch.float16, torch.bfloat16)


def _model_policy(model):
    return model.dtype_policy.name


def uses_low_precision(model):
    """Whether the model or any of its layers computes in float16/bfloat16."""
    for module in model.modules():
        dtype = vars(module).get("_tkl_compute_dtype")
        if dtype in _LOW:
            return True
    return False


def make_scaler(model, auto_scale_loss):
    """A ``GradScaler`` for a model under ``"mixed_float16"`` (None otherwise)."""
    if not auto_scale_loss or _model_policy(model) != "mixed_float16":
        return None
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    return torch.amp.GradScaler(device.type)


def float32_outputs(outputs):
    """The structure ``outputs`` with float16/bfloat16 tensors cast to float32."""
    return map_structure(
        lambda t: t.float() if isinstance(t, torch.Tensor) and t.dtype in _LOW else t, outputs)


def scaled_backward_and_step(scaler, total, optimizer):
    """``backward`` and ``step`` through the scaler (the step is skipped by torch when
    the scaled gradients hold inf/NaN, and the scale shrinks)."""
    scaler.scale(total).backward()
    scaler.step(optimizer)
    scaler.update()
