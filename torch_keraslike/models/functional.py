"""The functional graph: nodes between ``Input``s and outputs, run in a fixed order.

The graph is walked once, when the model is created: the execution plan is a flat
list of steps over numbered value slots, so calling the model costs one Python loop
over its layer calls, like a hand-written ``forward``.
"""

from ..symbolic import KerasTensor, Node, flatten, map_structure
from .functional_config import graph_config, graph_from_config, keras_layer_order
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


def follow_meta_layers(model):
    """Places a model whose layers were built on ``meta`` (a file being loaded) on
    ``meta`` too, so calling it on symbolic inputs infers shapes there."""
    if vars(model).get("_tkl_device") is None:
        first = next((t for m in model.modules() for t in (*m._parameters.values(), *m._buffers.values())
                      if t is not None), None)
        if first is not None and first.device.type == "meta":
            vars(model)["_tkl_device"] = first.device


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


class _TensorRef:
    """A graph tensor, by its position in a flat description of the graph."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index

    def __reduce__(self):
        return (_TensorRef, (self.index,))


class _TensorSpec:
    """A node output to recreate: shape, dtype and name of a ``KerasTensor``."""

    __slots__ = ("shape", "dtype", "name")

    def __init__(self, shape, dtype, name):
        self.shape, self.dtype, self.name = shape, dtype, name

    def __reduce__(self):
        return (_TensorSpec, (self.shape, self.dtype, self.name))


def _rebuild_graph(input_layers, steps, inputs, outputs):
    """Inverse of ``Graph.__reduce__``: the nodes are recreated one after the other."""
    tensors = [layer.output for layer in input_layers]

    def resolve(value):
        return tensors[value.index] if isinstance(value, _TensorRef) else value

    def create(spec):
        tensor = KerasTensor(spec.shape, dtype=spec.dtype, name=spec.name)
        tensors.append(tensor)
        return tensor

    for layer, args, kwargs, specs in steps:
        Node(layer, map_structure(resolve, args), map_structure(resolve, kwargs), map_structure(create, specs))
    return Graph(map_structure(resolve, inputs), map_structure(resolve, outputs))


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
        # As Keras, a model built with a one-element list of outputs returns the tensor.
        single = isinstance(outputs, (list, tuple)) and len(outputs) == 1
        self.output_template = map_structure(slot_of, outputs[0] if single else outputs)
        self.release = self._releases()
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

    def __reduce__(self):
        # Copied and pickled as a flat list of layer calls: following the chain of
        # tensors and nodes instead would recurse once per layer (a deep model exceeds
        # Python's recursion limit in copy.deepcopy and torch.save).
        index = {id(t): i for i, t in enumerate(self.flat_inputs)}

        def ref(value):
            return _TensorRef(index[id(value)]) if isinstance(value, KerasTensor) else value

        def spec(tensor):
            index[id(tensor)] = len(index)
            return _TensorSpec(tensor.shape, tensor.dtype, tensor.name)

        steps = [(node.layer, map_structure(ref, node.args), map_structure(ref, node.kwargs),
                  map_structure(spec, node.outputs)) for node in self.nodes]
        input_layers = [t._history[0].layer for t in self.flat_inputs]
        return (_rebuild_graph, (input_layers, steps, map_structure(ref, self.inputs),
                                 map_structure(ref, self.outputs)))

    def _releases(self):
        """For each step, the slots no later step reads (and that are not outputs): run
        drops them at once, so intermediate activations are freed as in a hand-written
        ``forward`` instead of living until the model returns."""
        kept = {int(s) for s in flatten(self.output_template) if isinstance(s, _Slot)}
        last = {}
        for index, (_, args, kwargs, out_slots) in enumerate(self.plan):
            reads = [args] if out_slots is None else [s for s in flatten((args, kwargs)) if type(s) is _Slot]
            for slot in reads:
                last[int(slot)] = index
        releases = [[] for _ in self.plan]
        for slot, index in last.items():
            if slot not in kept:
                releases[index].append(slot)
        return [tuple(r) for r in releases]

    def run(self, flat_inputs):
        """Computes the outputs from the flat list of input values."""
        values = [None] * self.num_slots
        values[: len(flat_inputs)] = flat_inputs

        def fill(value):
            return values[value] if type(value) is _Slot else value

        for (layer, args, kwargs, out_slots), release in zip(self.plan, self.release):
            if out_slots is None:
                values[kwargs] = layer(values[args])
            else:
                result = layer(*map_structure(fill, args), **map_structure(fill, kwargs))
                for slot, value in zip(out_slots, flatten(result)):
                    values[slot] = value
            for slot in release:
                values[slot] = None
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
        """The graph in Keras's format: layers with their calls, inputs and outputs
        (see :mod:`.functional_config`)."""
        self._check_no_sharing_across_nesting()
        return graph_config(self)

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
        return graph_from_config(config, custom_objects)

    def keras_layers(self):
        """The layers in the order of Keras's ``model.layers`` (see
        :func:`.functional_config.keras_layer_order`)."""
        return keras_layer_order(self)
