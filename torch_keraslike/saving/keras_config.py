"""Keras's config format, both ways: what ``keras.saving.serialize_keras_object``
writes is what :func:`serialize` writes, and :func:`deserialize` reads it back (and
reads tf.keras 2's older form, and the form earlier versions of this library wrote).

An entry names a class as Keras does::

    {"module": "keras.layers", "class_name": "Dense", "config": {...},
     "registered_name": None, "build_config": {"input_shape": [None, 4]}}

Classes are found by name only, never by importing ``module``: Keras's built-in names
(``"Dense"``, ``"Functional"``, ``"keras.layers>Dense"``) map to this library's
classes, custom names (``"Demo>Scale"``) to the registry or ``custom_objects``.

Keras writes a few values this library spells differently (dtype policies, functions,
arrays), normalised here, and a few arguments that mean nothing on torch
(``sparse``, ``ragged``, ``quantization_config``...): those are accepted and dropped
only at the value for which Keras behaves the same, and refused otherwise.

Example:
    >>> import torch_keraslike as tkl
    >>> entry = tkl.saving.serialize(tkl.layers.Dense(2, name="d"))
    >>> entry["module"], entry["class_name"], entry["registered_name"]
    ('keras.layers', 'Dense', None)
    >>> tkl.saving.deserialize(entry).units
    2
"""

import functools
import inspect

from .registry import get_registered_name, get_registered_object

__all__ = ["deserialize", "keras_only_classes", "resolve_class", "serialize"]

# Where Keras keeps the class one of our built-ins stands for, when it is not
# ``keras.layers``: (module, class_name, registered_name).
_KERAS_LOCATION = {
    "Functional": ("keras.src.models.functional", "Functional", "Functional"),
    "Model": ("keras.src.models.model", "Model", None),
    "Sequential": ("keras", "Sequential", None),
    "LayerScale": ("keras.src.applications.convnext", "LayerScale", "LayerScale"),
}

# Keras's class names for our classes, where they differ.
_KERAS_ALIASES = {"Functional": "Model"}

# Our built-ins that have no Keras counterpart: a Keras file cannot hold them.
_OURS_ONLY = {"TorchOpLayer"}

# Keras operations (``keras.ops`` functions applied to symbolic tensors, ``x + y``)
# that are exactly one torch operator: they load as our ``TorchOpLayer`` and are
# written back as Keras operations. Each takes only its tensors (and constants).
_KERAS_OPS = {
    ("keras.src.ops.numpy", "Add"): "torch.add",
    ("keras.src.ops.numpy", "Subtract"): "torch.sub",
    ("keras.src.ops.numpy", "Multiply"): "torch.mul",
    ("keras.src.ops.numpy", "Divide"): "torch.div",
    ("keras.src.ops.numpy", "TrueDivide"): "torch.div",
    ("keras.src.ops.numpy", "Power"): "torch.pow",
    ("keras.src.ops.numpy", "Negative"): "torch.neg",
    ("keras.src.ops.numpy", "Matmul"): "torch.matmul",
    ("keras.src.ops.numpy", "Maximum"): "torch.maximum",
    ("keras.src.ops.numpy", "Minimum"): "torch.minimum",
    ("keras.src.ops.numpy", "Absolute"): "torch.abs",
    ("keras.src.ops.numpy", "Sqrt"): "torch.sqrt",
    ("keras.src.ops.numpy", "Square"): "torch.square",
    ("keras.src.ops.numpy", "Exp"): "torch.exp",
    ("keras.src.ops.numpy", "Log"): "torch.log",
    ("keras.src.ops.numpy", "Tanh"): "torch.tanh",
    ("keras.src.ops.nn", "Relu"): "torch.relu",
    ("keras.src.ops.nn", "Sigmoid"): "torch.sigmoid",
}
_OPS_OF_TORCH = {}
for _key, _path in _KERAS_OPS.items():
    _OPS_OF_TORCH.setdefault(_path, _key)

_POLICIES = {"DTypePolicy", "FloatDTypePolicy", "Policy", "DTypePolicyMap"}

# Arguments Keras writes that have no counterpart here, with the value at which Keras
# computes what we compute. Another value is refused: dropping it would change results.
_NEUTRAL = {
    "sparse": (False, "sparse tensors do not exist on this path"),
    "ragged": (False, "ragged tensors do not exist on torch"),
    "optional": (False, "every input is required"),
    "quantization_config": (None, "quantized layers are not supported"),
    "lora_rank": (None, "LoRA adapters are not supported"),
    "lora_alpha": (None, "LoRA adapters are not supported"),
    "use_gate": (False, "gated attention is not supported"),
    "sliding_window": (None, "sliding-window attention is not supported"),
    "renorm": (False, "batch renormalization is not supported"),
    "synchronized": (False, "synchronized batch statistics are not supported"),
    "time_major": (False, "sequences are batch-major"),
    "input_axes": (None, "the fans of an initializer come from the kernel layout"),
    "output_axes": (None, "the fans of an initializer come from the kernel layout"),
}
# Arguments that only matter when another argument has a value we refuse anyway.
_IGNORED_UNLESS = {
    "renorm_clipping": "renorm",
    "renorm_momentum": "renorm",
}
# tf.keras 2 arguments that never changed what a layer computes.
_HARMLESS = {
    "implementation": "it chose between two equivalent RNN kernels",
    "input_length": "it only fixed the static sequence length",
    "build_input_shape": "the model is built from its layers",
}


def keras_only_classes():
    """Class names of our built-ins that Keras cannot load."""
    return set(_OURS_ONLY)


# ----------------------------------------------------------------- serialize
def _keras_location(obj):
    identity = vars(obj).get("_tkl_keras_identity") if hasattr(obj, "__dict__") else None
    if identity is not None:
        # Loaded from a Keras entry under another class (custom_objects): written back
        # under the names Keras knows it by.
        return identity
    cls = type(obj)
    name = get_registered_name(cls)
    if not name.startswith("keras>"):
        # A user's class: Keras finds it by its registered name.
        return cls.__module__, cls.__name__, name
    short = name[len("keras>"):]
    if short == "Model" and getattr(obj, "_graph", None) is not None:
        short = "Functional"
    if short in _OURS_ONLY:
        return "torch_keraslike", short, name
    return _KERAS_LOCATION.get(short, ("keras.layers", short, None))


def serialize(obj):
    """Keras's entry for a layer or model: ``module``, ``class_name``, ``config``,
    ``registered_name`` and, for a built layer, ``build_config``.

    Args:
        obj: a layer or model (anything with ``get_config``).
    """
    module, class_name, registered = _keras_location(obj)
    if class_name == "TorchOpLayer":
        config = obj.get_config()
        op = _OPS_OF_TORCH.get(config["function"])
        if op is not None:  # x + y on symbolic tensors: Keras's own operation
            return {"module": op[0], "class_name": op[1], "config": {"name": obj.name},
                    "registered_name": op[1]}
    entry = {"module": module, "class_name": class_name, "config": obj.get_config(),
             "registered_name": registered}
    build = obj.get_build_config() if hasattr(obj, "get_build_config") else None
    if build:
        entry["build_config"] = build
    return entry


# --------------------------------------------------------------- deserialize
def _unknown(name):
    return ValueError(
        f"Unknown class {name!r} in the config: it is not registered. Fix: decorate the class "
        "with @tkl.saving.register_serializable() before loading, or pass "
        f"custom_objects={{{name!r}: YourClass}}."
    )


def _is_keras_module(module):
    return module is None or module == "keras" or module.startswith(("keras.", "torch_keraslike"))


def resolve_class(entry, custom_objects=None):
    """The class an entry names, looked up by name only (no module is imported).

    Order: ``custom_objects`` (by registered name, then class name), the registry (by
    registered name), then our built-ins (Keras's built-in names).
    """
    class_name = entry["class_name"]
    registered = entry.get("registered_name")
    module = entry.get("module")
    if not isinstance(class_name, str):
        raise TypeError(f"class_name must be a string, received {class_name!r}")
    if registered is not None and not isinstance(registered, str):
        raise TypeError(f"registered_name must be a string, received {registered!r}")
    if module is not None and not isinstance(module, str):
        raise TypeError(f"module must be a string, received {module!r}")
    for key in (registered, class_name):
        if key is not None and custom_objects and key in custom_objects:
            return custom_objects[key]
    for key in (registered, class_name):
        if key is not None and ">" in key:
            package, _, short = key.partition(">")
            if package == "keras" or package.startswith("keras."):
                # Keras's registered names for its own classes ("keras.layers>Dense").
                key = short
            found = get_registered_object(key) if ">" in key else _builtin(key)
            if found is not None:
                return found
    if _is_keras_module(module) or registered in (None, class_name):
        found = _builtin(class_name)
        if found is not None:
            return found
    raise _unknown(registered if registered and ">" in registered else class_name)


def _builtin(class_name):
    if not class_name.isidentifier():
        return None
    return get_registered_object(f"keras>{_KERAS_ALIASES.get(class_name, class_name)}")


def deserialize(config, custom_objects=None):
    """Creates the object an entry describes, in Keras's format or ours.

    The class is found by name only (see :func:`resolve_class`); the entry's
    ``build_config`` builds the object when its config alone does not.

    Args:
        config: ``{"class_name": ..., "config": ...}`` with optional ``module``,
            ``registered_name`` and ``build_config``.
        custom_objects: optional ``{"name": class}`` for classes not registered.
    """
    return deserialize_entry(config, custom_objects, build=True)


def deserialize_entry(config, custom_objects=None, build=True):
    """:func:`deserialize`; ``build=False`` ignores ``build_config`` (a functional
    graph builds each layer by replaying its calls)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"deserialize() expects a dict with 'class_name' and 'config', received {config!r}."
        )
    inner = config.get("config", {})
    if inner is None:
        inner = {}
    if not isinstance(inner, dict):
        raise TypeError(f"the config of {config['class_name']!r} must be a dict, received {inner!r}")
    if isinstance(config.get("module"), str) and config["module"].startswith("keras.src.ops."):
        cls, inner = _keras_operation(config, inner)
    else:
        cls = resolve_class(config, custom_objects)
        inner = normalize_config(cls, inner, config["class_name"])
    if _takes_custom_objects(cls):
        obj = cls.from_config(inner, custom_objects)
    else:
        obj = cls.from_config(inner)
    if not get_registered_name(type(obj)).startswith("keras>") and hasattr(obj, "__dict__"):
        # A user's class: remember the names the entry gave it, which Keras finds it by
        # (and names its weight group after) even when custom_objects mapped it here.
        vars(obj)["_tkl_keras_identity"] = (
            config.get("module") or type(obj).__module__, config["class_name"],
            config.get("registered_name") or config["class_name"])
    build_config = config.get("build_config")
    if build and isinstance(build_config, dict) and "input_shape" in build_config:
        if not getattr(obj, "built", True) and hasattr(obj, "build_from_config"):
            obj.build_from_config(build_config)
    return obj


@functools.lru_cache(maxsize=None)
def _takes_custom_objects(cls):
    try:
        return "custom_objects" in inspect.signature(cls.from_config).parameters
    except (TypeError, ValueError):
        return False


def _keras_operation(config, inner):
    """A Keras operation entry as ``(TorchOpLayer, its config)``."""
    key = (config["module"], config["class_name"])
    path = _KERAS_OPS.get(key)
    if path is None:
        supported = sorted(f"{m.rsplit('.', 1)[-1]}.{c}" for m, c in _KERAS_OPS)
        raise ValueError(
            f"The config applies the Keras operation {config['class_name']!r} ({config['module']}), "
            f"which has no counterpart here; supported operations: {supported}. Fix: in Keras, "
            "wrap that step in a layer (a built-in layer, or a custom layer registered with "
            "@keras.saving.register_keras_serializable() and given here in custom_objects)."
        )
    name = inner.get("name")
    return _builtin("TorchOpLayer"), {"function": path, **({"name": name} if isinstance(name, str) else {})}


# ----------------------------------------------------------- normalization
def _label(class_name, inner):
    name = inner.get("name")
    return f'Layer "{name}" ({class_name})' if isinstance(name, str) else f"Layer {class_name}"


def normalize_value(value, label="the config"):
    """A config value with Keras's spellings made ours: dtype policies become dtype
    names, functions their registered names, arrays lists; nested entries keep their
    structure with their own values normalized."""
    if isinstance(value, list):
        return [normalize_value(v, label) for v in value]
    if not isinstance(value, dict):
        return value
    class_name = value.get("class_name")
    if not isinstance(class_name, str) or "config" not in value:
        return {k: normalize_value(v, label) for k, v in value.items()}
    inner = value["config"]
    if class_name in _POLICIES:
        return _policy_dtype(inner, label)
    if class_name == "function":
        registered = value.get("registered_name")
        if isinstance(registered, str) and ">" in registered:
            return registered
        return inner
    if class_name in ("__numpy__", "__tensor__"):
        return inner["value"]
    if class_name == "__bytes__":
        return inner["value"]
    if class_name == "__lambda__":
        return value  # code: only Lambda takes it, and only outside safe mode
    entry = {k: v for k, v in value.items() if k != "shared_object_id"}
    if isinstance(inner, dict):
        entry["config"] = {
            k: normalize_value(v, label) for k, v in inner.items()
            if not (k in ("input_axes", "output_axes") and v is None)
        }
    return entry


def _policy_dtype(inner, label):
    name = inner.get("name") if isinstance(inner, dict) else inner
    if not isinstance(name, str):
        raise TypeError(f"a dtype policy needs a name, received {inner!r}")
    if name.startswith(("mixed_", "int8", "int4", "float8", "gptq", "awq")):
        raise ValueError(
            f"{label} uses Keras's dtype policy {name!r}, which has no per-layer equivalent "
            "here: a layer computes in the dtype of its weights. Fix: save the model with "
            "the float32 policy in Keras (keras.config.set_dtype_policy('float32') before "
            "building it), then run it under torch.autocast for mixed precision."
        )
    return name


@functools.lru_cache(maxsize=None)
def _accepted_arguments(cls):
    """Keyword arguments the constructors of ``cls`` take, up to the base ``Layer``."""
    names = set()
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None:
            continue
        try:
            parameters = inspect.signature(init).parameters
        except (TypeError, ValueError):
            break
        names |= {
            n for n, p in parameters.items()
            if n != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }
        if klass.__module__ == "torch_keraslike.layer" or not any(
            p.kind is p.VAR_KEYWORD for p in parameters.values()
        ):
            break
    return names


def _built_from_constructor(cls):
    """Whether ``cls.from_config`` is the base one, ``cls(**config)``."""
    owner = next((c for c in cls.__mro__ if "from_config" in vars(c)), None)
    if owner is None:
        return False
    method = vars(owner)["from_config"]
    return owner.__module__ == "torch_keraslike.layer" or getattr(
        getattr(method, "__func__", method), "constructor_arguments", False)


def normalize_config(cls, inner, class_name):
    """A layer's config as written by Keras, made one that ``cls.from_config`` takes.

    Values are normalized (:func:`normalize_value`). For classes built from their
    constructor, arguments the constructor does not take are dropped when Keras's
    behaviour with them is ours (``sparse=False``...), and refused otherwise.
    """
    label = _label(class_name, inner)
    inner = {k: normalize_value(v, label) for k, v in inner.items()}
    if not (isinstance(cls, type) and _built_from_constructor(cls)):
        return inner
    accepted = _accepted_arguments(cls)
    result = {}
    for key, value in inner.items():
        if key in accepted:
            result[key] = value
        elif key in ("batch_input_shape", "batch_shape") and "batch_shape" in accepted:
            result.setdefault("batch_shape", value)
        elif key in ("batch_input_shape", "batch_shape") and "input_shape" in accepted:
            # tf.keras 2 puts the model's input shape on its first layer.
            if not isinstance(value, (list, tuple)) or len(value) < 1:
                raise TypeError(f"{key} must be a list, received {value!r}")
            result.setdefault("input_shape", tuple(value[1:]))
        elif key in _HARMLESS:
            continue
        elif key in _IGNORED_UNLESS and inner.get(_IGNORED_UNLESS[key], _NEUTRAL[_IGNORED_UNLESS[key]][0]) \
                == _NEUTRAL[_IGNORED_UNLESS[key]][0]:
            continue
        elif key in _NEUTRAL and _same(value, _NEUTRAL[key][0]):
            continue
        elif key in _NEUTRAL:
            raise ValueError(
                f"{label}: the config sets {key}={value!r}, which has no counterpart here "
                f"({_NEUTRAL[key][1]}). Only {key}={_NEUTRAL[key][0]!r} loads, because it is the "
                "value for which Keras computes what this library computes. Fix: rebuild the "
                f"layer in Keras with {key}={_NEUTRAL[key][0]!r}, or replace it with a custom "
                "layer registered with @tkl.saving.register_serializable()."
            )
        else:
            raise ValueError(
                f"{label}: the config has the argument {key}={value!r}, which "
                f"{cls.__name__} does not take (it takes {sorted(accepted)}). The file was "
                "written by a newer Keras or for another class. Fix: load it with the Keras "
                "version that wrote it and re-save it without that argument, or pass "
                f"custom_objects={{{class_name!r}: YourClass}} with a class that takes it."
            )
    return result


def _same(value, neutral):
    return value is neutral or (type(value) is type(neutral) and value == neutral)
