"""tkl.utils.timeseries_dataset_from_array: Keras's windows, as a torch DataLoader.

Keras builds these with tf.data (or grain), which this environment does not have, so the
batches are checked against the examples and rules of Keras's documentation.
"""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import torch_keraslike as tkl
from torch_keraslike.utils import timeseries_dataset_from_array


def _all(loader):
    return torch.cat(list(loader))


def test_documented_example_1_indices():
    # Indices 0..98, sequence_length=10, sampling_rate=2, sequence_stride=3.
    loader = timeseries_dataset_from_array(np.arange(99), None, sequence_length=10, sampling_rate=2,
                                           sequence_stride=3, batch_size=128)
    assert isinstance(loader, DataLoader)
    windows = _all(loader)
    assert windows[0].tolist() == list(range(0, 20, 2))
    assert windows[1].tolist() == list(range(3, 23, 2))
    assert windows[2].tolist() == list(range(6, 26, 2))
    assert windows[-1].tolist() == list(range(78, 98, 2))  # the last 2 points are left out
    assert len(windows) == 27


def test_documented_example_2_temporal_regression():
    data = np.arange(100, dtype="float32") * 0.5
    loader = timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10)
    inputs, targets = next(iter(loader))
    np.testing.assert_array_equal(inputs[0].numpy(), data[:10])
    assert float(targets[0]) == data[10]
    assert inputs.shape == (81, 10) and inputs.dtype == torch.float32


def test_documented_example_3_many_to_many():
    x = np.arange(100)
    y = x * 2
    inputs = timeseries_dataset_from_array(x, None, sequence_length=20, sequence_stride=20)
    targets = timeseries_dataset_from_array(y, None, sequence_length=20, sequence_stride=20)
    for batch_x, batch_y in zip(inputs, targets):
        np.testing.assert_array_equal(batch_x[0].numpy(), x[:20])
        np.testing.assert_array_equal(batch_y[1].numpy(), y[20:40])
        break


def test_batching_multidimensional_data_and_targets():
    data = np.arange(60, dtype="float64").reshape(20, 3)
    targets = np.arange(20) * 10
    loader = timeseries_dataset_from_array(data, targets, sequence_length=4, sampling_rate=2,
                                           batch_size=5)
    batches = list(loader)
    assert [tuple(x.shape) for x, _ in batches] == [(5, 4, 3), (5, 4, 3), (4, 4, 3)]
    x, t = batches[1]
    assert x.dtype == torch.float64 and t.dtype == torch.int64
    np.testing.assert_array_equal(x[0].numpy(), data[[5, 7, 9, 11]])
    assert t.tolist() == [50, 60, 70, 80, 90]
    single = timeseries_dataset_from_array(data, targets, sequence_length=4, batch_size=None)
    first_x, first_t = next(iter(single))
    assert first_x.shape == (4, 3) and int(first_t) == 0 and len(single) == 17


def test_start_and_end_index():
    loader = timeseries_dataset_from_array(np.arange(50), np.arange(50) + 1000, sequence_length=5,
                                           start_index=10, end_index=30, batch_size=100)
    x, t = next(iter(loader))
    assert x[0].tolist() == [10, 11, 12, 13, 14] and x[-1].tolist() == [25, 26, 27, 28, 29]
    assert t[0] == 1010 and t[-1] == 1025  # the target of each window's first step


def test_targets_limit_the_number_of_windows():
    loader = timeseries_dataset_from_array(np.arange(30), np.arange(8), sequence_length=3, batch_size=100)
    x, t = next(iter(loader))
    assert len(x) == 8 and t.tolist() == list(range(8))


def test_shuffle_with_seed_is_reproducible_and_covers_every_window():
    def epoch(seed):
        loader = timeseries_dataset_from_array(np.arange(40), None, sequence_length=4, batch_size=7,
                                               shuffle=True, seed=seed)
        return [w.tolist() for batch in loader for w in batch], loader

    first, loader = epoch(3)
    assert first == epoch(3)[0] and first != epoch(4)[0]
    assert sorted(first) == [list(range(i, i + 4)) for i in range(37)]
    second_pass = [w.tolist() for batch in loader for w in batch]
    assert second_pass != first and sorted(second_pass) == sorted(first)  # a new order each epoch


def test_tensors_are_accepted():
    data = torch.arange(10.0)
    x = next(iter(timeseries_dataset_from_array(data, None, sequence_length=3, batch_size=2)))
    assert torch.equal(x, torch.tensor([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0]]))


def test_fit_accepts_the_loader():
    data = np.random.rand(60, 2).astype("float32")
    loader = timeseries_dataset_from_array(data[:-5], data[5:, 0], sequence_length=5, batch_size=16)
    model = tkl.Sequential([tkl.Input((5, 2)), tkl.layers.Flatten(), tkl.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(loader, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(timeseries_dataset_from_array(data, None, sequence_length=5, batch_size=8),
                         verbose=0).shape == (56, 1)


@pytest.mark.parametrize("kwargs,message", [
    ({"sequence_length": 0}, r"`sequence_length` must be an int >= 1, but received sequence_length=0"),
    ({"sequence_stride": 0}, r"`sequence_stride` must be an int >= 1 and lower than 10"),
    ({"sequence_stride": 10}, r"`sequence_stride` must be an int >= 1 and lower than 10 \(the length"),
    ({"sampling_rate": 10}, r"`sampling_rate` must be an int >= 1 and lower than 10"),
    ({"start_index": -1}, r"`start_index` must be None or an int >= 0 and lower than 10"),
    ({"start_index": 10}, r"`start_index` must be None or an int >= 0"),
    ({"end_index": 10}, r"`end_index` must be None or an int >= 1 and lower than 10"),
    ({"start_index": 5, "end_index": 5}, r"`end_index` must be higher than `start_index`"),
    ({"batch_size": 0}, r"`batch_size` must be None or an int >= 1"),
    ({"shuffle": "yes"}, r"`shuffle` must be True or False"),
    ({"seed": 1.5}, r"`seed` must be an int or None"),
    ({"sequence_length": 8, "sampling_rate": 2}, r"no window fits: a window of sequence_length=8 with "
                                                 r"sampling_rate=2 spans 15 steps, but the data has 10 steps"),
])
def test_errors(kwargs, message):
    arguments = {"sequence_length": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        timeseries_dataset_from_array(np.arange(10), None, **arguments)


def test_bad_data_errors():
    with pytest.raises(ValueError, match=r"`data` must be a NumPy array or a tensor of numbers, received list"):
        timeseries_dataset_from_array(["a", "b", "c"], None, sequence_length=2)
    with pytest.raises(ValueError, match=r"`data` must have a time axis"):
        timeseries_dataset_from_array(np.float32(1.0), None, sequence_length=1)
    with pytest.raises(ValueError, match=r"\(0 with targets\)"):
        timeseries_dataset_from_array(np.arange(10), np.arange(0), sequence_length=2)
