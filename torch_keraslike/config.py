"""Global settings, named as in ``keras.config``.

Example:
    >>> import torch_keraslike as tkl
    >>> tkl.config.set_image_data_format("channels_first")
    >>> tkl.config.image_data_format()
    'channels_first'
    >>> tkl.config.set_image_data_format("channels_last")
"""

_DATA_FORMATS = ("channels_last", "channels_first")
_state = {"image_data_format": "channels_last", "run_functions_eagerly": False}


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
