"""TerminateOnNaN."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from callback_testing import data, model
from torch_keraslike.callbacks import CSVLogger, LambdaCallback, TerminateOnNaN


def inf_targets_model():
    net = tkl.Sequential([tkl.Input((1,)), tkl.layers.Dense(1)])
    net.compile("sgd", "mse")
    return net, np.array([[1.0], [2.0]], "float32"), np.full((2, 1), np.inf, "float32")


def test_terminate_on_nan_stops_gracefully_at_the_first_invalid_batch(capsys):
    net, x, y = inf_targets_model()
    history = net.fit(x, y, epochs=2, batch_size=1, verbose=0, callbacks=[TerminateOnNaN()])
    assert len(history.history["loss"]) == 1 and not np.isfinite(history.history["loss"][0])
    assert net.stop_training
    assert capsys.readouterr().out == "Batch 0: Invalid loss, terminating training\n"


def test_terminate_on_nan_leaves_finite_training_alone():
    x, y = data()
    for raise_error in (False, True):
        history = model().fit(x, y, epochs=3, batch_size=8, verbose=0,
                              callbacks=[TerminateOnNaN(raise_error=raise_error)])
        assert len(history.history["loss"]) == 3


def test_terminate_on_nan_raise_error_raises_after_cleanup(tmp_path):
    x, y = data(16)
    net = model()

    def poison(epoch, logs):  # from epoch 2 on, the loss is NaN
        if epoch == 1:
            with torch.no_grad():
                net.layers[0].kernel.fill_(float("nan"))

    logger = CSVLogger(tmp_path / "log.csv")
    with pytest.raises(RuntimeError, match=r"NaN or Inf loss encountered at batch 0\. Loss value: nan\. "
                                           "Terminating training immediately"):
        net.fit(x, y, epochs=4, batch_size=8, verbose=0,
                callbacks=[logger, LambdaCallback(on_epoch_end=poison), TerminateOnNaN(raise_error=True)])
    assert logger._file is None  # on_train_end ran for the others (unlike Keras)
    assert len((tmp_path / "log.csv").read_text().splitlines()) == 3  # header + epochs 0 and 1


def test_terminate_on_nan_argument_error():
    with pytest.raises(TypeError, match="TerminateOnNaN: raise_error must be True or False, received 'yes'"):
        TerminateOnNaN(raise_error="yes")
