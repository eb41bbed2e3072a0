"""Where each weight of a model lives in a Keras file, and in which layout.

The one place that maps a model's weights to Keras's files:

- :func:`keras_groups`: the groups of Keras 3's ``.weights.h5`` (also inside ``.keras``):
  one group per layer, at the path Keras's saver gives it (``layers/conv2d``,
  ``layers/sequential/layers/dense``, ``layers/lstm/cell``...), holding the layer's own
  variables as ``vars/0``, ``vars/1``... in Keras's order;
- :func:`legacy_layers`: the per-layer weight lists of tf.keras 2's HDF5 files
  (trainable weights first, then the others).

Each weight is a :class:`Slot`: its ``state_dict`` key and the permutation from our
stored layout to Keras's (the layer's ``_keras_weight_layouts``, the same rule as
``get_weights``/``set_weights``), so files hold Keras's layouts while memory keeps the
fast ones.

Keras names a group after the class of the object (snake case) made unique within its
container, in the order of Keras's ``model.layers``; a layer's sub-layers are found
through its attributes, public names sorted first, then private ones.
"""

import re
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .._layer_weights import _iter_weights

__all__ = ["Group", "Slot", "copy_into", "from_keras", "keras_groups", "legacy_layers", "to_keras"]

# Keras's recurrent layers keep their weights in a ``cell`` sub-layer.
_CELL_LAYERS = {"LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}
_CONTAINERS = (nn.ModuleList, nn.ModuleDict)


@dataclass
class Slot:
    """One weight: its ``state_dict`` key, stored shape and dtype, and the permutation
    from the stored layout to Keras's (None when they agree)."""

    key: str
    shape: tuple
    dtype: torch.dtype
    permutation: tuple = None

    @property
    def keras_shape(self):
        if self.permutation is None:
            return self.shape
        return tuple(self.shape[p] for p in self.permutation)

    def stored_shape(self, keras_shape):
        """Our stored shape for an array of ``keras_shape`` (inverse permutation)."""
        keras_shape = tuple(keras_shape)
        if self.permutation is None:
            return keras_shape
        if len(keras_shape) != len(self.permutation):
            return keras_shape  # wrong rank: reported by the shape comparison
        inverse = np.argsort(self.permutation)
        return tuple(keras_shape[i] for i in inverse)


@dataclass
class Group:
    """The variables of one Keras object: its path in the file, its name and slots."""

    path: str
    name: str
    slots: list = field(default_factory=list)


def to_keras(tensor, slot):
    """A stored tensor as a NumPy array in Keras's layout."""
    value = tensor.detach()
    if value.dtype == torch.bfloat16:
        value = value.float()
    if slot.permutation is not None:
        value = value.permute(slot.permutation)
    return value.cpu().contiguous().numpy()


def from_keras(array, slot):
    """A NumPy array in Keras's layout as a tensor in our stored layout (a permuted
    view: the copy into the weight makes it contiguous)."""
    array = np.asarray(array)
    # (ascontiguousarray would turn a 0-d array into shape (1,))
    value = torch.from_numpy(np.ascontiguousarray(array) if array.ndim else array.copy())
    if slot.permutation is not None:
        value = value.permute(tuple(int(i) for i in np.argsort(slot.permutation)))
    return value


def _is_kernel_layout(permutation):
    """Whether ``permutation`` maps a stored ``(out, in, *spatial)`` convolution kernel to
    Keras's ``(*spatial, in, out)``."""
    n = len(permutation)
    return n >= 3 and tuple(permutation) == tuple(range(2, n)) + (1, 0)


def copy_into(target, array, slot):
    """Copies ``array`` (Keras's layout) into the stored weight ``target``.

    A convolution kernel is copied as 2-D transposes: torch's copy of a 4-D permutation
    walks memory with large strides, three times slower on big kernels. Kept in the
    channels_last memory format, a kernel is physically ``(out, *spatial, in)``: Keras's
    ``(*spatial, in, out)`` read as ``(spatial * in, out)``, transposed once.
    """
    value = torch.from_numpy(np.ascontiguousarray(array) if np.ndim(array) else np.array(array))
    value = value.to(dtype=target.dtype)
    permutation = slot.permutation
    if permutation is None:
        target.copy_(value)
    elif _is_kernel_layout(permutation):
        out, inp = target.shape[0], target.shape[1]
        spatial = value[..., 0, 0].numel()
        channels_last = target.permute(0, *range(2, target.dim()), 1)
        if channels_last.is_contiguous():  # also every 1x1 kernel
            channels_last.view(out, spatial * inp).copy_(value.reshape(spatial * inp, out).t())
        else:
            columns = value.reshape(spatial, inp * out).t().contiguous()  # (in * out, spatial)
            target.view(out, inp, spatial).copy_(columns.view(inp, out, spatial).transpose(0, 1))
    else:
        target.copy_(value.permute(tuple(int(i) for i in np.argsort(permutation))))


def keras_snake_case(name):
    """Keras's ``to_snake_case`` (it keeps leading underscores, unlike layer names)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _keras_class_name(module):
    identity = vars(module).get("_tkl_keras_identity")
    if identity is not None:
        return identity[1]  # the class name of the Keras entry it was loaded from
    name = type(module).__name__
    if name == "Model" and getattr(module, "_graph", None) is not None:
        return "Functional"
    return name


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _join(path, name):
    return f"{path}/{name}" if path else name


class _Walker:
    def __init__(self, model):
        self.prefix = {}
        for name, module in model.named_modules(remove_duplicate=True):
            self.prefix.setdefault(id(module), f"{name}." if name else "")
        self.visited = set()
        self.groups = []

    def slot(self, owner, key, tensor):
        permutation = getattr(owner, "_keras_weight_layouts", {}).get(key)
        return Slot(self.prefix[id(owner)] + key, tuple(tensor.shape), tensor.dtype,
                    None if permutation is None else tuple(permutation))

    def own_slots(self, module):
        slots = []
        for registry in (module._parameters, module._buffers):
            for key, tensor in registry.items():
                if tensor is None or (registry is module._buffers and key in module._non_persistent_buffers_set):
                    continue
                slots.append(self.slot(module, key, tensor))
        return slots

    def all_slots(self, module):
        return [self.slot(owner, key, tensor) for owner, key, tensor in _iter_weights(module, set())]

    def walk(self, module, path):
        if id(module) in self.visited:
            return
        self.visited.add(id(module))
        name = getattr(module, "name", None) or path.rsplit("/", 1)[-1]
        if type(module).__name__ in _CELL_LAYERS:
            self.groups.append(Group(path, name))
            self.groups.append(Group(_join(path, "cell"), f"{name}_cell", self.all_slots(module)))
            return
        self.groups.append(Group(path, name, self.own_slots(module)))
        graph = getattr(module, "_graph", None)
        if graph is not None:
            # Functional and Sequential models: their layers, in Keras's order, first.
            layers = graph.keras_layers() if type(module).__name__ != "Sequential" else list(module.layers)
            self.container(layers, _join(path, "layers"))
            return
        if type(module).__name__ == "Sequential":  # an unbuilt Sequential
            self.container(list(module.layers), _join(path, "layers"))
            return
        children = dict(module._modules)
        if _is_subclassed_model(module):
            # Keras's Model.layers: the direct sub-layers (those in lists too), walked
            # under "layers" like any attribute.
            children["layers"] = _direct_layers(module._modules.values())
        for attr in sorted(children, key=lambda n: f"~{n}" if n.startswith("_") else n):
            child = children[attr]
            if isinstance(child, (list, *_CONTAINERS)):
                self.container(child.values() if isinstance(child, nn.ModuleDict) else child, _join(path, attr))
            elif isinstance(child, nn.Module):
                self.walk(child, _join(path, attr))

    def container(self, items, path):
        used = {}
        for item in items:
            if isinstance(item, _CONTAINERS):
                self.container(item.values() if isinstance(item, nn.ModuleDict) else item,
                               _join(path, _unique("container", used)))
            elif isinstance(item, nn.Module):
                self.walk(item, _join(path, _unique(keras_snake_case(_keras_class_name(item)), used)))


def _direct_layers(children):
    layers = []
    for child in children:
        if isinstance(child, _CONTAINERS):
            layers += _direct_layers(child.values() if isinstance(child, nn.ModuleDict) else child)
        elif isinstance(child, nn.Module):
            layers.append(child)
    return layers


def _is_subclassed_model(module):
    return hasattr(module, "fit") and hasattr(module, "_graph") and module._graph is None


def keras_groups(model):
    """The groups of Keras 3's weights file for ``model``, in walk order; the root
    group's path is ``""``."""
    walker = _Walker(model)
    walker.walk(model, "")
    return walker.groups


def legacy_layers(model):
    """``[(layer, slots)]`` for the layers of ``model`` that have weights, in Keras's
    ``model.layers`` order, each weight list in tf.keras 2's order (trainable weights
    first, then the others), the order of tf.keras 2's HDF5 files."""
    walker = _Walker(model)
    graph = getattr(model, "_graph", None)
    if type(model).__name__ == "Sequential":
        layers = list(model.layers)
    elif graph is not None:
        layers = graph.keras_layers()
    else:
        layers = _direct_layers(model._modules.values())
    result = []
    for layer in layers:
        by_id = {id(t): (owner, key, t) for owner, key, t in _iter_weights(layer, set())}
        trainable = [t for t in _legacy_trainable(layer)]
        ordered = trainable + [t for _, _, t in by_id.values() if all(t is not u for u in trainable)]
        slots = [walker.slot(*by_id[id(t)]) for t in ordered]
        if slots:
            result.append((layer, slots))
    return result


def _legacy_trainable(layer):
    weights = [t for _, _, t in _iter_weights(layer, set())]
    if not getattr(layer, "trainable", True):
        return []
    return [t for t in weights if isinstance(t, nn.Parameter) and t.requires_grad]
