"""Activation ops of ``keras.ops.nn``, each torch's fused kernel where one computes
Keras's formula. Unlike ``tkl.activations`` they keep integer inputs integer where
torch's kernel does (``ops.relu`` of ``int32`` is ``int32``), as Keras's ops do.
"""

import warnings

import torch
import torch.nn.functional as F

from ..activations import sparsemax_along
from ._base import canonical_axes, canonical_axis, convert, shape_str
from ._symbolic import exported, keras_op


def _activation(call, result, **params):
    """Registers an activation of ``keras.ops.nn`` and completes its one-line docstring
    with the common sections: ``Args`` (``x`` and the documented ``params``), ``Returns``
    and an example calling ``ops.<call>`` with its printed ``result``."""

    def decorate(function):
        args = "\n".join(f"        {name}: {doc}" for name, doc in {"x": "input tensor.", **params}.items())
        function.__doc__ = (
            f"{function.__doc__}\n\n    Args:\n{args}\n\n    Returns:\n        A tensor of ``x``'s shape.\n\n"
            f"    Example:\n        >>> from torch_keraslike import ops\n        >>> ops.{call}\n        {result}\n"
        )
        return keras_op("nn")(function)

    return decorate


@_activation("relu([-1.0, 2.0])", "tensor([0., 2.])")
def relu(x):
    """Rectified linear unit: ``max(x, 0)``."""
    x = convert(x, op="ops.relu")
    return F.relu(x)


@_activation("relu6([-1.0, 8.0])", "tensor([0., 6.])")
def relu6(x):
    """ReLU capped at 6: ``min(max(x, 0), 6)``."""
    x = convert(x, op="ops.relu6")
    return F.relu6(x)


@_activation("sigmoid([0.0])", "tensor([0.5000])")
def sigmoid(x):
    """Sigmoid: ``1 / (1 + exp(-x))``."""
    x = convert(x, op="ops.sigmoid")
    return torch.sigmoid(x)


@_activation("sparse_sigmoid([-2.0, 0.0, 2.0])", "tensor([0.0000, 0.5000, 1.0000])")
def sparse_sigmoid(x):
    """Sparse sigmoid: 0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` between."""
    x = convert(x, op="ops.sparse_sigmoid")
    return torch.clamp(0.5 * (x + 1), 0.0, 1.0)


@_activation("softplus([0.0])", "tensor([0.6931])")
def softplus(x):
    """Softplus: ``log(exp(x) + 1)``."""
    x = convert(x, op="ops.softplus")
    return F.softplus(x)


@_activation("softsign([1.0])", "tensor([0.5000])")
def softsign(x):
    """Softsign: ``x / (abs(x) + 1)``."""
    x = convert(x, op="ops.softsign")
    return F.softsign(x)


@_activation("soft_shrink([-1.0, 0.2, 1.0])", "tensor([-0.5000,  0.0000,  0.5000])", threshold='the shrinkage.')
def soft_shrink(x, threshold=0.5):
    """Soft shrinkage: ``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, 0 between."""
    x = convert(x, op="ops.soft_shrink")
    return F.softshrink(x, threshold)


@_activation("sparse_plus([-2.0, 0.0, 2.0])", "tensor([0.0000, 0.2500, 2.0000])")
def sparse_plus(x):
    """SparsePlus: 0 for ``x <= -1``, ``(x + 1)**2 / 4`` for ``-1 < x < 1``, ``x`` above."""
    x = convert(x, op="ops.sparse_plus")
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, 0.25 * (x + 1) ** 2, x))


@_activation("silu([0.0])", "tensor([0.])")
def silu(x):
    """SiLU, also called swish: ``x * sigmoid(x)``."""
    x = convert(x, op="ops.silu")
    return F.silu(x)


@_activation("swish([0.0])", "tensor([0.])")
def swish(x):
    """Swish (the same function as ``silu``): ``x * sigmoid(x)``."""
    x = convert(x, op="ops.swish")
    return F.silu(x)


@_activation("squareplus([0.0])", "tensor([1.])", b='smoothness near 0.')
def squareplus(x, b=4):
    """Squareplus: ``(x + sqrt(x**2 + b)) / 2``."""
    x = convert(x, op="ops.squareplus")
    return (x + torch.sqrt(x**2 + b)) / 2


@_activation("log_sigmoid([0.0])", "tensor([-0.6931])")
def log_sigmoid(x):
    """Log-sigmoid: ``log(sigmoid(x))``."""
    x = convert(x, op="ops.log_sigmoid")
    return F.logsigmoid(x)


@_activation("leaky_relu([-1.0, 1.0])", "tensor([-0.2000,  1.0000])", negative_slope='slope of the negative part.')
def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: ``x`` for ``x >= 0``, ``negative_slope * x`` below."""
    x = convert(x, op="ops.leaky_relu")
    return F.leaky_relu(x, negative_slope)


@_activation("hard_sigmoid([0.0])", "tensor([0.5000])")
def hard_sigmoid(x):
    """Hard sigmoid: ``relu6(x + 3) / 6``."""
    x = convert(x, op="ops.hard_sigmoid")
    return F.hardsigmoid(x)


@_activation("hard_silu([1.0])", "tensor([0.6667])")
def hard_silu(x):
    """Hard SiLU, also called hard swish: ``x * relu6(x + 3) / 6``."""
    x = convert(x, op="ops.hard_silu")
    return F.hardswish(x)


@_activation("hard_swish([1.0])", "tensor([0.6667])")
def hard_swish(x):
    """Hard swish (the same function as ``hard_silu``)."""
    x = convert(x, op="ops.hard_swish")
    return F.hardswish(x)


@_activation("elu([-1.0, 1.0])", "tensor([-0.6321,  1.0000])", alpha='scale of the negative part.')
def elu(x, alpha=1.0):
    """ELU: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below."""
    x = convert(x, op="ops.elu")
    return F.elu(x, alpha)


@_activation("selu([0.0])", "tensor([0.])")
def selu(x):
    """Scaled ELU with the constants of Klambauer et al. (2017)."""
    x = convert(x, op="ops.selu")
    return F.selu(x)


@_activation("gelu([0.0])", "tensor([0.])", approximate='use the tanh approximation.')
def gelu(x, approximate=True):
    """GELU: ``x * Phi(x)``, by default with the tanh approximation (Keras's default)."""
    x = convert(x, op="ops.gelu")
    return F.gelu(x, approximate="tanh" if approximate else "none")


@_activation("celu([0.0])", "tensor([0.])", alpha='scale of the negative part.')
def celu(x, alpha=1.0):
    """CELU: ``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    x = convert(x, op="ops.celu")
    return F.celu(x, alpha)


@_activation("tanh_shrink([0.0])", "tensor([0.])")
def tanh_shrink(x):
    """Tanh shrink: ``x - tanh(x)``."""
    x = convert(x, op="ops.tanh_shrink")
    return F.tanhshrink(x)


@_activation("hard_tanh([-2.0, 0.5])", "tensor([-1.0000,  0.5000])")
def hard_tanh(x):
    """Hard tanh: ``x`` clipped to ``[-1, 1]``."""
    x = convert(x, op="ops.hard_tanh")
    return F.hardtanh(x, -1.0, 1.0)


@_activation("hard_shrink([-1.0, 0.2])", "tensor([-1.,  0.])", threshold='the threshold.')
def hard_shrink(x, threshold=0.5):
    """Hard shrinkage: ``x`` where ``|x| > threshold``, else 0."""
    x = convert(x, op="ops.hard_shrink")
    return F.hardshrink(x, threshold)


def _glu(x, axis):
    axis = canonical_axis(axis, x.ndim, "ops.glu")
    if x.shape[axis] % 2:
        raise ValueError(
            f"ops.glu: axis {axis} of the input (shape {shape_str(x.shape)}) must have an even size to be "
            "split in two halves."
        )
    return F.glu(x, dim=axis)


@keras_op("nn")
def glu(x, axis=-1):
    """Gated linear unit: ``a * sigmoid(b)`` for the halves ``a, b`` of ``x`` along ``axis``.

    Args:
        x: input tensor; its size along ``axis`` must be even.
        axis: the axis to split.

    Returns:
        A tensor with half the size along ``axis``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.glu([1.0, 0.0])
        tensor([0.5000])
    """
    return _glu(convert(x, op="ops.glu"), axis)
@keras_op("nn")
def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``.

    Args:
        x: input tensor.
        threshold: the threshold.
        default_value: the replacement value.

    Returns:
        A tensor of ``x``'s shape.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.threshold([0.5, 2.0], 1.0, 0.0)
        tensor([0., 2.])
    """
    return F.threshold(convert(x, op="ops.threshold"), threshold, default_value)


def _normalizer(name, torch_fn, combine):
    def compute(x, axis):
        if isinstance(axis, int) and -x.ndim <= axis < x.ndim and x.shape[axis] == 1:
            warnings.warn(
                f"You are using a {name} over axis {axis} of a tensor of shape {tuple(x.shape)}. This axis "
                f"has size 1. The {name} operation will always return the value 1, which is likely not "
                "what you intended. Did you mean to use a sigmoid instead?", stacklevel=4)
        half = x.dtype == torch.float16 and x.device.type == "cpu"
        y = x.to(torch.float32) if half else x
        if axis is None or not isinstance(axis, int):
            axes = tuple(range(x.ndim)) if axis is None else canonical_axes(axis, x.ndim, f"ops.{name}")
            out = combine(y, torch.logsumexp(y, dim=axes, keepdim=True))
        else:
            out = torch_fn(y, dim=canonical_axis(axis, x.ndim, f"ops.{name}"))
        return out.to(x.dtype) if half else out

    return compute


_softmax = _normalizer("softmax", F.softmax, lambda y, lse: torch.exp(y - lse))
_log_softmax = _normalizer("log_softmax", F.log_softmax, lambda y, lse: y - lse)


@keras_op("nn")
def softmax(x, axis=-1):
    """Softmax over ``axis``: ``exp(x) / sum(exp(x))``, computed stably.

    Args:
        x: input tensor.
        axis: an int, a tuple of ints, or ``None`` for all axes. A size-1 axis warns
            (the result would always be 1), as in Keras.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.softmax([0.0, 0.0])
        tensor([0.5000, 0.5000])
    """
    return _softmax(convert(x, op="ops.softmax"), axis)


@keras_op("nn")
def log_softmax(x, axis=-1):
    """Log-softmax over ``axis``: ``x - logsumexp(x)``.

    Args:
        x: input tensor.
        axis: an int, a tuple of ints, or ``None`` for all axes.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.log_softmax([0.0, 0.0])
        tensor([-0.6931, -0.6931])
    """
    return _log_softmax(convert(x, op="ops.log_softmax"), axis)


def _sparsemax(x, axis):
    return sparsemax_along(x, canonical_axis(axis, x.ndim, "ops.sparsemax"))


@keras_op("nn")
def sparsemax(x, axis=-1):
    """Sparsemax: the Euclidean projection of ``x`` onto the probability simplex along
    ``axis`` (like softmax, but with exact zeros).

    Args:
        x: input tensor.
        axis: the axis.

    Returns:
        A tensor of ``x``'s shape.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.sparsemax([1.0, 0.0])
        tensor([1., 0.])
    """
    return _sparsemax(convert(x, op="ops.sparsemax"), axis)


__all__ = exported(globals())
