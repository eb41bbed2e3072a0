"""ReduceLROnPlateau."""

import types

import pytest
import torch

import torch_keraslike as tkl
from callback_testing import Scripted, data, model
from keras_reference import import_keras
from torch_keraslike.callbacks import ReduceLROnPlateau


def adam_model(lr=0.1):
    return model(optimizer=tkl.training.optimizers.Adam(learning_rate=lr))


def fit(net, callbacks, epochs, **kwargs):
    x, y = data()
    return net.fit(x, y, epochs=epochs, verbose=0, validation_data=(x, y), callbacks=callbacks, **kwargs)


def lr(net):
    return net.optimizer.param_groups[0]["lr"]


def test_reduce_lr_on_plateau_reduces_and_logs_the_learning_rate(capsys):
    net = adam_model()
    reduce = ReduceLROnPlateau(patience=1, factor=0.1, monitor="val_loss", min_delta=100, verbose=1)
    history = fit(net, [reduce], epochs=2)
    assert lr(net) == pytest.approx(0.01)
    assert history.history["learning_rate"] == [0.1, 0.1]  # the rate each epoch trained with
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.010000000000000002." in capsys.readouterr().out


def test_reduce_lr_on_plateau_min_lr_cooldown_and_reset():
    net = adam_model()
    fit(net, [ReduceLROnPlateau(patience=1, factor=0.1, min_delta=10, min_lr=0.005)], epochs=4)
    assert lr(net) == 0.005
    net = adam_model()
    reduce = ReduceLROnPlateau(patience=1, factor=0.1, min_delta=100, cooldown=2)
    fit(net, [reduce], epochs=4)
    assert lr(net) == pytest.approx(0.001)  # reduced at epochs 1 and 3 only
    reduce.best, reduce.wait, reduce.cooldown_counter = 0.5, 3, 2
    fit(net, [reduce], epochs=0)  # a new fit starts from a clean state
    assert (reduce.best, reduce.wait, reduce.cooldown_counter) == (None, 0, 0)


def test_reduce_lr_on_plateau_sets_every_param_group():
    net = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    dense = net.layers[0]
    net.compile(torch.optim.SGD([{"params": [dense.kernel], "lr": 0.1}, {"params": [dense.bias], "lr": 0.2}]),
                "mse")
    reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    history = fit(net, [Scripted([1.0] * 3), reduce], epochs=3)
    assert [group["lr"] for group in net.optimizer.param_groups] == [0.025, 0.05]
    assert history.history["learning_rate_1"] == [0.2, 0.2, 0.1]
    assert history.history["learning_rate"] == history.history["learning_rate_0"] == [0.1, 0.1, 0.05]
    # A tensor learning rate (capturable optimizers) stays a tensor, changed in place.
    net.compile(torch.optim.Adam(net.parameters(), lr=torch.tensor(0.1)), "mse")
    rate = net.optimizer.param_groups[0]["lr"]
    fit(net, [Scripted([1.0] * 2), ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)], epochs=2)
    assert net.optimizer.param_groups[0]["lr"] is rate and float(rate) == pytest.approx(0.05)


def test_reduce_lr_on_plateau_matches_keras_on_a_scripted_run():
    keras = import_keras()
    values = [1.0, 0.9, 0.95, 0.93, 0.96, 0.85, 0.9, 0.91, 0.92, 0.7, 0.8, 0.8, 0.8, 0.8]
    settings = dict(monitor="val_loss", factor=0.5, patience=2, min_delta=0.02, cooldown=1, min_lr=0.02)
    theirs = keras.callbacks.ReduceLROnPlateau(**settings)
    theirs.set_model(types.SimpleNamespace(optimizer=types.SimpleNamespace(learning_rate=0.1)))
    ours = ReduceLROnPlateau(**settings)
    ours.set_model(types.SimpleNamespace(optimizer=torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)))
    theirs.on_train_begin()
    ours.on_train_begin()
    for epoch, value in enumerate(values):
        their_logs, our_logs = {"val_loss": value}, {"val_loss": value}
        theirs.on_epoch_end(epoch, their_logs)
        ours.on_epoch_end(epoch, our_logs)
        assert our_logs == pytest.approx(their_logs), epoch
        assert ours.model.optimizer.param_groups[0]["lr"] == pytest.approx(theirs.model.optimizer.learning_rate)
        assert (ours.wait, ours.cooldown_counter) == (theirs.wait, theirs.cooldown_counter), epoch
    assert theirs.model.optimizer.learning_rate == 0.02  # the script reduced down to min_lr


def test_reduce_lr_on_plateau_argument_errors():
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau does not support a factor >= 1.0. Received factor=1.0"):
        ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError, match="factor must be a finite number >= 0.0, received factor=-0.5"):
        ReduceLROnPlateau(factor=-0.5)
    with pytest.raises(TypeError, match="factor must be a number, received factor='0.1'"):
        ReduceLROnPlateau(factor="0.1")
    with pytest.raises(ValueError, match="ReduceLROnPlateau: mode must be 'auto', 'min' or 'max', received mode='up'"):
        ReduceLROnPlateau(mode="up")
    with pytest.raises(ValueError, match="patience must be an int >= 0, received patience=1.5"):
        ReduceLROnPlateau(patience=1.5)
    with pytest.raises(ValueError, match="cooldown must be an int >= 0, received cooldown=-1"):
        ReduceLROnPlateau(cooldown=-1)
    with pytest.raises(ValueError, match="min_lr must be a finite number >= 0.0, received min_lr=-0.1"):
        ReduceLROnPlateau(min_lr=-0.1)
    net = adam_model()
    before = net.layers[0].kernel.detach().clone()
    x, y = data()
    with pytest.raises(ValueError, match="monitor='val_loss' decides when the learning rate is reduced, but "
                                         r"the logs will only hold \['loss', 'mae'\]"):
        net.fit(x, y, epochs=2, verbose=0, callbacks=[ReduceLROnPlateau()])
    torch.testing.assert_close(net.layers[0].kernel.detach(), before)
    assert lr(net) == 0.1
