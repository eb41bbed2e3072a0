"""Customizing fit as Keras 3's torch guide teaches: train_step/test_step/predict_step
overrides with compute_loss, optimizer.apply, compute_metrics and metric trackers; a
compile override calling super().compile(); add_loss-only models; sample and class
weights; logs dicts for callbacks."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy
from torch_keraslike import layers
from torch_keraslike.training import metrics as metrics_module
from torch_keraslike.training import optimizers


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32")).astype("float32")
    return x, y


class GuideModel(tkl.Model):
    """The first example of Keras 3's "Customizing fit() with PyTorch" guide."""

    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        self.zero_grad()
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_keras_guide_train_step_with_compute_loss_and_optimizer_apply():
    inputs = tkl.Input((4,))
    model = GuideModel(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, y = data()
    history = model.fit(x, y, epochs=5, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert [m.name for m in model.metrics] == ["loss", "mae"]


class TrackerModel(tkl.Model):
    """The guide's lower-level example: trackers as attributes, compile without loss."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = metrics_module.Mean(name="loss")
        self.mae_metric = metrics_module.MeanAbsoluteError(name="mae")
        self.loss_fn = tkl.training.losses.MeanSquaredError()

    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        self.zero_grad()
        loss = self.loss_fn(y, y_pred)
        loss.backward()
        weights = self.trainable_weights
        with torch.no_grad():
            self.optimizer.apply([w.grad for w in weights], weights)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(self.loss_fn(y, y_pred))
        self.mae_metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


def test_trackers_without_compiled_loss_are_reset_every_epoch():
    inputs = tkl.Input((4,))
    model = TrackerModel(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer=optimizers.Adam(learning_rate=0.05))  # no loss: train_step has its own
    x, y = data()
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_data=(x, y))
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    # Reset at each epoch: the last epoch's value is that epoch's mean, below the first's.
    assert history.history["loss"][2] < history.history["loss"][0]
    evaluated = model.evaluate(x, y, verbose=0, return_dict=True)
    assert evaluated["mae"] == pytest.approx(history.history["val_mae"][-1], rel=1e-5)


def test_unbuilt_subclassed_model_gets_its_optimizer_inside_a_custom_step():
    class Net(TrackerModel):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    model = Net()
    model.compile(optimizer="sgd")
    assert model.optimizer is None  # nothing to optimise yet: the model is unbuilt
    model.fit(*data(), epochs=1, verbose=0)  # no dry run: the step builds it
    assert model.optimizer is not None and model.dense.built


class GAN(tkl.Model):
    """A GAN as keras.io writes it: compile override, two optimizers, two losses."""

    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = metrics_module.Mean(name="d_loss")
        self.g_loss_tracker = metrics_module.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, real):
        if isinstance(real, tuple):
            real = real[0]
        batch = real.shape[0]
        noise = torch.randn(batch, self.latent_dim)
        fake = self.generator(noise)
        combined = torch.cat([fake, real], dim=0)
        labels = torch.cat([torch.ones(batch, 1), torch.zeros(batch, 1)], dim=0)
        self.zero_grad()
        d_loss = self.loss_fn(labels, self.discriminator(combined))
        d_loss.backward()
        grads = [w.value.grad for w in self.discriminator.trainable_weights]
        with torch.no_grad():
            self.d_optimizer.apply(grads, self.discriminator.trainable_weights)
        self.zero_grad()
        g_loss = self.loss_fn(torch.zeros(batch, 1), self.discriminator(self.generator(noise)))
        g_loss.backward()
        grads = [w.value.grad for w in self.generator.trainable_weights]
        with torch.no_grad():
            self.g_optimizer.apply(grads, self.generator.trainable_weights)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def test_gan_with_a_compile_override_that_calls_super_compile():
    discriminator = tkl.Sequential([tkl.Input((8,)), layers.Dense(16, activation="relu"), layers.Dense(1)])
    generator = tkl.Sequential([tkl.Input((4,)), layers.Dense(16, activation="relu"), layers.Dense(8)])
    gan = GAN(discriminator, generator, latent_dim=4)
    gan.compile(d_optimizer=optimizers.Adam(learning_rate=1e-3), g_optimizer=optimizers.Adam(learning_rate=1e-3),
                loss_fn=tkl.training.losses.BinaryCrossentropy(from_logits=True))
    assert gan.compiled  # Keras's compile, not torch's nn.Module.compile
    before = [w.detach().clone() for w in generator.weights]
    real = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
    history = gan.fit(real, epochs=2, batch_size=16, verbose=0)
    assert sorted(history.history) == ["d_loss", "g_loss"]
    assert any(not torch.equal(a, b) for a, b in zip(before, generator.weights))


def test_compile_without_arguments_is_keras_and_torch_compile_keeps_its_name():
    model = tkl.Sequential([tkl.Input((4,)), layers.Dense(1)])
    model.compile()
    assert model.compiled and type(model.optimizer).__name__ == "RMSprop"
    model.torch_compile(backend="eager")
    x = torch.ones(2, 4)
    torch.testing.assert_close(model(x), model.layers[0](x))
    other = tkl.Sequential([tkl.Input((4,)), layers.Dense(1)])
    other.compile(backend="eager")  # only torch.compile options: torch's compile
    assert not other.compiled and other._compiled_call_impl is not None
    with pytest.raises(TypeError, match="torch_compile"):
        other.compile(optimizer="sgd", fullgraph=True)


class VAELikeLoss(tkl.Layer):
    def call(self, x):
        self.add_loss(torch.mean(x ** 2))
        return x


def test_model_trained_by_add_loss_only():
    inputs = tkl.Input((4,))
    h = VAELikeLoss()(layers.Dense(4)(inputs))
    model = tkl.Model(inputs, h)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1))  # no loss in compile, as in Keras's VAE
    x, _ = data()
    history = model.fit(x, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_compute_loss_override_drives_the_default_train_step():
    class Custom(tkl.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return torch.mean(torch.abs(y_pred - y)) * 2.0

    inputs = tkl.Input((4,))
    model = Custom(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer="sgd")
    x, y = data(16)
    loss = model.evaluate(x, y, verbose=0)
    with torch.no_grad():
        expected = float(torch.mean(torch.abs(model(torch.from_numpy(x)) - torch.from_numpy(y))) * 2.0)
    assert loss == pytest.approx(expected, rel=1e-5)


def test_callbacks_always_receive_a_logs_dict():
    seen = []

    class Probe(tkl.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(("train_begin", type(logs)))

        def on_epoch_begin(self, epoch, logs=None):
            seen.append(("epoch_begin", type(logs)))

        def on_train_batch_begin(self, batch, logs=None):
            seen.append(("batch_begin", type(logs)))

        def on_test_begin(self, logs=None):
            seen.append(("test_begin", type(logs)))

        def on_predict_begin(self, logs=None):
            seen.append(("predict_begin", type(logs)))

    model = tkl.Sequential([tkl.Input((4,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = data(8)
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[Probe()])
    model.predict(x, verbose=0, callbacks=[Probe()])
    assert {kind for _, kind in seen} == {dict}
    assert {name for name, _ in seen} == {"train_begin", "epoch_begin", "batch_begin", "test_begin",
                                         "predict_begin"}


def test_validation_freq():
    model = tkl.Sequential([tkl.Input((4,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = data(8)
    epochs = []
    probe = tkl.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: epochs.append("val_loss" in logs))
    model.fit(x, y, epochs=4, verbose=0, validation_data=(x, y), validation_freq=2, callbacks=[probe])
    assert epochs == [False, True, False, True]
    with pytest.raises(ValueError, match="validation_freq must be a positive int"):
        model.fit(x, y, validation_data=(x, y), validation_freq=0, verbose=0)


# ------------------------------------------------------------- sample weights
def test_sample_weight_weights_the_loss_as_keras_does():
    model = tkl.Sequential([tkl.Input((4,)), layers.Dense(1, kernel_initializer="zeros")])
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mae", "mse"])
    x, y = data(8)
    weights = np.arange(8, dtype="float32")
    result = model.evaluate(x, y, sample_weight=weights, batch_size=8, verbose=0, return_dict=True)
    squared = (y[:, 0] ** 2)
    assert result["loss"] == pytest.approx(float((squared * weights).sum() / 8), rel=1e-5)
    assert result["mae"] == pytest.approx(float(np.abs(y).mean()), rel=1e-5)  # unweighted
    assert result["weighted_mae"] == pytest.approx(float((np.abs(y[:, 0]) * weights).sum() / weights.sum()), rel=1e-5)
    assert result["mse"] == pytest.approx(float((squared * weights).sum() / weights.sum()), rel=1e-5)
    with pytest.raises(ValueError, match=r"sample_weight must hold one weight per sample, shape \(8,\)"):
        model.evaluate(x, y, sample_weight=weights[:3], verbose=0)


def test_class_weight_becomes_per_sample_weights():
    model = tkl.Sequential([tkl.Input((4,)), layers.Dense(3, kernel_initializer="zeros")])
    model.compile("sgd", tkl.training.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, _ = data(6)
    labels = np.array([0, 1, 2, 0, 1, 2])
    plain = model.evaluate(x, labels, verbose=0)
    weighted = model.train_on_batch(x, labels, class_weight={0: 0.0, 1: 1.0, 2: 2.0})
    # Zero kernel and bias: every sample's loss is log(3), weighted by its class.
    assert plain == pytest.approx(np.log(3), rel=1e-5)
    assert weighted == pytest.approx(np.log(3) * (0 + 1 + 2) * 2 / 6, rel=1e-5)
    with pytest.raises(ValueError, match="class_weight must be a dict mapping class indices"):
        model.fit(x, labels, class_weight=[1.0, 2.0], verbose=0)


def test_sample_weighted_training_matches_keras():
    keras = import_keras()
    x, y = data(32)
    weights = np.linspace(0.5, 2.0, 32).astype("float32")
    ours = tkl.Sequential([tkl.Input((4,)), layers.Dense(2, activation="tanh"), layers.Dense(1)])
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="tanh"), keras.layers.Dense(1)])
    theirs.set_weights(ours.get_weights())
    ours.compile(optimizers.SGD(learning_rate=0.05), "mse")
    theirs.compile(keras.optimizers.SGD(learning_rate=0.05), "mse")
    ours_history = ours.fit(x, y, sample_weight=weights, batch_size=8, epochs=3, shuffle=False, verbose=0)
    theirs_history = theirs.fit(x, y, sample_weight=weights, batch_size=8, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(ours_history.history["loss"], theirs_history.history["loss"], rtol=1e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, to_numpy(b), rtol=1e-4, atol=1e-6)
