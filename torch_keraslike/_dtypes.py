"""Dtype names: Keras spells dtypes as strings (``"float32"``), torch as objects.

Every message the library prints uses the Keras spelling, and every argument that
takes a dtype accepts either spelling.
"""

import re

import torch

_BY_NAME = {
    "float16": torch.float16,
    "half": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float": torch.float32,
    "float64": torch.float64,
    "double": torch.float64,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
    "uint8": torch.uint8,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int": torch.int64,
    "int64": torch.int64,
    "bool": torch.bool,
}
_NAME_OF = {
    torch.float16: "float16",
    torch.bfloat16: "bfloat16",
    torch.float32: "float32",
    torch.float64: "float64",
    torch.complex64: "complex64",
    torch.complex128: "complex128",
    torch.uint8: "uint8",
    torch.int8: "int8",
    torch.int16: "int16",
    torch.int32: "int32",
    torch.int64: "int64",
    torch.bool: "bool",
}


_OTHER_DTYPE_NAME = re.compile(r"(u?int|float|bfloat|complex|bits|bool)[0-9a-z_]*")


def to_torch_dtype(dtype, *, context="dtype"):
    """Returns the ``torch.dtype`` for a Keras name, a torch dtype or a NumPy dtype.

    ``None`` stays ``None``. Raises ``ValueError`` naming ``context`` for anything else.
    """
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    name = getattr(dtype, "name", dtype)  # numpy.dtype and numpy scalar types
    if not isinstance(name, str) and hasattr(dtype, "__name__"):
        name = dtype.__name__
    if isinstance(name, str) and name in _BY_NAME:
        return _BY_NAME[name]
    if isinstance(name, str) and _OTHER_DTYPE_NAME.fullmatch(name):
        # Rarer torch dtypes (uint16, float8_e4m3fn...): one attribute lookup, accepted
        # only when it is a dtype, so a name from a file can never reach anything else.
        candidate = getattr(torch, name, None)
        if isinstance(candidate, torch.dtype):
            return candidate
    raise ValueError(
        f"Invalid {context}: expected a dtype name such as 'float32' or a torch.dtype, "
        f"but received {dtype!r}. Valid names: {sorted(set(_NAME_OF.values()))}."
    )


def dtype_name(dtype):
    """Returns the Keras name (``"float32"``) of a torch dtype, a name or a NumPy dtype."""
    if dtype is None:
        return None
    dtype = to_torch_dtype(dtype)
    return _NAME_OF.get(dtype, str(dtype).replace("torch.", ""))
