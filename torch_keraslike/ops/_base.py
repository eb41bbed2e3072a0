"""What every op shares: Keras's dtype names and promotion rules, the conversion of
op inputs to tensors, axis checks and the wording of errors.

Keras's torch backend converts each input the same way before calling torch: Python
``int`` becomes an ``int32`` scalar tensor (``int64`` beyond its range), ``float``
becomes ``floatx``, lists take the promoted dtype of their items and NumPy arrays keep
theirs. Scalar tensors then take part in torch's own promotion as "weak" values, which
is how ``ops.add(int8_tensor, 1)`` stays ``int8``. Where Keras states a result dtype
explicitly it uses its JAX-like promotion lattice (:func:`result_type`), which on the
torch backend never yields a 64-bit type (``float64`` results become ``float32``, as in
JAX without x64). Both rules are reproduced here, so results carry the dtype Keras
gives.

Converted values are placed on the device of the tensors among the same op's inputs:
an op never moves a CUDA tensor to the CPU.
"""

import numbers

import numpy as np
import torch

from .._dtypes import dtype_name

# Keras's dtype names, and their torch dtypes on the torch backend (which has no
# unsigned 16/32-bit types: Keras maps them to the next signed type).
_TORCH_OF = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "uint8": torch.uint8,
    "uint16": torch.int32,
    "uint32": torch.int64,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "bool": torch.bool,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
}
_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "int": "int32", "long": "int64"}
_PYTHON_TYPES = {bool: "bool", int: "int32", float: "float32", complex: "complex64"}

# Keras's promotion lattice (adapted from JAX): each dtype and its next larger ones.
# "int" and "float" are the weak types of Python scalars.
_LATTICE = {
    "bool": ["int"],
    "uint8": ["int16", "uint16"],
    "uint16": ["int32", "uint32"],
    "uint32": ["int64", "uint64"],
    "uint64": ["float"],
    "int": ["uint8", "int8", "complex64"],
    "int8": ["int16"],
    "int16": ["int32"],
    "int32": ["int64"],
    "int64": ["float"],
    "float": ["bfloat16", "float16"],
    "bfloat16": ["float32"],
    "float16": ["float32"],
    "float32": ["float64", "complex64"],
    "float64": ["complex128"],
    "complex64": ["complex128"],
    "complex128": [],
}
# On the torch backend Keras follows JAX's default of 32-bit results.
_TO_32_BIT = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}


def _upper_bounds():
    bounds = {}
    for node in _LATTICE:
        reach, frontier = {node}, [node]
        while frontier:
            nxt = [up for n in frontier for up in _LATTICE[n] if up not in reach]
            reach.update(nxt)
            frontier = nxt
        bounds[node] = reach
    return bounds


_UPPER = _upper_bounds()
_RESULTS = {}  # (dtypes..., floatx) -> promoted torch dtype




def floatx():
    """The default floating dtype of ops (``torch.get_default_dtype()``)."""
    return torch.get_default_dtype()


def standardize_dtype(dtype, op="ops"):
    """Keras's name (``"float32"``) of a dtype given as a name, a torch or NumPy dtype,
    or a Python type; ``None`` means floatx. Raises ``ValueError`` naming ``op``."""
    if dtype is None:
        return dtype_name(floatx())
    if isinstance(dtype, torch.dtype):
        name = dtype_name(dtype)
    elif dtype in _PYTHON_TYPES:
        name = _PYTHON_TYPES[dtype]
    else:
        name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None) or dtype
        name = _ALIASES.get(name, name) if isinstance(name, str) else name
    if name not in _TORCH_OF:
        raise ValueError(
            f"{op}: invalid dtype {dtype!r}. Expected one of {sorted(_TORCH_OF)} "
            "(a Keras name, a torch.dtype or a NumPy dtype)."
        )
    return name


def to_torch_dtype(dtype, op="ops"):
    """The torch dtype Keras's torch backend uses for ``dtype`` (see
    :func:`standardize_dtype`); ``None`` means floatx."""
    if isinstance(dtype, torch.dtype):
        return dtype
    return _TORCH_OF[standardize_dtype(dtype, op)]


def _lattice_result(entries, float_bits):
    names = {name for name, _ in entries}
    weak = [w for _, w in entries]
    if len(entries) == 1 or (len(names) == 1 and not all(weak)):
        out, out_weak = entries[0][0], all(weak) if len(entries) == 1 else False
    else:
        keys = {name for name, _ in entries} if all(weak) else {
            _weak_name(name) if w else name for name, w in entries
        }
        out = _least_upper_bound(keys)
        out_weak = all(weak) or out in ("int", "float")
    if out == "bool":
        out_weak = False
    if out_weak:
        # A weak result takes floatx's precision (Keras resolves weak complex to float).
        kind = "int" if out.startswith("int") else "uint" if out.startswith("uint") else "float"
        out = f"{kind}{float_bits}"
    return _TO_32_BIT.get(out, out)


def _weak_name(name):
    if name == "bool":
        return name
    return "float" if ("float" in name or name == "bfloat16") else ("int" if "int" in name else "complex64")


def _least_upper_bound(names):
    common = set.intersection(*(_UPPER[n] for n in names))
    least = [c for c in common if common <= _UPPER[c]]
    if len(least) != 1:
        raise ValueError(
            f"Input dtypes {tuple(sorted(names))} have no implicit promotion path. Fix: cast "
            "the inputs to one dtype with ops.cast first."
        )
    return least[0]


def result_type(*dtypes):
    """Keras's promoted dtype (a torch dtype) of ``dtypes``: torch dtypes, Keras names,
    ``None`` (floatx), or the Python types ``int``/``float``/``bool`` standing for weak
    Python scalars. On the torch backend the result is never a 64-bit type.

    Example:
        >>> import torch
        >>> from torch_keraslike.ops._base import result_type
        >>> result_type(torch.int8, torch.uint8), result_type(torch.int32, float)
        (torch.int16, torch.float32)
    """
    if not dtypes:
        return floatx()
    key = dtypes + (floatx(),)
    if not torch.compiler.is_compiling():  # traced code folds the lattice walk into constants
        cached = _RESULTS.get(key)
        if cached is not None:
            return cached
    entries = tuple((standardize_dtype(d), d is int or d is float) for d in dtypes)
    result = _TORCH_OF[_lattice_result(entries, str(dtype_name(floatx()))[-2:])]
    if not torch.compiler.is_compiling():
        _RESULTS[key] = result
    return result


def is_int(dtype):
    """Integer (not bool) torch dtype."""
    return not dtype.is_floating_point and not dtype.is_complex and dtype is not torch.bool


# ----------------------------------------------------------------- conversion
def _scalar_dtype(value):
    if isinstance(value, (bool, np.bool_)):
        return torch.bool
    if isinstance(value, numbers.Integral):
        return torch.int32 if -(2**31) <= value < 2**31 else torch.int64
    if isinstance(value, numbers.Real):
        return floatx()
    return torch.complex64


def _leaf_dtypes(value):
    """The dtypes (Python types for numbers) of the leaves of a nested list, or None
    when a leaf is not a number or a numeric array."""
    if isinstance(value, (list, tuple)):
        dtypes = [_leaf_dtypes(item) for item in value]
        return None if any(d is None for d in dtypes) else [d for group in dtypes for d in group]
    if isinstance(value, (np.ndarray, np.generic)):
        return [np.dtype(value.dtype).name] if value.dtype.kind in "biufc" else None
    for kind in (bool, int, float, complex):
        if isinstance(value, kind):
            return [kind]
    return None


def convert(value, dtype=None, device=None, op="ops"):
    """``value`` as a tensor, converted as Keras's torch backend converts op inputs.

    Tensors keep their device; everything else is placed on ``device``. ``dtype``
    (a Keras name or torch dtype) casts the result.
    """
    target = None if dtype is None else to_torch_dtype(dtype, op)
    if isinstance(value, torch.Tensor):
        return value if target is None or value.dtype == target else value.to(target)
    if isinstance(value, (bool, int, float, complex)):
        return torch.as_tensor(value, dtype=target or _scalar_dtype(value), device=device)
    if isinstance(value, (list, tuple)):
        if any(isinstance(item, torch.Tensor) for item in value):
            items = [convert(item, device=device, op=op) for item in value]
            device = next((t.device for t in items if t.device.type != "cpu"), device)
            stacked = torch.stack([t.to(device) if device is not None else t for t in items])
            return stacked if target is None else stacked.to(target)
        leaves = _leaf_dtypes(value)
        if leaves is not None:  # numbers only: Keras's promotion of the Python types
            return torch.as_tensor(value, dtype=target or (result_type(*leaves) if leaves else floatx()),
                                   device=device)
    if getattr(value, "__module__", "").startswith("torch_keraslike") and hasattr(value, "shape"):
        raise TypeError(f"{op}: a KerasTensor holds no values and cannot be converted to a tensor.")
    try:
        array = np.asarray(value)
    except Exception as error:  # NumPy raises many types for odd objects
        raise TypeError(f"{op}: cannot convert {type(value).__name__} to a tensor ({error}).") from None
    if array.dtype.kind in "OUSV":
        raise TypeError(
            f"{op}: cannot convert an array of dtype {array.dtype} to a tensor; ops take "
            "numbers (bool, int, float, complex). Fix: pass a numeric array or tensor."
        )
    if any(stride < 0 for stride in array.strides):  # torch cannot view reversed NumPy memory
        array = array.copy()
    if array.dtype == np.uint16:
        array = array.astype(np.int32)
    elif array.dtype in (np.uint32, np.uint64):
        array = array.astype(np.int64)
    elif array.dtype.name == "bfloat16":  # ml_dtypes arrays
        return torch.as_tensor(array.astype(np.float32), device=device).to(target or torch.bfloat16)
    tensor = torch.as_tensor(array, device=device)
    return tensor if target is None else tensor.to(target)


def device_of(*values):
    """The device of the first tensor among ``values`` (searching one list deep)."""
    for value in values:
        if isinstance(value, torch.Tensor):
            return value.device
        if isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, torch.Tensor):
                    return item.device
    return None


def tensors(*values, op="ops"):
    """Each value converted with :func:`convert`, non-tensors placed on the device of
    the tensors among them."""
    device = device_of(*values)
    return [convert(v, device=device, op=op) for v in values]


def cast(tensor, dtype):
    return tensor if tensor.dtype == dtype else tensor.to(dtype)


# ------------------------------------------------------------------ checks
def shape_str(shape):
    return str(tuple(shape))


def describe(value):
    """How an error message shows an input: ``shape=(2, 3), dtype=float32``."""
    if isinstance(value, torch.Tensor) or hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"shape={shape_str(value.shape)}, dtype={dtype_name(value.dtype)}"
    return repr(value)


def is_axis_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def canonical_axis(axis, ndim, op, name="axis"):
    """``axis`` checked against a rank ``ndim`` and made non-negative."""
    if not is_axis_int(axis):
        raise TypeError(f"{op}: {name} must be an int, received {axis!r} (of type {type(axis).__name__}).")
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(
            f"{op}: {name}={axis} is out of range for a tensor of rank {ndim}; expected "
            f"{-max(ndim, 1)} <= {name} < {max(ndim, 1)}."
        )
    return int(axis) % max(ndim, 1)


def canonical_axes(axis, ndim, op, name="axis"):
    """``axis`` (``None``, an int or a sequence of ints) as a sorted tuple of distinct
    non-negative axes; ``None`` stays ``None``."""
    if axis is None:
        return None
    items = (axis,) if is_axis_int(axis) else axis
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(
            f"{op}: {name} must be None, an int or a tuple of ints, received {axis!r}."
        ) from None
    result = tuple(canonical_axis(a, ndim, op, name) for a in items)
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: {name}={axis!r} repeats an axis; each axis may appear once.")
    return tuple(sorted(result))


def check_int(value, op, name, minimum=None):
    if not is_axis_int(value):
        raise TypeError(f"{op}: {name} must be an int, received {value!r} (of type {type(value).__name__}).")
    if minimum is not None and value < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, received {name}={value}.")
    return int(value)


def check_choice(value, choices, op, name):
    if value not in choices:
        raise ValueError(f"{op}: invalid {name}={value!r}; expected one of {tuple(choices)}.")
    return value
