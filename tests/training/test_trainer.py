"""Model.compile/fit/evaluate/predict/train_on_batch: training, logs, modes and errors."""

import threading

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import torch_keraslike as tkl
from torch_keraslike import layers
from torch_keraslike.layers.normalization import BatchNormalization
from torch_keraslike.training import losses, optimizers


def regression_data(n=128, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32") + 0.5).astype("float32")
    return x, y


def regression_model():
    return tkl.Sequential([tkl.Input((4,)), layers.Dense(16, activation="relu"), layers.Dense(1)])


def snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items() if isinstance(v, torch.Tensor)}


def assert_unchanged(model, before):
    after = snapshot(model)
    assert after.keys() == before.keys()
    for key in before:
        torch.testing.assert_close(after[key], before[key], rtol=0, atol=0)


# --------------------------------------------------------------------- training
def test_fit_regression_lowers_loss_and_reports_history_evaluate_predict(capsys):
    x, y = regression_data()
    model = regression_model()
    model.compile(optimizer=optimizers.Adam(learning_rate=0.02), loss="mse", metrics=["mae"])
    first = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, batch_size=16, epochs=20, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/20" in out and "Epoch 20/20" in out
    assert "8/8" in out and "loss: " in out and "mae: " in out
    assert isinstance(history, tkl.callbacks.History) and model.history is history
    assert sorted(history.history) == ["loss", "mae"]
    assert len(history.history["loss"]) == 20 and history.epoch == list(range(20))
    assert all(isinstance(v, float) for v in history.history["loss"])
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    loss, mae = model.evaluate(x, y, verbose=1)
    assert "4/4" in capsys.readouterr().out
    assert loss < 0.2 * first[0]
    assert model.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx({"loss": loss, "mae": mae})
    pred = model.predict(x, verbose=0)
    assert isinstance(pred, np.ndarray) and pred.shape == (128, 1) and pred.dtype == np.float32
    np.testing.assert_allclose(np.mean((pred - y) ** 2), loss, rtol=1e-4)
    np.testing.assert_allclose(pred, model(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert model.metrics_names == ["loss", "mae"]


def test_verbose_two_prints_one_line_per_epoch_and_zero_prints_nothing(capsys):
    x, y = regression_data(40)
    model = regression_model()
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=2, batch_size=10, verbose=2, validation_data=(x, y))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert lines[1].startswith("4/4 - ") and "loss: " in lines[1] and "val_loss: " in lines[1]
    model.fit(x, y, epochs=2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="verbose must be 'auto', 0"):
        model.fit(x, y, verbose=3)


def test_torch_optimizer_and_loss_module_in_compile():
    x, y = regression_data()
    model = regression_model()
    model.compile(optimizer=torch.optim.SGD(model.parameters(), lr=0.05), loss=nn.MSELoss())
    history = model.fit(torch.from_numpy(x), torch.from_numpy(y), epochs=5, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    # An optimizer built for another model is refused before training.
    other = regression_model()
    with pytest.raises(ValueError, match="updates none of the weights"):
        other.compile(optimizer=torch.optim.SGD(model.parameters(), lr=0.1), loss="mse")
    assert not other.compiled


def test_named_optimizers_use_keras_defaults_and_factories():
    model = regression_model()
    model.compile("adam", "mse")
    assert isinstance(model.optimizer, torch.optim.Adam)
    assert model.optimizer.defaults["eps"] == 1e-7 and model.optimizer.defaults["lr"] == 1e-3
    model.compile("rmsprop", "mse")
    assert model.optimizer.defaults["alpha"] == 0.9 and not model.optimizer.defaults["centered"]
    model.compile(tkl.training.optimizers.SGD(learning_rate=0.1, momentum=0.9), "mse")
    assert model.optimizer.defaults["lr"] == 0.1 and model.optimizer.defaults["momentum"] == 0.9
    model.compile(lambda params: torch.optim.Adagrad(params, lr=0.2), "mse")
    assert isinstance(model.optimizer, torch.optim.Adagrad)
    model.compile(loss="mse")  # Keras's default optimizer
    assert isinstance(model.optimizer, torch.optim.RMSprop)


def test_jit_compile_with_eager_backend_trains_like_eager():
    x, y = regression_data(64)
    results = []
    for jit in (False, {"backend": "eager"}):
        torch.manual_seed(0)
        model = regression_model()
        model.compile("adam", "mse", metrics=["mae"], jit_compile=jit)
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
        results.append((history.history["loss"], model.evaluate(x, y, verbose=0), model.predict(x[:5], verbose=0)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5)
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-5)
    model = regression_model()
    model.compile("adam", "mse", jit_compile=True, jit_backend="eager")
    assert model.fit(x, y, epochs=1, verbose=0).history["loss"]
    with pytest.raises(ValueError, match="unknown torch.compile backend 'nope'"):
        model.compile("adam", "mse", jit_compile={"backend": "nope"})
    with pytest.raises(ValueError, match="unknown torch.compile option"):
        model.compile("adam", "mse", jit_compile={"backnd": "eager"})


def test_compile_without_optimizer_and_loss_is_torch_module_compile():
    model = regression_model()
    model.compile(backend="eager")
    assert model._compiled_call_impl is not None and not model.compiled
    assert model(torch.ones(2, 4)).shape == (2, 1)
    with pytest.raises(TypeError, match="torch.compile options go into jit_compile"):
        model.compile("adam", "mse", backend="eager")


def test_dataloader_input_and_validation():
    x, y = regression_data()
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=16, shuffle=True)
    val = DataLoader(TensorDataset(torch.from_numpy(x[:32]), torch.from_numpy(y[:32])), batch_size=8)
    model = regression_model()
    model.compile(optimizers.Adam(learning_rate=0.02), "mse", metrics=["mae"])
    history = model.fit(loader, epochs=8, verbose=0, validation_data=val)
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert isinstance(model.evaluate(val, verbose=0), list)
    assert model.predict(val, verbose=0).shape == (32, 1)
    bare = DataLoader(torch.from_numpy(x[:10]), batch_size=4)
    assert model.predict(bare, verbose=0).shape == (10, 1)
    with pytest.raises(ValueError, match="y must not be given"):
        model.fit(loader, y, verbose=0)
    with pytest.raises(ValueError, match="batch_size=8 was given with a DataLoader"):
        model.fit(loader, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="validation_split works with arrays"):
        model.fit(loader, validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="no targets y were given"):
        model.fit(bare, verbose=0)


def test_steps_per_epoch_restarts_the_data():
    x, y = regression_data(40)
    model = regression_model()
    model.compile("sgd", "mse")
    seen = []
    counter = tkl.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    model.fit(x, y, batch_size=16, epochs=3, steps_per_epoch=5, verbose=0, callbacks=[counter])
    assert seen == [0, 1, 2, 3, 4] * 3  # 3 batches per pass: the data restart inside an epoch


def test_validation_split_takes_the_last_samples_and_validation_data_logs():
    x, y = regression_data(100)
    model = regression_model()
    model.compile("adam", "mse", metrics=["mae"])
    history = model.fit(x, y, epochs=2, verbose=0, validation_split=0.25, batch_size=100)
    expected = model.evaluate(x[75:], y[75:], verbose=0)[0]
    # The last epoch's validation ran with the final weights on the last 25 samples.
    assert history.history["val_loss"][-1] == pytest.approx(expected, rel=1e-5)
    history = model.fit(x, y, epochs=1, verbose=0, validation_data=(x[:10], y[:10]))
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    with pytest.raises(ValueError, match="validation_split=0.995 leaves no training samples out of 100"):
        model.fit(x, y, validation_split=0.995, verbose=0)
    with pytest.raises(ValueError, match=r"validation_split must be a float in \[0, 1\)"):
        model.fit(x, y, validation_split=1.5, verbose=0)
    with pytest.raises(ValueError, match="validation_data must be a tuple"):
        model.fit(x, y, validation_data=(x, y, y, y), verbose=0)


def test_multi_input_dict_and_multi_output_models():
    a, b = tkl.Input((4,), name="a"), tkl.Input((3,), name="b")
    hidden = layers.Dense(16, activation="relu")(torch.cat([a, b], dim=-1))
    value = layers.Dense(1, name="value")(hidden)
    label = layers.Dense(3, activation="softmax", name="label")(hidden)
    model = tkl.Model({"a": a, "b": b}, {"value": value, "label": label})
    model.compile(optimizers.Adam(learning_rate=0.01), loss={"value": "mse", "label": "sparse_categorical_crossentropy"},
                  metrics={"label": ["accuracy"], "value": "mae"}, loss_weights={"value": 0.5})
    rng = np.random.default_rng(1)
    xa, xb = rng.normal(size=(64, 4)), rng.normal(size=(64, 3))
    targets = {"value": xa[:, :1] + xb[:, :1], "label": (xa[:, 0] > 0).astype("int64")}
    history = model.fit({"a": xa, "b": xb}, targets, epochs=15, batch_size=16, verbose=0)
    assert sorted(history.history) == ["label_accuracy", "label_loss", "loss", "value_loss", "value_mae"]
    h = history.history
    for epoch in (0, -1):
        assert h["loss"][epoch] == pytest.approx(0.5 * h["value_loss"][epoch] + h["label_loss"][epoch], rel=1e-4)
    assert h["loss"][-1] < h["loss"][0]
    pred = model.predict({"a": xa, "b": xb}, verbose=0)
    assert sorted(pred) == ["label", "value"] and pred["label"].shape == (64, 3)
    # List outputs: losses and targets as lists; output names are the layer names.
    listed = tkl.Model([a, b], [value, label])
    listed.compile("adam", ["mse", "sparse_categorical_crossentropy"], metrics=[None, ["acc"]])
    history = listed.fit([xa, xb], [targets["value"], targets["label"]], epochs=1, verbose=0)
    assert sorted(history.history) == ["label_acc", "label_loss", "loss", "value_loss"]
    out = listed.predict([xa, xb], verbose=0)
    assert isinstance(out, list) and [o.shape for o in out] == [(64, 1), (64, 3)]
    with pytest.raises(ValueError, match=r"loss has keys \['nope'\] that are not outputs"):
        model.compile("adam", {"nope": "mse"})
        model.fit({"a": xa, "b": xb}, targets, verbose=0)
    model.compile("adam", {"value": "mse", "label": "sparse_categorical_crossentropy"})
    with pytest.raises(ValueError, match=r"y has no targets for output\(s\) \['label'\]"):
        model.fit({"a": xa, "b": xb}, {"value": targets["value"]}, verbose=0)
    with pytest.raises(ValueError, match="loss is a list of 3 losses, but the model has 2"):
        listed.compile("adam", ["mse", "mse", "mse"])
        listed.fit([xa, xb], [targets["value"], targets["label"]], verbose=0)


def test_regularization_losses_are_trained():
    x, y = regression_data()
    norms = {}
    for factor in (0.0, 5.0):
        torch.manual_seed(0)
        model = tkl.Sequential([tkl.Input((4,)), layers.Dense(1, kernel_regularizer=tkl.regularizers.L2(factor))])
        model.compile(tkl.training.optimizers.SGD(learning_rate=0.02), "mse")
        history = model.fit(x, y, epochs=10, verbose=0)
        norms[factor] = float(model.layers[0].kernel.detach().norm())
        data_loss = model.evaluate(x, y, verbose=0)
        penalty = factor * float(model.layers[0].kernel.detach().square().sum())
        assert data_loss == pytest.approx(float(np.mean((model.predict(x, verbose=0) - y) ** 2)) + penalty, rel=1e-4)
        assert history.history["loss"][-1] < history.history["loss"][0]
    assert norms[5.0] < 0.5 * norms[0.0]


def test_activity_and_added_losses_match_model_losses():
    class Penalised(tkl.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2, activity_regularizer="l2", kernel_regularizer="l1")

        def call(self, x):
            out = self.dense(x)
            self.add_loss(out.abs().mean())
            return out

    model = Penalised()
    model.compile("sgd", "mse")
    x, y = regression_data(8)
    model.fit(x, np.repeat(y, 2, axis=1), epochs=1, verbose=0)
    model(torch.from_numpy(x))
    state = model._tkl_train
    collected = state.model_losses()
    expected = model.losses
    assert len(collected) == len(expected) == 3
    for a, b in zip(collected, expected):
        torch.testing.assert_close(a, b)


class _TrainingProbe(tkl.Layer):
    """Records the ``training`` value each call receives, per thread."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, x, training=None):
        self.seen.append((threading.current_thread().name, training))
        return x


def test_runs_pass_training_explicitly_and_never_touch_the_models_mode():
    x, y = regression_data(64)
    probe = _TrainingProbe()
    model = tkl.Sequential([tkl.Input((4,)), layers.Dense(16), probe, layers.Dropout(0.5), layers.Dense(1)])
    model.compile("adam", "mse")
    flags = []
    spy = tkl.callbacks.LambdaCallback(
        on_train_batch_begin=lambda b, logs: flags.append(model.training),
        on_test_begin=lambda logs: flags.append(model.training),
    )
    model.eval()
    probe.seen.clear()
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, validation_data=(x, y), callbacks=[spy])
    assert flags == [False, False, False]  # the user's mode, untouched
    modes = [training for _, training in probe.seen]
    assert modes[0] is False  # the dry run of the first batch
    assert modes[1:3] == [True, True] and set(modes[3:]) == {False}  # 2 steps, then validation
    model.train()
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, model.predict(x, verbose=0))  # dropout off: deterministic
    assert model.training is True
    assert model.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))


def test_custom_steps_calling_self_without_training_follow_the_run():
    class Net(tkl.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.probe = _TrainingProbe()
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(self.probe(x))

        def predict_step(self, x):
            return self(x)  # no training argument, as Keras code writes it

    model = Net()
    model.train()
    model.compile("sgd", "mse")
    model.predict(np.ones((4, 3), "float32"), verbose=0)
    assert [t for _, t in model.probe.seen] == [False]


def test_predict_in_another_thread_does_not_switch_off_training_steps():
    x, y = regression_data(32)
    probe = _TrainingProbe()
    model = tkl.Sequential([tkl.Input((4,)), probe, layers.Dense(1)])
    model.compile("sgd", "mse")
    model(torch.ones(1, 4))
    predicting, release = threading.Event(), threading.Event()

    class Blocking(tkl.Layer):
        def call(self, x):
            if threading.current_thread().name == "predictor":
                predicting.set()
                release.wait(10)
            return x

    model.add(Blocking())
    predictor = threading.Thread(target=lambda: model.predict(x[:2], verbose=0), name="predictor")

    def start_predict(batch, logs):
        if batch == 0:
            predictor.start()
            assert predicting.wait(10)  # the other thread is now inside predict

    probe.seen.clear()
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, shuffle=False,
              callbacks=[tkl.callbacks.LambdaCallback(on_train_batch_begin=start_predict)])
    release.set()
    predictor.join(10)
    mine = [t for name, t in probe.seen if name != "predictor"]
    assert mine[-1] is True  # the training step ran in training mode while predict was running
    assert [t for name, t in probe.seen if name == "predictor"] == [False]


def test_unbuilt_sequential_is_built_from_the_first_batch():
    x, y = regression_data(32)
    model = tkl.Sequential([layers.Dense(8, activation="relu"), layers.Dense(1)])
    model.compile("adam", "mse")
    assert model.optimizer is None and not model.built
    history = model.fit(x, y, epochs=2, verbose=0)
    assert model.built and isinstance(model.optimizer, torch.optim.Adam)
    assert model.training is True and len(history.history["loss"]) == 2
    assert sum(p.numel() for p in model.optimizer.param_groups[0]["params"]) == model.count_params()


def test_train_on_batch_and_test_on_batch():
    x, y = regression_data(32)
    model = regression_model()
    model.compile("adam", "mse", metrics=["mae"])
    loss, mae = model.test_on_batch(x, y)
    first = model.train_on_batch(x, y, return_dict=True)
    assert first == pytest.approx({"loss": loss, "mae": mae})
    for _ in range(30):
        last = model.train_on_batch(x, y)
    assert last[0] < first["loss"]
    assert model.test_on_batch(x, y, return_dict=True)["loss"] < first["loss"]
    before = snapshot(model)
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        model.train_on_batch(np.ones((4, 5)), np.ones((4, 1)))
    assert_unchanged(model, before)


# ------------------------------------------------------------------ bad inputs
def bn_model():
    return tkl.Sequential([tkl.Input((4,)), layers.Dense(8), BatchNormalization(), layers.Dense(1)])


def test_mismatched_x_y_lengths_fail_before_any_step():
    model = bn_model()
    model.compile("adam", "mse")
    before = snapshot(model)
    with pytest.raises(ValueError, match="x has 10 samples, y has 9"):
        model.fit(np.ones((10, 4)), np.ones((9, 1)), verbose=0)
    with pytest.raises(ValueError, match=r"x\['a'\] has 10, x\['b'\] has 8"):
        model.fit({"a": np.ones((10, 4)), "b": np.ones((8, 4))}, np.ones((10, 1)), verbose=0)
    assert_unchanged(model, before)


def test_wrong_input_and_target_shapes_fail_before_any_step():
    model = bn_model()
    model.compile("adam", "mse")
    before = snapshot(model)
    state = model.optimizer.state_dict()
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 4, but received input with shape \(32, 5\)"):
        model.fit(np.ones((40, 5)), np.ones((40, 1)), verbose=0)
    with pytest.raises(ValueError, match=r"y_true of shape \(32, 3\) does not match y_pred of shape \(32, 1\)"):
        model.fit(np.ones((40, 4)), np.ones((40, 3)), verbose=0)
    with pytest.raises(ValueError, match=r"fit\(validation_data\): the model rejected the first batch: .*expected axis -1"):
        model.fit(np.ones((40, 4)), np.ones((40, 1)), validation_data=(np.ones((5, 3)), np.ones((5, 1))), verbose=0)
    assert_unchanged(model, before)  # BatchNorm's moving statistics included
    assert model.optimizer.state_dict() == state


def test_sparse_labels_are_checked_before_training():
    model = tkl.Sequential([tkl.Input((4,)), layers.Dense(3)])
    model.compile("adam", losses.SparseCategoricalCrossentropy(from_logits=True))
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"class indices must lie in \[0, 2\].*received values in \[0, 5\]"):
        model.fit(np.ones((8, 4)), np.array([0, 1, 2, 5, 0, 1, 2, 0]), verbose=0)
    model.fit(np.ones((8, 4)), np.array([0, 1, 2, 2, 0, 1, 2, 0]), verbose=0)
    before = snapshot(model)  # the same shapes again: the label values are still checked
    with pytest.raises(ValueError, match=r"class indices must lie in \[0, 2\].*received values in \[0, 7\]"):
        model.fit(np.ones((4, 4)), np.array([0, 1, 2, 7]), verbose=0)
    with pytest.raises(ValueError, match="one-hot targets need categorical_crossentropy"):
        model.fit(np.ones((8, 4)), np.eye(3)[[0, 1, 2, 0, 1, 2, 0, 1]], verbose=0)
    assert_unchanged(model, before)


def test_fit_before_compile_and_missing_targets():
    model = regression_model()
    with pytest.raises(ValueError, match=r"You must call compile\(optimizer, loss\) before fit\(\)"):
        model.fit(np.ones((4, 4)), np.ones((4, 1)))
    with pytest.raises(ValueError, match=r"before evaluate\(\)"):
        model.evaluate(np.ones((4, 4)), np.ones((4, 1)))
    assert model.predict(np.ones((3, 4)), verbose=0).shape == (3, 1)  # predict needs no compile
    model.compile("adam", "mse")
    with pytest.raises(ValueError, match=r"no targets y were given. Fix: pass y"):
        model.fit(np.ones((4, 4)), verbose=0)
    with pytest.raises(ValueError, match="x is None"):
        model.fit(None, np.ones((4, 1)), verbose=0)


def test_unknown_names_list_the_valid_ones():
    model = regression_model()
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adamm'. Valid names: \['adadelta', 'adafactor', 'adagrad', 'adam', 'adamax', 'adamw', 'lion', 'nadam', 'rmsprop', 'sgd'\]"):
        model.compile("adamm", "mse")
    with pytest.raises(ValueError, match=r"Unknown loss 'msee'. Valid names: \[.*'mse'"):
        model.compile("adam", "msee")
    with pytest.raises(ValueError, match=r"unknown metric 'accuracyy'. Valid names: \[.*'accuracy'"):
        model.compile("adam", "mse", metrics=["accuracyy"])
    with pytest.raises(TypeError, match="A loss must be a Keras name"):
        model.compile("adam", 3)
    assert not model.compiled  # nothing was configured


def test_bad_fit_arguments():
    x, y = regression_data(16)
    model = regression_model()
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="batch_size must be a positive int, received batch_size=0"):
        model.fit(x, y, batch_size=0)
    with pytest.raises(ValueError, match="epochs must be an int >= 0"):
        model.fit(x, y, epochs=-1)
    with pytest.raises(ValueError, match="shuffle must be True or False"):
        model.fit(x, y, shuffle="batch")
    with pytest.raises(TypeError, match=r"x must be a NumPy array or a torch.Tensor.*received str"):
        model.fit("data", y)
    with pytest.raises(TypeError, match="x is a torch Dataset"):
        model.fit(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)))
    with pytest.raises(TypeError, match="callbacks must be tkl.callbacks.Callback objects"):
        model.fit(x, y, callbacks=[print], verbose=0)
    assert model.fit(x, y, epochs=2, initial_epoch=2, verbose=0).history == {}


def test_model_without_loss_or_weights_is_refused():
    model = regression_model()
    model.compile(optimizer="adam", metrics=["mae"])
    with pytest.raises(ValueError, match="has no loss: compile\\(\\) got no loss"):
        model.fit(np.ones((4, 4)), np.ones((4, 1)), verbose=0)
    # A model without weights trains to nothing: a warning, as in Keras, not an error.
    empty = tkl.Sequential([tkl.Input((4,)), layers.Activation("relu")])
    empty.compile("adam", "mse")
    with pytest.warns(UserWarning, match='"sequential_1" does not have any trainable weights'):
        history = empty.fit(np.ones((4, 4)), np.ones((4, 4)), verbose=0)
    assert history.history["loss"] == [pytest.approx(0.0)]
    lazy = tkl.Sequential([layers.Activation("relu")])
    lazy.compile("adam", "mse")  # unbuilt: the optimizer is created by fit
    with pytest.warns(UserWarning, match="does not have any trainable weights"):
        lazy.fit(np.ones((4, 4)), np.ones((4, 4)), verbose=0)


def test_custom_keras_loss_and_metric_callables_and_accuracy_resolution():
    def weird_loss(y_true, y_pred):  # Keras order: (y_true, y_pred)
        return torch.mean((y_pred - y_true) ** 2, dim=-1)

    def max_error(y_true, y_pred):
        return (y_pred - y_true).abs().amax(dim=-1)

    x, y = regression_data(32)
    model = regression_model()
    model.compile("adam", weird_loss, metrics=[max_error, "mse"])
    history = model.fit(x, y, epochs=1, verbose=0)
    assert sorted(history.history) == ["loss", "max_error", "mse"]
    assert history.history["loss"][0] == pytest.approx(history.history["mse"][0], rel=1e-5)
    # "accuracy" follows the loss: binary for BCE (threshold 0 for logits), sparse, categorical.
    probe = tkl.Sequential([tkl.Input((4,)), layers.Dense(1)])
    probe.compile("adam", losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
    probe.fit(x, (y > 0).astype("float32"), epochs=1, verbose=0)
    metric = probe.metrics[1]
    assert type(metric).__name__ == "BinaryAccuracy" and metric.threshold == 0.0
    clf = tkl.Sequential([tkl.Input((4,)), layers.Dense(3, activation="softmax")])
    labels = (x[:, 0] > 0).astype("int64")
    for loss, target, kind in [("sparse_categorical_crossentropy", labels, "SparseCategoricalAccuracy"),
                               ("categorical_crossentropy", np.eye(3)[labels], "CategoricalAccuracy")]:
        clf.compile("adam", loss, metrics=["acc"])
        clf.fit(x, target, epochs=1, verbose=0)
        assert type(clf.metrics[1]).__name__ == kind


def test_frozen_model_warns_and_stays_unchanged():
    x, y = regression_data(16)
    model = bn_model()
    model.compile("adam", "mse")
    model.fit(x, y, epochs=1, verbose=0)
    model.trainable = False
    before = snapshot(model)
    with pytest.warns(UserWarning, match="does not have any trainable weights \\(all of them are frozen"):
        model.fit(x, y, verbose=0)
    with pytest.warns(UserWarning, match="does not have any trainable weights"):
        model.train_on_batch(x, y)
    assert_unchanged(model, before)  # frozen BatchNormalization runs in inference mode too
    model.layers[-1].trainable = True  # fine-tuning the head only
    model.fit(x, y, epochs=1, verbose=0)
    torch.testing.assert_close(model.layers[0].kernel, before["layers.0.kernel"])


def test_trained_model_deepcopies_pickles_and_keeps_training():
    import copy
    import io

    x, y = regression_data(16)
    model = regression_model()
    model.compile("adam", "mse", jit_compile={"backend": "eager"})
    model.fit(x, y, epochs=1, verbose=0)
    clone = copy.deepcopy(model)
    assert clone.optimizer.param_groups[0]["params"][0] is clone.layers[0].kernel
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    losses_after = [m.fit(x, y, epochs=1, verbose=0, shuffle=False).history["loss"][0] for m in (model, clone, loaded)]
    assert losses_after == pytest.approx([losses_after[0]] * 3, rel=1e-5)


def test_metrics_are_bound_after_a_failed_first_fit():
    x, y = regression_data(16)
    model = regression_model()
    model.compile("adam", "mse", metrics=["mae"])
    with pytest.raises(ValueError, match="no targets y were given"):
        model.fit(x, verbose=0)
    assert sorted(model.fit(x, y, verbose=0).history) == ["loss", "mae"]
