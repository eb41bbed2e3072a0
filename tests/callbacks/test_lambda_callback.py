"""LambdaCallback."""

import pytest

from callback_testing import data, model
from torch_keraslike.callbacks import LambdaCallback


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
