"""Global settings, named as in ``keras.config``.

Example:
    >>> import torch_keraslike as tkl
    >>> tkl.config.set_image_data_format("channels_first")
    >>> tkl.config.image_data_format()
    'channels_first'
    >>> tkl.config.set_image_data_format("channels_last")
    >>> tkl.config.floatx(), tkl.config.epsilon()
    ('float32', 1e-07)
"""

import math
import numbers

import torch

_DATA_FORMATS = ("channels_last", "channels_first")
_FLOATX = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32,
           "float64": torch.float64}
_state = {"image_data_format": "channels_last", "run_functions_eagerly": False, "epsilon": 1e-7}


def floatx():
    """Returns the default float dtype as a Keras name (``"float32"``).

    It is ``torch.get_default_dtype()``: layers, ``tkl.random`` and the data adapters
    all create floats in torch's default dtype, so there is one setting, not two.
    """
    dtype = torch.get_default_dtype()
    return next(name for name, value in _FLOATX.items() if value == dtype)


def set_floatx(value):
    """Sets the default float dtype, i.e. calls ``torch.set_default_dtype``.

    Args:
        value: ``"float16"``, ``"bfloat16"``, ``"float32"`` or ``"float64"`` (or the
            matching ``torch.dtype``).
    """
    name = next((k for k, v in _FLOATX.items() if value == k or value is v), None)
    if name is None:
        raise ValueError(
            f"Unknown `floatx` value: {value!r}. Expected one of {sorted(_FLOATX)}. Fix: e.g. "
            "tkl.config.set_floatx('float32'); mixed precision is set with "
            "set_dtype_policy('mixed_float16'), not with floatx."
        )
    torch.set_default_dtype(_FLOATX[name])


def epsilon():
    """Returns the fuzz factor Keras adds to denominators (default ``1e-7``)."""
    return _state["epsilon"]


def set_epsilon(value):
    """Sets the value returned by :func:`epsilon`.

    Args:
        value: a positive finite float.
    """
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value <= 0):
        raise ValueError(
            f"set_epsilon expects a positive finite float, but received {value!r}. Fix: e.g. "
            "tkl.config.set_epsilon(1e-7) (the Keras default)."
        )
    _state["epsilon"] = float(value)


def image_data_format():
    """Returns the default ``data_format`` of image layers (``"channels_last"``)."""
    return _state["image_data_format"]


def set_image_data_format(data_format):
    """Sets the default ``data_format`` used by layers built after this call.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """
    _state["image_data_format"] = standardize_data_format(data_format)


def standardize_data_format(data_format):
    """Returns ``data_format`` checked, or the global default for ``None``."""
    if data_format is None:
        return _state["image_data_format"]
    normalized = str(data_format).lower()
    if normalized not in _DATA_FORMATS:
        raise ValueError(
            f"Invalid data_format: expected one of {_DATA_FORMATS}, but received "
            f"{data_format!r}. Fix: pass data_format='channels_last' (NHWC, the Keras "
            "default) or 'channels_first' (NCHW, the PyTorch layout)."
        )
    return normalized


def run_functions_eagerly(run_eagerly):
    """When True, ``tkl.function`` returns functions uncompiled (for debugging)."""
    _state["run_functions_eagerly"] = bool(run_eagerly)


def functions_run_eagerly():
    """Returns the value set by :func:`run_functions_eagerly`."""
    return _state["run_functions_eagerly"]


def set_dtype_policy(policy):
    """Sets the dtype policy of the layers created afterwards (Keras's name).

    Args:
        policy: ``"mixed_float16"``, ``"mixed_bfloat16"`` (float32 variables, low-precision
            compute under ``torch.autocast``), a float dtype name, a
            ``tkl.dtype_policies.DTypePolicy``, or None for torch's default dtype.
    """
    from . import dtype_policies

    dtype_policies.set_dtype_policy(policy)


def dtype_policy():
    """The global ``DTypePolicy`` (``float32`` when none was set)."""
    from . import dtype_policies

    return dtype_policies.dtype_policy()
