"""Functions in configs (a ``Lambda``'s function, output shape and mask), as Keras
writes them.

A function is written, in this order of preference, as:

- its registered name (``"my_pkg>scale"``) or activation name (``"relu"``);
- Keras's reference to a named function, ``{"module", "class_name": "function",
  "config": name, "registered_name": name}``, found again by name only
  (``custom_objects`` or the registry);
- for an anonymous ``lambda``, Keras's bytecode form ``{"class_name": "__lambda__",
  "config": {"code", "defaults", "closure"}}``. Bytecode is code: it loads only outside
  safe mode (``load_model(..., safe_mode=False)``), for files from a trusted source.

Example:
    >>> from torch_keraslike.saving.function_config import function_to_config
    >>> function_to_config(lambda x: x * 2, "Lambda")["class_name"]
    '__lambda__'
"""

import base64
import binascii
import builtins
import marshal
import types

import torch

from .registry import get_registered_name, get_registered_object, in_safe_mode

__all__ = ["function_from_config", "function_to_config"]

_REFUSED = """\
{label}: the config holds Python bytecode (an anonymous lambda function). Loading it \
would run code stored in the file, so it is refused in safe mode.
Fix: if you trust the file, load it with tkl.saving.load_model(path, safe_mode=False) \
(or inside tkl.saving.safe_mode_scope(False)); better, give the function a name, register \
it with @tkl.saving.register_serializable() and save the model again."""


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def function_to_config(fn, label):
    """The config value for ``fn`` (see the module docstring)."""
    from .. import activations

    name = get_registered_name(fn)
    if get_registered_object(name) is fn:
        return name
    try:
        return activations.serialize(fn)
    except ValueError:
        pass
    if not isinstance(fn, types.FunctionType):
        raise ValueError(
            f"{label} cannot be serialized: its function {fn!r} is neither a registered function "
            "nor a Python function. Fix: decorate a function with "
            "@tkl.saving.register_serializable() and pass that, or write a Layer subclass."
        )
    if fn.__name__ != "<lambda>":
        return {"module": fn.__module__, "class_name": "function", "config": fn.__name__,
                "registered_name": fn.__name__}
    closure = tuple(cell.cell_contents for cell in fn.__closure__) if fn.__closure__ else None
    if not (_plain(fn.__defaults__) and _plain(closure)):
        raise ValueError(
            f"{label} cannot be serialized: its lambda captures values that are not plain "
            f"numbers or strings (defaults {fn.__defaults__!r}, closure {closure!r}). Fix: give "
            "the function a name and register it with @tkl.saving.register_serializable()."
        )
    code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
    return {"class_name": "__lambda__", "config": {"code": code, "defaults": fn.__defaults__,
                                                   "closure": closure}}


def _cell(value):
    return (lambda: value).__closure__[0]


def _load_bytecode(config, label):
    if in_safe_mode():
        raise ValueError(_REFUSED.format(label=label))
    try:
        code = marshal.loads(base64.decodebytes(config["code"].encode("ascii")))
    except (binascii.Error, ValueError, EOFError, TypeError) as error:
        raise ValueError(
            f"{label}: the lambda's bytecode cannot be read ({error}); it was written by another "
            "Python version or is damaged. Fix: re-create the function in Python and register it."
        ) from None
    if not isinstance(code, types.CodeType):
        raise ValueError(f"{label}: the lambda's bytecode does not hold a function.")
    defaults = config.get("defaults")
    closure = config.get("closure")
    # Names the lambda uses resolve in a namespace holding torch (as Keras's lambdas see
    # their library); anything else it needs must be passed in arguments.
    namespace = {"__builtins__": builtins, "torch": torch}
    return types.FunctionType(
        code, namespace, name=code.co_name,
        argdefs=tuple(defaults) if defaults is not None else None,
        closure=tuple(_cell(v) for v in closure) if closure is not None else None,
    )


def function_from_config(value, custom_objects, label):
    """The function a config value names (a name, Keras's function reference, or
    bytecode outside safe mode); ``None`` stays ``None``."""
    from .. import activations

    if value is None or callable(value):
        return value
    if isinstance(value, dict) and value.get("class_name") == "__lambda__":
        return _load_bytecode(value["config"], label)
    if isinstance(value, dict) and value.get("class_name") == "function":
        registered = value.get("registered_name")
        value = registered if isinstance(registered, str) and ">" in registered else value.get("config")
    if not isinstance(value, str):
        raise ValueError(f"{label}: a function must be given by name, received {value!r}.")
    if custom_objects and value in custom_objects:
        return custom_objects[value]
    found = get_registered_object(value)
    if found is not None:
        return found
    try:
        return activations.get(value)
    except ValueError:
        raise ValueError(
            f"{label}: the config names the function {value!r}, which is neither registered "
            "nor an activation. Fix: decorate it with @tkl.saving.register_serializable() "
            f"before loading, or pass custom_objects={{{value!r}: the_function}}."
        ) from None
