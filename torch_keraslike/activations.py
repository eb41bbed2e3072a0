"""Keras activation functions on ``torch.Tensor`` values, with Keras names and defaults.

Each function takes a tensor (anything else is converted with ``torch.as_tensor``;
integer and bool tensors are cast to the default float dtype) and uses torch's fused
kernels where they compute Keras's formula. Look functions up by name with :func:`get`.

Example:
    >>> get("relu")(torch.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
"""

import difflib
import math
import numbers

import torch
import torch.nn.functional as F


def _float(x):
    if not isinstance(x, torch.Tensor):
        return torch.as_tensor(x, dtype=torch.get_default_dtype())
    if x.is_floating_point() or x.is_complex():
        return x
    return x.to(torch.get_default_dtype())


def _number(value, arg, fn, allow_none=False, non_negative=False):
    if value is None and allow_none:
        return None
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or math.isnan(value) or (non_negative and value < 0)):
        kind = "a non-negative number" if non_negative else "a number"
        raise ValueError(f"{fn} expected `{arg}` to be {kind}"
                         f"{' or None' if allow_none else ''}, but received {arg}={value!r}.")
    return value


def linear(x):
    """Linear (identity) activation: returns ``x`` unchanged.

    Args:
        x: Input tensor.
    """
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with Keras's optional slope, cap and threshold.

    ``max_value`` for ``x >= max_value``; ``x`` for ``threshold < x < max_value``;
    ``negative_slope * (x - threshold)`` otherwise.

    Args:
        x: Input tensor.
        negative_slope: Slope below the threshold (>= 0).
        max_value: Optional saturation value (>= 0).
        threshold: Values at or below it are zeroed (or damped by ``negative_slope``).

    Example:
        >>> relu(torch.tensor([-10.0, 5.0, 10.0]), negative_slope=0.5, max_value=6.0).tolist()
        [-5.0, 5.0, 6.0]
    """
    if max_value is None and negative_slope == 0.0 and threshold == 0.0 and type(x) is torch.Tensor and (
        x.is_floating_point()
    ):
        return F.relu(x)  # the layer hot path: plain ReLU, no argument checks to do
    _number(negative_slope, "negative_slope", "relu", non_negative=True)
    _number(max_value, "max_value", "relu", allow_none=True, non_negative=True)
    _number(threshold, "threshold", "relu")
    x = _float(x)
    if negative_slope == 0 and threshold == 0:
        if max_value is None:
            return F.relu(x)
        return F.relu6(x) if max_value == 6 else torch.clamp(x, 0.0, max_value)
    if threshold == 0 and max_value is None:
        return F.leaky_relu(x, negative_slope)
    negative_part = F.relu(threshold - x) if negative_slope != 0 else None
    if threshold != 0:
        out = x * (x > threshold).to(x.dtype)
    else:
        out = F.relu(x)
    if max_value is not None:
        out = torch.clamp(out, 0.0, max_value)
    if negative_part is not None:
        out = out - negative_slope * negative_part
    return out


def relu6(x):
    """ReLU capped at 6: ``min(max(x, 0), 6)``."""
    return F.relu6(_float(x))


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: ``x`` if ``x >= 0`` else ``negative_slope * x``.

    Args:
        x: Input tensor.
        negative_slope: Slope for negative inputs.
    """
    return F.leaky_relu(_float(x), _number(negative_slope, "negative_slope", "leaky_relu"))


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Args:
        x: Input tensor.
        alpha: Scale of the negative part.
    """
    return F.elu(_float(x), _number(alpha, "alpha", "elu"))


def selu(x):
    """Scaled ELU: ``scale * elu(x, alpha)`` with ``alpha ~ 1.6733``, ``scale ~ 1.0507``."""
    return F.selu(_float(x))


def gelu(x, approximate=False):
    """Gaussian error linear unit: ``x * Phi(x)``.

    Args:
        x: Input tensor.
        approximate: Use the tanh approximation
            ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``.
    """
    return F.gelu(_float(x), approximate="tanh" if approximate else "none")


def sigmoid(x):
    """Sigmoid: ``1 / (1 + exp(-x))``."""
    return torch.sigmoid(_float(x))


def hard_sigmoid(x):
    """Piecewise-linear sigmoid (Keras 3): ``relu6(x + 3) / 6``."""
    return F.hardsigmoid(_float(x))


def hard_silu(x):
    """Hard SiLU / hard swish: ``x * relu6(x + 3) / 6``."""
    return F.hardswish(_float(x))


def silu(x):
    """SiLU / swish: ``x * sigmoid(x)``."""
    return F.silu(_float(x))


def tanh(x):
    """Hyperbolic tangent."""
    return torch.tanh(_float(x))


def _axes(axis, fn):
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return int(axis)
    if isinstance(axis, (tuple, list)) and axis and all(
            isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis):
        return tuple(int(a) for a in axis)
    raise ValueError(f"{fn} expected `axis` to be an int or a non-empty tuple of ints, but "
                     f"received axis={axis!r}. Pass e.g. axis=-1.")


def softmax(x, axis=-1):
    """Softmax: ``exp(x) / sum(exp(x), axis)``, computed stably.

    Args:
        x: Input tensor.
        axis: Int or tuple of ints, the axes to normalise over.

    Example:
        >>> softmax(torch.zeros(2, 4)).sum(-1).tolist()
        [1.0, 1.0]
    """
    x, axis = _float(x), _axes(axis, "softmax")
    if isinstance(axis, int):
        return F.softmax(x, dim=axis)
    return torch.exp(x - torch.logsumexp(x, dim=axis, keepdim=True))


def log_softmax(x, axis=-1):
    """Log-softmax: ``x - logsumexp(x, axis)``.

    Args:
        x: Input tensor.
        axis: Int or tuple of ints, the axes to normalise over.
    """
    x, axis = _float(x), _axes(axis, "log_softmax")
    if isinstance(axis, int):
        return F.log_softmax(x, dim=axis)
    return x - torch.logsumexp(x, dim=axis, keepdim=True)


def softplus(x):
    """Softplus: ``log(exp(x) + 1)``."""
    return F.softplus(_float(x))


def softsign(x):
    """Softsign: ``x / (abs(x) + 1)``."""
    return F.softsign(_float(x))


def exponential(x):
    """Exponential: ``exp(x)``."""
    return torch.exp(_float(x))


def mish(x):
    """Mish: ``x * tanh(softplus(x))``."""
    return F.mish(_float(x))


def log_sigmoid(x):
    """Log-sigmoid: ``log(sigmoid(x)) = -softplus(-x)``."""
    return F.logsigmoid(_float(x))


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Args:
        x: Input tensor.
        alpha: Scale of the negative part (non-zero).
    """
    if _number(alpha, "alpha", "celu") == 0:
        raise ValueError("celu expected a non-zero `alpha`, but received alpha=0. "
                         "Pass e.g. alpha=1.0.")
    return F.celu(_float(x), alpha)


def glu(x, axis=-1):
    """Gated linear unit: splits ``x`` in two halves ``a, b`` along ``axis``, returns
    ``a * sigmoid(b)``.

    Args:
        x: Input tensor; its size along ``axis`` must be even.
        axis: The axis to split.
    """
    x, axis = _float(x), _axes(axis, "glu")
    if not isinstance(axis, int) or not -x.dim() <= axis < x.dim() or x.shape[axis] % 2:
        raise ValueError(
            f"glu expects an int `axis` along which the input has an even size, but received "
            f"axis={axis!r} for an input of shape {tuple(x.shape)}. Pick an axis of even size.")
    return F.glu(x, dim=axis)


def squareplus(x, b=4):
    """Squareplus: ``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU.

    Args:
        x: Input tensor.
        b: Smoothness (>= 0); 0 gives the ReLU.
    """
    b = _number(b, "b", "squareplus", non_negative=True)
    x = _float(x)
    return (x + torch.sqrt(torch.square(x) + b)) / 2


def soft_shrink(x, threshold=0.5):
    """Soft shrinkage: ``x - threshold`` above ``threshold``, ``x + threshold`` below
    ``-threshold``, 0 between.

    Args:
        x: Input tensor.
        threshold: Non-negative width of the zero band.
    """
    return F.softshrink(_float(x), _number(threshold, "threshold", "soft_shrink", non_negative=True))


def hard_shrink(x, threshold=0.5):
    """Hard shrinkage: ``x`` where ``|x| > threshold``, else 0.

    Args:
        x: Input tensor.
        threshold: Non-negative width of the zero band.
    """
    return F.hardshrink(_float(x), _number(threshold, "threshold", "hard_shrink", non_negative=True))


def sparse_plus(x):
    """SparsePlus: 0 for ``x <= -1``, ``(x + 1)**2 / 4`` for ``-1 < x < 1``, ``x`` above."""
    x = _float(x)
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, 0.25 * torch.square(x + 1), x))


def sparse_sigmoid(x):
    """Sparse sigmoid: 0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` between."""
    return torch.clamp(0.5 * (_float(x) + 1), 0.0, 1.0)


def tanh_shrink(x):
    """Tanh shrink: ``x - tanh(x)``."""
    return F.tanhshrink(_float(x))


def hard_tanh(x):
    """Hard tanh: ``x`` clipped to ``[-1, 1]``."""
    return F.hardtanh(_float(x), -1.0, 1.0)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``.

    Args:
        x: Input tensor.
        threshold: The threshold.
        default_value: The value below or at the threshold.

    Example:
        >>> threshold(torch.tensor([0.5, 2.0]), 1.0, -1.0).tolist()
        [-1.0, 2.0]
    """
    return F.threshold(_float(x), _number(threshold, "threshold", "threshold"),
                       _number(default_value, "default_value", "threshold"))


def sparsemax(x, axis=-1):
    """Sparsemax: the Euclidean projection of ``x`` onto the probability simplex along
    ``axis``, like softmax but with exact zeros.

    Args:
        x: Input tensor.
        axis: The axis to normalise over.

    Example:
        >>> sparsemax(torch.tensor([2.0, 0.5, -1.0])).tolist()
        [1.0, 0.0, 0.0]
    """
    x, axis = _float(x), _axes(axis, "sparsemax")
    if not isinstance(axis, int) or not -max(x.dim(), 1) <= axis < max(x.dim(), 1):
        raise ValueError(f"sparsemax expects an int `axis` within the input's {x.dim()} dimensions, but "
                         f"received axis={axis!r}. Pass e.g. axis=-1.")
    return sparsemax_along(x, axis)


def sparsemax_along(x, axis):
    """Sparsemax of a floating tensor along a valid ``axis`` (no argument checks)."""
    ordered = torch.sort(x, dim=axis, descending=True).values
    running = torch.cumsum(ordered, dim=axis)
    shape = [1] * x.dim()
    shape[axis] = -1
    rank = torch.arange(1, x.shape[axis] + 1, device=x.device, dtype=x.dtype).view(shape)
    support = ordered - (running - 1) / rank > 0
    count = support.sum(dim=axis, keepdim=True)
    # tau = (sum of the k largest - 1) / k, with k the size of the support.
    tau = (torch.gather(running, axis, count - 1) - 1) / count.to(x.dtype)
    return torch.clamp(x - tau, min=0.0)


swish = silu
hard_swish = hard_silu

#: Keras name -> function. ``swish`` and ``hard_swish`` are aliases.
ALL_OBJECTS_DICT = {fn.__name__: fn for fn in (
    linear, relu, relu6, leaky_relu, elu, selu, gelu, sigmoid, hard_sigmoid, hard_silu,
    silu, tanh, softmax, log_softmax, softplus, softsign, exponential, mish, log_sigmoid,
    celu, glu, squareplus, soft_shrink, hard_shrink, sparse_plus, sparse_sigmoid, tanh_shrink,
    hard_tanh, threshold, sparsemax)}
ALL_OBJECTS_DICT.update({"swish": silu, "hard_swish": hard_silu})
_NAME_OF = {id(fn): name for name, fn in ALL_OBJECTS_DICT.items()
            if name not in ("swish", "hard_swish")}


def fused(activation):
    """The function a layer should call for ``activation`` on floating tensors.

    ``None`` for ``linear``; torch's own kernel for the activations whose Keras
    defaults compute exactly that kernel (``relu``, ``sigmoid``, ``tanh``...), which
    saves the argument handling on every call (and guards under ``torch.compile``);
    ``activation`` itself otherwise.
    """
    if activation is linear:
        return None
    return _FUSED.get(activation, activation)


def _registered(name, custom_objects=None):
    """A function registered under ``name`` ("my_pkg>fn"), or in ``custom_objects``."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if ">" not in name:
        return None
    from .saving.registry import get_registered_object

    return get_registered_object(name, custom_objects)


def get(identifier):
    """Returns an activation function.

    Args:
        identifier: ``None`` (returns :func:`linear`), a callable (returned as is), a
            Keras name such as ``"relu"``, the registered name of a function
            (``"my_pkg>fn"``, see ``tkl.saving.register_serializable``), or what
            :func:`serialize` returns.

    Example:
        >>> get("swish") is silu
        True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        fn = ALL_OBJECTS_DICT.get(identifier) or _registered(identifier)
        if fn is None:
            close = difflib.get_close_matches(identifier, list(ALL_OBJECTS_DICT), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"Unknown activation {identifier!r}.{hint} Valid names: "
                f"{sorted(ALL_OBJECTS_DICT)}. You can also pass any callable tensor -> tensor, "
                "or register one with @tkl.saving.register_serializable() and use its name "
                "('my_pkg>my_activation').")
        return fn
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret activation identifier {identifier!r}. Expected None, a name "
        f"(one of {sorted(ALL_OBJECTS_DICT)}) or a callable.")


def serialize(activation):
    """Returns the config value of an activation: the Keras name of one of this
    module's activations, or for a registered function Keras's entry naming it
    (``{"module": "builtins", "class_name": "function", "config": "my_pkg>fn",
    "registered_name": "function"}``).

    Args:
        activation: A function of this module (or its name), or a registered function.

    Example:
        >>> serialize(swish)
        'silu'
    """
    if isinstance(activation, str):
        return serialize(get(activation))
    name = _NAME_OF.get(id(activation))
    if name is not None and ALL_OBJECTS_DICT[name] is activation:
        return name
    from ._object_config import function_entry
    from .saving.registry import get_registered_name

    registered = get_registered_name(activation)
    if ">" in registered and _registered(registered) is activation:
        return function_entry(registered)
    raise ValueError(
        f"Cannot serialize activation {activation!r}: only the named activations of "
        f"torch_keraslike.activations ({sorted(_NAME_OF.values())}) have a Keras name. "
        "Use one of those names, or register your function with the serialization "
        "registry (@tkl.saving.register_serializable()) instead of passing an anonymous callable.")


def deserialize(config, custom_objects=None):
    """Returns the activation function for what :func:`serialize` returns (a name, or
    Keras's entry naming a function).

    Args:
        config: the name or entry.
        custom_objects: optional ``{name: function}``.
    """
    name = config
    if isinstance(config, dict) and config.get("class_name") == "function":
        registered = config.get("registered_name")
        name = registered if isinstance(registered, str) and ">" in registered else config.get("config")
    if not isinstance(name, str):
        raise ValueError(f"deserialize expected an activation name such as 'relu' (or Keras's entry "
                         f"naming a function), but received {config!r}.")
    found = _registered(name, custom_objects)
    return found if found is not None else get(name)


# Keras activations at their default arguments -> the torch kernel computing them.
_FUSED = {
    relu: F.relu,
    relu6: F.relu6,
    selu: F.selu,
    sigmoid: torch.sigmoid,
    tanh: torch.tanh,
    silu: F.silu,
    softplus: F.softplus,
    softsign: F.softsign,
    mish: F.mish,
    hard_sigmoid: F.hardsigmoid,
    hard_silu: F.hardswish,
    exponential: torch.exp,
    log_sigmoid: F.logsigmoid,
    soft_shrink: F.softshrink,
    hard_shrink: F.hardshrink,
    tanh_shrink: F.tanhshrink,
    hard_tanh: F.hardtanh,
}
