"""``split_dataset`` and the ``(x, y, sample_weight)`` packing helpers."""

import numbers

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, Subset, TensorDataset

__all__ = ["pack_x_y_sample_weight", "split_dataset", "unpack_x_y_sample_weight"]


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """Packs data the way ``fit`` reads it: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.

    A lone ``x`` is returned as is, unless it is a list or tuple (several inputs), which
    is wrapped as ``(x,)`` so it is not mistaken for ``(x, y)``.

    Example:
        >>> pack_x_y_sample_weight("x"), pack_x_y_sample_weight("x", "y")
        ('x', ('x', 'y'))
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """Unpacks ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` into a triple,
    with ``None`` for what is missing.

    Example:
        >>> unpack_x_y_sample_weight(("x", "y"))
        ('x', 'y', None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if 1 <= len(data) <= 3:
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found a tuple of {len(data)} elements: {str(data)[:100]}."
    )


def _as_dataset(dataset):
    """A map-style torch ``Dataset`` of ``dataset`` (arrays become a ``TensorDataset``)."""
    if isinstance(dataset, IterableDataset):
        raise TypeError(
            "split_dataset: an IterableDataset has no indexable samples to split. Fix: pass a "
            "map-style Dataset (with __len__ and __getitem__) or arrays."
        )
    if isinstance(dataset, Dataset):
        try:
            len(dataset)
        except TypeError:
            raise TypeError(
                f"split_dataset: the dataset {type(dataset).__name__} has no __len__. Fix: "
                "implement __len__, or pass arrays."
            ) from None
        return dataset
    arrays = list(dataset) if isinstance(dataset, (list, tuple)) else [dataset]
    if not arrays:
        raise ValueError("split_dataset: received an empty list. Fix: pass a non-empty list of arrays.")
    tensors = []
    for index, array in enumerate(arrays):
        if not isinstance(array, (np.ndarray, torch.Tensor)) or array.ndim == 0:
            raise TypeError(
                "split_dataset: `dataset` must be a torch Dataset, a NumPy array or tensor, or "
                f"a list/tuple of them (one row per sample); element {index} is "
                f"{type(array).__name__}{'' if getattr(array, 'ndim', 1) else ' of rank 0'}."
            )
        if isinstance(array, np.ndarray):
            array = torch.from_numpy(array if array.flags.writeable else array.copy())
        tensors.append(array)
    lengths = [len(t) for t in tensors]
    if len(set(lengths)) > 1:
        raise ValueError(
            f"split_dataset: the arrays have different numbers of samples {lengths}. Fix: pass "
            "arrays with one row per sample (the same first dimension)."
        )
    return TensorDataset(*tensors)


def _size(value, name, total):
    """The sample count of ``value`` (an int count or a float fraction), or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, numbers.Real)):
        raise TypeError(
            f"split_dataset: `{name}` must be an int (a number of samples), a float (a fraction) "
            f"or None, received {type(value).__name__}: {value!r}."
        )
    if isinstance(value, numbers.Integral):
        if not 0 < value < total:
            raise ValueError(
                f"split_dataset: `{name}` should be either a positive integer smaller than "
                f"{total} (the number of samples), or a float within the range (0, 1). Received: "
                f"{name}={value}."
            )
        return int(value)
    if not 0 < value < 1:
        raise ValueError(
            f"split_dataset: `{name}` as a float is a fraction and must be within (0, 1). "
            f"Received: {name}={value}."
        )
    return round(value * total)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Splits a dataset into a left part and a right part (e.g. train / test).

    The left part takes the first ``left_size`` samples and the right part the last
    ``right_size`` (after an optional shuffle); when the two do not add up to the
    whole, the samples in between are left out.

    Args:
        dataset: a map-style ``torch.utils.data.Dataset``, a NumPy array or tensor, or a
            list/tuple of them with one row per sample.
        left_size: int (samples) or float in (0, 1) (fraction) for the left part;
            ``None``: the complement of ``right_size``.
        right_size: the same for the right part; ``None``: the complement of ``left_size``.
        shuffle: shuffle the samples before splitting.
        seed: int seed of the shuffle (``None``: torch's global RNG).

    Returns:
        Two ``torch.utils.data.Subset``s (of a ``TensorDataset`` for arrays).

    Example:
        >>> import numpy as np
        >>> left, right = split_dataset(np.arange(10), left_size=0.8)
        >>> len(left), len(right), int(right[0][0])
        (8, 2, 8)
    """
    if left_size is None and right_size is None:
        raise ValueError(
            "split_dataset: at least one of `left_size` or `right_size` must be specified. "
            "Received: left_size=None and right_size=None."
        )
    if shuffle not in (True, False):
        raise ValueError(f"split_dataset: `shuffle` must be True or False, received {shuffle!r}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(f"split_dataset: `seed` must be an int or None, received seed={seed!r}.")
    dataset = _as_dataset(dataset)
    total = len(dataset)
    left, right = _size(left_size, "left_size", total), _size(right_size, "right_size", total)
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total or left == 0 or right == 0:
        raise ValueError(
            f"split_dataset: left_size={left_size!r} and right_size={right_size!r} give "
            f"{left} and {right} samples of {total}; each part needs at least one sample and "
            "together they cannot exceed the dataset. Fix: smaller sizes."
        )
    if shuffle:
        # seed=None draws from torch's global RNG, so set_random_seed makes it reproducible.
        generator = None if seed is None else torch.Generator().manual_seed(int(seed))
        order = torch.randperm(total, generator=generator).tolist()
    else:
        order = list(range(total))
    return Subset(dataset, order[:left]), Subset(dataset, order[total - right:])
