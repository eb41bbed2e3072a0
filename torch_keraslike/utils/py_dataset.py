"""``PyDataset`` (alias ``Sequence``): Keras's batch-indexed Python dataset, and its
conversion to a ``torch.utils.data.DataLoader``.

A ``PyDataset`` returns whole batches: ``ds[i]`` is batch ``i`` and ``len(ds)`` the
number of batches. :func:`pydataset_to_dataloader` wraps one in a ``DataLoader``
(``batch_size=None``: the dataset's own batches, converted to tensors) that honours
the dataset's ``workers``/``use_multiprocessing``/``max_queue_size`` and calls its
``on_epoch_begin``/``on_epoch_end`` around each pass, so ``fit`` can take it like
any ``DataLoader``.
"""

import collections
import concurrent.futures
import itertools
import math
import numbers
import warnings

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset

from ..symbolic import map_structure

__all__ = ["PyDataset", "PyDatasetLoader", "Sequence", "pydataset_to_dataloader",
           "standardize_batch"]

_DEFAULTS = {"_workers": 1, "_use_multiprocessing": False, "_max_queue_size": 10}


class PyDataset:
    """Base class of datasets written in Python that return whole batches.

    Subclasses implement ``__len__`` (number of batches) and ``__getitem__(index)``
    (batch ``index``: ``x``, ``(x,)``, ``(x, y)``, ``(x, y, sample_weight)`` or a dict),
    and may implement ``on_epoch_begin``/``on_epoch_end`` (e.g. to reshuffle). An
    infinite dataset defines ``num_batches`` returning ``None`` instead of ``__len__``.

    Args:
        workers: how many batches are prepared in parallel when the dataset is turned
            into a ``DataLoader`` (by ``fit`` or :func:`pydataset_to_dataloader`).
        use_multiprocessing: prepare them in worker processes (torch ``DataLoader``
            workers; the dataset is copied into each) instead of threads.
        max_queue_size: how many batches may be prepared ahead.

    Example:
        >>> import math, numpy as np
        >>> class Batches(PyDataset):
        ...     def __init__(self, x, y, batch_size, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.x, self.y, self.batch_size = x, y, batch_size
        ...     def __len__(self):
        ...         return math.ceil(len(self.x) / self.batch_size)
        ...     def __getitem__(self, index):
        ...         part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        ...         return self.x[part], self.y[part]
        >>> ds = Batches(np.zeros((10, 3)), np.zeros((10, 1)), batch_size=4)
        >>> [tuple(x.shape) for x, y in pydataset_to_dataloader(ds)]
        [(4, 3), (4, 3), (2, 3)]
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        name = type(self).__name__
        if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 0:
            raise ValueError(f"{name}: `workers` must be an int >= 0, received workers={workers!r}.")
        if use_multiprocessing not in (True, False):
            raise ValueError(
                f"{name}: `use_multiprocessing` must be True or False, received {use_multiprocessing!r}."
            )
        if (isinstance(max_queue_size, bool) or not isinstance(max_queue_size, numbers.Integral)
                or max_queue_size < 1):
            raise ValueError(
                f"{name}: `max_queue_size` must be an int >= 1, received max_queue_size={max_queue_size!r}."
            )
        self._workers = int(workers)
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = int(max_queue_size)

    def _setting(self, attribute):
        if attribute not in vars(self):
            warnings.warn(
                f"Your `PyDataset` class {type(self).__name__} should call "
                "`super().__init__(**kwargs)` in its constructor; `**kwargs` can include "
                "`workers`, `use_multiprocessing`, `max_queue_size`. Using the defaults.",
                stacklevel=3,
            )
            for key, value in _DEFAULTS.items():
                vars(self).setdefault(key, value)
        return vars(self)[attribute]

    workers = property(lambda self: self._setting("_workers"),
                       lambda self, value: setattr(self, "_workers", value),
                       doc="Number of parallel workers.")
    use_multiprocessing = property(lambda self: self._setting("_use_multiprocessing"),
                                   lambda self, value: setattr(self, "_use_multiprocessing", value),
                                   doc="Processes (True) or threads (False).")
    max_queue_size = property(lambda self: self._setting("_max_queue_size"),
                              lambda self, value: setattr(self, "_max_queue_size", value),
                              doc="Batches prepared ahead.")

    def __getitem__(self, index):
        """Returns batch ``index``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement __getitem__(index), returning batch `index`."
        )

    @property
    def num_batches(self):
        """Number of batches, or ``None`` for an infinite dataset (default: ``len(self)``)."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must implement __len__() (the number of batches), or a "
            "`num_batches` property returning None for an infinite dataset."
        )

    def __iter__(self):
        count = self.num_batches
        for index in (range(count) if count is not None else itertools.count()):
            yield self[index]

    def on_epoch_begin(self):
        """Called at the start of every epoch."""

    def on_epoch_end(self):
        """Called at the end of every epoch."""


Sequence = PyDataset


def standardize_batch(batch, where="PyDataset"):
    """A batch as ``fit`` takes it: an array becomes ``(x,)``, a list a tuple; tuples of
    1 to 3 elements and dicts pass; NumPy arrays become tensors."""
    if isinstance(batch, (np.ndarray, torch.Tensor)):
        batch = (batch,)
    elif isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, dict) and not (isinstance(batch, tuple) and 1 <= len(batch) <= 3):
        raise ValueError(
            f"{where}.__getitem__() must return a tuple or a dict: (inputs,), (inputs, targets) or "
            f"(inputs, targets, sample_weights). Received: {str(batch)[:100]} of type "
            f"{type(batch).__name__}."
        )
    return map_structure(_to_tensor, batch)


def _to_tensor(value):
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        # torch.from_numpy shares memory; a read-only array is copied (torch warns on those).
        return torch.from_numpy(value if value.flags.writeable else value.copy())
    return value


def _as_is(batch):
    # Batches arrive converted by standardize_batch; the default collate would turn
    # their tuples into lists.
    return batch


class _Batches(Dataset):
    """Map-style view: item ``i`` is the dataset's batch ``i`` (for process workers)."""

    def __init__(self, py_dataset):
        self.py_dataset = py_dataset
        self.where = type(py_dataset).__name__

    def __len__(self):
        return self.py_dataset.num_batches

    def __getitem__(self, index):
        return standardize_batch(self.py_dataset[index], self.where)


class _EndlessBatches(IterableDataset):
    """Batches 0, 1, 2... of an infinite dataset; with ``k`` process workers, worker
    ``w`` makes batches ``w, w + k, ...`` and the DataLoader interleaves them in order."""

    def __init__(self, py_dataset):
        self.py_dataset = py_dataset
        self.where = type(py_dataset).__name__

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        first, step = (0, 1) if info is None else (info.id, info.num_workers)
        for index in itertools.count(first, step):
            yield standardize_batch(self.py_dataset[index], self.where)


class _ThreadedBatches(IterableDataset):
    """Batches prepared by ``workers`` threads, at most ``max_queue_size`` ahead, yielded
    in order (Keras's thread pool, for I/O-bound datasets)."""

    def __init__(self, py_dataset, shuffle):
        self.py_dataset = py_dataset
        self.shuffle = shuffle
        self.where = type(py_dataset).__name__

    def __len__(self):
        return self.py_dataset.num_batches

    def _indices(self):
        count = self.py_dataset.num_batches
        if count is None:
            return itertools.count()
        return torch.randperm(count).tolist() if self.shuffle else range(count)

    def __iter__(self):
        ds = self.py_dataset
        pending = collections.deque()
        indices = iter(self._indices())
        with concurrent.futures.ThreadPoolExecutor(ds.workers) as pool:
            try:
                for index in itertools.islice(indices, ds.max_queue_size):
                    pending.append(pool.submit(ds.__getitem__, index))
                while pending:
                    batch = pending.popleft().result()
                    for index in itertools.islice(indices, 1):
                        pending.append(pool.submit(ds.__getitem__, index))
                    yield standardize_batch(batch, self.where)
            finally:
                for future in pending:
                    future.cancel()


class PyDatasetLoader(DataLoader):
    """The ``DataLoader`` of a :class:`PyDataset` (see :func:`pydataset_to_dataloader`).

    Each pass over it calls ``py_dataset.on_epoch_begin()`` first and
    ``py_dataset.on_epoch_end()`` once the last batch has been yielded.
    """

    def __init__(self, dataset, py_dataset, **kwargs):
        super().__init__(dataset, **kwargs)
        self.py_dataset = py_dataset

    def __iter__(self):
        self.py_dataset.on_epoch_begin()
        yield from super().__iter__()
        self.py_dataset.on_epoch_end()


def pydataset_to_dataloader(py_dataset, shuffle=False):
    """Wraps a :class:`PyDataset` in a ``torch.utils.data.DataLoader`` of its batches.

    The loader has ``batch_size=None`` (every item is one of the dataset's batches,
    NumPy arrays converted to tensors) and:

    - ``use_multiprocessing=True`` and ``workers >= 1``: ``num_workers=workers`` worker
      processes, ``prefetch_factor`` sized so about ``max_queue_size`` batches are
      prepared ahead; fresh workers each epoch, so changes made by ``on_epoch_end``
      reach them;
    - threads (``use_multiprocessing=False``, ``workers > 1``): a pool of ``workers``
      threads in the main process, ``max_queue_size`` batches ahead, in order;
    - otherwise batches are made one by one in the main process.

    Args:
        py_dataset: the :class:`PyDataset`.
        shuffle: visit the batches in a new random order each epoch (finite datasets).

    Returns:
        A :class:`PyDatasetLoader` (a ``DataLoader``); ``len()`` is the number of batches
        (undefined for an infinite dataset).
    """
    if not isinstance(py_dataset, PyDataset):
        raise TypeError(
            f"pydataset_to_dataloader expects a tkl.utils.PyDataset, received "
            f"{type(py_dataset).__name__}. Fix: subclass tkl.utils.PyDataset (or pass a "
            "torch DataLoader directly to fit)."
        )
    if shuffle not in (True, False):
        raise ValueError(f"pydataset_to_dataloader: shuffle must be True or False, received {shuffle!r}.")
    shuffle = bool(shuffle)
    workers, processes = py_dataset.workers, py_dataset.use_multiprocessing
    count = py_dataset.num_batches
    if count is not None and (isinstance(count, bool) or not isinstance(count, numbers.Integral)
                              or count < 0):
        raise ValueError(
            f"{type(py_dataset).__name__}: the number of batches (__len__ or num_batches) must "
            f"be an int >= 0 or None, received {count!r}."
        )
    if shuffle and count is None:
        raise ValueError(
            f"{type(py_dataset).__name__} is infinite (num_batches is None), so its batches "
            "cannot be shuffled. Fix: shuffle=False, or shuffle inside __getitem__."
        )
    if processes and workers >= 1:
        source = _Batches(py_dataset) if count is not None else _EndlessBatches(py_dataset)
        return PyDatasetLoader(
            source, py_dataset, batch_size=None, shuffle=shuffle if count is not None else None,
            num_workers=workers, prefetch_factor=max(1, math.ceil(py_dataset.max_queue_size / workers)),
            collate_fn=_as_is,
        )
    if workers > 1:
        return PyDatasetLoader(_ThreadedBatches(py_dataset, shuffle), py_dataset, batch_size=None,
                               collate_fn=_as_is)
    source = _Batches(py_dataset) if count is not None else _EndlessBatches(py_dataset)
    return PyDatasetLoader(source, py_dataset, batch_size=None, collate_fn=_as_is,
                           shuffle=shuffle if count is not None else None)
