"""Keras-style automatic layer names: ``dense``, ``dense_1``, ... per session."""

import re
import threading

_COUNTS = {}
_LOCK = threading.Lock()


def to_snake_case(name):
    """``"Conv2DTranspose"`` -> ``"conv2d_transpose"``, ``"MyLayer"`` -> ``"my_layer"``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return name.lstrip("_") or "layer"


def unique_name(base):
    """Returns ``base`` the first time, then ``base_1``, ``base_2``... until reset."""
    with _LOCK:
        count = _COUNTS.get(base, 0)
        _COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def reset_names():
    with _LOCK:
        _COUNTS.clear()
