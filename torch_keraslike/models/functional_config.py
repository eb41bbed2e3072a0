"""A functional graph as Keras's config, and back.

Written in Keras 3's format (what ``keras.Model.get_config()`` returns), so Keras's
``Model.from_config`` reads it and ours reads Keras's::

    {"name": ..., "trainable": ...,
     "layers": [{"module": ..., "class_name": ..., "config": ..., "registered_name": ...,
                 "name": "dense", "inbound_nodes": [{"args": [<tensor>], "kwargs": {}}]}],
     "input_layers": ["input_layer", 0, 0], "output_layers": [["dense", 0, 0]]}

where a tensor is ``{"class_name": "__keras_tensor__", "config": {"shape": ...,
"dtype": ..., "keras_history": [layer name, node index, tensor index]}}``.
Also read: tf.keras 2's nested-list nodes (``[[["dense", 0, 0, {}]]]``) and the form
earlier versions of this library wrote (``{"__keras_tensor__": [...]}``).

Node indices count the calls of a layer in this graph. Keras numbers the calls of a
nested functional model from 1 in ``input_layers``/``output_layers`` (its node 0 was
once the model's own), and tf.keras 2 did so everywhere for nested models: those
offsets are applied both ways.
"""

import functools
import inspect

from .._dtypes import dtype_name
from ..saving import decode_constant, encode_constant
from ..saving.keras_config import deserialize_entry, serialize
from ..symbolic import KerasTensor, flatten
from .input_layer import InputLayer

_INCONSISTENT = (
    "Model config is inconsistent: the calls of layers {names} refer to tensors that no "
    "layer in the config produces. Fix: use a config written by Model.get_config() (or "
    "Keras's)."
)


def _is_functional_model(layer):
    # A nested functional model (not a Sequential): Keras offsets its output refs.
    return getattr(layer, "_graph", None) is not None and type(layer).__name__ != "Sequential"


def _is_nested_model(layer):
    return getattr(layer, "_graph", None) is not None


# -------------------------------------------------------------------- write
def graph_config(graph):
    """``layers``, ``input_layers`` and ``output_layers`` of ``graph`` in Keras's format."""
    node_ids = {}
    for layer in graph.layers:
        for index, node in enumerate(n for n in graph.nodes if n.layer is layer):
            node_ids[id(node)] = index

    def history(tensor, offset=0):
        node, tensor_index = tensor._history
        if isinstance(node.layer, InputLayer):
            return [node.layer.name, 0, tensor_index]
        shift = offset if _is_functional_model(node.layer) else 0
        return [node.layer.name, node_ids[id(node)] + shift, tensor_index]

    def ref(value):
        if isinstance(value, KerasTensor):
            return {"class_name": "__keras_tensor__", "config": {
                "shape": list(value.shape), "dtype": dtype_name(value.dtype),
                "keras_history": history(value)}}
        if isinstance(value, tuple) and value and all(isinstance(v, KerasTensor) for v in value):
            return [ref(v) for v in value]  # Keras writes tuples of tensors as lists
        if isinstance(value, tuple):
            return {"__tuple__": [ref(v) for v in value]}
        if isinstance(value, list):
            return [ref(v) for v in value]
        if isinstance(value, dict):
            return {k: ref(v) for k, v in value.items()}
        return encode_constant(value)

    def endpoints(structure):
        if isinstance(structure, KerasTensor):
            return history(structure, offset=1)
        if isinstance(structure, dict):
            return {k: endpoints(v) for k, v in structure.items()}
        return [endpoints(v) for v in structure]

    layers = []
    for layer in graph.layers:
        entry = serialize(layer)
        entry.pop("build_config", None)  # the calls below build every layer
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            {"args": ref(list(n.args)), "kwargs": ref(n.kwargs)}
            for n in graph.nodes if n.layer is layer
        ]
        layers.append(entry)
    return {
        "layers": layers,
        "input_layers": endpoints(graph.inputs),
        "output_layers": endpoints(graph.outputs),
    }


# --------------------------------------------------------------------- read
def _is_triple(value):
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value[1:]))


def _uses_legacy_nodes(config):
    """tf.keras 2 configs write each call as a list of inbound tensors."""
    return any(
        isinstance(node, list)
        for entry in config["layers"] if isinstance(entry, dict)
        for node in (entry.get("inbound_nodes") or [])
    )


class _Reader:
    """Recreates the layers of a config and replays their calls."""

    def __init__(self, config, custom_objects):
        self.created = {}
        self.tensors = {}
        self.legacy = _uses_legacy_nodes(config)
        self.pending = []
        for entry in config["layers"]:
            layer = deserialize_entry(entry, custom_objects, build=False)
            name = entry.get("name", getattr(layer, "name", None))
            self.created[name] = layer
            if isinstance(layer, InputLayer):
                self.tensors[(name, 0, 0)] = layer.output
            nodes = entry["inbound_nodes"]
            if not isinstance(nodes, list):
                raise TypeError(f"inbound_nodes of {name!r} must be a list, received {nodes!r}")
            self.pending.extend((layer, name, index, node) for index, node in enumerate(nodes))

    # A node as (args, kwargs) holding references, in any of the three formats.
    def _call_of(self, node):
        if isinstance(node, list):  # tf.keras 2: [[name, node, tensor, {kwargs}], ...]
            refs, kwargs = [], {}
            for item in node:
                if not isinstance(item, list) or len(item) not in (3, 4):
                    raise TypeError(f"a tf.keras node entry must be [name, node, tensor, kwargs], received {item!r}")
                refs.append(("legacy", item[0], item[1], item[2]))
                if len(item) == 4:
                    kwargs = item[3]
            if not isinstance(kwargs, dict):
                raise TypeError(f"node kwargs must be a dict, received {kwargs!r}")
            return [refs[0] if len(refs) == 1 else refs], kwargs
        args, kwargs = node["args"], node["kwargs"]
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise TypeError(f"a node needs an args list and a kwargs dict, received {node!r}")
        return args, kwargs

    def _key(self, value):
        """The ``(layer, node, tensor)`` key a reference points at, or None."""
        if isinstance(value, tuple) and value and value[0] == "legacy":
            _, name, node_index, tensor_index = value
            layer = self.created.get(name)
            shift = 1 if layer is not None and _is_nested_model(layer) else 0
            return (name, node_index - shift, tensor_index)
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            history = value["config"]["keras_history"]
            if not _is_triple(history):
                raise TypeError(f"keras_history must be [name, node, tensor], received {history!r}")
            return tuple(history)
        if isinstance(value, dict) and "__keras_tensor__" in value:
            history = value["__keras_tensor__"]
            if not _is_triple(history):
                raise TypeError(f"a tensor reference must be [name, node, tensor], received {history!r}")
            return tuple(history)
        return None

    def _ready(self, value):
        key = self._key(value)
        if key is not None:
            return key in self.tensors
        if isinstance(value, dict):
            return all(self._ready(v) for v in value.values())
        if isinstance(value, (list, tuple)):
            return all(self._ready(v) for v in value)
        return True

    def _resolve(self, value):
        key = self._key(value)
        if key is not None:
            return self.tensors[key]
        if isinstance(value, tuple):
            return [self._resolve(v) for v in value]
        if isinstance(value, dict):
            class_name = value.get("class_name")
            if class_name == "__slice__" and isinstance(value.get("config"), dict):
                c = value["config"]
                return slice(*(self._resolve(c[k]) for k in ("start", "stop", "step")))
            if class_name == "__ellipsis__":
                return Ellipsis
            if class_name in ("__numpy__", "__tensor__"):
                return value["config"]["value"]
            if "__tuple__" in value:
                return tuple(self._resolve(v) for v in value["__tuple__"])
            if not any(k.startswith("__") for k in value):
                return {k: self._resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        return decode_constant(value)

    def replay(self):
        """Calls each layer on its recorded inputs, each call as soon as its inputs exist
        (a config lists layers in graph order, so one pass usually suffices)."""
        pending = [(item, *self._call_of(item[3])) for item in self.pending]
        while pending:
            waiting = []
            for item, args, kwargs in pending:
                if not (self._ready(args) and self._ready(kwargs)):
                    waiting.append((item, args, kwargs))
                    continue
                layer, name, index, _ = item
                outputs = layer(*self._resolve(args), **_drop_unaccepted_none(layer, self._resolve(kwargs)))
                for tensor_index, tensor in enumerate(flatten(outputs)):
                    self.tensors[(name, index, tensor_index)] = tensor
            if len(waiting) == len(pending):
                raise ValueError(_INCONSISTENT.format(names=sorted({str(p[0][1]) for p in waiting})))
            pending = waiting
        self.pending = []

    def endpoints(self, structure):
        """``input_layers``/``output_layers`` in Keras's triples or our references."""
        if _is_triple(structure):
            name, node_index, tensor_index = structure
            layer = self.created.get(name)
            if layer is not None and (_is_functional_model(layer) or self.legacy and _is_nested_model(layer)):
                node_index -= 1
            return self.tensors[(name, node_index, tensor_index)]
        if isinstance(structure, dict) and self._key(structure) is not None:
            return self._resolve(structure)
        if isinstance(structure, dict):
            return {k: self.endpoints(v) for k, v in structure.items()}
        if isinstance(structure, list):
            return [self.endpoints(v) for v in structure]
        raise TypeError(f"input_layers/output_layers must hold [name, node, tensor] lists, received {structure!r}")


def _drop_unaccepted_none(layer, kwargs):
    """Keras records ``mask=None`` (and other ``None`` defaults) for the calls of layers
    whose ``call`` takes them; such a ``None`` means the same as leaving it out, and
    leaving it out lets the layer infer its output shape without running ``call``."""
    if not any(v is None for v in kwargs.values()):
        return kwargs
    defaults = _call_defaults(type(layer))
    if defaults is None:
        return kwargs
    return {k: v for k, v in kwargs.items() if v is not None or (k in defaults and defaults[k] is not None)}


@functools.lru_cache(maxsize=None)
def _call_defaults(cls):
    """``{name: default}`` of ``cls.call`` (None when it takes ``**kwargs``); required
    parameters map to ``inspect.Parameter.empty``."""
    try:
        parameters = inspect.signature(cls.call).parameters
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return None
    return {name: p.default for name, p in parameters.items()}


def graph_from_config(config, custom_objects=None):
    """Recreates the layers of ``config`` and replays their calls; returns
    ``(inputs, outputs)`` in the structures the config records."""
    layers = config["layers"]
    if not isinstance(layers, list):
        raise TypeError(f"layers must be a list, received {layers!r}")
    reader = _Reader(config, custom_objects)
    reader.replay()
    return reader.endpoints(config["input_layers"]), reader.endpoints(config["output_layers"])


# ------------------------------------------------------------ Keras's order
def _sorted_leaves(structure):
    """Leaves in Keras's flattening order: dict entries sorted by key."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _sorted_leaves(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in _sorted_leaves(structure[key])]
    return [structure]


def keras_layer_order(graph):
    """The graph's layers in the order of Keras's ``model.layers``: by decreasing depth
    from the outputs, ties broken by first visit of a depth-first walk from the outputs.

    Keras names the weight groups of a file after this order (``conv2d``,
    ``conv2d_1``...), so files are exchanged layer for layer.
    """
    input_ids = {id(t) for t in graph.flat_inputs}
    order_index, finished, nodes_in_order = {}, set(), []

    def parents(node):
        return [t for t in _sorted_leaves((node.args, node.kwargs)) if isinstance(t, KerasTensor)]

    def visit(tensor):
        # Iterative version of Keras's recursive walk (deep graphs exceed Python's stack).
        stack = [(tensor, False)]
        while stack:
            value, expanded = stack.pop()
            node = value._history[0]
            if expanded:
                finished.add(id(node))
                nodes_in_order.append(node)
                continue
            if id(node) in finished:
                continue
            if id(value) in input_ids and not isinstance(node.layer, InputLayer):
                finished.add(id(node))
                continue
            order_index.setdefault(id(node.layer), len(order_index))
            stack.append((value, True))
            if not isinstance(node.layer, InputLayer):
                stack.extend((p, False) for p in reversed(parents(node)))

    for output in _sorted_leaves(graph.outputs):
        visit(output)

    in_graph = {id(node) for node in nodes_in_order}
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(nodes_in_order):
        depth = node_depth.setdefault(id(node), 0)
        depth = max(depth, layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        layers[id(node.layer)] = node.layer
        node_depth[id(node)] = depth
        for parent in parents(node):
            parent_node = parent._history[0]
            if id(parent_node) in in_graph:
                node_depth[id(parent_node)] = max(depth + 1, node_depth.get(id(parent_node), 0))
    for tensor in graph.flat_inputs:
        layer = tensor._history[0].layer
        if id(layer) not in layer_depth:
            layer_depth[id(layer)], order_index[id(layer)], layers[id(layer)] = 0, -1, layer
    return sorted(layers.values(), key=lambda layer: (-layer_depth[id(layer)], order_index[id(layer)]))
