"""Input specifications: what a layer accepts, checked on every layer call.

Follows Keras 3 ``InputSpec`` and ``assert_input_compatibility``: the same fields,
the same order of checks and the same error sentences. Each error adds a second
line starting with ``Hint:`` that says how to fix the input.
"""

import operator
import sys
from collections.abc import Mapping
from types import MappingProxyType

from torch_keraslike._dtypes import dtype_name, to_torch_dtype

_CONTAINERS = (list, tuple, dict)
_CAUGHT = (AttributeError, TypeError, IndexError)


def _fail(message, hint, error=ValueError):
    return error(f"{message}\nHint: {hint}")


def _opt_int(value, arg, negative_ok=False, none_ok=True):
    """Returns ``value`` as an int (``None`` stays ``None``), or raises naming ``arg``."""
    if value is None and none_ok:
        return None
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise _fail(f"InputSpec argument `{arg}` must be an int{' or None' * none_ok}, but received "
                    f"{arg}={value!r} (of type {type(value).__name__}).",
                    "pass a plain Python int, or None to leave it unchecked.", TypeError)
    value = operator.index(value)
    if value < 0 and not negative_ok:
        raise _fail(f"InputSpec argument `{arg}` must be non-negative, but received {arg}={value}.",
                    "pass a size or rank >= 0, or None to leave it unchecked.")
    return value


def _shape_tuple(shape):
    return tuple(d if d is None else int(d) for d in shape)


def _dtype_label(dtype):
    try:
        return dtype_name(dtype)
    except (ValueError, TypeError):  # a dtype torch does not know: print it as is
        return str(dtype)


def _rank_hint(found, want, bound=""):
    if found < want:
        return (f"reshape the input to {bound}{want} dimension(s); if it is a single sample, "
                "add a batch dimension with x[None] (or x.reshape(1, -1)).")
    return (f"reshape the input to {bound}{want} dimension(s), e.g. merge trailing axes with "
            "x.flatten(start_dim=1) or drop a size-1 axis with x.squeeze(-1).")


def _squeeze_last(shape):
    return shape[:-1] if shape and shape[-1] == 1 else shape


def _flatten(obj, out):
    """Appends the leaves of nested lists, tuples and dicts (values in insertion order)."""
    if isinstance(obj, _CONTAINERS):
        for item in obj.values() if isinstance(obj, dict) else obj:
            _flatten(item, out)
    else:
        out.append(obj)
    return out


def _short(x):
    """A short printable form: ``<Tensor shape=(2, 3), dtype=float32>`` for tensors."""
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return f"<{type(x).__name__} shape={tuple(x.shape)}, dtype={_dtype_label(x.dtype)}>"
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


class InputSpec:
    """Describes the rank, dtype and sizes a layer accepts for one input.

    Args:
        dtype: Expected dtype, as a Keras name (``"float32"``), a ``torch.dtype`` or a
            NumPy dtype. Stored as a ``torch.dtype``.
        shape: Expected shape; ``None`` entries match any size. Implies ``ndim``.
        ndim: Expected rank.
        max_ndim: Largest accepted rank.
        min_ndim: Smallest accepted rank.
        axes: Dict mapping an axis (negative counts from the end) to its required
            size, or to ``None`` for any size.
        allow_last_axis_squeeze: If True, skip the ``ndim`` check and ignore a
            trailing size-1 axis on either side when comparing ``shape``.
        name: Input name, used to pick inputs out of a dict.
        optional: If True, the input may be ``None``.

    Raises:
        TypeError: An argument has the wrong type.
        ValueError: An argument has a wrong value, or ``axes`` names an axis out of
            range of ``ndim``/``max_ndim``.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = to_torch_dtype(dtype, context="InputSpec argument `dtype`")
        if shape is not None:
            if not isinstance(shape, (list, tuple)):
                raise _fail(f"InputSpec argument `shape` must be a tuple or list of ints or None, "
                            f"but received shape={shape!r} (of type {type(shape).__name__}).",
                            "pass e.g. shape=(None, 32); use None for any size.", TypeError)
            shape = tuple(_opt_int(d, "shape entry") for d in shape)
            if ndim is not None and _opt_int(ndim, "ndim") != len(shape):
                raise _fail(f"InputSpec arguments disagree: shape={shape} has {len(shape)} "
                            f"dimension(s) but ndim={ndim}.", "pass only `shape`; it implies ndim.")
            ndim = len(shape)
        self.shape = shape
        self.ndim = _opt_int(ndim, "ndim")
        self.max_ndim = _opt_int(max_ndim, "max_ndim")
        self.min_ndim = _opt_int(min_ndim, "min_ndim")
        if self.min_ndim is not None and self.max_ndim is not None and self.min_ndim > self.max_ndim:
            raise _fail(f"InputSpec argument min_ndim={self.min_ndim} is greater than "
                        f"max_ndim={self.max_ndim}.", "make min_ndim <= max_ndim.")
        self.axes = MappingProxyType(self._checked_axes(axes))
        for arg, value, kind, want in (
                ("allow_last_axis_squeeze", allow_last_axis_squeeze, bool, "a bool"),
                ("optional", optional, bool, "a bool"), ("name", name, (str, type(None)), "a str or None")):
            if not isinstance(value, kind):
                raise _fail(f"InputSpec argument `{arg}` must be {want}, but received {arg}={value!r} "
                            f"(of type {type(value).__name__}).", f"pass {arg} as {want}.", TypeError)
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def _checked_axes(self, axes):
        if axes is None:
            return {}
        if not isinstance(axes, Mapping):
            raise _fail(f"InputSpec argument `axes` must be a dict mapping int axes to sizes, but "
                        f"received axes={axes!r} (of type {type(axes).__name__}).",
                        "pass e.g. axes={-1: 64}.", TypeError)
        limit, field = (self.ndim, "ndim") if self.ndim is not None else (self.max_ndim, "max_ndim")
        checked = {}
        for axis, size in axes.items():
            axis = _opt_int(axis, "axes key", negative_ok=True, none_ok=False)
            checked[axis] = _opt_int(size, f"axes[{axis}]")
            if limit is not None and not -limit <= axis < limit:
                sentence = (f"Axis {axis} is greater than the maximum allowed value: {limit - 1}"
                            if axis >= 0 else
                            f"Axis {axis} is less than the minimum allowed value: {-limit}")
                raise _fail(sentence, f"with {field}={limit} the axes must lie in "
                            f"[{-limit}, {limit - 1}]; fix the axis or the {field}.")
        return checked

    def __setattr__(self, key, value):
        object.__setattr__(self, key, value)
        if key != "_checker":  # any change of a field drops the cached checker
            object.__setattr__(self, "_checker", None)

    def __getstate__(self):
        state = dict(self.__dict__, _checker=None)
        state["axes"] = dict(state["axes"])
        return state

    def __setstate__(self, state):
        self.__dict__.update(state, axes=MappingProxyType(dict(state["axes"])))

    def __repr__(self):
        fields = [("dtype", dtype_name(self.dtype)), ("shape", self.shape), ("ndim", self.ndim),
                  ("max_ndim", self.max_ndim), ("min_ndim", self.min_ndim),
                  ("axes", dict(self.axes) or None),
                  ("allow_last_axis_squeeze", self.allow_last_axis_squeeze or None),
                  ("name", None if self.name is None else repr(self.name)),
                  ("optional", self.optional or None)]
        return f"InputSpec({', '.join(f'{k}={v}' for k, v in fields if v is not None)})"

    def get_config(self):
        """Returns a JSON-serialisable dict; ``from_config`` rebuilds the spec from it."""
        return {"dtype": dtype_name(self.dtype),
                "shape": None if self.shape is None else list(self.shape),
                "ndim": self.ndim, "max_ndim": self.max_ndim, "min_ndim": self.min_ndim,
                "axes": dict(self.axes), "allow_last_axis_squeeze": self.allow_last_axis_squeeze,
                "name": self.name, "optional": self.optional}

    @classmethod
    def from_config(cls, config):
        """Builds a spec from ``get_config()`` output, also after a JSON round trip."""
        config = dict(config)
        if config.get("axes"):  # JSON turns int keys into strings
            config["axes"] = {int(k) if isinstance(k, str) and k.lstrip("-").isdigit() else k: v
                              for k, v in config["axes"].items()}
        return cls(**config)

    def _check(self, x, layer_name, index=0):
        """Reference check: runs each set check in Keras order; raises on the first failure."""
        if x is None and self.optional:
            return
        if not hasattr(x, "shape"):
            raise _fail(f"Inputs to a layer should be tensors. Got '{x}' (of type {type(x)}) as "
                        f"input for layer '{layer_name}'.",
                        "convert the value to a tensor first, e.g. torch.as_tensor(x).")
        shape = _shape_tuple(x.shape)
        ndim = len(shape)
        head = f'Input {index} of layer "{layer_name}" is incompatible with the layer: '
        if self.ndim is not None and not self.allow_last_axis_squeeze and ndim != self.ndim:
            raise _fail(f"{head}expected ndim={self.ndim}, found ndim={ndim}. "
                        f"Full shape received: {shape}", _rank_hint(ndim, self.ndim))
        if self.max_ndim is not None and ndim > self.max_ndim:
            raise _fail(f"{head}expected max_ndim={self.max_ndim}, found ndim={ndim}",
                        _rank_hint(ndim, self.max_ndim, "at most "))
        if self.min_ndim is not None and ndim < self.min_ndim:
            raise _fail(f"{head}expected min_ndim={self.min_ndim}, found ndim={ndim}. "
                        f"Full shape received: {shape}", _rank_hint(ndim, self.min_ndim, "at least "))
        found = getattr(x, "dtype", None)
        if self.dtype is not None and found is not self.dtype:
            want, got = dtype_name(self.dtype), _dtype_label(found)
            if got != want:
                raise _fail(f"{head}expected dtype={want}, found dtype={got}",
                            f"cast the input with x.to(torch.{want}) (NumPy: x.astype('{want}')).")
        for axis, value in self.axes.items():
            if value is None or (-ndim <= axis < ndim and shape[axis] in (value, None)):
                continue
            raise _fail(f"{head}expected axis {axis} of input shape to have value {value}, "
                        f"but received input with shape {shape}",
                        f"this layer was built for inputs whose axis {axis} has size {value}; "
                        "pass inputs of that size, or create a new layer for the new size.")
        if self.shape is not None:
            want, got = self.shape, shape
            if self.allow_last_axis_squeeze:
                want, got = _squeeze_last(want), _squeeze_last(got)
            if len(want) != len(got) or any(
                    w is not None and g is not None and w != g for w, g in zip(want, got)):
                raise _fail(f"{head}expected shape={self.shape}, found shape={shape}",
                            f"pass inputs of shape {self.shape} (None matches any size), "
                            "or create a new layer for the new shape.")

    def _make_checker(self):
        """Returns ``check(x, layer_name, index=0)``, a fast check specialised to this spec.

        The closure holds only what the set fields need: a rank range, the dtype to
        compare by identity, and the (axis, size) pairs that must match. Whenever that
        quick test does not pass plainly, it defers to the full reference check, which
        decides and builds the message; so results always equal ``_check``.
        Cache it: it does not follow later changes of the spec's fields.
        """
        slow = self._check
        if self.shape is not None and (self.allow_last_axis_squeeze or self.ndim != len(self.shape)):
            return slow
        lo, hi = 0, sys.maxsize
        if self.ndim is not None and not self.allow_last_axis_squeeze:
            lo = hi = self.ndim
        lo = max(lo, self.min_ndim or 0)
        hi = hi if self.max_ndim is None else min(hi, self.max_ndim)
        dtype = self.dtype
        pins = tuple((a, v) for a, v in self.axes.items() if v is not None)
        pins += tuple((a, v) for a, v in enumerate(self.shape or ()) if v is not None)

        if dtype is None and not pins:
            def check(x, layer_name, index=0):
                try:
                    if lo <= x.ndim <= hi:
                        return
                except _CAUGHT:
                    pass
                slow(x, layer_name, index)
            return check

        def check(x, layer_name, index=0):
            try:
                shape = x.shape
                if lo <= len(shape) <= hi and (dtype is None or x.dtype is dtype):
                    for axis, value in pins:
                        if shape[axis] != value:
                            break
                    else:
                        return
            except _CAUGHT:
                pass
            slow(x, layer_name, index)
        return check


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raises ``ValueError`` if ``inputs`` do not match ``input_spec``.

    Args:
        input_spec: None, an ``InputSpec``, or a (nested) list/tuple of ``InputSpec``
            (a ``None`` entry skips that input).
        inputs: A tensor, or a (nested) list/tuple/dict of tensors. A tensor is anything
            with ``.shape`` and ``.dtype``. A dict is read by spec names when every
            spec has a name, else its values are taken in insertion order.
        layer_name: The layer's name, used in messages.

    Raises:
        ValueError: Keras's message for the first mismatch, then a ``Hint:`` line.
    """
    if isinstance(input_spec, InputSpec):
        if not isinstance(inputs, _CONTAINERS):  # the common case: one spec, one tensor
            check = input_spec._checker
            if check is None:
                check = input_spec._checker = input_spec._make_checker()
            check(inputs, layer_name)
            return
        if isinstance(inputs, dict) and input_spec.name is None:
            raise _fail(f'Layer "{layer_name}" expects 1 input tensor, but it received a dict with '
                        f"keys {list(inputs)}.",
                        "pass the tensor itself, e.g. layer(inputs['x']).")
        specs = [input_spec]
    elif not input_spec:
        return
    else:
        specs = _flatten(input_spec, [])
        for spec in specs:
            if spec is not None and not isinstance(spec, InputSpec):
                raise _fail(f"`input_spec` of layer '{layer_name}' must hold InputSpec objects or "
                            f"None, but it holds {spec!r} (of type {type(spec).__name__}).",
                            "set layer.input_spec to an InputSpec or a list of them.")
    if isinstance(inputs, dict):
        names = [spec.name if spec is not None else None for spec in specs]
        if all(names):
            for name in names:
                if name not in inputs:
                    raise _fail(f'Missing data for input "{name}". You passed a data dictionary with '
                                f"keys {list(inputs.keys())}. Expected the following keys: {names}",
                                f'add the key "{name}" to the dictionary, or rename the keys to '
                                "match the input names.")
            inputs = [inputs[name] for name in names]
    flat = _flatten(inputs, [])
    if len(flat) != len(specs):
        raise _fail(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
                    f"{len(flat)} input tensors. Inputs received: "
                    f"[{', '.join(_short(x) for x in flat)}]",
                    f"call the layer with exactly {len(specs)} input tensor(s); pass several "
                    "inputs as one list, e.g. layer([x1, x2]).")
    for index, (x, spec) in enumerate(zip(flat, specs)):
        if spec is not None:
            check = spec._checker
            if check is None:
                check = spec._checker = spec._make_checker()
            check(x, layer_name, index)
