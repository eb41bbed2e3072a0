"""Keras's config entries for the objects of a namespace (losses, metrics,
activations): ``serialize``/``deserialize``/``get`` of those namespaces share them.

A function is written as Keras writes one::

    {"module": "builtins", "class_name": "function", "config": "huber",
     "registered_name": "function"}

with ``config`` its name in the namespace, or its registered name (``"my_pkg>fn"``).
An object (a ``Loss``, a ``Metric``) is ``{"module", "class_name", "config",
"registered_name"}``, ``registered_name`` None for built-ins. Reading never imports a
module named in an entry: names are looked up in ``custom_objects``, the namespace and
the serialization registry (``tkl.saving.register_serializable``) only.

Example:
    >>> from torch_keraslike._object_config import function_entry
    >>> function_entry("huber")["config"]
    'huber'
"""

import inspect
import types

__all__ = ["deserialize_object", "function_entry", "get_object", "lookup", "serialize_object"]


def function_entry(name, module="builtins"):
    """Keras's entry naming a function."""
    return {"module": module, "class_name": "function", "config": name, "registered_name": "function"}


def _registered_name(obj):
    """``"package>name"`` when ``obj`` is in the serialization registry, else None."""
    from .saving.registry import get_registered_name, get_registered_object

    name = get_registered_name(obj)
    return name if ">" in name and get_registered_object(name) is obj else None


def _builtin_name(obj, objects):
    for name, candidate in objects.items():
        if candidate is obj:
            return name
    return None


def serialize_object(obj, namespace, objects, kind):
    """Keras's entry for ``obj``: a function (by its name in ``objects`` or its
    registered name) or an object with ``get_config``.

    Args:
        obj: the function or object (None gives None).
        namespace: Keras's module of the built-ins, e.g. ``"keras.losses"``.
        objects: the namespace's ``{name: object}``.
        kind: what ``obj`` is, for messages (``"loss"``).
    """
    if obj is None:
        return None
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        name = _registered_name(obj)
        if name is None and getattr(obj, "__name__", "<lambda>") == "<lambda>":
            raise ValueError(
                f"Cannot serialize the {kind} {obj!r}: an anonymous lambda has no name to be found "
                "by when the config is read. Fix: define it with def, decorate it with "
                "@tkl.saving.register_serializable(), and pass that function.")
        builtin = None if name is not None else _builtin_name(obj, objects)
        if builtin is not None:
            return function_entry(obj.__name__ if objects.get(obj.__name__) is obj else builtin)
        # An unregistered function is written under its name, as Keras does; reading it
        # back needs custom_objects={name: fn} (or registering it).
        return function_entry(name or obj.__name__, "builtins" if name else obj.__module__)
    if not hasattr(obj, "get_config"):
        raise ValueError(
            f"Cannot serialize the {kind} {obj!r} (of type {type(obj).__name__}): it is neither a "
            f"function nor an object with get_config(). Fix: pass a built-in {kind}, a function, or "
            "an instance of a class that implements get_config().")
    cls = type(obj)
    registered = _registered_name(cls)
    builtin = registered is None and objects.get(cls.__name__) is cls
    return {"module": namespace if builtin else cls.__module__, "class_name": cls.__name__,
            "config": obj.get_config(), "registered_name": None if builtin else registered or cls.__name__}


def lookup(name, objects, custom_objects=None):
    """The object ``name`` stands for: ``custom_objects``, then the namespace, then the
    registry (``"package>name"``). None when unknown."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in objects:
        return objects[name]
    if ">" in name:
        from .saving.registry import get_registered_object

        return get_registered_object(name, custom_objects)
    return None


def _unknown(kind, name, objects):
    import difflib

    close = difflib.get_close_matches(str(name), list(objects), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(
        f"Unknown {kind} {name!r}.{hint} Valid names: {sorted(objects)}. Fix: use one of them, a "
        f"registered name ('my_pkg>my_{kind}', see tkl.saving.register_serializable), or pass "
        f"custom_objects={{{name!r}: ...}}.")


def deserialize_object(config, objects, custom_objects, kind, functions=None):
    """The object an entry (or a name) describes; a class named by a string or an entry
    is instantiated, from its ``config`` when the entry has one. A function entry is
    looked up in ``functions`` first (when a name means a class and a function)."""
    if isinstance(config, str):
        found = lookup(config, objects, custom_objects)
        if found is None:
            raise _unknown(kind, config, objects)
        return found() if inspect.isclass(found) else found
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Cannot deserialize the {kind} {config!r}: expected a name or a dict with 'class_name' "
            "and 'config', as serialize() writes them.")
    if config["class_name"] == "function":
        name = config.get("config")
        registered = config.get("registered_name")
        if isinstance(registered, str) and ">" in registered:
            name = registered
        if not isinstance(name, str):
            raise ValueError(f"Cannot deserialize the {kind} {config!r}: a function is named by a string.")
        found = lookup(name, {**objects, **(functions or {})}, custom_objects)
        if found is None:
            raise _unknown(kind, name, objects)
        return found
    cls = None
    for key in (config.get("registered_name"), config["class_name"]):
        if isinstance(key, str):
            cls = lookup(key, objects, custom_objects)
            if cls is not None:
                break
    if cls is None:
        raise _unknown(kind, config.get("registered_name") or config["class_name"], objects)
    inner = config.get("config") or {}
    if not inspect.isclass(cls):
        return cls
    if not isinstance(inner, dict):
        raise ValueError(f"Cannot deserialize the {kind} {config!r}: its 'config' must be a dict.")
    return cls.from_config(inner)


def get_object(identifier, objects, kind, deserialize):
    """Keras's ``get`` of a namespace: None stays None, a dict is deserialized, a name
    looked up, a class instantiated, a callable returned as it is."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = lookup(identifier, objects)
        if obj is None:
            raise _unknown(kind, identifier, objects)
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if not callable(obj):
        raise ValueError(
            f"Could not interpret {kind} identifier: {identifier!r} (of type {type(identifier).__name__}). "
            f"Fix: pass a {kind} name, a config dict, a {kind} object or a callable.")
    return obj
