"""Helpers shared by the built-in layers: argument checks, Keras's "same" padding,
seeded dropout generators, weight creation from a layer's initializer/regularizer/
constraint options, and the serialization of those options.

Error messages stay with the layers (each names its own arguments and fixes); the
checks here only answer whether a value is valid, or normalise it.
"""

import numbers

import torch

from .. import constraints, initializers, regularizers

# Module serializing an option, by the last word of its config key.
_OPTION_MODULES = {
    "initializer": initializers,
    "regularizer": regularizers,
    "constraint": constraints,
}


def layer_label(layer):
    """How error messages name a layer: ``Layer "<name>" (<class name>)``."""
    return f'Layer "{layer.name}" ({type(layer).__name__})'


def is_int(value):
    """Whether ``value`` is an integer (``bool`` excluded)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_positive_int(value):
    """Whether ``value`` is an integer > 0 (``bool`` excluded)."""
    return is_int(value) and value > 0


def is_real(value):
    """Whether ``value`` is a real number, not NaN (``bool`` excluded)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value == value


def is_dropout_rate(value):
    """Whether ``value`` is a real number in ``[0, 1)`` (``bool`` excluded)."""
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and 0 <= value < 1


def is_seed(value):
    """Whether ``value`` is a valid ``seed`` argument: ``None`` or an integer (no ``bool``)."""
    return value is None or is_int(value)


def as_tuple(value):
    """``(value,)`` for an integer, ``tuple(value)`` for an iterable, else ``None``.

    Any ``numbers.Integral`` is wrapped, ``bool`` included. The entries are not
    checked; callers validate them with their own messages.
    """
    if isinstance(value, numbers.Integral):
        return (value,)
    try:
        return tuple(value)
    except TypeError:
        return None


def int_tuple(value, n, minimum=1):
    """``value`` (an int, or ``n`` ints) as a tuple of ``n`` ints, each ``>= minimum``.

    Args:
        value: an int (repeated ``n`` times) or an iterable of ``n`` ints.
        n: the length of the result.
        minimum: the smallest value allowed for each entry.

    Returns:
        A tuple of ``n`` Python ints, or ``None`` when ``value`` does not qualify
        (the caller raises its own error).
    """
    items = (value,) * n if is_int(value) else value
    try:
        items = tuple(items)
    except TypeError:
        return None
    if len(items) != n or not all(is_int(v) and v >= minimum for v in items):
        return None
    return tuple(int(v) for v in items)


def standardize_tuple(layer, value, n, arg, allow_zero=False):
    """``value`` (an int, or ``n`` ints) as a tuple of ``n`` ints, each ``> 0`` (or
    ``>= 0`` with ``allow_zero``); otherwise Keras's ``ValueError`` ("The `kernel_size`
    argument must be a tuple of 2 integers. Received ...") naming ``layer``, with a fix."""
    items = int_tuple(value, n, minimum=0 if allow_zero else 1)
    if items is not None:
        return items
    message = f"The `{arg}` argument must be a tuple of {n} integers. Received {arg}={value!r}"
    entries = (value,) * n if is_int(value) else as_tuple(value)
    if entries is not None and len(entries) == n and all(is_int(v) for v in entries):
        bad = {int(v) for v in entries if v < 0 or (v == 0 and not allow_zero)}
        message += f", including values {bad} that do not satisfy `value {'>=' if allow_zero else '>'} 0`"
    kind = "non-negative" if allow_zero else "positive"
    example = (1 if allow_zero else 2,) * n if n > 1 else (1 if allow_zero else 2)
    raise ValueError(
        f"{layer_label(layer)}: {message}. Fix: pass an int or a tuple of {n} {kind} ints, "
        f"e.g. {arg}={example}."
    )


def standardize_pairs(layer, value, n, arg):
    """``value`` as ``n`` pairs ``((before, after), ...)`` of non-negative ints, one
    per spatial axis: an int (every side), ``n`` ints (symmetric per axis) or ``n``
    pairs. Anything else raises a ``ValueError`` naming ``layer`` (Keras's wording).
    """
    count = "two" if n == 2 else str(n)
    entries = None if isinstance(value, (str, bool)) else as_tuple(value)
    if entries is not None and not is_int(value) and len(entries) != n:
        raise ValueError(
            f"{layer_label(layer)}: `{arg}` should have {count} elements. Received: {arg}={value!r}. "
            f"Fix: give one entry per spatial axis, e.g. {arg}={(1,) * n}."
        )
    if is_int(value):
        pairs = (int_tuple(value, 2, minimum=0),) * n
    else:
        pairs = None if entries is None else tuple(int_tuple(entry, 2, minimum=0) for entry in entries)
    if pairs is None or None in pairs:
        raise ValueError(
            f"{layer_label(layer)}: `{arg}` should be either an int, a tuple of {n} ints "
            f"(symmetric per spatial axis), or a tuple of {n} tuples of 2 ints ((before, after) "
            f"per spatial axis), all non-negative. Received: {arg}={value!r}. Fix: e.g. {arg}=1 "
            f"or {arg}={((1, 0),) * n}."
        )
    return pairs


def same_pads(size, kernel, stride, dilation=1):
    """Keras's "same" padding ``(before, after)`` along one axis: the output has
    ``ceil(size / stride)`` steps and the extra pixel of an odd total goes after."""
    total = max((-(-size // stride) - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def seeded_generator(layer, device):
    """The ``torch.Generator`` on ``device`` seeded with ``layer.seed``, or ``None``
    without a seed.

    It is kept in ``layer._generator`` and created again only when the device
    changes, so successive masks continue one random stream. While ``torch.compile``
    traces, it is ``None`` too: a generator object cannot enter a graph, so compiled
    code draws from torch's global generator (seeded by ``torch.manual_seed``).
    """
    if layer.seed is None or torch.compiler.is_compiling():
        return None
    if layer._generator is None or layer._generator.device != device:
        layer._generator = torch.Generator(device=device).manual_seed(layer.seed)
    return layer._generator


def add_weight_from_options(layer, name, shape, options=None):
    """Creates weight ``name`` with the options the layer keeps for it.

    Args:
        layer: the layer creating the weight (in its ``build``).
        name: the weight's name, e.g. ``"kernel"``.
        shape: the weight's shape.
        options: prefix of the layer's ``<options>_initializer``,
            ``<options>_regularizer`` and ``<options>_constraint`` attributes
            (default: ``name``, e.g. ``kernel_initializer``).

    Returns:
        The weight, as ``layer.add_weight`` returns it.
    """
    options = name if options is None else options
    return layer.add_weight(
        shape=shape,
        initializer=getattr(layer, f"{options}_initializer"),
        regularizer=getattr(layer, f"{options}_regularizer"),
        constraint=getattr(layer, f"{options}_constraint"),
        name=name,
    )


# The weight options of kernel/bias layers (Dense, EinsumDense...), in config order.
KERNEL_BIAS_OPTIONS = (
    "kernel_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "kernel_constraint",
    "bias_constraint",
)


def options_of(layer, names):
    """``{name: layer.<name>}`` for each option name, for :func:`serialize_options`."""
    return {name: getattr(layer, name) for name in names}


def serialize_options(config, **objects):
    """Adds initializers, regularizers and constraints to a layer's ``config``.

    Each keyword names a config entry ending in ``_initializer``, ``_regularizer`` or
    ``_constraint``; its value is serialized with the matching module (``None`` stays
    ``None``). Entries are added in the order given.

    Args:
        config: the config dict to update.
        **objects: the options, e.g. ``kernel_initializer=self.kernel_initializer``.

    Returns:
        ``config``.
    """
    for key, obj in objects.items():
        module = _OPTION_MODULES[key.rsplit("_", 1)[-1]]
        config[key] = None if obj is None else module.serialize(obj)
    return config
