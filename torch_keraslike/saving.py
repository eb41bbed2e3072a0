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

_REGISTRY = {}  # "package>Name" -> object
_NAMES = {}  # id(object) -> "package>Name"


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
    if name in _REGISTRY:
        return _REGISTRY[name]
    return _REGISTRY.get(f"keras>{name}")
