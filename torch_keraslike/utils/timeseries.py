"""``timeseries_dataset_from_array``: sliding windows over a time series, as a
``torch.utils.data.DataLoader``."""

import numbers

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

__all__ = ["timeseries_dataset_from_array"]


class _Windows(Dataset):
    """Window ``i`` is ``data[starts[i] + k * sampling_rate]`` for ``k < sequence_length``
    (with its target ``targets[starts[i]]``); a batch is gathered in one indexing op."""

    def __init__(self, data, targets, starts, sequence_length, sampling_rate):
        self.data = data
        self.targets = targets
        self.starts = starts
        self.offsets = torch.arange(sequence_length, dtype=torch.int64) * sampling_rate

    def __len__(self):
        return len(self.starts)

    def _take(self, index):
        positions = self.starts[index]
        windows = self.data[positions.unsqueeze(-1) + self.offsets]
        if self.targets is None:
            return windows
        return windows, self.targets[positions]

    def __getitem__(self, index):
        return self._take(torch.as_tensor(index, dtype=torch.int64))

    def __getitems__(self, indices):
        return self._take(torch.as_tensor(indices, dtype=torch.int64))


def _already_batched(batch):
    # __getitems__ returns whole stacked batches; nothing is left to collate.
    return batch


def _as_series(array, name):
    if isinstance(array, torch.Tensor):
        tensor = array.detach()
    else:
        try:
            value = np.asarray(array)
        except (TypeError, ValueError):
            value = None
        if value is None or value.dtype.kind not in "biufc":
            raise ValueError(
                f"timeseries_dataset_from_array: `{name}` must be a NumPy array or a tensor of "
                f"numbers, received {type(array).__name__}."
            )
        tensor = torch.from_numpy(value.copy() if not value.flags.writeable else value)
    if tensor.dim() == 0:
        raise ValueError(
            f"timeseries_dataset_from_array: `{name}` must have a time axis (axis 0), but "
            "received a scalar."
        )
    return tensor


def _check_int(value, name, minimum, maximum=None, allow_none=False):
    if value is None and allow_none:
        return None
    valid = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= minimum
    if valid and maximum is not None:
        valid = value < maximum
    if not valid:
        upper = "" if maximum is None else f" and lower than {maximum} (the length of the data)"
        none = "None or " if allow_none else ""
        raise ValueError(
            f"timeseries_dataset_from_array: `{name}` must be {none}an int >= {minimum}{upper}, "
            f"but received {name}={value!r}."
        )
    return None if value is None else int(value)


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """Batches of sliding windows over ``data`` (axis 0 is time), as Keras makes them.

    Window ``i`` starts at step ``start_index + i * sequence_stride`` and takes
    ``sequence_length`` steps, ``sampling_rate`` apart; windows that would run past
    ``end_index`` are dropped. Its target is ``targets[start_index + i * sequence_stride]``,
    the target of the window's first step (shift ``targets`` to predict ahead: with
    ``data[:-10]`` and ``targets=data[10:]`` each window of 10 steps is paired with the
    step after it).

    Args:
        data: NumPy array or tensor of consecutive steps, time on axis 0.
        targets: per-step targets (same time axis), or ``None`` to yield inputs only.
        sequence_length: steps per window.
        sequence_stride: steps between the starts of successive windows.
        sampling_rate: steps between successive elements of a window.
        batch_size: windows per batch (the last may be smaller); ``None`` yields single
            windows.
        shuffle: draw windows in a random order (a new order each epoch) instead of
            chronologically.
        seed: int seed of the shuffling (reproducible orders).
        start_index: first step used (default 0).
        end_index: steps from ``end_index`` on are not used (default: all).

    Returns:
        A ``torch.utils.data.DataLoader`` yielding ``(windows, targets)`` tensor pairs
        (``windows`` only when ``targets`` is None), windows of shape
        ``(batch, sequence_length) + data.shape[1:]``, with ``data``'s dtype. It can be
        passed straight to ``Model.fit``/``evaluate``/``predict``.

    Example:
        >>> import numpy as np
        >>> loader = timeseries_dataset_from_array(np.arange(10), None, sequence_length=3,
        ...                                        sequence_stride=2, batch_size=2)
        >>> [batch.tolist() for batch in loader]
        [[[0, 1, 2], [2, 3, 4]], [[4, 5, 6], [6, 7, 8]]]
    """
    where = "timeseries_dataset_from_array"
    series = _as_series(data, "data")
    length = len(series)
    sequence_length = _check_int(sequence_length, "sequence_length", 1)
    sampling_rate = _check_int(sampling_rate, "sampling_rate", 1, length)
    sequence_stride = _check_int(sequence_stride, "sequence_stride", 1, length)
    batch_size = _check_int(batch_size, "batch_size", 1, allow_none=True)
    start = _check_int(start_index, "start_index", 0, length, allow_none=True) or 0
    end = _check_int(end_index, "end_index", 1, length, allow_none=True)
    end = length if end is None else end
    if end <= start:
        raise ValueError(
            f"{where}: `end_index` must be higher than `start_index`, but received "
            f"start_index={start_index} and end_index={end_index}."
        )
    if shuffle not in (True, False):
        raise ValueError(f"{where}: `shuffle` must be True or False, received shuffle={shuffle!r}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(f"{where}: `seed` must be an int or None, received seed={seed!r}.")
    span = (sequence_length - 1) * sampling_rate + 1
    count = end - start - span + 1
    target_series = None
    if targets is not None:
        target_series = _as_series(targets, "targets")[start:end]
        count = min(count, len(target_series))
    if count <= 0:
        raise ValueError(
            f"{where}: no window fits: a window of sequence_length={sequence_length} with "
            f"sampling_rate={sampling_rate} spans {span} steps, but the data has "
            f"{end - start} steps between start_index and end_index"
            + ("" if targets is None else f" ({len(target_series)} with targets)")
            + ". Fix: pass more data or shorter windows."
        )
    starts = torch.arange(0, count, sequence_stride, dtype=torch.int64)
    windows = _Windows(series[start:end], target_series, starts, sequence_length, sampling_rate)
    generator = None
    if shuffle and seed is not None:
        generator = torch.Generator().manual_seed(int(seed))
    return DataLoader(windows, batch_size=batch_size, shuffle=shuffle, generator=generator,
                      collate_fn=_already_batched)
