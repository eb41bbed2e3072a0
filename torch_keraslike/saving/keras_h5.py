"""Keras's HDF5 weight files: Keras 3's ``.weights.h5`` layout (also the weights of a
``.keras`` archive) and tf.keras 2's legacy ``.h5`` files (full models and weights).

Keras 3's layout: one group per Keras object, at the path :mod:`.weight_layouts` gives
it, its variables as datasets ``vars/0``, ``vars/1``... in Keras's layouts. tf.keras 2's
layout: the root (or ``model_weights``) lists ``layer_names``; each layer group lists
``weight_names``, the paths of its datasets, trainable weights first.

Reading never trusts the file: links to other objects or files, external or virtual
datasets, and datasets that declare far more data than they store are refused; every
count and shape is compared with the model before a byte of weights is read, so a
mismatch changes nothing and names the first layer and weight that do not fit.
"""

import math
import os

import numpy as np
import torch

from .._files import atomic_path
from .weight_layouts import copy_into, keras_groups, legacy_layers, to_keras

__all__ = ["load_weights", "save_weights"]

# A dataset may declare at most this many times the bytes it stores (Keras stores
# weights uncompressed; gzip rarely passes 10x on weights), above a small floor.
_MAX_EXPANSION = 100
_EXPANSION_FLOOR = 16 << 20


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "Reading and writing Keras's HDF5 files needs h5py. Fix: pip install h5py."
        ) from None
    return h5py


class H5Error(ValueError):
    """A Keras HDF5 file that cannot be read: damaged, tampered with, or not Keras's."""


def open_h5(source, where):
    """Opens ``source`` (a path or a binary file object) read-only."""
    h5py = _h5py()
    try:
        return h5py.File(source, "r")
    except (OSError, ValueError) as error:
        raise H5Error(f"{where} is not a readable HDF5 file ({error}). The file is truncated, "
                      "corrupted or in another format.") from None


def _check_link(parent, name, where):
    h5py = _h5py()
    link = parent.get(name, default=None, getlink=True)
    if link is None:
        return False
    if not isinstance(link, h5py.HardLink):
        raise H5Error(f"{where}: {name!r} is a {type(link).__name__}, which a weights file never "
                      "holds; links can point at other files, so the file is refused.")
    return True


def get_group(parent, path, where):
    """The group at ``path`` (``a/b/c``) under ``parent``, or None; refuses links."""
    h5py = _h5py()
    current = parent
    for part in path.split("/"):
        if not part or not isinstance(current, h5py.Group) or not _check_link(current, part, where):
            return None
        current = current[part]
    return current if isinstance(current, h5py.Group) else None


def get_dataset(group, path, where):
    """The dataset at ``path`` under ``group``: a plain numeric array stored in this file,
    that stores about as many bytes as it declares."""
    h5py = _h5py()
    parent_path, _, name = path.rpartition("/")
    parent = get_group(group, parent_path, where) if parent_path else group
    if parent is None or not _check_link(parent, name, where):
        raise H5Error(f"{where}: the file has no dataset {path!r}.")
    dataset = parent[name]
    if not isinstance(dataset, h5py.Dataset):
        raise H5Error(f"{where}: {path!r} is not a dataset.")
    # One property list answers both questions (h5py's properties open it twice each).
    plist = dataset.id.get_create_plist()
    if plist.get_external_count() or plist.get_layout() == h5py.h5d.VIRTUAL:
        raise H5Error(f"{where}: the dataset {path!r} reads its data from other files, which a "
                      "weights file never does; the file is refused.")
    dtype, shape = dataset.id.dtype, dataset.id.shape
    if dtype.kind not in "fiub":
        raise H5Error(f"{where}: the dataset {path!r} has dtype {dtype}, not a numeric array.")
    declared = math.prod(shape) * dtype.itemsize
    stored = dataset.id.get_storage_size() if declared > _EXPANSION_FLOOR else declared
    if declared > _MAX_EXPANSION * stored:
        raise H5Error(f"{where}: the dataset {path!r} declares shape {tuple(shape)} "
                      f"({declared} bytes) but stores {stored} bytes; reading it would allocate "
                      "memory the file does not hold, so the file is refused.")
    return dataset


def read_array(dataset):
    """A checked dataset's values as a NumPy array (h5py's low-level read: its indexing
    machinery costs more than reading a small weight)."""
    h5py = _h5py()
    array = np.empty(dataset.id.shape, dtype=dataset.id.dtype)
    if array.size:
        dataset.id.read(h5py.h5s.ALL, h5py.h5s.ALL, array)
    return array


def string_attr(obj, name):
    """A text attribute (h5py returns bytes or str)."""
    value = obj.attrs.get(name)
    return value.decode("utf8") if isinstance(value, bytes) else value


def list_attr(obj, name):
    """A list-of-strings attribute, also when tf.keras split it in chunks (``name0``...)."""
    if name in obj.attrs:
        values = list(obj.attrs[name])
    else:
        values, index = [], 0
        while f"{name}{index}" in obj.attrs:
            values.extend(obj.attrs[f"{name}{index}"])
            index += 1
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


# --------------------------------------------------------------------- plans
def _fit_error(where, group_label, index, slot, received):
    return ValueError(
        f"{where}: {group_label}, weight {index} (our {slot.key!r}) does not fit: expected "
        f"shape {slot.keras_shape} (Keras's layout), received {tuple(received)}. Fix: load "
        "the file into a model with the same architecture and input shapes as the one that "
        "saved it."
    )


def _group_lookup(root, where):
    """``get(path)``: the group at ``path`` under ``root`` (or None), each group opened
    once (a file's layers share their parents)."""
    h5py = _h5py()
    cache = {"": root}

    def get(path):
        if path not in cache:
            parent_path, _, name = path.rpartition("/")
            parent = get(parent_path)
            group = None
            if parent is not None and name and _check_link(parent, name, where):
                found = parent[name]
                group = found if isinstance(found, h5py.Group) else None
            cache[path] = group
        return cache[path]

    return get


def _vars_group(get, path):
    """Keras's lookup of an object's variables, with its fallback for files written by
    tf.keras 2.13 (``_layer_checkpoint_dependencies`` instead of ``layers``)."""
    if not path:
        return get("vars")
    for candidate in (path, path.replace("layers", "_layer_checkpoint_dependencies")):
        found = get(f"{candidate}/vars")
        if found is not None:
            return found
    return None


def keras_plan(root, model, where, skip_mismatch=False):
    """``[(slot, dataset)]`` pairing every weight of ``model`` with its dataset in a
    Keras 3 weights file, after checking counts and shapes of every layer."""
    plan, skipped = [], []
    get = _group_lookup(root, where)
    for group in keras_groups(model):
        found = _vars_group(get, group.path)
        keys = [] if found is None else list(found.keys())
        label = f'layer "{group.name}" (group {group.path or "/"!r})'
        if len(keys) != len(group.slots) or sorted(keys) != sorted(str(i) for i in range(len(keys))):
            if skip_mismatch:
                skipped.append(label)
                continue
            raise ValueError(
                f"{where}: {label} expects {len(group.slots)} weight(s) "
                f"{[s.key for s in group.slots]}, but the file holds {len(keys)} ({sorted(keys)}). "
                "Fix: load the file into a model with the same architecture as the one that "
                "saved it (layers are matched by their order and class, as Keras does)."
            )
        pairs = [(slot, get_dataset(found, str(i), where)) for i, slot in enumerate(group.slots)]
        bad = [(i, s, d) for i, (s, d) in enumerate(pairs) if d.id.shape != s.keras_shape]
        if bad and skip_mismatch:
            skipped.append(label)
            continue
        if bad:
            raise _fit_error(where, label, bad[0][0], bad[0][1], bad[0][2].shape)
        plan.extend(pairs)
    return plan, skipped


def legacy_plan(root, model, where, by_name=False, skip_mismatch=False):
    """``[(slot, dataset)]`` for a tf.keras 2 weights group: layers with weights matched
    by order (Keras's rule for ``load_weights``) or by name (files whose config built
    ``model``), weights by their order in ``weight_names``."""
    names = [n for n in list_attr(root, "layer_names")
             if list_attr(_require_group(root, n, where), "weight_names")]
    layers = legacy_layers(model)
    if by_name:
        stored = set(names)
        missing = [layer.name for layer, _ in layers if layer.name not in stored]
        if missing:
            raise ValueError(f"{where}: the file holds no weights for layer(s) {missing}.")
        pairs = [(layer, slots, layer.name) for layer, slots in layers]
    else:
        if len(names) != len(layers):
            raise ValueError(
                f"{where}: the file holds weights for {len(names)} layer(s) {names}, the model has "
                f"{len(layers)} layer(s) with weights {[layer.name for layer, _ in layers]}. Fix: "
                "load it into the architecture that saved it."
            )
        pairs = [(layer, slots, name) for (layer, slots), name in zip(layers, names)]
    plan, skipped = [], []
    for layer, slots, name in pairs:
        group = _require_group(root, name, where)
        weight_names = list_attr(group, "weight_names")
        label = f'layer "{layer.name}" (file layer {name!r})'
        if len(weight_names) != len(slots):
            if skip_mismatch:
                skipped.append(label)
                continue
            raise ValueError(
                f"{where}: {label} expects {len(slots)} weight(s) {[s.key for s in slots]}, the "
                f"file holds {len(weight_names)} ({weight_names})."
            )
        layer_pairs = [(slot, get_dataset(group, wn, where)) for slot, wn in zip(slots, weight_names)]
        bad = [(i, s, d) for i, (s, d) in enumerate(layer_pairs) if d.id.shape != s.keras_shape]
        if bad and skip_mismatch:
            skipped.append(label)
            continue
        if bad:
            raise _fit_error(where, label, bad[0][0], bad[0][1], bad[0][2].shape)
        plan.extend(layer_pairs)
    return plan, skipped


def _require_group(root, name, where):
    group = get_group(root, name, where)
    if group is None:
        raise H5Error(f"{where}: the file lists layer {name!r} but has no group for it.")
    return group


def read_plan(plan):
    """The plan's datasets as arrays in Keras's layouts (all read before any write)."""
    return [(slot, read_array(dataset)) for slot, dataset in plan]


def assign(model, values):
    """Copies ``[(slot, array)]`` into ``model``'s weights (our layouts and dtypes)."""
    state = model.state_dict(keep_vars=True)
    with torch.no_grad():
        for slot, array in values:
            copy_into(state[slot.key], array, slot)


# ------------------------------------------------------------ weights files
def is_legacy(root):
    """tf.keras 2's layout lists ``layer_names`` (at the root or in ``model_weights``)."""
    return "layer_names" in root.attrs or "layer_names0" in root.attrs


def _weights_root(h5, where):
    if "model_weights" in h5 and _check_link(h5, "model_weights", where):
        group = get_group(h5, "model_weights", where)
        if group is not None:
            return group
    return h5


def load_weights(model, source, where, skip_mismatch=False):
    """Loads Keras's weights from an HDF5 source (path or file object) into a built model.

    Returns the labels of the layers skipped with ``skip_mismatch``.
    """
    with open_h5(source, where) as h5:
        root = _weights_root(h5, where)
        if is_legacy(root):
            plan, skipped = legacy_plan(root, model, where, skip_mismatch=skip_mismatch)
        else:
            plan, skipped = keras_plan(h5, model, where, skip_mismatch=skip_mismatch)
        values = read_plan(plan)
    assign(model, values)
    return skipped


def write_weights(model, target):
    """Writes Keras 3's weights layout of ``model`` to an HDF5 target (path or file object)."""
    h5py = _h5py()
    state = model.state_dict(keep_vars=True)
    with h5py.File(target, "w") as h5:
        for group in keras_groups(model):
            variables = h5.create_group(f"{group.path}/vars" if group.path else "vars")
            variables.attrs["name"] = group.name
            for index, slot in enumerate(group.slots):
                variables.create_dataset(str(index), data=to_keras(state[slot.key], slot))


def save_weights(model, path):
    """Writes ``model``'s weights to ``path`` in Keras 3's ``.weights.h5`` layout,
    atomically (temporary file, then rename)."""
    path = os.fspath(path)
    if not path.endswith(".weights.h5"):
        raise ValueError(
            f"save_weights() writes Keras's weights format, whose file names end in "
            f"'.weights.h5'; received {path!r}. Fix: e.g. model.save_weights('model.weights.h5'), "
            "or torch.save(model.state_dict(), path) for a torch checkpoint."
        )
    require_built(model, "save_weights")
    with atomic_path(path) as tmp:
        write_weights(model, tmp)


def require_built(model, method):
    unbuilt = model._unbuilt_layer_names() if hasattr(model, "_unbuilt_layer_names") else []
    if unbuilt:
        raise ValueError(
            f'You called {method}() on model "{model.name}", which is not built yet (unbuilt: '
            f"{unbuilt}), so it has no weights. Fix: build it first, e.g. call it once on a "
            "batch of inputs or call model.build(input_shape)."
        )

