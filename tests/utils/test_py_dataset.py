"""tkl.utils.PyDataset / Sequence and their DataLoader (workers, epochs, fit)."""

import math
import threading
import time

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import torch_keraslike as tkl
from torch_keraslike.utils import PyDataset, Sequence, pydataset_to_dataloader


class Batches(PyDataset):
    def __init__(self, n=10, batch_size=4, delay=0.0, **kwargs):
        super().__init__(**kwargs)
        self.x = np.arange(n * 3, dtype="float32").reshape(n, 3)
        self.y = np.arange(n, dtype="float32").reshape(n, 1)
        self.batch_size, self.delay = batch_size, delay
        self.events = []

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        if self.delay:
            time.sleep(self.delay * (index % 2))  # odd batches finish last
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[part], self.y[part]

    def on_epoch_begin(self):
        self.events.append("begin")

    def on_epoch_end(self):
        self.events.append("end")


def _firsts(loader):
    return [float(x[0, 0]) for x, _ in loader]


def test_sequence_is_pydataset_and_iteration_yields_batches():
    assert Sequence is PyDataset
    ds = Batches()
    assert len(ds) == 3 and ds.num_batches == 3
    assert [x.shape for x, _ in ds] == [(4, 3), (4, 3), (2, 3)]
    assert (ds.workers, ds.use_multiprocessing, ds.max_queue_size) == (1, False, 10)


def test_loader_yields_the_datasets_batches_as_tensors():
    ds = Batches()
    loader = pydataset_to_dataloader(ds)
    assert isinstance(loader, DataLoader) and loader.batch_size is None and loader.num_workers == 0
    assert len(loader) == 3
    batches = list(loader)
    assert isinstance(batches[0], tuple) and isinstance(batches[0][0], torch.Tensor)
    np.testing.assert_array_equal(batches[2][0].numpy(), ds.x[8:])
    assert ds.events == ["begin", "end"]
    list(loader)
    assert ds.events == ["begin", "end", "begin", "end"]


def test_shuffle_visits_every_batch_in_a_new_order():
    ds = Batches(n=40, batch_size=4)
    loader = pydataset_to_dataloader(ds, shuffle=True)
    orders = [_firsts(loader) for _ in range(3)]
    assert all(sorted(order) == sorted(_firsts(pydataset_to_dataloader(ds))) for order in orders)
    assert len({tuple(order) for order in orders}) > 1


def test_thread_workers_keep_the_order_and_run_in_parallel():
    ds = Batches(n=32, batch_size=4, delay=0.05, workers=4, max_queue_size=4)
    loader = pydataset_to_dataloader(ds)
    assert loader.num_workers == 0 and len(loader) == 8
    start = time.perf_counter()
    firsts = _firsts(loader)
    elapsed = time.perf_counter() - start
    assert firsts == [float(i * 12) for i in range(8)]
    assert elapsed < 4 * 0.05 * 0.9 * 2  # sequentially the 4 odd batches alone take 0.2 s
    assert ds.events == ["begin", "end"]


def test_thread_workers_shuffle():
    ds = Batches(n=40, batch_size=4, workers=2)
    assert sorted(_firsts(pydataset_to_dataloader(ds, shuffle=True))) == [float(i * 12) for i in range(10)]


def test_process_workers():
    ds = Batches(n=20, batch_size=4, workers=2, use_multiprocessing=True, max_queue_size=6)
    loader = pydataset_to_dataloader(ds)
    assert loader.num_workers == 2 and loader.prefetch_factor == 3
    assert _firsts(loader) == [0.0, 12.0, 24.0, 36.0, 48.0]
    assert ds.events == ["begin", "end"]


class Endless(PyDataset):
    num_batches = None

    def __getitem__(self, index):
        return np.full((2, 1), index, dtype="float32"), np.zeros((2, 1), dtype="float32")


@pytest.mark.parametrize("kwargs", [{}, {"workers": 2}, {"workers": 2, "use_multiprocessing": True}])
def test_infinite_datasets_stream_in_order(kwargs):
    ds = Endless(**kwargs)
    loader = pydataset_to_dataloader(ds)
    iterator = iter(loader)
    assert [float(next(iterator)[0][0, 0]) for _ in range(6)] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    iterator.close()
    with pytest.raises(ValueError, match=r"Endless is infinite \(num_batches is None\), so its batches cannot be shuffled"):
        pydataset_to_dataloader(ds, shuffle=True)


def test_fit_evaluate_predict_through_the_loader():
    ds = Batches(n=16, batch_size=4, workers=2)
    model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(pydataset_to_dataloader(ds, shuffle=True), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert ds.events.count("end") >= 2
    assert np.isfinite(model.evaluate(pydataset_to_dataloader(ds), verbose=0))
    assert model.predict(pydataset_to_dataloader(ds), verbose=0).shape == (16, 1)


def test_batch_formats():
    class Formats(PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            x = np.ones((2, 1), dtype="float32")
            return [x, (x,), [x, x], {"a": x}][index]

    loader = list(pydataset_to_dataloader(Formats()))
    assert isinstance(loader[0], tuple) and len(loader[0]) == 1 and isinstance(loader[0][0], torch.Tensor)
    assert len(loader[1]) == 1 and len(loader[2]) == 2 and isinstance(loader[3]["a"], torch.Tensor)


def test_bad_batches_are_reported_with_the_dataset_name():
    class Bad(PyDataset):
        def __len__(self):
            return 1

        def __getitem__(self, index):
            return (1, 2, 3, 4)

    with pytest.raises(ValueError, match=r"Bad.__getitem__\(\) must return a tuple or a dict: \(inputs,\), "
                                         r"\(inputs, targets\) or \(inputs, targets, sample_weights\). "
                                         r"Received: \(1, 2, 3, 4\) of type tuple"):
        list(pydataset_to_dataloader(Bad()))


def test_read_only_arrays_are_copied_without_warning():
    class ReadOnly(PyDataset):
        def __len__(self):
            return 1

        def __getitem__(self, index):
            x = np.ones((2, 2), dtype="float32")
            x.flags.writeable = False
            return (x,)

    (x,), = list(pydataset_to_dataloader(ReadOnly()))
    assert torch.equal(x, torch.ones(2, 2))


def test_missing_super_init_warns_and_uses_defaults():
    class NoSuper(PyDataset):
        def __init__(self):
            pass

        def __len__(self):
            return 1

        def __getitem__(self, index):
            return (np.zeros(1),)

    ds = NoSuper()
    with pytest.warns(UserWarning, match=r"NoSuper should call `super\(\).__init__\(\*\*kwargs\)`"):
        assert ds.workers == 1
    assert ds.max_queue_size == 10 and not ds.use_multiprocessing


def test_missing_methods_say_what_to_implement():
    class Empty(PyDataset):
        pass

    with pytest.raises(NotImplementedError, match=r"Empty must implement __len__\(\)"):
        Empty().num_batches
    with pytest.raises(NotImplementedError, match=r"Empty must implement __getitem__\(index\)"):
        Empty()[0]


@pytest.mark.parametrize("kwargs,message", [
    ({"workers": -1}, r"Batches: `workers` must be an int >= 0, received workers=-1"),
    ({"workers": 1.5}, r"`workers` must be an int >= 0"),
    ({"use_multiprocessing": "yes"}, r"`use_multiprocessing` must be True or False"),
    ({"max_queue_size": 0}, r"`max_queue_size` must be an int >= 1, received max_queue_size=0"),
])
def test_constructor_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Batches(**kwargs)


class Fractional(PyDataset):
    num_batches = 2.5

    def __getitem__(self, index):
        return (np.zeros(1),)


def test_conversion_errors():
    with pytest.raises(TypeError, match=r"pydataset_to_dataloader expects a tkl.utils.PyDataset, received list"):
        pydataset_to_dataloader([1, 2])
    with pytest.raises(ValueError, match="shuffle must be True or False, received 'yes'"):
        pydataset_to_dataloader(Batches(), shuffle="yes")
    with pytest.raises(ValueError, match=r"Fractional: the number of batches \(__len__ or num_batches\) must be "
                                         r"an int >= 0 or None, received 2.5"):
        pydataset_to_dataloader(Fractional())


def test_abandoned_thread_iteration_stops_its_workers():
    ds = Batches(n=400, batch_size=4, workers=3)
    iterator = iter(pydataset_to_dataloader(ds))
    next(iterator)
    before = threading.active_count()
    iterator.close()
    assert threading.active_count() <= before
