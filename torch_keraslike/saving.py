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
            return getattr(torch, value["__dtype__"])
        if "__tuple__" in value:
            return tuple(decode_constant(v) for v in value["__tuple__"])
        return {k: decode_constant(v) for k, v in value.items()}
    return value


def serialize(obj):
    """``{"class_name": ..., "config": ...}`` of a layer (or any object with
    ``get_config``), the class named by its registered name."""
    name = get_registered_name(type(obj))
    if name.startswith("keras>"):
        name = name[len("keras>"):]
    return {"class_name": name, "config": obj.get_config()}


def deserialize(config, custom_objects=None):
    """Creates the object a :func:`serialize` dict describes, looking its class up by
    registered name only (``custom_objects`` first)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"deserialize() expects a dict with 'class_name' and 'config', received {config!r}."
        )
    name = config["class_name"]
    cls = get_registered_object(name, custom_objects)
    if cls is None:
        raise ValueError(
            f"Unknown class {name!r} in the config: it is not registered. Fix: decorate the class "
            "with @tkl.saving.register_serializable() before loading, or pass "
            f"custom_objects={{{name!r}: YourClass}}."
        )
    inner = config.get("config", {})
    from_config = cls.from_config
    try:
        import inspect

        takes_custom = "custom_objects" in inspect.signature(from_config).parameters
    except (TypeError, ValueError):
        takes_custom = False
    return from_config(inner, custom_objects) if takes_custom else from_config(inner)


# ------------------------------------------------------------------ model files
_FORMAT = "torch_keraslike.model"
_FORMAT_VERSION = "1"


def _weights_and_extra_state(model):
    tensors, extra = {}, {}
    for key, value in model.state_dict().items():
        if key.endswith("_extra_state"):
            extra[key] = value
        else:
            # safetensors stores each tensor once, contiguous, on the CPU.
            tensors[key] = value.detach().to("cpu").contiguous().clone()
    return tensors, extra


def save_model(model, path):
    """Saves ``model`` to one file: its config (JSON) and weights (safetensors).

    The file is a safetensors file whose metadata holds the JSON config and the build
    state; nothing in it is pickled, so :func:`load_model` never executes code from it.

    Args:
        model: a ``tkl.Model`` (functional, Sequential, or a registered subclass) or
            any registered layer.
        path: destination file (conventionally ``*.safetensors``).

    Example:
        >>> import torch_keraslike as tkl, tempfile, os
        >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
        >>> tkl.saving.save_model(model, path)
        >>> tkl.saving.load_model(path).count_params()
        8
    """
    import json

    from safetensors.torch import save_file

    config = serialize(model)
    tensors, extra = _weights_and_extra_state(model)
    metadata = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "config": json.dumps(config),
        "extra_state": json.dumps(extra),
    }
    save_file(tensors, str(path), metadata=metadata)


def load_model(path, custom_objects=None):
    """Loads a model written by :func:`save_model`.

    Classes are looked up by registered name only (``register_serializable`` or
    ``custom_objects``); no module named in the file is imported and nothing is
    unpickled.

    Args:
        path: the model file.
        custom_objects: optional ``{"name": class}`` for classes not registered.

    Returns:
        The model, built, with its weights.
    """
    import json

    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
    except FileNotFoundError:
        raise
    except Exception as error:  # safetensors reports bad headers and short files alike
        raise ValueError(
            f"Cannot read model file {str(path)!r}: {error}. The file is truncated, corrupted "
            "or not a model file. Fix: save it again with tkl.saving.save_model(model, path)."
        ) from None
    if metadata.get("format") != _FORMAT:
        raise ValueError(
            f"{str(path)!r} is a safetensors file but not a torch_keraslike model file (its "
            f"metadata has format={metadata.get('format')!r}). Fix: save models with "
            "tkl.saving.save_model(model, path); load plain weights with model.load_state_dict()."
        )
    try:
        config = json.loads(metadata["config"])
        extra = json.loads(metadata.get("extra_state", "{}"))
    except (KeyError, ValueError) as error:
        raise ValueError(f"Model file {str(path)!r} has a damaged config ({error}).") from None
    model = deserialize(config, custom_objects)
    model.load_state_dict({**tensors, **extra})
    return model
