"""Callbacks: History, EarlyStopping, ModelCheckpoint, CSVLogger, LambdaCallback."""

import csv

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from torch_keraslike import layers
from torch_keraslike.callbacks import (CSVLogger, Callback, EarlyStopping, History, LambdaCallback,
                                       ModelCheckpoint)


def data(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x.sum(axis=1, keepdims=True) * 2).astype("float32")


def model(lr=0.05):
    net = tkl.Sequential([tkl.Input((3,)), layers.Dense(1)])
    net.compile(tkl.training.optimizers.SGD(learning_rate=lr), "mse", metrics=["mae"])
    return net


class Scripted(Callback):
    """Replaces the logged loss by a scripted sequence, to drive monitors exactly."""

    def __init__(self, values, key="loss"):
        super().__init__()
        self.values, self.key = list(values), key

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


def test_history_records_every_epoch_and_callback_order():
    x, y = data()
    events = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            events.append(("train_begin", self.params["epochs"], self.params["steps"]))

        def on_epoch_begin(self, epoch, logs=None):
            events.append(("epoch_begin", epoch))

        def on_batch_end(self, batch, logs=None):  # legacy alias of on_train_batch_end
            events.append(("batch", batch, sorted(logs)))

        def on_test_end(self, logs=None):
            events.append(("test_end", sorted(logs)))

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch_end", epoch, sorted(logs)))

        def on_train_end(self, logs=None):
            events.append(("train_end",))

    net = model()
    history = net.fit(x, y, batch_size=16, epochs=2, verbose=0, validation_data=(x, y), callbacks=[Recorder()])
    keys = ["loss", "mae", "val_loss", "val_mae"]
    assert events == [
        ("train_begin", 2, 2),
        ("epoch_begin", 0), ("batch", 0, ["loss", "mae"]), ("batch", 1, ["loss", "mae"]),
        ("test_end", ["loss", "mae"]), ("epoch_end", 0, keys),
        ("epoch_begin", 1), ("batch", 0, ["loss", "mae"]), ("batch", 1, ["loss", "mae"]),
        ("test_end", ["loss", "mae"]), ("epoch_end", 1, keys),
        ("train_end",),
    ]
    assert isinstance(history, History) and history.epoch == [0, 1]
    assert {k: len(v) for k, v in history.history.items()} == {k: 2 for k in keys}


def test_early_stopping_stops_after_patience_and_restores_best_weights():
    x, y = data()
    net = model(lr=0.0)  # weights stay put; the scripted loss drives the callback
    snapshots = []
    scripted = Scripted([5.0, 3.0, 4.0, 3.5, 1.0, 0.5])
    keep = LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(
        net.layers[0].kernel.detach().clone()))
    stop = EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    history = net.fit(x, y, epochs=6, verbose=0, callbacks=[scripted, keep, stop])
    assert history.history["loss"] == [5.0, 3.0, 4.0, 3.5]  # best at epoch 1, 2 epochs without progress
    assert stop.stopped_epoch == 3 and stop.best == 3.0 and stop.best_epoch == 1 and net.stop_training


def test_early_stopping_restores_the_best_epoch_weights():
    x, y = data()
    net = model(lr=0.05)
    kernels = []
    record = LambdaCallback(on_epoch_end=lambda e, logs: kernels.append(net.layers[0].kernel.detach().clone()))
    stop = EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    net.fit(x, y, epochs=5, verbose=0, callbacks=[Scripted([3.0, 1.0, 2.0, 2.0, 2.0]), record, stop])
    assert len(kernels) == 3
    torch.testing.assert_close(net.layers[0].kernel.detach(), kernels[1])


def test_early_stopping_modes_min_delta_baseline_and_warmup():
    assert EarlyStopping(monitor="val_accuracy").mode == "max"
    assert EarlyStopping(monitor="val_loss").mode == "min"
    x, y = data()
    stop = EarlyStopping(monitor="loss", min_delta=0.5, patience=1)
    model().fit(x, y, epochs=5, verbose=0, callbacks=[Scripted([3.0, 2.8, 2.6, 2.4, 2.2]), stop])
    assert stop.stopped_epoch == 1  # improvements below min_delta do not count
    for baseline, stopped in ((None, 3), (1.0, 2)):
        stop = EarlyStopping(monitor="loss", patience=2, baseline=baseline)
        model().fit(x, y, epochs=5, verbose=0, callbacks=[Scripted([3.0, 2.0, 2.5, 2.5, 2.5]), stop])
        assert stop.stopped_epoch == stopped  # epochs that miss the baseline use up the patience
    stop = EarlyStopping(monitor="mae", mode="max", patience=0, start_from_epoch=2)
    model().fit(x, y, epochs=5, verbose=0, callbacks=[Scripted([0.9, 0.1, 0.5, 0.6, 0.4], key="mae"), stop])
    assert stop.stopped_epoch == 4


def test_early_stopping_monitor_and_argument_errors(capsys):
    x, y = data()
    net = model()
    before = net.layers[0].kernel.detach().clone()
    with pytest.raises(ValueError, match=r"monitor='val_loss' is watched, but the logs will only hold \['loss', 'mae'\]. Validation"):
        net.fit(x, y, epochs=2, verbose=0, callbacks=[EarlyStopping()])
    torch.testing.assert_close(net.layers[0].kernel.detach(), before)  # raised before any step
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max'"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="patience must be an int >= 0"):
        EarlyStopping(patience=-1)
    stop = EarlyStopping(monitor="loss", patience=0, verbose=1)
    net.fit(x, y, epochs=3, verbose=0, callbacks=[Scripted([1.0, 2.0, 3.0]), stop])
    assert "Epoch 2: early stopping" in capsys.readouterr().out


def test_model_checkpoint_weights_only_every_epoch_with_formatted_names(tmp_path):
    x, y = data()
    net = model()
    pattern = str(tmp_path / "ckpt" / "w-{epoch:02d}-{loss:.2f}.pt")
    ckpt = ModelCheckpoint(pattern, save_weights_only=True)
    history = net.fit(x, y, epochs=2, verbose=0, callbacks=[ckpt])
    names = sorted(p.name for p in (tmp_path / "ckpt").iterdir())
    assert names == [f"w-{e + 1:02d}-{history.history['loss'][e]:.2f}.pt" for e in range(2)]
    restored = tkl.Sequential([tkl.Input((3,)), layers.Dense(1)])
    restored.load_state_dict(torch.load(tmp_path / "ckpt" / names[-1]))
    torch.testing.assert_close(restored(torch.from_numpy(x)), net(torch.from_numpy(x)))


def test_model_checkpoint_save_best_only_and_safetensors(tmp_path, capsys):
    from safetensors.torch import load_file

    x, y = data()
    net = model()
    path = tmp_path / "best.safetensors"
    saved = []

    class Spy(ModelCheckpoint):
        def _save(self, filepath):
            saved.append(self.best)
            super()._save(filepath)

    ckpt = Spy(path, monitor="val_loss", save_best_only=True, save_weights_only=True, verbose=1)
    net.fit(x, y, epochs=4, verbose=0, validation_data=(x, y),
            callbacks=[Scripted([3.0, 1.0, 2.0, 0.5], key="val_loss"), ckpt])
    assert saved == [3.0, 1.0, 0.5]
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from inf to 3.00000" in out
    assert "Epoch 3: val_loss did not improve from 1.00000" in out
    tensors = load_file(str(path))
    torch.testing.assert_close(tensors["layers.0.kernel"], net.layers[0].kernel.detach())
    with pytest.raises(ValueError, match=r"filepath '.*\{val_acc\}.*' uses \['val_acc'\], which the logs will not hold"):
        net.fit(x, y, verbose=0, callbacks=[ModelCheckpoint(str(tmp_path / "{val_acc}.pt"), save_weights_only=True)])
    with pytest.raises(ValueError, match="monitor='val_loss' decides which epochs are saved"):
        net.fit(x, y, verbose=0, callbacks=[ModelCheckpoint(str(path), save_best_only=True)])
    with pytest.raises(ValueError, match="only save_freq='epoch' is supported"):
        ModelCheckpoint(str(path), save_freq=10)


@pytest.mark.skipif(not hasattr(tkl.saving, "save_model"), reason="tkl.saving.save_model not available")
def test_model_checkpoint_full_model(tmp_path):
    x, y = data()
    net = model()
    path = tmp_path / "model.safetensors"
    net.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(path))])
    loaded = tkl.saving.load_model(str(path))
    torch.testing.assert_close(loaded(torch.from_numpy(x)), net(torch.from_numpy(x)))


def test_csv_logger_writes_sorted_columns_and_appends(tmp_path):
    x, y = data()
    path = tmp_path / "log.csv"
    net = model()
    history = net.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), callbacks=[CSVLogger(path)])
    rows = list(csv.reader(path.read_text().splitlines()))
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    assert float(rows[2][1]) == pytest.approx(history.history["loss"][1])
    net.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[CSVLogger(path, append=True)])
    assert len(list(csv.reader(path.read_text().splitlines()))) == 4  # no second header
    net.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path, separator=";")])
    assert path.read_text().splitlines()[0] == "epoch;loss;mae"
    with pytest.raises(ValueError, match="separator must be one character"):
        CSVLogger(path, separator="::")


def test_lambda_callback_calls_the_given_functions():
    x, y = data(16)
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin {epoch}"),
        on_train_batch_begin=lambda batch, logs: calls.append(f"batch_begin {batch}"),
        on_train_batch_end=lambda batch, logs: calls.append(f"batch_end {batch} {sorted(logs)}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: calls.append("train_end"),
        on_test_end=lambda logs: calls.append("test_end"),
    )
    model().fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[callback])
    assert calls == ["train_begin", "epoch_begin 0", "batch_begin 0", "batch_end 0 ['loss', 'mae']",
                     "epoch_end 0 ['loss', 'mae']", "train_end"]
    model().evaluate(x, y, verbose=0, callbacks=[callback])
    assert calls[-1] == "test_end"
    with pytest.raises(TypeError, match=r"unknown hook\(s\) \['on_epoch_finish'\]"):
        LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match="on_epoch_end must be callable"):
        LambdaCallback(on_epoch_end=3)


def test_stop_training_from_a_batch_hook_and_predict_hooks():
    x, y = data(64)
    net = model()

    def stop(batch, logs):
        if batch == 1:
            net.stop_training = True

    history = net.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[LambdaCallback(on_train_batch_end=stop)])
    assert len(history.history["loss"]) == 1
    seen = []
    net.predict(x, batch_size=32, verbose=0, callbacks=[LambdaCallback(
        on_predict_batch_end=lambda b, logs: seen.append(tuple(logs["outputs"].shape)))])
    assert seen == [(32, 1), (32, 1)]
