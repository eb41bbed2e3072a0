"""Serialization registry: classes and functions are found by registered name only.

A config never names a module to import; ``deserialize`` looks the class up in this
registry (built-in layers register themselves), so loading a config cannot run code
that was not already imported and registered by the user.

Example:
    >>> import torch_keraslike as tkl
    >>> @tkl.saving.register_serializable(package="my_pkg")
    ... class Scale(tkl.Layer):
    ...     def call(self, x):
    ...         return 2 * x
    >>> tkl.saving.get_registered_name(Scale)
    'my_pkg>Scale'
"""

import contextlib
import threading

_REGISTRY = {}  # "package>Name" -> object
_NAMES = {}  # id(object) -> "package>Name"


class _SafeMode(threading.local):
    def __init__(self):
        self.enabled = True


_SAFE_MODE = _SafeMode()


def in_safe_mode():
    """Whether deserialization must refuse anything that would run code from a file
    (True unless inside ``safe_mode_scope(False)``, e.g. ``load_model(..., safe_mode=False)``)."""
    return _SAFE_MODE.enabled


@contextlib.contextmanager
def safe_mode_scope(safe_mode=True):
    """Sets :func:`in_safe_mode` for the block (thread-local).

    Args:
        safe_mode: False allows code stored in a file (a ``Lambda``'s Python bytecode)
            to be loaded; only for files from a trusted source.
    """
    previous = _SAFE_MODE.enabled
    _SAFE_MODE.enabled = bool(safe_mode)
    try:
        yield
    finally:
        _SAFE_MODE.enabled = previous


def register_serializable(package="Custom", name=None):
    """Decorator registering a class or function under ``"package>name"``.

    Args:
        package: namespace of the registered name (default ``"Custom"``).
        name: name within the package; defaults to the object's ``__name__``.
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(
            f"register_serializable: package must be a string without '>', received "
            f"{package!r}. Fix: use e.g. register_serializable(package='my_project')."
        )

    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        existing = _REGISTRY.get(key)
        if existing is not None and existing is not obj:
            # Re-running a notebook cell re-defines the class: the newest definition wins.
            _NAMES.pop(id(existing), None)
        _REGISTRY[key] = obj
        _NAMES[id(obj)] = key
        return obj

    return decorator


def get_registered_name(obj):
    """Returns the registered name of ``obj``, or its ``__name__`` when unregistered."""
    return _NAMES.get(id(obj), getattr(obj, "__name__", type(obj).__name__))


def get_registered_object(name, custom_objects=None):
    """Looks ``name`` up in ``custom_objects``, then in the registry; None if absent.

    A bare class name (``"Dense"``) also matches the built-in package ``"keras"``.
    """
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    key = name if ">" in name else f"keras>{name}"
    if key not in _REGISTRY and key.startswith("keras>"):
        # Built-in layers register when the layer library is imported (lazily).
        import importlib

        importlib.import_module("torch_keraslike.layers")
    return _REGISTRY.get(name, _REGISTRY.get(key))


def encode_constant(value):
    """A call argument (slices, dtypes, tuples, numbers...) as a JSON value."""
    import torch

    if isinstance(value, slice):
        return {"__slice__": [encode_constant(value.start), encode_constant(value.stop), encode_constant(value.step)]}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, torch.dtype):
        return {"__dtype__": str(value).replace("torch.", "")}
    if isinstance(value, tuple):
        return {"__tuple__": [encode_constant(v) for v in value]}
    if isinstance(value, list):
        return [encode_constant(v) for v in value]
    if isinstance(value, dict):
        return {k: encode_constant(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(
        f"Cannot serialize the call argument {value!r} (of type {type(value).__name__}) in a "
        "config. Fix: pass layer options to the layer constructor, not to its call."
    )


def decode_constant(value):
    """Inverse of :func:`encode_constant`."""
    import torch

    if isinstance(value, list):
        return [decode_constant(v) for v in value]
    if isinstance(value, dict):
        if "__slice__" in value:
            return slice(*(decode_constant(v) for v in value["__slice__"]))
        if "__ellipsis__" in value:
            return Ellipsis
        if "__dtype__" in value:
            # A name from a file decodes to a real dtype or fails; never to another
            # attribute of torch (``"os"`` would be a module).
            from .._dtypes import to_torch_dtype

            return to_torch_dtype(value["__dtype__"], context="dtype constant in the config")
        if "__tuple__" in value:
            return tuple(decode_constant(v) for v in value["__tuple__"])
        return {k: decode_constant(v) for k, v in value.items()}
    return value
