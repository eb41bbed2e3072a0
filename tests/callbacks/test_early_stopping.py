"""EarlyStopping."""

import pytest
import torch

from callback_testing import Scripted, data, model
from torch_keraslike.callbacks import EarlyStopping, LambdaCallback


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
