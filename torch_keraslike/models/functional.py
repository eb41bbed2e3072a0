"""The functional graph: nodes between ``Input``s and outputs, run in a fixed order.

The graph is walked once, when the model is created: the execution plan is a flat
list of steps over numbered value slots, so calling the model costs one Python loop
over its layer calls, like a hand-written ``forward``.
"""

from ..saving import decode_constant, encode_constant, get_registered_name
from ..symbolic import KerasTensor, flatten, map_structure
from .input_layer import InputLayer

_DISCONNECTED = """\
Graph disconnected: cannot obtain the value of tensor {tensor} at layer "{layer}": \
it depends on the input "{input}", which is not among the model's inputs {inputs}.
Fix: pass every Input the outputs depend on, e.g. Model(inputs=[{all_inputs}], outputs=...)."""


class _Slot(int):
    """Index of a value in the plan's value list (an int, told apart from constants)."""


def _tensor_of(value, what):
    if not isinstance(value, KerasTensor):
        raise TypeError(
            f"Model {what} must be KerasTensors (from tkl.Input and layer calls), received "
            f"{value!r} (of type {type(value).__name__}). Fix: x = tkl.Input(shape=(...)); "
            "y = layer(x); tkl.Model(inputs=x, outputs=y)."
        )
    if value._history is None:
        raise ValueError(f"Model {what}: {value!r} was not produced by tkl.Input or a layer call.")
    return value


def _is_input_node(node):
    return isinstance(node.layer, InputLayer)


def _topological_nodes(flat_inputs, flat_outputs):
    """Nodes needed to compute the outputs, each after the nodes it depends on."""
    input_ids = {id(t) for t in flat_inputs}
    order, done, entered = [], set(), set()
    stack = [(t, False) for t in reversed(flat_outputs)]
    while stack:
        tensor, expanded = stack.pop()
        if id(tensor) in input_ids:
            continue
        node = tensor._history[0]
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            order.append(node)
            continue
        if _is_input_node(node):
            names = [t.name for t in flat_inputs]
            raise ValueError(
                _DISCONNECTED.format(
                    tensor=tensor, layer=node.layer.name, input=node.layer.name, inputs=names,
                    all_inputs=", ".join(names + [node.layer.name]),
                )
            )
        if id(node) in entered:
            continue
        entered.add(id(node))
        stack.append((tensor, True))
        stack.extend((parent, False) for parent in reversed(node.parents))
    return order


class Graph:
    """An execution plan over value slots, built from ``inputs`` and ``outputs``."""

    def __init__(self, inputs, outputs):
        self.inputs = inputs
        self.outputs = outputs
        self.flat_inputs = [_tensor_of(t, "inputs") for t in flatten(inputs)]
        flat_outputs = [_tensor_of(t, "outputs") for t in flatten(outputs)]
        for tensor in self.flat_inputs:
            if not _is_input_node(tensor._history[0]):
                raise ValueError(
                    f"Model inputs must come from tkl.Input(), but {tensor!r} is the output of "
                    f'layer "{tensor._history[0].layer.name}". Fix: pass the Input tensors as inputs.'
                )
        self.input_names = [t.name for t in self.flat_inputs]
        self.nodes = _topological_nodes(self.flat_inputs, flat_outputs)
        slots = {id(t): _Slot(i) for i, t in enumerate(self.flat_inputs)}

        def slot_of(value):
            return slots[id(value)] if isinstance(value, KerasTensor) else value

        self.plan = []
        for node in self.nodes:
            outs = flatten(node.outputs)
            for tensor in outs:
                slots[id(tensor)] = _Slot(len(slots))
            simple = (
                len(node.args) == 1 and isinstance(node.args[0], KerasTensor) and not node.kwargs
                and isinstance(node.outputs, KerasTensor)
            )
            if simple:
                # Plain ints: fewer guards under torch.compile than the _Slot subclass.
                self.plan.append((node.layer, int(slots[id(node.args[0])]), int(slots[id(node.outputs)]), None))
            else:
                args = map_structure(slot_of, node.args)
                kwargs = map_structure(slot_of, node.kwargs)
                self.plan.append((node.layer, args, kwargs, [slots[id(t)] for t in outs]))
        self.num_slots = len(slots)
        self.output_template = map_structure(slot_of, outputs)
        layers, seen = [], set()
        for layer in [t._history[0].layer for t in self.flat_inputs] + [n.layer for n in self.nodes]:
            if id(layer) not in seen:
                seen.add(id(layer))
                layers.append(layer)
        self.layers = layers
        names = [layer.name for layer in layers]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(
                    f'The name "{name}" is used {names.count(name)} times in the model. All layer '
                    "names should be unique. Fix: give each layer its own name= (or leave names "
                    "to the automatic counter)."
                )

    def run(self, flat_inputs):
        """Computes the outputs from the flat list of input values."""
        values = [None] * self.num_slots
        values[: len(flat_inputs)] = flat_inputs

        def fill(value):
            return values[value] if type(value) is _Slot else value

        for layer, args, kwargs, out_slots in self.plan:
            if out_slots is None:
                values[kwargs] = layer(values[args])
            else:
                result = layer(*map_structure(fill, args), **map_structure(fill, kwargs))
                for slot, value in zip(out_slots, flatten(result)):
                    values[slot] = value
        if type(self.output_template) is _Slot:
            return values[self.output_template]
        return map_structure(fill, self.output_template)

    def flatten_inputs(self, inputs):
        """The model's call argument as the flat list of input values, in input order."""
        if isinstance(inputs, dict):
            return [inputs[name] for name in self.input_names]
        return flatten(inputs)

    def node_outputs(self, layer):
        """Output KerasTensors of each call of ``layer`` in this graph."""
        if isinstance(layer, InputLayer):
            return [layer.output]
        return [node.outputs for node in self.nodes if node.layer is layer]

    # ------------------------------------------------------------------ config
    def get_config(self):
        """The graph as JSON: layers with their calls, inputs and outputs."""
        self._check_no_sharing_across_nesting()
        node_ids = {}
        for layer in self.layers:
            for index, node in enumerate(n for n in self.nodes if n.layer is layer):
                node_ids[id(node)] = index

        def ref(value):
            if isinstance(value, KerasTensor):
                node, tensor_index = value._history
                node_index = 0 if _is_input_node(node) else node_ids[id(node)]
                return {"__keras_tensor__": [node.layer.name, node_index, tensor_index]}
            if isinstance(value, tuple):
                return {"__tuple__": [ref(v) for v in value]}
            if isinstance(value, list):
                return [ref(v) for v in value]
            if isinstance(value, dict):
                return {k: ref(v) for k, v in value.items()}
            return encode_constant(value)

        layers = []
        for layer in self.layers:
            calls = [n for n in self.nodes if n.layer is layer]
            layers.append({
                "class_name": class_name_of(layer),
                "name": layer.name,
                "config": layer.get_config(),
                "inbound_nodes": [
                    {"args": ref(list(n.args)), "kwargs": ref(n.kwargs)}
                    for n in calls
                ],
            })
        return {
            "layers": layers,
            "input_layers": ref(_listify(self.inputs)),
            "output_layers": ref(_listify(self.outputs)),
        }

    def _check_no_sharing_across_nesting(self):
        # Each nested model's config recreates its own layers, so a layer object used
        # both here and inside a nested model would come back as two layers.
        owner = {}
        for layer in self.layers:
            for inner in layer.modules():
                if getattr(inner, "name", None) is None or not hasattr(inner, "built"):
                    continue
                first = owner.setdefault(id(inner), layer)
                if first is not layer:
                    raise ValueError(
                        f'Layer "{inner.name}" is used both by "{first.name}" and by '
                        f'"{layer.name}" (a nested model) in this model, and configs cannot '
                        "express sharing across nested models: it would be recreated twice. "
                        "Fix: call the shared layer directly in one functional graph instead of "
                        "nesting a model that also uses it, or save weights with state_dict()."
                    )

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Recreates the layers and replays their calls; returns ``(inputs, outputs)``."""
        from ..saving import deserialize

        created, tensors, pending = {}, {}, []
        for entry in config["layers"]:
            layer = deserialize(
                {"class_name": entry["class_name"], "config": entry["config"]}, custom_objects
            )
            created[entry["name"]] = layer
            if isinstance(layer, InputLayer):
                tensors[(entry["name"], 0, 0)] = layer.output
            pending.extend((layer, index, call) for index, call in enumerate(entry["inbound_nodes"]))

        def resolve(value):
            if isinstance(value, dict) and "__keras_tensor__" in value:
                return tensors[tuple(value["__keras_tensor__"])]
            if isinstance(value, dict) and "__tuple__" in value:
                return tuple(resolve(v) for v in value["__tuple__"])
            if isinstance(value, dict) and not any(k.startswith("__") for k in value):
                return {k: resolve(v) for k, v in value.items()}
            if isinstance(value, list):
                return [resolve(v) for v in value]
            return decode_constant(value)

        def ready(value):
            if isinstance(value, dict) and "__keras_tensor__" in value:
                return tuple(value["__keras_tensor__"]) in tensors
            if isinstance(value, dict):
                return all(ready(v) for v in value.values())
            if isinstance(value, list):
                return all(ready(v) for v in value)
            return True

        while pending:
            progress = [p for p in pending if ready(p[2]["args"]) and ready(p[2]["kwargs"])]
            if not progress:
                names = sorted({p[0].name for p in pending})
                raise ValueError(
                    f"Model config is inconsistent: the calls of layers {names} refer to tensors "
                    "that no layer in the config produces. Fix: use a config written by "
                    "Model.get_config()."
                )
            for item in progress:
                pending.remove(item)
                layer, index, call = item
                outputs = layer(*resolve(call["args"]), **resolve(call["kwargs"]))
                for tensor_index, tensor in enumerate(flatten(outputs)):
                    tensors[(layer.name, index, tensor_index)] = tensor
        return resolve(config["input_layers"]), resolve(config["output_layers"])


def _listify(structure):
    if isinstance(structure, tuple):
        return [_listify(v) for v in structure]
    if isinstance(structure, list):
        return [_listify(v) for v in structure]
    if isinstance(structure, dict):
        return {k: _listify(v) for k, v in structure.items()}
    return structure


def class_name_of(layer):
    """The registered name of the layer's class (``"Dense"`` for built-ins)."""
    name = get_registered_name(type(layer))
    return name[len("keras>"):] if name.startswith("keras>") else name
