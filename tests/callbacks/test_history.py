"""History and the order of the hooks ``fit`` calls."""

from callback_testing import data, model
from torch_keraslike.callbacks import Callback, History, LambdaCallback


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
