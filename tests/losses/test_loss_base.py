"""The ``Loss`` protocol (reductions, sample weights, masks, dtypes), ``LossFunctionWrapper``,
``get``/``serialize``/``deserialize``, registered loss functions, and the argument
errors of every loss, against NumPy formulas (no Keras needed)."""

import pickle

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from torch_keraslike import losses


def t(values, dtype=torch.float32):
    return torch.tensor(np.asarray(values), dtype=dtype)


class Cubed(losses.Loss):
    def call(self, y_true, y_pred):
        return ((y_pred - y_true) ** 3).mean(dim=-1)


# ------------------------------------------------------------------ protocol
def test_subclass_names_dtype_and_numpy_inputs():
    first, second = Cubed(), Cubed()
    assert (first.name, second.name) == ("cubed", "cubed_1")  # Keras's auto names
    assert first.dtype == "float32" and first.get_config() == {"name": "cubed", "reduction": "sum_over_batch_size"}
    value = first(np.zeros((2, 1)), np.ones((2, 1)))  # float64 NumPy arrays, computed in float32
    assert value.dtype == torch.float32 and float(value) == 1.0
    assert Cubed(dtype="float64")(t([[0.0]]), t([[2.0]])).dtype == torch.float64
    assert Cubed(dtype="mixed_bfloat16").dtype == "bfloat16"
    assert Cubed(dtype={"class_name": "DTypePolicy", "config": {"name": "float64"}}).dtype == "float64"
    assert "Cubed(name='cubed'" in repr(first)


def test_reductions_and_sample_weights():
    y_true = t([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    y_pred = t([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    per_sample = np.array([1.0, 4.0, 9.0])
    weight = np.array([1.0, 0.0, 2.0])
    cases = {
        "sum_over_batch_size": (per_sample.mean(), (per_sample * weight).sum() / 3),
        "mean": (per_sample.mean(), (per_sample * weight).sum() / 3),
        "sum": (per_sample.sum(), (per_sample * weight).sum()),
        "mean_with_sample_weight": (per_sample.mean(), (per_sample * weight).sum() / weight.sum()),
    }
    for reduction, (plain, weighted) in cases.items():
        loss = losses.MeanSquaredError(reduction=reduction)
        assert float(loss(y_true, y_pred)) == pytest.approx(plain)
        assert float(loss(y_true, y_pred, sample_weight=weight)) == pytest.approx(weighted)
    for reduction in (None, "none"):
        loss = losses.MeanSquaredError(reduction=reduction)
        np.testing.assert_allclose(loss(y_true, y_pred, sample_weight=weight).numpy(), per_sample * weight)
    # a zero weight sum gives 0, not NaN
    zero = losses.MeanSquaredError(reduction="mean_with_sample_weight")(y_true, y_pred, sample_weight=[0, 0, 0])
    assert float(zero) == 0.0
    # an empty batch gives its empty per-sample values back, as in Keras
    assert losses.MeanSquaredError()(torch.zeros(0, 2), torch.zeros(0, 2)).shape == (0,)


def test_per_sample_weights_of_per_step_values():
    # Keras refuses (N,) weights for (N, T) values; here they weigh every step of a sample.
    y_true = torch.zeros(2, 3, 1)
    y_pred = t([[[1.0], [2.0], [3.0]], [[1.0], [1.0], [1.0]]])
    loss = losses.MeanSquaredError(reduction="sum")(y_true, y_pred, sample_weight=[2.0, 1.0])
    assert float(loss) == pytest.approx(2 * (1 + 4 + 9) + 3)


def test_masks_on_predictions_and_on_values():
    y_true = torch.zeros(2, 3, 1)
    y_pred = t([[[1.0], [2.0], [30.0]], [[4.0], [50.0], [60.0]]])
    y_pred._keras_mask = torch.tensor([[True, True, False], [True, False, False]])
    # The mean runs over the 3 unmasked steps only.
    assert float(losses.MeanSquaredError()(y_true, y_pred)) == pytest.approx((1 + 4 + 16) / 3)
    assert float(losses.MeanSquaredError(reduction="sum")(y_true, y_pred)) == pytest.approx(21)
    # A loss whose values carry a mask (ignore_class) averages over the valid entries.
    labels = t([[0, 2, 1]], torch.int64)
    logits = torch.randn(1, 3, 4)
    values = losses.sparse_categorical_crossentropy(labels, logits, from_logits=True, ignore_class=2)
    assert values[0, 1] == 0 and values._keras_mask.tolist() == [[True, False, True]]
    mean = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)(labels, logits)
    assert float(mean) == pytest.approx(float(values.sum() / 2), rel=1e-6)


def test_losses_are_differentiable_and_compile():
    y_pred = torch.randn(4, 3, requires_grad=True)
    y_true = torch.softmax(torch.randn(4, 3), -1)
    loss = losses.CategoricalFocalCrossentropy(from_logits=True)
    loss(y_true, y_pred).backward()
    assert y_pred.grad is not None and torch.isfinite(y_pred.grad).all()
    compiled = torch.compile(losses.Huber(delta=0.5), backend="eager", fullgraph=True)
    torch.testing.assert_close(compiled(y_true, y_pred.detach()), losses.Huber(delta=0.5)(y_true, y_pred.detach()))


def test_loss_function_wrapper_aligns_ranks_and_round_trips():
    def absolute(y_true, y_pred, scale=1.0):
        return scale * (y_pred - y_true).abs().mean(dim=-1)

    wrapped = losses.LossFunctionWrapper(absolute, scale=2.0)
    assert wrapped.name == "absolute"
    assert float(wrapped(t([1.0, 2.0]), t([[2.0], [4.0]]))) == pytest.approx(3.0)  # (N,) vs (N, 1)
    assert repr(wrapped) == "LossFunctionWrapper(absolute, kwargs={'scale': 2.0})"
    builtin = losses.LossFunctionWrapper(losses.huber, name="h", delta=2.0)
    config = builtin.get_config()
    assert config["fn"]["config"] == "huber" and config["delta"] == 2.0
    again = losses.LossFunctionWrapper.from_config(config)
    assert again.fn is losses.huber and again.name == "h"
    with pytest.raises(TypeError, match="LossFunctionWrapper: fn must be a callable"):
        losses.LossFunctionWrapper(3)


def test_losses_pickle():
    loss = pickle.loads(pickle.dumps(losses.Tversky(alpha=0.2, beta=0.8, axis=(1,))))
    assert loss.get_config()["alpha"] == 0.2 and loss.axis == (1,)


# --------------------------------------------------------------- namespace
def test_get_follows_keras():
    assert losses.get(None) is None
    assert losses.get("mse") is losses.mean_squared_error and losses.get("MAE") is losses.mean_absolute_error
    assert losses.get("huber") is losses.huber
    huber = losses.get("Huber")
    assert isinstance(huber, losses.Huber) and huber.delta == 1.0
    assert isinstance(losses.get(losses.Dice), losses.Dice)
    configured = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert configured.from_logits is True
    module = torch.nn.MSELoss()
    assert losses.get(module) is module
    with pytest.raises(ValueError, match=r"Unknown loss 'hubr'. Did you mean 'huber'\?"):
        losses.get("hubr")
    with pytest.raises(ValueError, match="Could not interpret loss identifier: 3"):
        losses.get(3)


def test_serialize_and_deserialize():
    entry = losses.serialize(losses.Huber(delta=2.0))
    assert entry == {"module": "keras.losses", "class_name": "Huber", "registered_name": None,
                     "config": {"name": "huber_loss", "reduction": "sum_over_batch_size", "delta": 2.0}}
    assert losses.deserialize(entry).delta == 2.0
    assert losses.serialize(losses.kl_divergence) == {"module": "builtins", "class_name": "function",
                                                      "config": "kl_divergence", "registered_name": "function"}
    assert losses.deserialize("kld") is losses.kl_divergence
    assert isinstance(losses.deserialize("Poisson"), losses.Poisson)
    assert losses.serialize(None) is None
    with pytest.raises(ValueError, match="anonymous lambda"):
        losses.serialize(lambda y_true, y_pred: y_pred)
    with pytest.raises(ValueError, match="neither a function nor an object with get_config"):
        losses.serialize(3)
    with pytest.raises(ValueError, match="expected a name or a dict with 'class_name'"):
        losses.deserialize(3)


def test_registered_and_custom_loss_functions():
    @tkl.saving.register_serializable(package="test_losses")
    def scaled_error(y_true, y_pred):
        return 3.0 * (y_pred - y_true).abs().mean(dim=-1)

    entry = losses.serialize(scaled_error)
    assert entry["config"] == "test_losses>scaled_error"
    assert losses.deserialize(entry) is scaled_error and losses.get("test_losses>scaled_error") is scaled_error
    wrapper = losses.LossFunctionWrapper(scaled_error)
    assert losses.LossFunctionWrapper.from_config(wrapper.get_config()).fn is scaled_error

    def unregistered(y_true, y_pred):
        return (y_pred - y_true).mean(dim=-1)

    # Written under its name as Keras does; read back through custom_objects.
    entry = losses.serialize(unregistered)
    assert entry["config"] == "unregistered" and entry["module"] == __name__
    assert losses.deserialize(entry, custom_objects={"unregistered": unregistered}) is unregistered
    with pytest.raises(ValueError, match="Unknown loss 'unregistered'.*custom_objects"):
        losses.deserialize(entry)

    @tkl.saving.register_serializable(package="test_losses")
    class Doubled(losses.Loss):
        def call(self, y_true, y_pred):
            return 2 * (y_pred - y_true).mean(dim=-1)

    entry = losses.serialize(Doubled(name="d"))
    assert entry["registered_name"] == "test_losses>Doubled"
    assert isinstance(losses.deserialize(entry), Doubled) and losses.deserialize(entry).name == "d"


def test_compile_takes_registered_functions_and_names():
    @tkl.saving.register_serializable(package="test_losses")
    def absolute_error(y_true, y_pred):
        return (y_pred - y_true).abs().mean(dim=-1)

    x, y = np.random.default_rng(0).random((32, 3)), np.random.default_rng(1).random((32, 1))
    for loss in (absolute_error, "test_losses>absolute_error", "huber", "LogCosh", losses.Tversky()):
        model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
        model.compile("sgd", loss=loss)
        history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
        assert np.isfinite(history.history["loss"][0])
    model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    model.compile("sgd", loss=absolute_error)
    expected = np.abs(model.predict(x, verbose=0) - y).mean()
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)


# -------------------------------------------------------------------- errors
@pytest.mark.parametrize("make, error, pattern", [
    (lambda: losses.Huber(reduction="avg"), ValueError,
     r"Huber: invalid value for argument `reduction`. Expected one of .*Received: reduction='avg'"),
    (lambda: losses.Huber(name=3), TypeError, "Huber: name must be a string, received 3"),
    (lambda: losses.Huber(delta=-1.0), ValueError, r"Huber: `delta` must be a finite number >= 0.0, received delta=-1.0"),
    (lambda: losses.Huber(dtype="float33"), ValueError, "Invalid dtype of Huber"),
    (lambda: losses.BinaryCrossentropy(from_logits="yes"), TypeError,
     "BinaryCrossentropy: `from_logits` must be True or False, received from_logits='yes'"),
    (lambda: losses.CategoricalCrossentropy(label_smoothing=1.5), ValueError, r"`label_smoothing` must be .* in \[0.0, 1.0\]"),
    (lambda: losses.CategoricalCrossentropy(axis=True), ValueError, r"`axis` must be of type `int`. Received: axis=True"),
    (lambda: losses.BinaryFocalCrossentropy(alpha=2.0), ValueError, r"`alpha` must be a finite number in \[0.0, 1.0\]"),
    (lambda: losses.CategoricalFocalCrossentropy(gamma=-1.0), ValueError, r"`gamma` must be a finite number >= 0.0"),
    (lambda: losses.BinaryFocalCrossentropy(apply_class_balancing=1), TypeError, "`apply_class_balancing` must be True or False"),
    (lambda: losses.SparseCategoricalCrossentropy(ignore_class=1.5), ValueError, "`ignore_class` must be an integer or None"),
    (lambda: losses.CategoricalGeneralizedCrossEntropy(q=1.0), ValueError, r"q must be in the interval \(0, 1\)"),
    (lambda: losses.Tversky(beta=-0.5), ValueError, "Tversky: `beta` must be a finite number >= 0.0"),
    (lambda: losses.Dice(axis="all"), ValueError, r"Dice: `axis` must be of type `int` or a tuple of ints or None"),
    (lambda: losses.Circle(gamma=0.0), ValueError, "Circle: `gamma` must be a finite number > 0.0"),
    (lambda: losses.Circle(remove_diagonal=None), TypeError, "`remove_diagonal` must be True or False"),
    (lambda: losses.CosineSimilarity(axis=1.0), ValueError, "CosineSimilarity: `axis` must be of type `int`"),
])
def test_argument_errors(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def test_input_errors_use_keras_words():
    with pytest.raises(ValueError, match=r"Arguments `target` and `output` must have the same shape. Received: "
                                         r"target.shape=\(2, 3\), output.shape=\(2, 4\)"):
        losses.CategoricalCrossentropy()(torch.ones(2, 3), torch.ones(2, 4))
    with pytest.raises(ValueError, match=r"must have the same shape up until the last dimension: "
                                         r"target.shape=\(3,\), output.shape=\(2, 4\)"):
        losses.SparseCategoricalCrossentropy()(torch.zeros(3), torch.ones(2, 4))
    with pytest.raises(ValueError, match=r"Targets `y_true` are expected to be a tensor of shape `\(batch_size, "
                                         r"max_length\)`.*Received: y_true.shape=\(2,\)"):
        losses.ctc(torch.ones(2), torch.ones(2, 3, 4))
    with pytest.raises(ValueError, match=r"Logits `y_pred` are expected.*y_pred.shape=\(2, 3\)"):
        losses.ctc(torch.ones(2, 1), torch.ones(2, 3))
    with pytest.raises(ValueError, match="ctc: y_true holds 3 label sequences but y_pred 2 predictions"):
        losses.ctc(torch.ones(3, 1), torch.ones(2, 3, 4))
    with pytest.warns(SyntaxWarning, match="expected y_pred.shape to be \\(batch_size, num_classes\\)"):
        losses.categorical_crossentropy(torch.ones(2, 1), torch.ones(2, 1))


def test_config_and_input_type_errors():
    with pytest.raises(TypeError, match=r"Huber.from_config could not create the object from \{'delt': 2.0\}: .*"
                                        r"unexpected keyword argument 'delt'"):
        losses.Huber.from_config({"delt": 2.0})
    with pytest.raises(TypeError, match="Huber.from_config expects a dict of constructor arguments, received"):
        losses.Huber.from_config(None)
    with pytest.raises(TypeError, match=r"Expected a tensor, a NumPy array, a list of numbers or a number, received "
                                        r"None \(of type NoneType\)"):
        losses.MeanSquaredError()(None, torch.ones(2))
