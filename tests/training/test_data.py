"""Input adapters: conversion, batching, shuffling, splitting, DataLoaders and errors."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, IterableDataset, TensorDataset

from torch_keraslike.training.data import (ArrayAdapter, DataLoaderAdapter, make_adapter, to_device,
                                           unpack_batch)


def test_arrays_are_converted_once_and_batched_in_order():
    x = np.arange(20, dtype="float64").reshape(10, 2)
    y = np.arange(10)
    data = make_adapter(x, y, batch_size=4, shuffle=False, where="fit")
    assert isinstance(data, ArrayAdapter) and data.num_batches == 3 and data.num_samples == 10
    assert data.x.dtype == torch.float32 and data.y.dtype == torch.int64  # float64 -> floatx
    batches = list(data.epoch_batches())
    assert [tuple(bx.shape) for bx, _ in batches] == [(4, 2), (4, 2), (2, 2)]
    torch.testing.assert_close(torch.cat([by for _, by in batches]), torch.arange(10))
    assert batches[0][0].data_ptr() == data.x.data_ptr()  # unshuffled batches are views
    bx, by = data.peek()
    assert bx.shape == (4, 2) and by.tolist() == [0, 1, 2, 3]
    assert make_adapter([1.0, 2.0, 3.0], [0, 1, 0], where="fit").num_samples == 3  # lists of numbers


def test_shuffle_draws_a_new_permutation_each_epoch_and_keeps_pairs():
    x = torch.arange(32).float().unsqueeze(1)
    data = make_adapter(x, x.squeeze(1) * 10, batch_size=8, shuffle=True, where="fit")
    orders = []
    for _ in range(2):
        xs, ys = zip(*data.epoch_batches())
        xs, ys = torch.cat(xs).squeeze(1), torch.cat(ys)
        torch.testing.assert_close(ys, xs * 10)  # x and y stay paired
        assert sorted(xs.tolist()) == list(range(32))
        orders.append(xs.tolist())
    assert orders[0] != orders[1] and orders[0] != list(range(32))


def test_structures_of_arrays():
    data = make_adapter({"a": np.ones((6, 2)), "b": [np.zeros((6, 3)), np.ones((6,))]},
                        (np.ones((6, 1)), np.zeros((6, 4))), batch_size=4, where="fit")
    bx, by = data.peek()
    assert bx["a"].shape == (4, 2) and bx["b"][0].shape == (4, 3) and isinstance(bx["b"], list)
    assert isinstance(by, tuple) and by[1].shape == (4, 4)
    shuffled = make_adapter({"a": np.ones((6, 2))}, None, batch_size=4, shuffle=True, where="predict")
    assert [b["a"].shape[0] for b, _ in shuffled.epoch_batches()] == [4, 2]


def test_validation_split_takes_the_tail_before_shuffling():
    x = np.arange(10, dtype="float32")[:, None]
    data = make_adapter(x, x, batch_size=3, shuffle=True, where="fit")
    train, val = data.split(0.3)
    assert train.num_samples == 7 and val.num_samples == 3 and train.shuffle and not val.shuffle
    assert val.x.squeeze(1).tolist() == [7.0, 8.0, 9.0]
    with pytest.raises(ValueError, match="validation_split=0.95 leaves no training samples out of 10"):
        data.split(0.95)


def test_length_and_type_errors_name_what_was_received():
    with pytest.raises(ValueError, match="x has 5 samples, y has 4"):
        make_adapter(np.ones((5, 2)), np.ones((4, 1)), where="fit")
    with pytest.raises(ValueError, match=r"evaluate: all arrays of y must have the same number of samples.*y\[0\] has 5, y\[1\] has 3"):
        make_adapter(np.ones((5, 2)), [np.ones((5, 1)), np.ones((3, 1))], where="evaluate")
    with pytest.raises(ValueError, match=r"x is a scalar \(shape \(\)\)"):
        make_adapter(np.float32(3.0), where="predict")
    with pytest.raises(TypeError, match=r"x\['a'\] must be a NumPy array or a torch.Tensor.*received str"):
        make_adapter({"a": "text"}, where="fit")
    with pytest.raises(TypeError, match="array of dtype <U1, which has no tensor equivalent"):
        make_adapter(np.array(["a", "b"]), where="fit")
    with pytest.raises(ValueError, match="x has 0 samples"):
        make_adapter(np.ones((0, 3)), where="fit")
    with pytest.raises(ValueError, match="batch_size must be a positive int, received batch_size=2.5"):
        make_adapter(np.ones((3, 3)), batch_size=2.5, where="fit")
    with pytest.raises(ValueError, match="empty list"):
        make_adapter([], where="fit")


def test_read_only_arrays_and_tensors_with_grad_convert_without_warnings():
    array = np.ones((4, 2), dtype="float32")
    array.setflags(write=False)
    assert make_adapter(array, where="fit").x.shape == (4, 2)
    tensor = torch.ones(4, 2, requires_grad=True)
    assert not make_adapter(tensor, where="fit").x.requires_grad


def test_dataloader_peek_is_the_first_batch_of_the_first_epoch():
    calls = []

    class Counting(TensorDataset):
        def __getitem__(self, index):
            calls.append(index)
            return super().__getitem__(index)

    dataset = Counting(torch.arange(6).float(), torch.arange(6))
    data = make_adapter(DataLoader(dataset, batch_size=4), where="fit")
    assert isinstance(data, DataLoaderAdapter) and data.num_batches == 2
    bx, by = data.peek()
    assert bx.tolist() == [0, 1, 2, 3] and data.peek()[1] is by
    first_epoch = list(data.epoch_batches())
    assert [b[0].tolist() for b in first_epoch] == [[0, 1, 2, 3], [4, 5]]
    assert len(calls) == 6  # the peeked batch was not loaded twice
    assert len(list(data.epoch_batches())) == 2


def test_dataloader_steps_stream_and_unknown_length():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter([torch.tensor([float(i)]) for i in range(3)])

    data = make_adapter(DataLoader(Stream(), batch_size=None), where="predict", predicting=True)
    assert data.num_batches is None
    assert [float(x) for x, _ in data.batches(steps=5)] == [0.0, 1.0, 2.0, 0.0, 1.0]
    empty = make_adapter(DataLoader(TensorDataset(torch.ones(0, 1)), batch_size=2), where="fit")
    with pytest.raises(ValueError, match="the DataLoader yielded no batches"):
        empty.peek()


def test_unpack_batch():
    x, y = torch.ones(2), torch.zeros(2)
    assert unpack_batch((x, y), "fit") == (x, y)
    assert unpack_batch([x], "fit") == (x, None)
    assert unpack_batch(x, "fit") == (x, None)
    assert unpack_batch((x, y, y), "fit") == (x, y, y)  # (x, y, sample_weight)
    with pytest.raises(ValueError, match="must be an \\(x, y\\) pair or an \\(x, y, sample_weight\\) "
                                         "triple, but a batch is a tuple of 4"):
        unpack_batch((x, y, y, y), "fit")
    assert unpack_batch((x, y, y), "predict", predicting=True)[0] == (x, y, y)


def test_to_device_keeps_structure():
    moved = to_device({"a": torch.ones(1), "b": [torch.zeros(1), 3]}, torch.device("cpu"))
    assert moved["b"][1] == 3 and moved["a"].device.type == "cpu"
    assert to_device(None, torch.device("cpu")) is None
