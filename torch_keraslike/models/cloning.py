"""``clone_model``: a new model with the same architecture and new weights, as Keras
builds it.

- A ``Sequential`` model is rebuilt from its layers, each cloned by ``clone_function``
  (default: ``layer.__class__.from_config(layer.get_config())``, so fresh weights).
- A functional model is rebuilt by replaying its graph on new inputs (or on
  ``input_tensors``) with the cloned layers; a layer used several times is cloned once
  and shared in the clone too. ``call_function(layer, *args, **kwargs)`` may replace
  how each clone is called.
- Any other model (a subclass) is re-created from its config.

The clone is not compiled: call ``compile`` on it.

Example:
    >>> import torch, torch_keraslike as tkl
    >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(2)])
    >>> clone = tkl.models.clone_model(model)
    >>> clone.layers[0] is model.layers[0], clone(torch.ones(1, 3)).shape
    (False, torch.Size([1, 2]))
"""

from ..symbolic import KerasTensor, flatten, map_structure
from .input_layer import InputLayer
from .model import Model
from .sequential import Sequential

__all__ = ["clone_model"]


def _default_clone(layer):
    return layer.__class__.from_config(layer.get_config())


def _is_functional(model):
    return isinstance(model, Model) and not isinstance(model, Sequential) and model._graph is not None


def _wrap_clone_function(clone_function, call_function, recursive, cache):
    """``clone_function`` with a cache (a shared layer is cloned once) and, with
    ``recursive``, nested Sequential/functional models cloned layer by layer."""
    clone_function = clone_function or _default_clone
    if not callable(clone_function):
        raise ValueError(f"Expected `clone_function` argument to be a callable. Received: "
                         f"clone_function={clone_function!r}")

    def wrapped(layer):
        if id(layer) in cache:
            return cache[id(layer)]
        if recursive and (isinstance(layer, Sequential) or _is_functional(layer)):
            clone = clone_model(layer, clone_function=clone_function,
                                call_function=None if isinstance(layer, Sequential) else call_function,
                                recursive=True, cache=cache)
        else:
            clone = clone_function(layer)
        cache[id(layer)] = clone
        return clone

    return wrapped


def _is_input(tensor):
    history = getattr(tensor, "_history", None)
    return isinstance(tensor, KerasTensor) and history is not None and isinstance(history[0].layer, InputLayer)


def _clone_sequential(model, clone_function, input_tensors):
    layers = [clone_function(layer) for layer in model.layers]
    reference = model._input_tensor
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError("Argument `input_tensors` must contain a single tensor.")
            input_tensors = input_tensors[0]
        if not _is_input(input_tensors):
            raise ValueError(
                "Argument `input_tensors` must be a KerasTensor made by tkl.Input. Received invalid value: "
                f"input_tensors={input_tensors!r}. Fix: clone_model(model, input_tensors=tkl.Input(shape)).")
        layers = [input_tensors] + layers
    elif reference is not None:
        layers = [_fresh_input(reference)] + layers
    return Sequential(layers, name=model.name, trainable=model.trainable)


def _fresh_input(tensor):
    """A new input like the one of the symbolic input ``tensor``."""
    source = tensor._history[0].layer
    return InputLayer(batch_shape=source.batch_shape, dtype=source.input_dtype, name=source.name).output


def _clone_functional(model, clone_function, input_tensors, call_function):
    graph = model._graph
    if input_tensors is not None:
        flat_new = flatten(input_tensors)
        if not all(_is_input(t) for t in flat_new):
            raise ValueError(
                "All entries in `input_tensors` must be KerasTensors made by tkl.Input. Received invalid "
                f"values: input_tensors={input_tensors!r}")
        if len(flat_new) != len(graph.flat_inputs) or (
                isinstance(graph.inputs, dict) != isinstance(input_tensors, dict)):
            raise ValueError(
                "`input_tensors` must have the same structure as model.input\nReference structure: "
                f"{graph.inputs}\nReceived structure: {input_tensors}")
        inputs = input_tensors
    else:
        inputs = map_structure(_fresh_input, graph.inputs)
    if isinstance(graph.inputs, dict) and isinstance(inputs, dict):
        pairs = [(graph.inputs[key], inputs[key]) for key in graph.inputs]
    else:
        pairs = list(zip(graph.flat_inputs, flatten(inputs)))
    tensors = {id(old): new for old, new in pairs}

    def replace(value):
        return tensors[id(value)] if isinstance(value, KerasTensor) else value

    for node in graph.nodes:
        layer = clone_function(node.layer)
        args = map_structure(replace, node.args)
        kwargs = map_structure(replace, node.kwargs)
        outputs = call_function(layer, *args, **kwargs) if call_function else layer(*args, **kwargs)
        old_outputs, new_outputs = flatten(node.outputs), flatten(outputs)
        if len(old_outputs) != len(new_outputs):
            raise ValueError(
                f'clone_model: the clone of layer "{node.layer.name}" returned {len(new_outputs)} output(s) '
                f"where the original returned {len(old_outputs)}. Fix: make clone_function/call_function "
                "return a layer (and outputs) with the original's structure.")
        tensors.update({id(old): new for old, new in zip(old_outputs, new_outputs)})
    return Model(inputs, map_structure(replace, graph.outputs), name=model.name)


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A new model with the architecture of ``model`` and new weights (Keras's
    ``keras.models.clone_model``).

    Args:
        model: a ``Sequential``, functional or subclassed model.
        input_tensors: for Sequential and functional models, ``tkl.Input`` tensors (in
            the structure of the model's inputs) to build the clone on.
        clone_function: ``fn(layer) -> new layer`` (default: from the layer's config,
            with new weights). Return the layer itself to share it with the original.
        call_function: functional models only: ``fn(layer, *args, **kwargs) -> outputs``
            replacing each layer call in the clone.
        recursive: also clone nested Sequential and functional models layer by layer
            with ``clone_function`` (otherwise ``clone_function`` receives them whole).

    Returns:
        The clone (not compiled).
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs)}. clone_model takes input_tensors, "
                         "clone_function, call_function and recursive.")
    cache = {} if cache is None else cache
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` argument is not supported with Sequential models. In a Sequential model, "
                "layers aren't called at model-construction time (they're merely listed). Use "
                f"`call_function` with Functional models only. Received model of type '{type(model).__name__}', "
                f"with call_function={call_function!r}")
        return _clone_sequential(model, _wrap_clone_function(clone_function, None, recursive, cache), input_tensors)
    if _is_functional(model) and (type(model) is Model or clone_function or input_tensors is not None):
        wrapped = _wrap_clone_function(clone_function, call_function, recursive, cache)
        return _clone_functional(model, wrapped, input_tensors, call_function)
    if not isinstance(model, Model):
        raise TypeError(f"clone_model expects a tkl.Model (Sequential, functional or subclassed), received "
                        f"{model!r} (of type {type(model).__name__}).")
    if clone_function is not None or input_tensors is not None:
        raise ValueError(
            "Arguments `clone_function` and `input_tensors` are only supported for Sequential models or "
            f"Functional models. Received model of type '{type(model).__name__}', with "
            f"clone_function={clone_function!r} and input_tensors={input_tensors!r}")
    if call_function is not None:
        raise ValueError("Argument `call_function` is only supported for Functional models. Received model of "
                         f"type '{type(model).__name__}', with call_function={call_function!r}")
    from ..saving import deserialize, serialize

    return deserialize(serialize(model), custom_objects={type(model).__name__: type(model)})
