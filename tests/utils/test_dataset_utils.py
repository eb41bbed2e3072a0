"""tkl.utils.split_dataset and the (x, y, sample_weight) packing helpers."""

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset, Subset, TensorDataset

import torch_keraslike as tkl
from torch_keraslike.utils import pack_x_y_sample_weight, split_dataset, unpack_x_y_sample_weight


def _rows(subset):
    return [int(subset[i][0].reshape(-1)[0]) for i in range(len(subset))]


def test_keras_example_fraction_of_an_array():
    data = np.random.random(size=(1000, 4))
    left, right = split_dataset(data, left_size=0.8)
    assert isinstance(left, Subset) and (len(left), len(right)) == (800, 200)
    torch.testing.assert_close(left[0][0], torch.from_numpy(data[0]))
    torch.testing.assert_close(right[0][0], torch.from_numpy(data[800]))


def test_sizes_as_counts_fractions_and_complements():
    data = np.arange(10)
    assert _rows(split_dataset(data, right_size=3)[1]) == [7, 8, 9]
    left, right = split_dataset(data, left_size=4, right_size=0.3)  # the middle is left out
    assert _rows(left) == [0, 1, 2, 3] and _rows(right) == [7, 8, 9]
    left, right = split_dataset(data, left_size=0.25, right_size=0.75)
    assert (len(left), len(right)) == (2, 8)  # round(2.5) == 2, as Python rounds


def test_tuples_of_arrays_and_torch_datasets():
    x, y = np.arange(12).reshape(6, 2), np.arange(6) * 10
    left, right = split_dataset((x, y), left_size=4)
    features, target = right[1]
    assert features.tolist() == [10, 11] and int(target) == 50
    dataset = TensorDataset(torch.arange(5))
    left, right = split_dataset(dataset, left_size=2)
    assert left.dataset is dataset and _rows(right) == [2, 3, 4]

    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, index):
            return (index * index,)

    assert [r[0] for r in split_dataset(Squares(), right_size=2)[1]] == [9, 16]


def test_shuffle_with_seed():
    data = np.arange(20)
    first = _rows(split_dataset(data, left_size=10, shuffle=True, seed=3)[0])
    assert first == _rows(split_dataset(data, left_size=10, shuffle=True, seed=3)[0])
    assert first != list(range(10))
    left, right = split_dataset(data, left_size=10, shuffle=True, seed=3)
    assert sorted(_rows(left) + _rows(right)) == list(range(20))
    tkl.utils.set_random_seed(4)
    unseeded = _rows(split_dataset(data, left_size=10, shuffle=True)[0])
    tkl.utils.set_random_seed(4)
    assert unseeded == _rows(split_dataset(data, left_size=10, shuffle=True)[0])


@pytest.mark.parametrize("kwargs,error,message", [
    ({}, ValueError, r"at least one of `left_size` or `right_size` must be specified"),
    ({"left_size": 0}, ValueError, r"`left_size` should be either a positive integer smaller than 10"),
    ({"left_size": 10}, ValueError, r"`left_size` should be either a positive integer smaller than 10"),
    ({"right_size": 1.0}, ValueError, r"`right_size` as a float is a fraction and must be within \(0, 1\)"),
    ({"left_size": 0.7, "right_size": 0.5}, ValueError, r"give 7 and 5 samples of 10"),
    ({"left_size": 0.01}, ValueError, r"give 0 and 10 samples of 10; each part needs at least one sample"),
    ({"left_size": "5"}, TypeError, r"`left_size` must be an int \(a number of samples\), a float"),
    ({"left_size": True}, TypeError, r"`left_size` must be an int"),
    ({"left_size": 5, "shuffle": "no"}, ValueError, r"`shuffle` must be True or False"),
    ({"left_size": 5, "seed": 1.5}, ValueError, r"`seed` must be an int or None"),
])
def test_size_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        split_dataset(np.arange(10), **kwargs)


def test_dataset_errors():
    with pytest.raises(ValueError, match=r"the arrays have different numbers of samples \[3, 4\]"):
        split_dataset((np.zeros(3), np.zeros(4)), left_size=1)
    with pytest.raises(TypeError, match=r"element 1 is list"):
        split_dataset([np.zeros(3), [1, 2, 3]], left_size=1)
    with pytest.raises(TypeError, match=r"element 0 is float64 of rank 0"):
        split_dataset(np.float64(1.0), left_size=1)
    with pytest.raises(ValueError, match=r"received an empty list"):
        split_dataset([], left_size=1)
    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    with pytest.raises(TypeError, match=r"an IterableDataset has no indexable samples"):
        split_dataset(Stream(), left_size=1)

    class NoLen(Dataset):
        def __getitem__(self, index):
            return index

    with pytest.raises(TypeError, match=r"the dataset NoLen has no __len__"):
        split_dataset(NoLen(), left_size=1)


def test_pack_and_unpack():
    x, y, w = np.ones(2), np.zeros(2), np.full(2, 0.5)
    assert pack_x_y_sample_weight(x) is x
    packed = pack_x_y_sample_weight([x, x])
    assert isinstance(packed, tuple) and len(packed) == 1
    assert pack_x_y_sample_weight(x, y) == (x, y)
    assert pack_x_y_sample_weight(x, y, w) == (x, y, w)
    assert unpack_x_y_sample_weight(x) == (x, None, None)
    assert unpack_x_y_sample_weight((x,)) == (x, None, None)
    assert unpack_x_y_sample_weight([x, y]) == (x, y, None)
    assert unpack_x_y_sample_weight((x, y, w)) == (x, y, w)
    with pytest.raises(ValueError, match=r"Data is expected to be in format `x`, `\(x,\)`, `\(x, y\)`, or "
                                         r"`\(x, y, sample_weight\)`, found a tuple of 4 elements"):
        unpack_x_y_sample_weight((x, y, w, w))
