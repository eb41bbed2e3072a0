"""``keras.backend`` on torch: the backend's name, global numeric settings and dtypes.

The settings are ``tkl.config``'s (one source of truth): ``floatx`` is torch's default
dtype, ``image_data_format`` the layers' default ``data_format``.

Example:
    >>> import torch_keraslike as tkl
    >>> tkl.backend.backend(), tkl.backend.floatx(), tkl.backend.image_data_format()
    ('torch', 'float32', 'channels_last')
    >>> tkl.backend.result_type("int32", "float16")
    'float16'
"""

import collections
import gc
import threading

from . import _session
from ._dtype_promotion import is_float_dtype, is_int_dtype, result_type, standardize_dtype
from .config import (epsilon, floatx, image_data_format, set_epsilon, set_floatx,
                     set_image_data_format)
from .symbolic import is_keras_tensor

__all__ = [
    "backend",
    "clear_session",
    "epsilon",
    "floatx",
    "get_uid",
    "image_data_format",
    "is_float_dtype",
    "is_int_dtype",
    "is_keras_tensor",
    "result_type",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "standardize_dtype",
]

_UIDS = collections.Counter()
_UIDS_LOCK = threading.Lock()


def backend():
    """The name of the backend: always ``"torch"``."""
    return "torch"


def clear_session(free_memory=True):
    """Resets the session state, as ``tkl.clear_session()``, then collects garbage.

    Args:
        free_memory: run Python's garbage collector afterwards, so objects of the old
            session are freed now (Keras's default); ``False`` is faster in tight loops.

    Example:
        >>> import torch_keraslike as tkl
        >>> tkl.backend.clear_session(free_memory=False)
        >>> tkl.layers.Dense(2).name
        'dense'
    """
    _session.clear_session()
    if free_memory:
        gc.collect()


def get_uid(prefix=""):
    """Returns 1, 2, 3... on successive calls with the same ``prefix``.

    The counters restart at :func:`clear_session`.

    Args:
        prefix: the string whose counter to advance.

    Example:
        >>> get_uid("doc_block"), get_uid("doc_block"), get_uid("doc_head")
        (1, 2, 1)
    """
    with _UIDS_LOCK:
        _UIDS[prefix] += 1
        return _UIDS[prefix]


@_session.on_clear_session
def _reset_uids():
    with _UIDS_LOCK:
        _UIDS.clear()
