"""The one decorator every op goes through, the allow-list it builds, and ``OpLayer``:
an op called on ``KerasTensor``s joins the functional graph as one node.

``@keras_op("numpy")`` registers the function under its public path
(``"numpy.mean"``, i.e. ``tkl.ops.numpy.mean``) and under Keras's operation class name
(``Mean`` in ``keras.src.ops.numpy``). Called on real values it runs the function;
called with a ``KerasTensor`` anywhere in its arguments it creates an
:class:`OpLayer` holding the op and the constant arguments, and calls that layer on
the symbolic ones, so shapes and dtypes are inferred on fake tensors once, for the
whole op.

Configs name the op by its public path and :meth:`OpLayer.from_config` resolves it
only in the allow-list the decorator built: no attribute walk, no import. Like Keras's
own op nodes, the constant arguments live in the layer's config (``axis``,
``keepdims``) and the symbolic ones are the node's call arguments.
"""

import functools
import inspect

import numpy as np
import torch
from torch._subclasses.fake_tensor import DataDependentOutputException, DynamicOutputShapeException

from .._dtypes import dtype_name
from .._naming import unique_name
from ..layer import Layer
from ..saving import decode_constant, encode_constant, get_registered_name, get_registered_object
from ..saving import register_serializable
from ..symbolic import KerasTensor
from ._base import describe, standardize_dtype, to_torch_dtype

__all__ = ["OpLayer", "exported", "get_op", "get_op_by_keras_name", "keras_op", "registered_ops"]

_OPS = {}  # public path ("numpy.mean") -> public function: the allow-list of configs
_KERAS_NAMES = {}  # (module, Keras operation class name) -> public path
_KERAS_MODULE_PREFIX = "keras.src.ops."
_DATA_DEPENDENT = (DataDependentOutputException, DynamicOutputShapeException)
_RESERVED = ("name", "op")  # config keys of OpLayer itself
_VAR_POSITIONAL = inspect.Parameter.VAR_POSITIONAL
_VAR_KEYWORD = inspect.Parameter.VAR_KEYWORD


def _camel(name):
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _has_keras_tensor(values):
    for value in values:
        if type(value) is KerasTensor:
            return True
        if isinstance(value, (list, tuple)):
            if _has_keras_tensor(value):
                return True
        elif isinstance(value, dict) and _has_keras_tensor(value.values()):
            return True
    return False


def display_name(path):
    """How messages name the op of ``path``: ``ops.mean``, ``ops.image.resize``."""
    module, name = path.split(".")
    return f"ops.image.{name}" if module == "image" else f"ops.{name}"


def _fail(path, args, kwargs, error, kind=ValueError):
    """A torch error inside an op, as a ``kind`` error naming the op and its inputs."""
    inputs = [describe(v) for v in list(args) + list(kwargs.values()) if hasattr(v, "shape") and hasattr(v, "dtype")]
    shown = "; ".join(inputs) or "no tensor inputs"
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return kind(
        f"{display_name(path)} rejected its inputs ({shown}): {message}. Check the shapes, "
        f"dtypes and arguments against the documentation of tkl.ops.{path}."
    )


def run_op(path, fn, args, kwargs, wrap_errors=True):
    """Calls ``fn``, turning torch's kernel errors into ``ValueError``s (its argument
    errors into ``TypeError``s) that name the op and describe its inputs."""
    if not wrap_errors or torch.compiler.is_compiling():
        return fn(*args, **kwargs)
    try:
        return fn(*args, **kwargs)
    except _DATA_DEPENDENT:
        raise
    except (RuntimeError, IndexError) as error:
        raise _fail(path, args, kwargs, error) from None
    except TypeError as error:
        if str(error).startswith("ops."):  # ours: already names the op
            raise
        raise _fail(path, args, kwargs, error, TypeError) from None


def keras_op(module, *, keras_name=None, symbolic=True, wrap_errors=True):
    """Registers an op of ``tkl.ops.<module>`` and adds the functional-API dispatch.

    Args:
        module: the ops submodule (``"numpy"``, ``"nn"``, ``"image"``, ``"linalg"``,
            ``"math"``, ``"core"``, ``"einops"``), as in Keras's ``keras.src.ops``.
        keras_name: Keras's operation class name when it is not the CamelCase of the
            function name (``"BatchNorm"`` for ``batch_normalization``).
        symbolic: False for ops that handle ``KerasTensor``s themselves (``shape``).
        wrap_errors: False for ops that run user callables (``cond``), whose errors
            must surface unchanged.
    """

    def decorate(fn):
        path = f"{module}.{fn.__name__}"
        signature = inspect.signature(fn)
        clashes = [name for name in _RESERVED if name in signature.parameters]
        if clashes:
            raise TypeError(f"op {path} has parameters {clashes} that OpLayer configs reserve.")

        @functools.wraps(fn)
        def op(*args, **kwargs):
            if symbolic and (_has_keras_tensor(args) or (kwargs and _has_keras_tensor(kwargs.values()))):
                return _symbolic_call(op, args, kwargs)
            return run_op(path, fn, args, kwargs, wrap_errors)

        op._tkl_op_path = path
        op._tkl_op_impl = fn
        op._tkl_op_wrap_errors = wrap_errors
        op._tkl_op_signature = signature
        _OPS[path] = op
        _KERAS_NAMES[(module, keras_name or _camel(fn.__name__))] = path
        return op

    return decorate


def register_keras_name(module, keras_name, op):
    """Maps one more Keras operation class name onto an existing op."""
    _KERAS_NAMES[(module, keras_name)] = op._tkl_op_path


def exported(namespace):
    """Names of the ops defined in a module namespace (its ``__all__``)."""
    return sorted(name for name, value in namespace.items()
                  if not name.startswith("_") and getattr(value, "_tkl_op_path", None)
                  and value.__module__ == namespace["__name__"])


def registered_ops():
    """``{public path: function}`` of every op."""
    return dict(_OPS)


def get_op(path):
    """The op registered under ``path`` (``"numpy.mean"``); ValueError otherwise."""
    op = _OPS.get(path) if isinstance(path, str) else None
    if op is None:
        raise ValueError(
            f"Unknown op {path!r}: configs may only name ops of tkl.ops by their public path "
            "(e.g. 'numpy.mean', 'nn.relu', 'image.resize'). The config is damaged or comes "
            "from a newer version."
        )
    return op


def get_op_by_keras_name(class_name, module=None):
    """The ``tkl.ops`` function for a Keras operation class, as Keras 3 writes op nodes
    in a functional model's config (``"class_name": "Mean"``, ``"module":
    "keras.src.ops.numpy"``).

    Args:
        class_name: Keras's operation class name, e.g. ``"Mean"`` or ``"BatchNorm"``.
        module: ``"keras.src.ops.numpy"``, ``"numpy"`` or ``None`` (any ops module,
            when the name is unambiguous).

    Returns:
        The op function; its config arguments are Keras's (``axis``, ``keepdims``).

    Example:
        >>> import torch_keraslike as tkl
        >>> tkl.ops.get_op_by_keras_name("Mean", "keras.src.ops.numpy") is tkl.ops.mean
        True
    """
    if module is not None and module.startswith(_KERAS_MODULE_PREFIX):
        module = module[len(_KERAS_MODULE_PREFIX):]
    matches = [path for (mod, name), path in _KERAS_NAMES.items()
               if name == class_name and module in (None, mod)]
    if len(set(matches)) != 1:
        where = f" in module {module!r}" if module else ""
        problem = "matches several ops: " + ", ".join(sorted(set(matches))) if matches else "is not known"
        raise ValueError(
            f"Keras operation {class_name!r}{where} {problem}. Known Keras operations map to "
            "tkl.ops functions one to one; pass the config's 'module' to disambiguate."
        )
    return _OPS[matches[0]]


# ----------------------------------------------------------------- symbolic
def _symbolic_call(op, args, kwargs):
    path, signature = op._tkl_op_path, op._tkl_op_signature
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{display_name(path)}{signature}: {error}") from None
    bound.apply_defaults()
    constants, call_args, call_kwargs = {}, [], {}
    for name, value in bound.arguments.items():
        parameter = signature.parameters[name]
        if parameter.kind is _VAR_KEYWORD or not _has_keras_tensor([value]):
            constants[name] = value
        elif parameter.kind is _VAR_POSITIONAL:
            call_args.extend(value)
        elif parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            call_kwargs[name] = value
        else:
            call_args.append(value)
    layer = OpLayer(path, name=unique_name(path.split(".")[-1]), **constants)
    return layer(*call_args, **call_kwargs)


def _encode(value, layer_name, op_path):
    """An argument as JSON: constants via ``encode_constant``; tensors and arrays as
    nested lists; registered functions by their registered name."""
    if isinstance(value, (torch.Tensor, np.ndarray, np.generic)):
        tensor = torch.as_tensor(value).detach().cpu()
        return {"__array__": tensor.tolist(), "dtype": dtype_name(tensor.dtype)}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    if isinstance(value, type) and value in (bool, int, float, complex):  # Python types as dtypes
        return standardize_dtype(value)
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, layer_name, op_path) for v in value]}
    if isinstance(value, list):
        return [_encode(v, layer_name, op_path) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v, layer_name, op_path) for k, v in value.items()}
    if callable(value) and not isinstance(value, type):
        name = get_registered_name(value)
        if get_registered_object(name) is not value:
            raise ValueError(
                f'Layer "{layer_name}" (OpLayer) applies ops.{op_path} with the function '
                f"{value!r}, which is not registered, so a config cannot name it. Fix: decorate "
                "it with @tkl.saving.register_serializable() (and keep it importable when loading)."
            )
        return {"__function__": name}
    return encode_constant(value)


def _decode(value, custom_objects=None):
    if isinstance(value, list):
        return [_decode(v, custom_objects) for v in value]
    if not isinstance(value, dict):
        return value
    if "__array__" in value:
        # The dtype is looked up among dtype names only (no attribute of torch by name).
        return torch.tensor(value["__array__"], dtype=to_torch_dtype(value["dtype"], "OpLayer config"))
    if "__tuple__" in value:
        return tuple(_decode(v, custom_objects) for v in value["__tuple__"])
    if "__function__" in value:
        function = get_registered_object(value["__function__"], custom_objects)
        if function is None:
            raise ValueError(
                f"The config names the function {value['__function__']!r}, which is not "
                "registered. Fix: import the module that registers it (with "
                "@tkl.saving.register_serializable()) before loading, or pass custom_objects."
            )
        return function
    if any(key.startswith("__") for key in value):
        return decode_constant(value)
    return {k: _decode(v, custom_objects) for k, v in value.items()}


@register_serializable(package="keras")
class OpLayer(Layer):
    """One call of a ``tkl.ops`` function in a functional model.

    Created automatically when an op receives ``KerasTensor``s; it holds the op's
    constant arguments and is called on the symbolic ones. Has no weights.

    Args:
        op: the op's public path under ``tkl.ops`` (``"numpy.mean"``), or the function.
        name: layer name.
        **arguments: the op's constant arguments (``axis=1``, ``keepdims=True``).

    Example:
        >>> import torch_keraslike as tkl
        >>> tkl.clear_session()
        >>> x = tkl.Input((3, 4))
        >>> model = tkl.Model(x, tkl.ops.mean(x, axis=1))
        >>> type(model.layers[1]).__name__, model.layers[1].get_config()
        ('OpLayer', {'name': 'mean', 'op': 'numpy.mean', 'axis': 1, 'keepdims': False})
    """

    _allow_non_tensor_positional_args = True

    def __init__(self, op, name=None, **arguments):
        function = get_op(op) if isinstance(op, str) else op
        if getattr(function, "_tkl_op_path", None) not in _OPS:
            raise ValueError(f"OpLayer: {op!r} is not a registered tkl.ops function.")
        super().__init__(name=name or unique_name(function.__name__), autocast=False)
        signature = function._tkl_op_signature
        unknown = sorted(set(arguments) - set(signature.parameters))
        if unknown and not any(p.kind is _VAR_KEYWORD for p in signature.parameters.values()):
            raise TypeError(
                f"OpLayer: ops.{function._tkl_op_path} has no arguments {unknown}; its signature "
                f"is {function.__name__}{signature}."
            )
        vars(self).update(
            op=function,
            arguments=dict(arguments),
            _tkl_free=[p for p in signature.parameters.values()
                       if p.name not in arguments and p.kind is not _VAR_KEYWORD],
            _tkl_tensor_constants=any(isinstance(v, torch.Tensor) for v in arguments.values()),
        )

    def _convert_inputs(self, args, kwargs):
        # The op converts its own inputs with Keras's rules; constants stay as given.
        return args, kwargs

    def call(self, *args, **kwargs):
        values = dict(self.arguments)
        if self._tkl_tensor_constants:
            device = next((a.device for a in args if isinstance(a, torch.Tensor)), None)
            if device is not None:
                values = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in values.items()}
        position = 0
        for parameter in self._tkl_free:
            if position >= len(args):
                break
            if parameter.kind is _VAR_POSITIONAL:
                values[parameter.name] = tuple(args[position:])
                position = len(args)
                break
            values[parameter.name] = args[position]
            position += 1
        if position < len(args):
            raise TypeError(
                f'Layer "{self.name}" (OpLayer) received {len(args)} positional inputs, but '
                f"ops.{self.op._tkl_op_path} takes only {position} besides its constant arguments "
                f"{sorted(self.arguments)}."
            )
        values.update(kwargs)
        positional, keywords = _split_arguments(self.op._tkl_op_signature, values)
        return run_op(self.op._tkl_op_path, self.op._tkl_op_impl, positional, keywords,
                      self.op._tkl_op_wrap_errors)

    def compute_output_spec(self, *args, **kwargs):
        try:
            return super().compute_output_spec(*args, **kwargs)
        except _DATA_DEPENDENT:
            raise ValueError(
                f"{display_name(self.op._tkl_op_path)} has an output whose shape or value depends on the data, "
                "so it cannot be applied to symbolic tensors (KerasTensors). Fix: call it on real "
                "tensors, e.g. inside a layer's call()."
            ) from None

    def get_config(self):
        config = {"name": self.name, "op": self.op._tkl_op_path}
        for key, value in self.arguments.items():
            config[key] = _encode(value, self.name, self.op._tkl_op_path)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        op = get_op(config.pop("op", None))
        name = config.pop("name", None)
        return cls(op, name=name, **{k: _decode(v, custom_objects) for k, v in config.items()})

    @classmethod
    def from_keras_config(cls, class_name, module, config):
        """The layer for one op node of a Keras 3 functional config (``class_name``,
        ``module`` and ``config`` of the layer entry); call it with the node's
        ``args``/``kwargs``, which Keras lists in the op's argument order."""
        op = get_op_by_keras_name(class_name, module)
        config = dict(config)
        name = config.pop("name", None)
        return cls(op, name=name, **config)

    def extra_repr(self):
        return f"name={self.name!r}, op={self.op._tkl_op_path!r}"


def _split_arguments(signature, values):
    """Positional and keyword arguments that call a function of ``signature`` with the
    named ``values`` (parameters before a ``*args`` must be passed by position)."""
    parameters = list(signature.parameters.values())
    star = next((i for i, p in enumerate(parameters) if p.kind is _VAR_POSITIONAL), None)
    positional, keywords = [], {}
    for index, parameter in enumerate(parameters):
        if parameter.kind is _VAR_POSITIONAL:
            positional.extend(values.get(parameter.name, ()))
        elif parameter.kind is _VAR_KEYWORD:
            keywords.update(values.get(parameter.name, {}))
        elif star is not None and index < star:
            positional.append(values[parameter.name] if parameter.name in values else parameter.default)
        elif parameter.name in values:
            keywords[parameter.name] = values[parameter.name]
    return positional, keywords
