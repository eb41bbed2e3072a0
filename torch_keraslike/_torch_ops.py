"""torch functions applied to ``KerasTensor``s join the functional graph.

``torch.cat([a, b], 1)``, ``x + y`` or ``x[:, 0]`` on symbolic tensors become calls of a
``TorchOpLayer`` that holds the function; configs name the function by its path under
the ``torch`` namespace (``"torch.cat"``). Loading resolves such a path only to a torch
operator in an allow-list of namespaces, by one attribute lookup: a file cannot make the
loader reach ``torch.os.system`` or anything else that is not a tensor operation.
"""

import sys

import torch

from ._naming import unique_name
from .layer import Layer
from .saving import register_serializable
from .symbolic import KerasTensor, flatten, raise_op_error

# Methods that produce Python values (not tensors) from tensor data cannot be symbolic.
_VALUE_METHODS = {"item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__", "__len__"}


# Namespaces a config may name a function in. A name is resolved by ONE attribute
# lookup in one of these objects (never a walk through dotted attributes, never an
# import), and only to a torch operator: a function that torch's ``__torch_function__``
# protocol dispatches, which is exactly what can reach ``KerasTensor.__torch_function__``
# and so what the saving side can have written.
_NAMESPACES = {
    "torch": torch,
    "torch.Tensor": torch.Tensor,
    "torch.nn.functional": torch.nn.functional,
    "torch.linalg": torch.linalg,
    "torch.special": torch.special,
    "torch.fft": torch.fft,
}

_UNSAFE_FUNCTION = """TorchOpLayer: the config names the function {path!r}, which is not a torch operator in the namespaces {namespaces}. A model file may only name torch operators (what torch functions applied to KerasTensors produce); nothing else is resolved, imported or called. The file is corrupted or was tampered with. Fix: re-save the model with tkl.saving.save_model, or build layers that need other code in Python and register them with @tkl.saving.register_serializable()."""

_operators = []  # the set of allowed callables' ids, computed on first use


def _is_torch_operator(func):
    if not _operators:
        overridable = torch.overrides.get_overridable_functions()
        _operators.append({id(f) for functions in overridable.values() for f in functions if callable(f)})
    return id(func) in _operators[0]


def _function_path(func):
    """``torch.cat`` -> ``"torch.cat"``; ``torch.Tensor.__getitem__`` ->
    ``"torch.Tensor.__getitem__"``; None when it is not a torch operator that can be
    named under one of the allowed namespaces."""
    name = getattr(func, "__name__", None)
    if not isinstance(name, str) or not _is_torch_operator(func):
        return None
    for prefix, owner in _NAMESPACES.items():
        if getattr(owner, name, None) is func:
            return f"{prefix}.{name}"
    return None


def _resolve_function(path):
    """The torch operator named ``path``; anything else raises without side effects."""
    prefix, _, name = path.rpartition(".") if isinstance(path, str) else ("", "", "")
    owner = _NAMESPACES.get(prefix)
    func = getattr(owner, name, None) if owner is not None and name.isidentifier() else None
    if func is None or not _is_torch_operator(func) or _function_path(func) != path:
        raise ValueError(_UNSAFE_FUNCTION.format(path=path, namespaces=sorted(_NAMESPACES)))
    return func


@register_serializable(package="keras")
class TorchOpLayer(Layer):
    """A torch function applied to the outputs of other layers in a functional model.

    Created automatically when a torch function or operator receives ``KerasTensor``s.

    Args:
        function: the torch function, or its path under ``torch`` (``"torch.cat"``).
    """

    _allow_non_tensor_positional_args = True

    def __init__(self, function, **kwargs):
        kwargs.setdefault("autocast", False)  # torch ops keep their inputs' dtypes
        super().__init__(**kwargs)
        self.function = _resolve_function(function) if isinstance(function, str) else function

    def call(self, *args, **kwargs):
        return self.function(*args, **kwargs)

    def _tkl_output_masks(self, first, outputs, previous_mask, masks=None):
        # As Keras's ops: a torch function neither carries a mask on nor warns about it.
        return None

    def _convert_inputs(self, args, kwargs):
        # Constants stay as given (``x + 1``, ``torch.cat(xs, dim=1)``): torch takes them.
        return args, kwargs

    def compute_output_spec(self, *args, **kwargs):
        try:
            return super().compute_output_spec(*args, **kwargs)
        except Exception as error:
            tensor = next(t for t in flatten((args, kwargs)) if isinstance(t, KerasTensor))
            raise TypeError(
                f"{_function_path(self.function) or self.function!r} failed on symbolic inputs "
                f"({error}). If it needs values, wrap it in tkl.layers.Lambda."
            ) from None

    def get_config(self):
        path = _function_path(self.function)
        if path is None:
            raise ValueError(
                f'Layer "{self.name}" applies {self.function!r}, which is not a torch function '
                "and cannot be named in a config. Fix: use a tkl.layers.Lambda with a "
                "registered function."
            )
        config = super().get_config()
        config["function"] = path
        return config


_FOREIGN_MODULE = """\
The torch module {module} ({cls}) was called on a KerasTensor where it could not be made \
a layer of the graph: building had ended (a call on real tensors or torch.compile since \
the last tkl.Input()), the KerasTensor was passed by keyword, or the module has hooks of \
its own. Run op by op on symbolic tensors, its weights would become constants of the \
graph (not trained, saved or moved) and its train/eval behaviour would be frozen. Wrap \
it so that it becomes a layer:
    y = tkl.layers.TorchModuleWrapper({var})(x)   # {var}: your {cls}"""


def _has_state(module):
    return any(True for _ in module.parameters()) or any(True for _ in module.buffers())


def called_by_torch_keraslike(call_frame):
    """Whether the module call running in ``call_frame`` (torch's ``_wrapped_call_impl``)
    was made by tkl's own code: a container (``Sequential`` tracing its layers) already
    owns the modules it calls and takes their shapes op by op."""
    caller = call_frame.f_back
    return caller is not None and caller.f_globals.get("__name__", "").startswith("torch_keraslike.")


def _foreign_module_call(tensor):
    """The plain ``torch.nn.Module`` (not a tkl layer) whose call received ``tensor``'s
    graph, found on the call stack; None when the op is not inside one."""
    frame = sys._getframe(2)
    for _ in range(64):
        if frame is None:
            return None
        if frame.f_code.co_name == "_wrapped_call_impl":
            module = frame.f_locals.get("self")
            if isinstance(module, torch.nn.Module) and not isinstance(module, Layer):
                args = frame.f_locals.get("args", ())
                kwargs = frame.f_locals.get("kwargs", {})
                if (any(isinstance(t, KerasTensor) for t in flatten((list(args), dict(kwargs or {}))))
                        # Stateless modules (nn.ReLU) lose nothing as ops.
                        and _has_state(module) and not called_by_torch_keraslike(frame)):
                    return module
        frame = frame.f_back
    return None


def symbolic_torch_call(func, args, kwargs):
    """``__torch_function__`` of ``KerasTensor``: records ``func`` as a graph node."""
    tensor = next(t for t in flatten((args, kwargs)) if isinstance(t, KerasTensor))
    module = _foreign_module_call(tensor)
    if module is not None:
        raise TypeError(_FOREIGN_MODULE.format(module=repr(module).splitlines()[0], cls=type(module).__name__,
                                               var=type(module).__name__.lower()))
    name = getattr(func, "__name__", repr(func))
    if name in _VALUE_METHODS or _function_path(func) is None:
        raise_op_error(f"torch.{name}" if _function_path(func) is None else _function_path(func), tensor)
    layer = TorchOpLayer(func, name=unique_name(f"torch_op_{name.strip('_')}"))
    return layer(*args, **kwargs)
