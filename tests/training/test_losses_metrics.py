"""Losses, metrics and optimizer names as ``compile`` resolves them: values against NumPy
formulas, the per-output compiled loss and metrics, errors. (The namespaces themselves
are tested in tests/losses and tests/metrics.)"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import torch_keraslike as tkl

from torch_keraslike.training import losses, metrics, optimizers
from torch_keraslike.training.losses import CompiledLoss
from torch_keraslike.training.metrics import CompiledMetrics

EPS = 1e-7


def t(array, dtype=torch.float32):
    return torch.tensor(np.asarray(array), dtype=dtype)


def np_log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


# ---------------------------------------------------------------------- losses
def test_mse_and_mae_align_ranks_instead_of_broadcasting():
    y_true = np.array([1.0, 2.0, 3.0])
    y_pred = np.array([[1.5], [2.0], [1.0]])
    assert float(losses.MeanSquaredError()(t(y_true), t(y_pred))) == pytest.approx(np.mean((y_pred[:, 0] - y_true) ** 2))
    assert float(losses.MeanAbsoluteError()(t(y_true), t(y_pred))) == pytest.approx(np.mean(np.abs(y_pred[:, 0] - y_true)))
    per_sample = losses.mean_squared_error(t([[1.0, 3.0]]), t([[0.0, 0.0]]))
    torch.testing.assert_close(per_sample, t([5.0]))
    # float64 targets are cast to the loss's dtype (float32, as Keras)
    assert losses.MeanSquaredError()(torch.ones(2, 1, dtype=torch.float64), torch.zeros(2, 1)).dtype == torch.float32


def test_binary_crossentropy_clips_probabilities_and_handles_logits():
    y_true = np.array([[1.0], [0.0], [1.0], [0.0]])
    probs = np.array([[1.0], [0.0], [0.0], [0.3]])  # exact 0/1 probabilities are clipped
    clipped = np.clip(probs, EPS, 1 - EPS)
    expected = -np.mean(y_true * np.log(clipped) + (1 - y_true) * np.log(1 - clipped))
    assert float(losses.get("BinaryCrossentropy")(t(y_true), t(probs))) == pytest.approx(expected, rel=1e-5)
    logits = np.array([[2.0], [-1.0], [0.5], [3.0]])
    sig = 1 / (1 + np.exp(-logits))
    expected = -np.mean(y_true * np.log(sig) + (1 - y_true) * np.log(1 - sig))
    bce = losses.BinaryCrossentropy(from_logits=True)
    assert float(bce(t(y_true), t(logits))) == pytest.approx(expected, rel=1e-5)
    smooth = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)
    y_smooth = y_true * 0.8 + 0.1
    expected = -np.mean(y_smooth * np.log(sig) + (1 - y_smooth) * np.log(1 - sig))
    assert float(smooth(t(y_true), t(logits))) == pytest.approx(expected, rel=1e-5)
    assert float(bce(t(y_true), t(logits))) == pytest.approx(float(bce.call(t(y_true), t(logits)).mean()))


def test_categorical_crossentropy_normalises_probabilities_and_smooths_labels():
    y_true = np.eye(3)[[0, 2]]
    scores = np.array([[2.0, 1.0, 1.0], [0.5, 0.5, 1.0]])  # rows do not sum to 1
    probs = np.clip(scores / scores.sum(-1, keepdims=True), EPS, 1 - EPS)
    expected = -np.mean(np.sum(y_true * np.log(probs), -1))
    assert float(losses.resolve("categorical_crossentropy")(t(y_true), t(scores))) == pytest.approx(expected, rel=1e-5)
    logits = np.array([[1.0, -1.0, 0.0], [0.2, 0.1, 3.0]])
    smooth = y_true * 0.9 + 0.1 / 3
    expected = -np.mean(np.sum(smooth * np_log_softmax(logits), -1))
    cce = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    assert float(cce(t(y_true), t(logits))) == pytest.approx(expected, rel=1e-5)


def test_sparse_categorical_crossentropy_labels_shapes_and_logits():
    logits = np.random.default_rng(0).normal(size=(4, 5))
    labels = np.array([0, 4, 2, 1])
    expected = -np.mean(np_log_softmax(logits)[np.arange(4), labels])
    scce = losses.SparseCategoricalCrossentropy(from_logits=True)
    for y in (t(labels, torch.int64), t(labels[:, None], torch.int32), t(labels, torch.float32)):
        assert float(scce(y, t(logits))) == pytest.approx(expected, rel=1e-5)
    probs = np.exp(np_log_softmax(logits))
    assert float(losses.resolve("sparse_categorical_crossentropy")(t(labels, torch.int64), t(probs))) == pytest.approx(expected, rel=1e-4)
    # sequences: (N, T, C) predictions with (N, T) labels
    seq = np.random.default_rng(1).normal(size=(2, 3, 4))
    seq_labels = np.array([[0, 1, 3], [2, 2, 0]])
    expected = -np.mean(np.take_along_axis(np_log_softmax(seq), seq_labels[..., None], -1))
    assert float(scce(t(seq_labels, torch.int64), t(seq))) == pytest.approx(expected, rel=1e-5)
    per_sample = losses.sparse_categorical_crossentropy(t(seq_labels, torch.int64), t(seq), from_logits=True)
    assert per_sample.shape == (2, 3)


def test_reductions_and_sample_weights():
    y_true, y_pred = t([[0.0], [0.0], [0.0]]), t([[1.0], [2.0], [3.0]])
    assert float(losses.MeanSquaredError(reduction="sum")(y_true, y_pred)) == pytest.approx(14.0)
    torch.testing.assert_close(losses.MeanSquaredError(reduction=None)(y_true, y_pred), t([1.0, 4.0, 9.0]))
    weighted = losses.MeanSquaredError()(y_true, y_pred, sample_weight=[1.0, 0.0, 1.0])
    assert float(weighted) == pytest.approx(10.0 / 3)
    with pytest.raises(ValueError, match=r"invalid value for argument `reduction`.*Received: reduction='avg'"):
        losses.MeanSquaredError(reduction="avg")
    with pytest.raises(ValueError, match=r"`label_smoothing` must be a finite number in \[0.0, 1.0\], received label_smoothing=2"):
        losses.BinaryCrossentropy(label_smoothing=2)


def test_compile_resolves_names_classes_and_keras_functions_to_loss_objects():
    # Keras's get returns the function for a function name; compile uses the class
    # computing the same (fused kernels, target checks), named as written.
    assert losses.get("mae") is losses.mean_absolute_error
    mae = losses.resolve("mae")
    assert isinstance(mae, losses.MeanAbsoluteError) and mae.name == "mae"
    assert isinstance(losses.resolve("SparseCategoricalCrossentropy"), losses.SparseCategoricalCrossentropy)
    assert isinstance(losses.resolve(losses.mean_squared_error), losses.MeanSquaredError)
    assert isinstance(losses.resolve("huber"), losses.Huber) and isinstance(losses.resolve("Hinge"), losses.Hinge)
    module = nn.L1Loss()
    assert losses.resolve(module) is module

    def custom(y_true, y_pred):
        return (y_pred - y_true).abs().mean(dim=-1)

    wrapped = losses.resolve(custom)
    assert isinstance(wrapped, losses.LossFunctionWrapper) and wrapped.name == "custom" and wrapped.fn is custom
    with pytest.raises(ValueError, match=r"Unknown loss 'hingee'. Valid names: \['BCE', 'BinaryCrossentropy'"):
        losses.resolve("hingee")
    with pytest.raises(TypeError, match="A loss must be a Keras name"):
        losses.resolve(3)


def test_compiled_loss_calls_torch_losses_torch_style_and_keras_callables_keras_style():
    logits = torch.randn(4, 3)
    labels = torch.tensor([0, 2, 1, 1])
    expected = F.cross_entropy(logits, labels)
    for spec in (F.cross_entropy, nn.CrossEntropyLoss()):
        compiled = CompiledLoss(spec)
        compiled.bind(["out"])
        torch.testing.assert_close(compiled(labels, logits)[0], expected)
    seen = []

    def keras_loss(y_true, y_pred):
        seen.append((y_true, y_pred))
        return (y_pred - y_true).abs()

    compiled = CompiledLoss(keras_loss)
    compiled.bind(["out"])
    value, _ = compiled(torch.zeros(2, 1), torch.ones(2, 1))
    assert seen[0][0].sum() == 0 and float(value) == 1.0  # (y_true, y_pred), averaged
    # torch loss modules get (N, 1) targets for (N, 1) outputs, not a broadcast
    mse = CompiledLoss(nn.MSELoss())
    mse.bind(["out"])
    assert float(mse(torch.tensor([1.0, 2.0]), torch.tensor([[1.0], [4.0]]))[0]) == pytest.approx(2.0)


def test_compiled_loss_structures_and_weights():
    compiled = CompiledLoss({"b": "mae"}, loss_weights={"b": 2.0})
    compiled.bind(["a", "b"])
    total, per_output = compiled({"a": torch.zeros(2, 1), "b": torch.zeros(2, 1)},
                                 {"a": torch.ones(2, 1), "b": torch.full((2, 1), 3.0)})
    assert float(total) == pytest.approx(6.0) and per_output is None
    assert [e.name for e in compiled.entries] == ["b_loss"]
    both = CompiledLoss("mse")
    both.bind(["a", "b"])
    total, per_output = both([torch.zeros(1, 1), torch.zeros(1, 1)], [torch.ones(1, 1), torch.full((1, 1), 2.0)])
    assert float(total) == 5.0 and [float(v) for v in per_output] == [1.0, 4.0]
    with pytest.raises(ValueError, match="loss_weights has 1 entries, but the model has 2"):
        CompiledLoss("mse", loss_weights=[1.0]).bind(["a", "b"])
    with pytest.raises(ValueError, match="gives no output a loss"):
        CompiledLoss([None, None]).bind(["a", "b"])
    with pytest.raises(ValueError, match="the model has 2 output.*but y holds 1 array"):
        both.validate(torch.zeros(1, 1), [torch.ones(1, 1), torch.ones(1, 1)], "fit")


# --------------------------------------------------------------------- metrics
def test_accuracy_functions():
    y_pred = t([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1], [0.2, 0.2, 0.6]])
    assert float(metrics.sparse_categorical_accuracy(t([1, 0, 0], torch.int64), y_pred).mean()) == pytest.approx(2 / 3)
    assert float(metrics.sparse_categorical_accuracy(t([[1], [0], [2]]), y_pred).mean()) == 1.0
    assert float(metrics.categorical_accuracy(t(np.eye(3)[[1, 1, 2]]), y_pred).mean()) == pytest.approx(2 / 3)
    binary = metrics.BinaryAccuracy()
    binary.update_state(t([1.0, 0.0, 1.0, 1.0]), t([[0.9], [0.4], [0.2], [0.6]]))
    assert float(binary.result()) == 0.75
    logits = metrics.BinaryAccuracy(threshold=0.0)
    logits.update_state(t([[1.0], [0.0]]), t([[0.3], [-2.0]]))
    assert float(logits.result()) == 1.0
    exact = metrics.Accuracy()
    exact.update_state(t([[1.0], [2.0]]), t([[1.0], [3.0]]))
    assert float(exact.result()) == 0.5


def test_mean_metrics_accumulate_on_tensors_and_reset():
    mean = metrics.Mean()
    assert float(mean.result()) == 0.0
    mean.update_state(t([1.0, 2.0]))
    mean.update_state(t(4.0), sample_weight=2)
    assert isinstance(mean.total, torch.Tensor) and float(mean.result()) == pytest.approx(11 / 4)
    mean.update_state(t([10.0, 0.0]), sample_weight=t([0.0, 1.0]))
    assert float(mean.result()) == pytest.approx(11 / 5)
    # Keras's rule: values are averaged per sample first, each sample weighing 1.
    per_sample = metrics.Mean()
    per_sample.update_state(t([[1.0, 3.0], [5.0, 7.0]]), sample_weight=t([1.0, 3.0]))
    assert float(per_sample.result()) == pytest.approx((2.0 * 1 + 6.0 * 3) / 4)
    mean.reset_state()
    assert float(mean.result()) == 0.0
    mae = metrics.MeanAbsoluteError()
    mae.update_state(t([[0.0], [0.0]]), t([[1.0], [3.0]]))
    assert float(mae.result()) == 2.0
    rmse = metrics.resolve("rmse")
    rmse.update_state(t([[0.0], [0.0]]), t([[3.0], [4.0]]))
    assert float(rmse.result()) == pytest.approx(np.sqrt(12.5))
    assert float(metrics.MeanSquaredError()(t([[0.0]]), t([[2.0]]))) == 4.0


def test_metric_names_callables_and_errors():
    # compile logs a metric under the name it was given
    assert metrics.resolve("mae").name == "mae" and isinstance(metrics.resolve("mae"), metrics.MeanAbsoluteError)
    assert metrics.resolve("mean_squared_error").name == "mean_squared_error"
    assert isinstance(metrics.resolve("auc"), metrics.AUC) and metrics.resolve("precision").name == "precision"
    huber = metrics.resolve("huber")  # a loss function name: the mean of that function
    assert isinstance(huber, metrics.MeanMetricWrapper) and huber.name == "huber"

    def my_metric(y_true, y_pred):
        return (y_true - y_pred).abs().mean(dim=-1)

    assert metrics.resolve(my_metric).name == "my_metric"
    torch_style = metrics.resolve(nn.L1Loss())
    torch_style.update_state(t([[0.0]]), t([[2.0]]))
    assert float(torch_style.result()) == 2.0
    with pytest.raises(ValueError, match=r"unknown metric 'f1'. Valid names: \['AUC', 'Accuracy'"):
        metrics.resolve("f1")
    with pytest.raises(TypeError, match="a metric must be a name, a Metric object or a callable"):
        CompiledMetrics([3])
    compiled = CompiledMetrics(["mae"])
    with pytest.raises(ValueError, match="metrics must be a list with one entry per output"):
        compiled.bind(["a", "b"], {}, [None, None], [None, None])


def test_accuracy_resolution_follows_the_loss_then_the_shapes():
    probs3 = torch.softmax(torch.randn(4, 3), -1)
    one = torch.rand(4, 1)
    cases = [
        (losses.BinaryCrossentropy(), torch.ones(4, 1), one, "BinaryAccuracy"),
        (nn.BCEWithLogitsLoss(), torch.ones(4, 1), one, "BinaryAccuracy"),
        (losses.CategoricalCrossentropy(), torch.eye(3)[[0, 1, 2, 0]], probs3, "CategoricalAccuracy"),
        (losses.SparseCategoricalCrossentropy(), torch.tensor([0, 1, 2, 0]), probs3, "SparseCategoricalAccuracy"),
        (None, torch.ones(4, 1), one, "BinaryAccuracy"),
        (None, torch.tensor([[0], [1], [2], [0]]), probs3, "SparseCategoricalAccuracy"),
        (None, torch.eye(3)[[0, 1, 2, 0]], probs3, "CategoricalAccuracy"),
    ]
    for loss, y_true, y_pred, kind in cases:
        assert type(metrics.resolve("accuracy", loss, y_true, y_pred)).__name__ == kind


# ------------------------------------------------------------------ optimizers
def params():
    return [nn.Parameter(torch.zeros(3))]


@pytest.mark.parametrize(
    "name, cls, expected",
    [
        ("adam", torch.optim.Adam, {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-7, "weight_decay": 0}),
        ("sgd", torch.optim.SGD, {"lr": 1e-2, "momentum": 0.0, "nesterov": False}),
        ("rmsprop", torch.optim.RMSprop, {"lr": 1e-3, "alpha": 0.9, "eps": 1e-7, "centered": False, "momentum": 0.0}),
        ("adamw", torch.optim.AdamW, {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-7, "weight_decay": 0}),
        ("Adam", torch.optim.Adam, {"lr": 1e-3}),
    ],
)
def test_optimizer_names_have_keras_defaults(name, cls, expected):
    optimizer = optimizers.get(name).create(params())
    assert isinstance(optimizer, cls)
    # Keras's weight decay is decoupled and applied by the Keras step, not torch's L2 term.
    assert optimizer.weight_decay == (0.004 if name == "adamw" else None)
    for key, value in expected.items():
        assert optimizer.defaults[key] == value, key


def test_optimizer_specs_and_errors():
    optimizer = optimizers.RMSprop(learning_rate=0.1, rho=0.5, centered=True).create(params())
    assert optimizer.defaults["alpha"] == 0.5 and optimizer.defaults["centered"]
    assert optimizers.SGD(momentum=0.9, nesterov=True).create(params()).defaults["nesterov"]
    existing = torch.optim.SGD(params(), lr=0.1)
    assert optimizers.get(existing) is existing
    assert isinstance(optimizers.get(torch.optim.Adamax).create(params()), torch.optim.Adamax)
    with pytest.raises(ValueError, match=r"Unknown optimizer 'ftrl'. Valid names: \['adadelta', 'adafactor', 'adagrad', 'adam', 'adamax', 'adamw', 'lion', 'nadam', 'rmsprop', 'sgd'\]"):
        optimizers.get("ftrl")
    with pytest.raises(ValueError, match=r"learning_rate must lie in \[0.0, inf\), received learning_rate=-1"):
        optimizers.Adam(learning_rate=-1)
    with pytest.raises(ValueError, match="beta_1 must lie in"):
        optimizers.Adam(beta_1=1.0)
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0"):
        optimizers.SGD(nesterov=True)
    with pytest.raises(TypeError, match="returned 3, not a torch.optim.Optimizer"):
        optimizers.get(lambda p: 3).create(params())
    with pytest.raises(TypeError, match="optimizer must be a Keras name"):
        optimizers.get(3)


def test_epsilon_setting_reaches_losses_and_ops():
    y_true, y_pred = torch.ones(1, 1), torch.zeros(1, 1)
    default = float(losses.BinaryCrossentropy()(y_true, y_pred))
    previous = tkl.config.epsilon()
    tkl.backend.set_epsilon(0.1)
    try:
        assert float(losses.BinaryCrossentropy()(y_true, y_pred)) == pytest.approx(-np.log(0.1), rel=1e-5)
        assert float(tkl.ops.binary_crossentropy(y_true, y_pred).mean()) == pytest.approx(-np.log(0.1), rel=1e-5)
    finally:
        tkl.backend.set_epsilon(previous)
    assert float(losses.BinaryCrossentropy()(y_true, y_pred)) == pytest.approx(default)


def test_crossentropy_name_picks_the_loss_from_the_shapes():
    compiled = losses.resolve("crossentropy")
    assert losses.resolve("CE").name == "CE"
    probs = torch.softmax(torch.randn(4, 3), -1)
    labels = torch.tensor([0, 2, 1, 1])
    cases = [
        (labels, probs, losses.sparse_categorical_crossentropy),
        (labels[:, None], probs, losses.sparse_categorical_crossentropy),
        (torch.eye(3)[labels], probs, losses.categorical_crossentropy),
        (torch.tensor([[1.0], [0.0], [1.0], [0.0]]), torch.rand(4, 1), losses.binary_crossentropy),
    ]
    for y_true, y_pred, fn in cases:
        torch.testing.assert_close(compiled(y_true, y_pred), fn(y_true.float(), y_pred).mean())
    model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(4, activation="softmax")])
    model.compile("sgd", loss="crossentropy", metrics=["accuracy"])
    history = model.fit(np.random.rand(16, 3), np.arange(16) % 4, epochs=1, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]


def test_compiled_metrics_are_checked_on_the_first_batch():
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 3)), np.eye(3)[rng.integers(0, 3, 16)]
    model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(3, activation="softmax")])
    before = {k: v.clone() for k, v in model.state_dict().items() if isinstance(v, torch.Tensor)}
    model.compile("sgd", "categorical_crossentropy", metrics=[metrics.F1Score()])
    with pytest.raises(ValueError, match=r"compile: the metric 'f1_score' \(F1Score\) returns a value of shape \(3,\), "
                                         r"but the logs of fit/evaluate hold one number per metric"):
        model.fit(x, y, epochs=1, verbose=0)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    model.compile("sgd", "categorical_crossentropy", metrics=[metrics.F1Score(average="macro")])
    assert "f1_score" in model.fit(x, y, epochs=1, verbose=0).history
    def broken(y_true, y_pred):
        return y_true @ y_pred  # (16, 3) @ (16, 3): a shape error inside the metric

    model.compile("sgd", "categorical_crossentropy", metrics=[broken])
    with pytest.raises(ValueError, match=r"compile: the metric 'broken' \(MeanMetricWrapper\) failed on the first "
                                         r"batch: y_pred has shape \(16, 3\) \(float32\), y_true has shape "
                                         r"\(16, 3\)"):
        model.evaluate(x, y, verbose=0)
