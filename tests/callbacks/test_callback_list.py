"""CallbackList and fit's callback handling: a list is required, and on_train_end runs
exactly once, also when fit is ended by an exception or KeyboardInterrupt."""

import sys

import pytest
import torch

from callback_testing import Raise, data, model
from torch_keraslike.callbacks import Callback, CallbackList, CSVLogger, EarlyStopping, LambdaCallback


class Tracker(Callback):
    """Records the train begin/end calls and the logs given to on_train_end."""

    def __init__(self, fail_on=None):
        super().__init__()
        self.calls, self.end_logs, self.fail_on = [], [], fail_on

    def on_train_begin(self, logs=None):
        self.calls.append("begin")
        if self.fail_on == "begin":
            raise RuntimeError("begin failed")

    def on_train_end(self, logs=None):
        self.calls.append("end")
        self.end_logs.append(dict(logs))
        if self.fail_on == "end":
            raise RuntimeError(f"end failed in {id(self)}")


@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("boom")], ids=["interrupt", "error"])
def test_an_interrupted_fit_runs_on_train_end_once_and_the_model_stays_usable(tmp_path, error):
    x, y = data(64)
    net = model()
    net.eval()
    tracker, logger = Tracker(), CSVLogger(tmp_path / "log.csv")
    history_logs = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: history_logs.append(dict(logs)))
    with pytest.raises(type(error)) as raised:
        net.fit(x, y, batch_size=16, epochs=3, verbose=0,
                callbacks=[tracker, logger, record, Raise(error, epoch=1, batch=2)])
    assert raised.value is error  # the original exception propagates
    assert tracker.calls == ["begin", "end"]
    assert tracker.end_logs == [history_logs[0]]  # the last finished epoch's logs
    assert logger._file is None  # the CSV file was closed
    assert [line.split(",")[0] for line in (tmp_path / "log.csv").read_text().splitlines()] == ["epoch", "0"]
    assert not net.training  # the mode it had before fit
    history = net.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[tracker])
    assert len(history.history["loss"]) == 2 and tracker.calls == ["begin", "end"] * 2
    assert net.predict(x[:2], verbose=0).shape == (2, 1)


def test_on_train_end_goes_only_to_callbacks_whose_on_train_begin_returned(tmp_path):
    x, y = data()
    net = model()
    before = net.layers[0].kernel.detach().clone()
    first, failing, last = Tracker(), Tracker(fail_on="begin"), Tracker()
    with pytest.raises(RuntimeError, match="begin failed"):
        net.fit(x, y, epochs=2, verbose=0, callbacks=[first, failing, last])
    assert (first.calls, failing.calls, last.calls) == (["begin", "end"], ["begin"], [])
    torch.testing.assert_close(net.layers[0].kernel.detach(), before)
    # A failing monitor check (EarlyStopping) closes the files of the callbacks before it.
    logger = CSVLogger(tmp_path / "log.csv")
    with pytest.raises(ValueError, match="monitor='val_loss' is watched"):
        net.fit(x, y, epochs=2, verbose=0, callbacks=[logger, EarlyStopping(monitor="val_loss")])
    assert logger._file is None
    torch.testing.assert_close(net.layers[0].kernel.detach(), before)


def test_a_failing_on_train_end_still_ends_every_callback_once():
    x, y = data()
    net = model()
    failing, other = Tracker(fail_on="end"), Tracker()
    with pytest.raises(RuntimeError, match="end failed"):
        net.fit(x, y, epochs=1, verbose=0, callbacks=[failing, other])
    assert failing.calls == ["begin", "end"] and other.calls == ["begin", "end"]
    # During a failed run the cleanup errors are notes on the error that propagates.
    failing, other = Tracker(fail_on="end"), Tracker()
    with pytest.raises(KeyError) as raised:
        net.fit(x, y, epochs=2, verbose=0, callbacks=[failing, other, Raise(KeyError("data"), epoch=1)])
    assert failing.calls == other.calls == ["begin", "end"]
    if sys.version_info >= (3, 11):
        assert [note.split(" in ")[0] for note in raised.value.__notes__] == [
            "Tracker.on_train_end also raised RuntimeError: end failed"]


def test_fit_wants_a_list_of_callbacks():
    x, y = data()
    net = model()
    before = net.layers[0].kernel.detach().clone()
    stop = EarlyStopping(monitor="loss")
    with pytest.raises(TypeError, match=r"fit: callbacks must be a list of callbacks, received a single "
                                        r"EarlyStopping object. Fix: wrap it in a list, callbacks=\[cb\]"):
        net.fit(x, y, epochs=1, verbose=0, callbacks=stop)
    with pytest.raises(TypeError, match=r"fit: callbacks must be a list of tkl.callbacks.Callback objects, "
                                        r"received dict"):
        net.fit(x, y, epochs=1, verbose=0, callbacks={"stop": stop})
    with pytest.raises(TypeError, match="callbacks must be tkl.callbacks.Callback objects, received <built-in"):
        net.fit(x, y, epochs=1, verbose=0, callbacks=[print])
    torch.testing.assert_close(net.layers[0].kernel.detach(), before)
    with pytest.raises(TypeError, match="received a single EarlyStopping object"):
        net.evaluate(x, y, verbose=0, callbacks=stop)
    with pytest.raises(TypeError, match="received a single LambdaCallback object"):
        CallbackList(LambdaCallback())
    assert net.fit(x, y, epochs=1, verbose=0, callbacks=(stop,)).epoch == [0]  # a tuple is fine
