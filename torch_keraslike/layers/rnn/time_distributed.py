"""``TimeDistributed``: applies a layer to every time step of a sequence."""

from ...input_spec import InputSpec
from ...layer import Layer
from ...saving import register_serializable
from .._common import layer_label
from ..wrapper import Wrapper

__all__ = ["TimeDistributed"]


def _structure_map(fn, value):
    if isinstance(value, (list, tuple)):
        return type(value)(_structure_map(fn, v) for v in value)
    if isinstance(value, dict):
        return {k: _structure_map(fn, v) for k, v in value.items()}
    return fn(value)


@register_serializable(package="keras")
class TimeDistributed(Wrapper):
    """Applies the wrapped layer to each time step (axis 1) independently (Keras's
    wrapper), e.g. one ``Dense`` or ``Conv2D`` shared by all frames of a video.

    The steps run as one call of the wrapped layer on the batch and time axes merged
    (``(batch * timesteps, ...)``), which gives Keras's per-step results for every layer
    that treats samples independently. A layer that mixes the samples of a batch
    (``BatchNormalization`` while training) sees all steps' samples at once, where Keras
    3 calls it once per step.

    Args:
        layer: the ``tkl.Layer`` to apply at each step.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: ``(batch, timesteps, ...)``, at least 3-D.
        training: passed to the wrapped layer.
        mask: optional boolean ``(batch, timesteps, ...)``; passed, per step, to a wrapped
            layer whose ``call`` takes a mask. The output keeps the input's mask.

    Shapes:
        Output ``(batch, timesteps) + layer_output_shape[1:]``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.TimeDistributed(tkl.layers.Dense(8))
        >>> layer(torch.ones(2, 10, 16)).shape
        torch.Size([2, 10, 8])
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. "
                f"Received: {layer!r}. Fix: e.g. TimeDistributed(tkl.layers.Dense(8))."
            )
        super().__init__(layer, **kwargs)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)

    def _child_input_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                f"{layer_label(self)}: `TimeDistributed` Layer should be passed an `input_shape` "
                f"with at least 3 dimensions, received: {input_shape!r}. Fix: inputs are "
                "(batch, timesteps, ...)."
            )
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        super().build(self._child_input_shape(tuple(input_shape)))

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_input_shape(tuple(input_shape)))
        return tuple((child[0], input_shape[1], *child[1:]))

    def call(self, inputs, training=None, mask=None):
        batch, steps = inputs.shape[0], inputs.shape[1]
        kwargs = {"training": training}
        if mask is not None:
            self._check_mask(mask, inputs)
            if self.layer._tkl_call_takes_mask:
                kwargs["mask"] = mask.reshape(batch * steps, *mask.shape[2:])
        merged = inputs.reshape(batch * steps, *inputs.shape[2:])
        outputs = self.layer(merged, **kwargs)
        return _structure_map(lambda t: t.reshape(batch, steps, *t.shape[1:]), outputs)

    def _check_mask(self, mask, inputs):
        if mask.dim() < 2:
            raise ValueError(
                f"{layer_label(self)}: The `mask` passed to the `TimeDistributed` layer must be at "
                f"least 2D (e.g., `(batch_size, timesteps)`), but it has {mask.dim()} dimension(s) "
                f"with shape {tuple(mask.shape)}. Fix: one mask entry per sample and step."
            )
        if tuple(mask.shape[:2]) != tuple(inputs.shape[:2]):
            raise ValueError(
                f"{layer_label(self)}: The `mask` passed to the `TimeDistributed` layer has a shape "
                f"{tuple(mask.shape)} that is incompatible with the input shape "
                f"{tuple(inputs.shape)}. The first two dimensions of the mask (batch size and "
                "timesteps) must match the input's first two dimensions. Expected mask shape "
                f"prefix: {tuple(inputs.shape[:2])}."
            )
