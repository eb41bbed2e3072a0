"""Input adapters: what ``fit``/``evaluate``/``predict`` accept, checked and batched.

Two sources are accepted, as in Keras:

- arrays: NumPy arrays or ``torch.Tensor``s (or anything ``np.asarray`` takes), for
  multi-input/multi-output models a list, tuple or dict of them. All leaves of ``x``
  and ``y`` must have the same number of samples (first dimension). They are
  converted to tensors once; float64 NumPy arrays become the default float dtype
  (``float32``), like Keras's ``floatx``. They are batched by torch's ``DataLoader``
  with its samplers (``SequentialSampler``, ``RandomSampler`` for ``shuffle=True``, a
  ``DistributedSampler`` under ``torch.distributed``); a batch is one view
  (consecutive samples) or one gather per leaf, never a Python object per sample.
- a ``torch.utils.data.DataLoader`` yielding ``(x, y)`` pairs (``(x,)`` or ``x`` for
  ``predict``; ``(x, y, sample_weight)`` triples for weighted losses). It batches and
  shuffles itself.

Batches are ``(x, y)``, or ``(x, y, sample_weight)`` when sample weights were given
(``sample_weight=`` or ``class_weight=`` with arrays, or triples from a DataLoader), as
Keras passes them to ``train_step``.

Every check runs when the adapter is created, before any training step.

Example:
    >>> import numpy as np
    >>> from torch_keraslike.training.data import make_adapter
    >>> data = make_adapter(np.zeros((10, 3)), np.zeros((10, 1)), batch_size=4,
    ...                     shuffle=False, where="fit")
    >>> [tuple(x.shape) for x, y in data.epoch_batches()]
    [(4, 3), (4, 3), (2, 3)]
"""

import itertools
import math
import numbers

import numpy as np
import torch
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler, SequentialSampler

from ..symbolic import flatten, map_structure

__all__ = [
    "ArrayAdapter",
    "DataLoaderAdapter",
    "concat_batches",
    "flatten",
    "make_adapter",
    "map_structure",
    "num_samples",
    "to_device",
    "unpack_batch",
]


# ------------------------------------------------------------------ structures
# flatten/map_structure are the functional API's (symbolic.py), re-exported here.
def concat_batches(batches):
    """Concatenates per-batch outputs (a list of tensors or of equal structures of
    tensors) along the batch axis, as NumPy arrays in the same structure."""
    first = batches[0]
    if isinstance(first, torch.Tensor):
        joined = torch.cat(batches) if len(batches) > 1 else first
        return (joined.float() if joined.dtype == torch.bfloat16 else joined).numpy()
    if isinstance(first, dict):
        return {key: concat_batches([b[key] for b in batches]) for key in first}
    if isinstance(first, (list, tuple)):
        return type(first)(concat_batches([b[i] for b in batches]) for i in range(len(first)))
    return batches


def to_device(structure, device):
    """Moves every tensor of ``structure`` to ``device`` (``None``: left where it is)."""
    if device is None:
        return structure
    if isinstance(structure, torch.Tensor):
        return structure.to(device, non_blocking=True)
    return map_structure(
        lambda t: t.to(device, non_blocking=True) if isinstance(t, torch.Tensor) else t, structure
    )


def _leaf_paths(structure, path):
    if isinstance(structure, (list, tuple)):
        return [p for i, item in enumerate(structure) for p in _leaf_paths(item, f"{path}[{i}]")]
    if isinstance(structure, dict):
        return [p for key, item in structure.items() for p in _leaf_paths(item, f"{path}[{key!r}]")]
    return [(path, structure)]


def num_samples(structure):
    """Size of the first dimension of the first leaf (the batch size of a batch)."""
    for leaf in flatten(structure):
        if isinstance(leaf, torch.Tensor) and leaf.dim():
            return leaf.shape[0]
    return 0


# ------------------------------------------------------------------ conversion
def _is_number_list(value):
    return (
        isinstance(value, (list, tuple))
        and len(value) > 0
        and all(isinstance(v, (numbers.Number, np.number)) for v in value)
    )


def _to_tensor(value, path, where):
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, (str, bytes)) or value is None or not (
        isinstance(value, np.ndarray) or hasattr(value, "__array__") or _is_number_list(value)
    ):
        raise TypeError(
            f"{where}: {path} must be a NumPy array or a torch.Tensor (for several inputs or "
            f"outputs: a list, tuple or dict of them), received {type(value).__name__}: "
            f"{_short(value)}. Fix: pass np.asarray(...) or torch.tensor(...) with one row per "
            "sample, or a torch.utils.data.DataLoader."
        )
    array = np.asarray(value)
    if array.dtype.kind not in "biufc":
        raise TypeError(
            f"{where}: {path} is an array of dtype {array.dtype}, which has no tensor "
            "equivalent. Fix: convert it to numbers first (e.g. array.astype('float32'))."
        )
    if not array.flags.writeable or not array.flags.c_contiguous:
        array = array.copy(order="C")  # torch.from_numpy warns on read-only arrays
    tensor = torch.from_numpy(array)
    if tensor.dtype == torch.float64 and torch.get_default_dtype() != torch.float64:
        tensor = tensor.to(torch.get_default_dtype())
    return tensor


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _convert(structure, path, where):
    if isinstance(structure, (list, tuple)) and not _is_number_list(structure):
        if not structure:
            raise ValueError(f"{where}: {path} is an empty {type(structure).__name__}. Fix: pass arrays.")
        return type(structure)(_convert(v, f"{path}[{i}]", where) for i, v in enumerate(structure))
    if isinstance(structure, dict):
        if not structure:
            raise ValueError(f"{where}: {path} is an empty dict. Fix: pass {{input_name: array}}.")
        return {k: _convert(v, f"{path}[{k!r}]", where) for k, v in structure.items()}
    return _to_tensor(structure, path, where)


def _sample_count(structure, name, where):
    counts = []
    for path, leaf in _leaf_paths(structure, name):
        if leaf.dim() == 0:
            raise ValueError(
                f"{where}: {path} is a scalar (shape ()), but every input needs a first "
                "dimension of samples. Fix: pass one row per sample, e.g. shape (num_samples, ...)."
            )
        counts.append((path, leaf.shape[0]))
    sizes = {count for _, count in counts}
    if len(sizes) > 1:
        listed = ", ".join(f"{path} has {count}" for path, count in counts)
        raise ValueError(
            f"{where}: all arrays of {name} must have the same number of samples (first "
            f"dimension), but {listed}. Fix: pass arrays with one row per sample."
        )
    return counts[0][1]


def _check_batch_size(batch_size, where):
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(
            f"{where}: batch_size must be a positive int, received batch_size={batch_size!r}. "
            "Fix: e.g. batch_size=32."
        )
    return int(batch_size)


# -------------------------------------------------------------------- adapters
class _Adapter:
    """Common part: one pass (``epoch_batches``) and ``steps_per_epoch`` streaming."""

    num_batches = None
    _stream = None

    def epoch_batches(self):
        raise NotImplementedError

    def set_epoch(self, epoch):
        """Tells a ``DistributedSampler`` the epoch, so it reshuffles (nothing otherwise)."""

    def batches(self, steps=None):
        """The batches of one epoch: one pass, or ``steps`` batches of an endless
        stream that restarts the data (a new shuffle) whenever it is used up."""
        if steps is None:
            return self.epoch_batches()
        if self._stream is None:
            self._stream = self._endless()
        return itertools.islice(self._stream, steps)

    def _endless(self):
        while True:
            empty = True
            for batch in self.epoch_batches():
                empty = False
                yield batch
            if empty:
                return


class _ArrayDataset(torch.utils.data.Dataset):
    """The samples of a structure of tensors (``x`` and ``y``), fetched a batch at a
    time: a sampler's index list becomes one view (contiguous indices) or one gather
    per tensor, never one Python object per sample."""

    def __init__(self, x, y, num_samples, sample_weight=None):
        self.x, self.y, self.num_samples = x, y, num_samples
        self.sample_weight = sample_weight

    def __len__(self):
        return self.num_samples

    def __getitem__(self, index):
        return self.__getitems__([index])

    def __getitems__(self, indices):
        first, last = indices[0], indices[-1]
        if last - first + 1 == len(indices) and (len(indices) < 3 or indices[1] == first + 1):
            index = slice(first, last + 1)  # sequential batches: views, no copy
            pick = (lambda t: t[index])
        else:
            index = torch.as_tensor(indices)
            pick = (lambda t: t.index_select(0, index.to(t.device)))
        bx = pick(self.x) if isinstance(self.x, torch.Tensor) else map_structure(pick, self.x)
        by = None if self.y is None else (
            pick(self.y) if isinstance(self.y, torch.Tensor) else map_structure(pick, self.y))
        if self.sample_weight is None:
            return bx, by
        return bx, by, pick(self.sample_weight)


def _identity(batch):
    return batch


class ArrayAdapter(_Adapter):
    """Batches arrays/tensors (or list/tuple/dict structures of them) with torch's
    ``DataLoader`` and samplers (``SequentialSampler``, ``RandomSampler``, or a
    ``DistributedSampler`` once :meth:`shard`ed).

    Args:
        x: inputs. y: targets or None.
        batch_size: samples per batch (default 32).
        shuffle: reshuffle the samples every epoch.
        where: the calling method's name, for error messages.
        sample_weight: one weight per sample (a 1-D array), or None.
        class_weight: ``{class index: weight}``, turned into per-sample weights from
            ``y`` (integer labels, or one-hot/probability rows by their argmax) and
            multiplied with ``sample_weight``, as Keras does.
    """

    def __init__(self, x, y=None, batch_size=None, shuffle=False, where="fit", sample_weight=None,
                 class_weight=None):
        if shuffle not in (True, False):
            raise ValueError(
                f"{where}: shuffle must be True or False, received shuffle={shuffle!r}."
            )
        self.batch_size = _check_batch_size(batch_size, where)
        self.shuffle = bool(shuffle)
        self.where = where
        self.x = _convert(x, "x", where)
        self.y = None if y is None else _convert(y, "y", where)
        self.num_samples = _sample_count(self.x, "x", where)
        if self.y is not None:
            y_count = _sample_count(self.y, "y", where)
            if y_count != self.num_samples:
                raise ValueError(
                    f"{where}: x and y have different numbers of samples: x has "
                    f"{self.num_samples} samples, y has {y_count}. Fix: pass x and y with "
                    "one row per sample (the same first dimension)."
                )
        if self.num_samples == 0:
            raise ValueError(f"{where}: x has 0 samples. Fix: pass at least one sample.")
        self.sample_weight = _sample_weights(self, sample_weight, class_weight)
        self._make_loader(None)

    def _make_loader(self, sampler):
        dataset = _ArrayDataset(self.x, self.y, self.num_samples, self.sample_weight)
        if sampler is None:
            sampler = RandomSampler(dataset) if self.shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        self.loader = DataLoader(dataset, batch_size=self.batch_size, sampler=sampler,
                                 collate_fn=_identity)
        self.num_batches = len(self.loader)

    def split(self, fraction):
        """Keras's ``validation_split``: the last ``fraction`` of the samples (taken
        before any shuffling) becomes a second, unshuffled adapter."""
        split_at = int(math.floor(self.num_samples * (1.0 - fraction)))
        if split_at == 0 or split_at == self.num_samples:
            raise ValueError(
                f"{self.where}: validation_split={fraction} leaves "
                f"{'no training' if split_at == 0 else 'no validation'} samples out of "
                f"{self.num_samples}. Fix: use a fraction that leaves at least one sample on "
                "each side, or pass validation_data."
            )

        def part(structure, index):
            return map_structure(lambda t: t[index], structure)

        def halves(index):
            return (part(self.x, index), None if self.y is None else part(self.y, index),
                    None if self.sample_weight is None else self.sample_weight[index])

        train = _from_tensors(self, *halves(slice(0, split_at)), self.shuffle)
        val = _from_tensors(self, *halves(slice(split_at, None)), False)
        return train, val

    def shard(self, world_size, rank, shuffle, seed=0):
        """This process's share of the samples: a ``DistributedSampler`` (reshuffled
        per epoch with ``shuffle``, padded so every process has as many batches)."""
        sharded = _from_tensors(self, self.x, self.y, self.sample_weight, self.shuffle)
        sampler = DistributedSampler(sharded.loader.dataset, num_replicas=world_size, rank=rank,
                                     shuffle=bool(shuffle and self.shuffle), seed=seed)
        sharded._make_loader(sampler)
        return sharded

    def set_epoch(self, epoch):
        if isinstance(self.sampler, DistributedSampler):
            self.sampler.set_epoch(epoch)

    def peek(self):
        """The first batch (no shuffling, nothing consumed)."""
        end = min(self.batch_size, self.num_samples)
        return self.loader.dataset.__getitems__(list(range(end)))

    def epoch_batches(self):
        return iter(self.loader)


def _from_tensors(template, x, y, sample_weight, shuffle):
    adapter = object.__new__(ArrayAdapter)
    vars(adapter).update(
        batch_size=template.batch_size, shuffle=shuffle, where=template.where, x=x, y=y,
        sample_weight=sample_weight, num_samples=_sample_count(x, "x", template.where),
    )
    adapter._make_loader(None)
    return adapter


def unpack_batch(batch, where, predicting=False):
    """One batch of a DataLoader as ``(x, y)`` or ``(x, y, sample_weight)``: from
    ``(x, y)``, ``(x, y, sample_weight)``, ``(x,)`` or ``x``."""
    if isinstance(batch, (list, tuple)):
        if len(batch) == 2:
            return batch[0], batch[1]
        if len(batch) == 3 and not predicting:
            return batch[0], batch[1], batch[2]
        if len(batch) == 1:
            return batch[0], None
        if not predicting:
            raise ValueError(
                f"{where}: each DataLoader batch must be an (x, y) pair or an (x, y, "
                f"sample_weight) triple, but a batch is a {type(batch).__name__} of {len(batch)} "
                "elements. Fix: make the dataset return (x, y) (for several inputs: ((x1, x2), y) "
                "or ({'a': x1, 'b': x2}, y))."
            )
    return batch, None


def _sample_weights(adapter, sample_weight, class_weight):
    """Per-sample weights (a 1-D float tensor) from ``sample_weight`` and ``class_weight``."""
    where, count = adapter.where, adapter.num_samples
    weights = None
    if sample_weight is not None:
        weights = _to_tensor(sample_weight, "sample_weight", where).to(torch.get_default_dtype())
        if weights.dim() == 2 and weights.shape[1] == 1:
            weights = weights[:, 0]
        if weights.dim() != 1 or weights.shape[0] != count:
            raise ValueError(
                f"{where}: sample_weight must hold one weight per sample, shape ({count},), "
                f"received shape {tuple(weights.shape)}. Fix: pass a 1-D array with one weight "
                "for each row of x."
            )
    if class_weight is not None:
        if not isinstance(class_weight, dict) or not all(
                isinstance(k, (numbers.Integral, np.integer)) and not isinstance(k, bool) for k in class_weight):
            raise ValueError(
                f"{where}: class_weight must be a dict mapping class indices (ints) to weights, "
                f"received {class_weight!r}. Fix: e.g. class_weight={{0: 1.0, 1: 5.0}}."
            )
        if not isinstance(adapter.y, torch.Tensor):
            raise ValueError(
                f"{where}: class_weight is only supported for models with a single output and "
                "array targets (y is a structure here). Fix: pass sample_weight instead."
            )
        y = adapter.y
        labels = y.argmax(-1) if y.dim() > 1 and y.shape[-1] > 1 else y.reshape(count, -1)[:, 0].round()
        labels = labels.long()
        table = torch.ones(int(max(max(class_weight), int(labels.max()))) + 1)
        for key, value in class_weight.items():
            table[int(key)] = float(value)
        from_classes = table[labels.clamp(min=0)].to(torch.get_default_dtype())
        weights = from_classes if weights is None else weights * from_classes
    return weights


class DataLoaderAdapter(_Adapter):
    """Iterates a ``torch.utils.data.DataLoader`` whose batches are ``(x, y)`` pairs.

    The first batch can be looked at (:meth:`peek`) before training; it is then the
    first batch of the first epoch, so the loader is not iterated twice.
    """

    def __init__(self, loader, where="fit", predicting=False):
        self.loader = loader
        self.where = where
        self.predicting = predicting
        try:
            self.num_batches = len(loader)
        except TypeError:  # an IterableDataset without __len__
            self.num_batches = None
        self._peeked = None

    def shard(self, world_size, rank, shuffle, seed=0):
        """The same loader reading this process's share: its dataset through a
        ``DistributedSampler`` (shuffled when the loader shuffled), the same batch size,
        workers and collate function. A loader that already has a ``DistributedSampler``
        is used as it is; an ``IterableDataset`` must shard itself."""
        loader = self.loader
        if isinstance(loader.sampler, DistributedSampler) or isinstance(
                loader.dataset, torch.utils.data.IterableDataset):
            return self
        if loader.batch_sampler is None or loader.batch_size is None:
            raise ValueError(
                f"{self.where}: this DataLoader uses a custom batch_sampler, which cannot be "
                "sharded over the processes. Fix: build it with a "
                "torch.utils.data.DistributedSampler yourself, or use batch_size= and shuffle=."
            )
        shuffled = isinstance(loader.sampler, RandomSampler)
        sampler = DistributedSampler(loader.dataset, num_replicas=world_size, rank=rank,
                                     shuffle=shuffled, seed=seed)
        sharded = DataLoader(
            loader.dataset, batch_size=loader.batch_size, sampler=sampler,
            num_workers=loader.num_workers, collate_fn=loader.collate_fn,
            pin_memory=loader.pin_memory, drop_last=loader.drop_last, timeout=loader.timeout,
            worker_init_fn=loader.worker_init_fn, generator=loader.generator,
            persistent_workers=loader.persistent_workers,
            prefetch_factor=loader.prefetch_factor if loader.num_workers else None,
            multiprocessing_context=loader.multiprocessing_context,
        )
        return DataLoaderAdapter(sharded, self.where, self.predicting)

    def set_epoch(self, epoch):
        sampler = getattr(self.loader, "sampler", None)
        if isinstance(sampler, DistributedSampler):
            sampler.set_epoch(epoch)

    def peek(self):
        if self._peeked is None:
            iterator = iter(self.loader)
            try:
                first = next(iterator)
            except StopIteration:
                raise ValueError(
                    f"{self.where}: the DataLoader yielded no batches. Fix: check that its "
                    "dataset is not empty (and drop_last=False for small datasets)."
                ) from None
            self._peeked = (iterator, unpack_batch(first, self.where, self.predicting))
        return self._peeked[1]

    def epoch_batches(self):
        where, predicting = self.where, self.predicting
        if self._peeked is not None:
            iterator, first = self._peeked
            self._peeked = None
            yield first
        else:
            iterator = iter(self.loader)
        for batch in iterator:
            yield unpack_batch(batch, where, predicting)


def make_adapter(x, y=None, batch_size=None, shuffle=False, where="fit", predicting=False,
                 sample_weight=None, class_weight=None):
    """The adapter for ``x``/``y`` (arrays, tensors, structures, or a DataLoader).

    Args:
        x: inputs, or a ``DataLoader`` yielding ``(x, y)``.
        y: targets (must be None with a DataLoader).
        batch_size: samples per batch for arrays (default 32); must be None with a
            DataLoader, which batches itself.
        shuffle: shuffle array samples every epoch (a DataLoader shuffles itself).
        where: calling method, named in errors.
        predicting: batches of a DataLoader may be bare inputs.
        sample_weight, class_weight: see :class:`ArrayAdapter` (arrays only; a
            DataLoader yields ``(x, y, sample_weight)`` triples itself).

    Returns:
        An :class:`ArrayAdapter` or :class:`DataLoaderAdapter`.
    """
    if x is None:
        raise ValueError(
            f"{where}: x is None. Fix: pass the inputs as arrays/tensors, or a "
            "torch.utils.data.DataLoader yielding (x, y) batches."
        )
    if isinstance(x, DataLoader):
        if y is not None:
            raise ValueError(
                f"{where}: x is a DataLoader, so y must not be given (received y of type "
                f"{type(y).__name__}). Fix: let the DataLoader yield (x, y) batches and call "
                f"{where}(loader)."
            )
        if batch_size is not None:
            raise ValueError(
                f"{where}: batch_size={batch_size!r} was given with a DataLoader, which batches "
                "the data itself. Fix: set batch_size on the DataLoader and leave it out here."
            )
        if sample_weight is not None or class_weight is not None:
            raise ValueError(
                f"{where}: sample_weight and class_weight go with array inputs; a DataLoader "
                "carries its own weights. Fix: let it yield (x, y, sample_weight) triples."
            )
        return DataLoaderAdapter(x, where=where, predicting=predicting)
    if isinstance(x, torch.utils.data.Dataset) and not isinstance(x, torch.Tensor):
        raise TypeError(
            f"{where}: x is a torch Dataset ({type(x).__name__}), which is not batched. Fix: "
            f"wrap it: {where}(torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True))."
        )
    return ArrayAdapter(x, y, batch_size=batch_size, shuffle=shuffle, where=where,
                        sample_weight=sample_weight, class_weight=class_weight)
