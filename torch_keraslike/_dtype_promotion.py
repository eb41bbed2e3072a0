"""Keras 3's dtype names and type-promotion rules (``keras.backend.standardize_dtype``
and ``result_type``), as Keras applies them on its torch backend.

Promotion follows the JAX-style lattice Keras uses: Python ``int``/``float`` are
"weak" types that adopt the other operand's kind (``result_type("float16", int)`` is
``float16``), unsigned and signed ints meet at the next wider signed int, ints meet
floats at the float, and, as on every Keras backend but TensorFlow, 64-bit results
are reported as their 32-bit counterparts (``result_type("float64")`` is
``"float32"``). A lone weak type resolves to the precision of ``floatx``.
"""

import functools

import torch

from .config import floatx as _floatx

__all__ = ["ALLOWED_DTYPES", "is_float_dtype", "is_int_dtype", "result_type", "standardize_dtype"]

ALLOWED_DTYPES = (
    "float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
    "int32", "int64", "bfloat16", "bool", "string", "float8_e4m3fn", "float8_e5m2",
    "complex64", "complex128",
)
_FLOAT8 = ("float8_e4m3fn", "float8_e5m2")
_WEAK = ("int", "float")
# Python types and the "int" alias, as the torch backend of Keras maps them.
_PYTHON_TYPES = ((bool, "bool"), (int, "int32"), (float, "float32"), (str, "string"),
                 (complex, "complex64"))
_TO_32_BITS = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}


def standardize_dtype(dtype):
    """Returns the Keras name of ``dtype``: a name, a ``torch.dtype``, a NumPy dtype
    or scalar type, or a Python type (``int`` -> ``"int32"``); ``None`` -> floatx.

    Example:
        >>> import torch
        >>> standardize_dtype(torch.float16), standardize_dtype(int), standardize_dtype(None)
        ('float16', 'int32', 'float32')
    """
    if dtype is None:
        return _floatx()
    name = next((keras for python, keras in _PYTHON_TYPES if dtype is python), None)
    if name is None:
        if isinstance(dtype, str):
            name = "int32" if dtype == "int" else dtype
        elif isinstance(dtype, torch.dtype):
            name = str(dtype).split(".")[-1]
        elif hasattr(dtype, "name"):
            name = dtype.name
        elif hasattr(dtype, "__name__"):
            name = dtype.__name__
    if name not in ALLOWED_DTYPES:
        raise ValueError(
            f"Invalid dtype: {dtype!r}. Expected a Keras dtype name (one of "
            f"{list(ALLOWED_DTYPES)}), a torch or NumPy dtype, or one of bool, int, float, "
            "complex, str."
        )
    return name


def is_float_dtype(dtype):
    """Whether ``dtype`` is a floating dtype (``bfloat16`` and ``float8`` included)."""
    name = standardize_dtype(dtype)
    return name.startswith("float") or name.startswith("bfloat")


def is_int_dtype(dtype):
    """Whether ``dtype`` is a signed or unsigned integer dtype (``bool`` excluded)."""
    name = standardize_dtype(dtype)
    return name.startswith("int") or name.startswith("uint")


# Each type and the types directly above it.
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


def _upper_bounds():
    bounds = {node: {node} for node in _LATTICE}
    changed = True
    while changed:
        changed = False
        for node, above in bounds.items():
            grown = above.union(*(_LATTICE[n] for n in above))
            if grown != above:
                bounds[node], changed = grown, True
    return bounds


_UPPER = _upper_bounds()


@functools.lru_cache(maxsize=512)
def _least_upper_bound(*nodes):
    unknown = [n for n in nodes if n not in _UPPER]
    if unknown:
        raise ValueError(
            f"dtype {unknown[0]!r} takes no part in Keras's type promotion. Fix: cast it "
            "explicitly first."
        )
    common = set.intersection(*(_UPPER[n] for n in nodes))
    least = (common & set(nodes)) or {c for c in common if common <= _UPPER[c]}
    if len(least) != 1:
        raise ValueError(
            f"Input dtypes {nodes} have no implicit promotion path. Fix: cast the inputs "
            "explicitly to the dtype you want."
        )
    return least.pop()


def _as_weak(name):
    if name == "bool":
        return name
    for kind in ("float", "int", "complex"):
        if kind in name:
            return kind
    raise ValueError(f"Invalid dtype for a weak type: {name!r}.")


def _resolve_weak(name, precision):
    indicator = "f" if name == "bfloat16" else name[:1]
    if indicator == "b":
        return "bool"
    if indicator == "i":
        return f"int{precision}"
    if indicator == "u":
        return f"uint{precision}"
    return f"float{precision}"


def result_type(*dtypes):
    """The dtype Keras gives the result of an op on inputs of ``dtypes``.

    Args:
        *dtypes: dtypes (anything :func:`standardize_dtype` takes; ``None`` is floatx;
            the Python types ``int`` and ``float`` are weak). No argument: floatx.

    Returns:
        A Keras dtype name.

    Example:
        >>> result_type("int32", "float32"), result_type("bfloat16", int), result_type("uint8", "int8")
        ('float32', 'bfloat16', 'int16')
    """
    floatx = _floatx()
    if not dtypes:
        return floatx
    if any(isinstance(d, str) and d in _FLOAT8 for d in dtypes):
        raise ValueError(
            f"There is no implicit conversion from float8 dtypes to others, received {dtypes}. "
            "Fix: cast the float8 inputs explicitly."
        )
    args = [floatx if d is None else d for d in dtypes]
    names = [standardize_dtype(d) for d in args]
    weak = [d is int or d is float for d in args]
    if len(names) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(*sorted(set(names))), True
    else:
        nodes = {_as_weak(n) if w else n for n, w in zip(names, weak)}
        out = _least_upper_bound(*sorted(nodes))
        out_weak = out in _WEAK
    if out != "bool" and out_weak:
        out = _resolve_weak(out, floatx[-2:])
    return _TO_32_BITS.get(out, out)
