"""LearningRateScheduler."""

import types

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from callback_testing import data, model
from keras_reference import import_keras
from torch_keraslike.callbacks import LearningRateScheduler


def fit(net, callbacks, epochs):
    x, y = data()
    return net.fit(x, y, epochs=epochs, verbose=0, callbacks=callbacks)


def lr(net):
    return net.optimizer.param_groups[0]["lr"]


def test_learning_rate_scheduler_with_an_epoch_function(capsys):
    net = model()
    history = fit(net, [LearningRateScheduler(lambda step: 1.0 / (2.0 + step), verbose=1)], epochs=1)
    assert lr(net) == 0.5
    assert history.history["learning_rate"] == [0.5] and type(history.history["learning_rate"][0]) is float
    assert "Epoch 1: LearningRateScheduler setting learning rate to 0.5." in capsys.readouterr().out


def test_learning_rate_scheduler_from_the_previous_rate_for_every_group():
    net = model(optimizer=tkl.training.optimizers.Adam(learning_rate=0.03))
    fit(net, [LearningRateScheduler(lambda step, lr: lr / 2)], epochs=2)
    assert lr(net) == 0.03 / 4.0
    dense = net.layers[0]
    net.compile(torch.optim.SGD([{"params": [dense.kernel], "lr": 0.1}, {"params": [dense.bias], "lr": 0.2}]),
                "mse")
    history = fit(net, [LearningRateScheduler(lambda epoch, lr: lr * 0.5)], epochs=2)
    assert [group["lr"] for group in net.optimizer.param_groups] == [0.025, 0.05]
    assert history.history["learning_rate_1"] == [0.1, 0.05]
    # Tensors and NumPy floats are floats too.
    fit(net, [LearningRateScheduler(lambda epoch: torch.tensor(0.5))], epochs=1)
    fit(net, [LearningRateScheduler(lambda epoch: np.float32(0.25))], epochs=1)
    assert [group["lr"] for group in net.optimizer.param_groups] == [0.25, 0.25]


def test_learning_rate_scheduler_matches_keras():
    keras = import_keras()

    def schedule(epoch, lr):
        return lr if epoch < 2 else lr * float(np.exp(-0.1))

    theirs = keras.callbacks.LearningRateScheduler(schedule)
    theirs.set_model(types.SimpleNamespace(optimizer=types.SimpleNamespace(learning_rate=0.01)))
    ours = LearningRateScheduler(schedule)
    ours.set_model(types.SimpleNamespace(optimizer=torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.01)))
    for epoch in range(6):
        theirs.on_epoch_begin(epoch)
        ours.on_epoch_begin(epoch)
        their_logs, our_logs = {"loss": 1.0}, {"loss": 1.0}
        theirs.on_epoch_end(epoch, their_logs)
        ours.on_epoch_end(epoch, our_logs)
        assert our_logs == pytest.approx(their_logs)
    assert our_logs["learning_rate"] == pytest.approx(0.01 * np.exp(-0.4))


def test_learning_rate_scheduler_rejects_bad_schedules_before_changing_anything():
    with pytest.raises(TypeError, match="LearningRateScheduler: schedule must be a function"):
        LearningRateScheduler(0.1)
    net = model()
    before = net.layers[0].kernel.detach().clone()
    bad = [(lambda epoch: 1, r"should be a float. Got: 1 \(of type int\) at epoch 0"),
           (lambda epoch, lr: "0.1", r"should be a float. Got: '0.1' \(of type str\)"),
           (lambda epoch, lr: None, r"should be a float. Got: None"),
           (lambda epoch, lr: float("nan"), "returned the learning rate nan at epoch 0; a learning rate "
                                            "must be a finite number >= 0"),
           (lambda epoch, lr: -0.1, "returned the learning rate -0.1")]
    for schedule, message in bad:
        with pytest.raises(ValueError, match=message):
            fit(net, [LearningRateScheduler(schedule)], epochs=1)
        assert lr(net) == 0.05
        torch.testing.assert_close(net.layers[0].kernel.detach(), before)

    def broken(epoch, lr):  # its own TypeError is not mistaken for the one-argument form
        return lr + "x"

    with pytest.raises(TypeError, match="unsupported operand"):
        fit(net, [LearningRateScheduler(broken)], epochs=1)
