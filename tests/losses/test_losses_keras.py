"""Every ``tkl.losses`` class and function against Keras 3 (torch backend): same targets,
predictions and sample weights, every reduction, values within 1e-5; configs that
Keras's classes accept. Skipped without Keras."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy

RNG = np.random.default_rng(7)
N, C = 6, 4


def _data(kind):
    if kind == "reg":
        return RNG.random((N, C)).astype("float32"), RNG.random((N, C)).astype("float32")
    if kind == "binary":
        return (RNG.random((N, C)) > 0.5).astype("float32"), RNG.uniform(0.02, 0.98, (N, C)).astype("float32")
    if kind == "binary_column":
        return (RNG.random((N,)) > 0.5).astype("float32"), RNG.uniform(0.02, 0.98, (N, 1)).astype("float32")
    if kind == "logits":
        return (RNG.random((N, C)) > 0.5).astype("float32"), RNG.normal(0, 2, (N, C)).astype("float32")
    if kind == "hinge":
        return (RNG.random((N, C)) > 0.5).astype("float32"), RNG.normal(0, 1, (N, C)).astype("float32")
    if kind == "signed":
        return np.where(RNG.random((N, C)) > 0.5, 1.0, -1.0).astype("float32"), RNG.normal(0, 1, (N, C)).astype("float32")
    probs = RNG.random((N, C)).astype("float32") + 0.05
    labels = RNG.integers(0, C, N)
    if kind == "onehot":
        return np.eye(C, dtype="float32")[labels], probs / probs.sum(-1, keepdims=True)
    if kind == "unnormalised":
        return np.eye(C, dtype="float32")[labels], probs
    if kind == "sparse":
        return labels, probs / probs.sum(-1, keepdims=True)
    if kind == "sparse_column":
        return labels[:, None], RNG.normal(0, 1, (N, C)).astype("float32")
    if kind == "sequence":
        return RNG.integers(0, C, (N, 3)), RNG.normal(0, 1, (N, 3, C)).astype("float32")
    raise AssertionError(kind)


# (class name, constructor arguments, data kind)
CLASS_CASES = [
    ("MeanSquaredError", {}, "reg"),
    ("MeanAbsoluteError", {}, "reg"),
    ("MeanAbsolutePercentageError", {}, "reg"),
    ("MeanSquaredLogarithmicError", {}, "reg"),
    ("CosineSimilarity", {}, "reg"),
    ("CosineSimilarity", {"axis": 0}, "reg"),
    ("Huber", {}, "reg"),
    ("Huber", {"delta": 0.2}, "reg"),
    ("LogCosh", {}, "reg"),
    ("Hinge", {}, "hinge"),
    ("Hinge", {}, "signed"),
    ("SquaredHinge", {}, "hinge"),
    ("CategoricalHinge", {}, "onehot"),
    ("KLDivergence", {}, "onehot"),
    ("Poisson", {}, "reg"),
    ("BinaryCrossentropy", {}, "binary"),
    ("BinaryCrossentropy", {}, "binary_column"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "logits"),
    ("BinaryFocalCrossentropy", {}, "binary"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "from_logits": True,
                                 "label_smoothing": 0.1}, "logits"),
    ("CategoricalCrossentropy", {}, "unnormalised"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.3}, "onehot"),
    ("CategoricalFocalCrossentropy", {}, "onehot"),
    ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 1.0, "from_logits": True, "label_smoothing": 0.1},
     "onehot"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_column"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sequence"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 1}, "sequence"),
    ("CategoricalGeneralizedCrossEntropy", {}, "sparse"),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.8}, "sparse"),
    ("Dice", {}, "binary"),
    ("Dice", {"axis": 1}, "binary"),
    ("Tversky", {"alpha": 0.3, "beta": 0.7}, "binary"),
    ("Tversky", {"axis": (1,)}, "binary"),
]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", None]


@pytest.fixture(scope="module")
def keras():
    return import_keras()


def _ids(case):
    name, kwargs, kind = case
    return f"{name}-{kind}-{'-'.join(f'{k}={v}' for k, v in kwargs.items())}"


@pytest.mark.parametrize("case", CLASS_CASES, ids=[_ids(c) for c in CLASS_CASES])
def test_loss_class_matches_keras(keras, case):
    name, kwargs, kind = case
    y_true, y_pred = _data(kind)
    # Values reduced over the batch axis (axis=0) have no per-sample weights; sequences
    # get one weight per step (Keras refuses per-sample weights for per-step values).
    weight_shape = y_true.shape[:2] if kind == "sequence" else (N,)
    weights = (None,) if kwargs.get("axis") == 0 else (None, RNG.random(weight_shape).astype("float32"))
    for reduction in REDUCTIONS:
        for sample_weight in weights:
            ours = getattr(tkl.losses, name)(reduction=reduction, **kwargs)
            theirs = getattr(keras.losses, name)(reduction=reduction, **kwargs)
            expected = to_numpy(theirs(y_true, y_pred, sample_weight=sample_weight))
            received = ours(torch.as_tensor(y_true), torch.as_tensor(y_pred), sample_weight=sample_weight)
            assert isinstance(received, torch.Tensor) and received.dtype == torch.float32
            np.testing.assert_allclose(to_numpy(received), expected, rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name} reduction={reduction} weighted={sample_weight is not None}")
    # Our config loads in Keras (and back), computing the same.
    config = getattr(tkl.losses, name)(**kwargs).get_config()
    rebuilt = getattr(keras.losses, name).from_config(config)
    np.testing.assert_allclose(to_numpy(getattr(tkl.losses, name).from_config(config)(y_true, y_pred)),
                               to_numpy(rebuilt(y_true, y_pred)), rtol=1e-5, atol=1e-6)


FUNCTION_CASES = [
    ("mean_squared_error", {}, "reg"), ("mean_absolute_error", {}, "reg"),
    ("mean_absolute_percentage_error", {}, "reg"), ("mean_squared_logarithmic_error", {}, "reg"),
    ("cosine_similarity", {"axis": -1}, "reg"), ("huber", {"delta": 0.5}, "reg"), ("log_cosh", {}, "reg"),
    ("hinge", {}, "hinge"), ("squared_hinge", {}, "signed"), ("categorical_hinge", {}, "onehot"),
    ("kl_divergence", {}, "onehot"), ("poisson", {}, "reg"),
    ("binary_crossentropy", {"label_smoothing": 0.1}, "binary"),
    ("binary_focal_crossentropy", {"apply_class_balancing": True}, "binary"),
    ("categorical_crossentropy", {"from_logits": True}, "onehot"),
    ("categorical_focal_crossentropy", {}, "onehot"),
    ("sparse_categorical_crossentropy", {"from_logits": True}, "sparse_column"),
    ("sparse_categorical_crossentropy", {"ignore_class": 0}, "sparse"),
    ("categorical_generalized_cross_entropy", {"q": 0.3}, "sparse"),
    ("dice", {"axis": 1}, "binary"), ("tversky", {"alpha": 0.9, "beta": 0.1}, "binary"),
]


@pytest.mark.parametrize("case", FUNCTION_CASES, ids=[_ids(c) for c in FUNCTION_CASES])
def test_loss_function_matches_keras(keras, case):
    name, kwargs, kind = case
    y_true, y_pred = _data(kind)
    convert = keras.ops.convert_to_tensor
    expected = to_numpy(getattr(keras.losses, name)(convert(y_true), convert(y_pred), **kwargs))
    received = getattr(tkl.losses, name)(y_true, y_pred, **kwargs)  # NumPy inputs are accepted
    np.testing.assert_allclose(to_numpy(received), expected, rtol=1e-5, atol=1e-6)


def test_ctc_matches_keras(keras):
    labels = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [2, 0, 0, 0]])
    logits = RNG.normal(size=(3, 6, 4)).astype("float32")
    weight = np.array([1.0, 0.5, 2.0], dtype="float32")
    for reduction in ("sum_over_batch_size", "sum", None):
        expected = to_numpy(keras.losses.CTC(reduction=reduction)(labels, logits, sample_weight=weight))
        np.testing.assert_allclose(to_numpy(tkl.losses.CTC(reduction=reduction)(labels, logits, sample_weight=weight)),
                                   expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_numpy(tkl.losses.ctc(labels, logits)), to_numpy(keras.losses.ctc(labels, logits)),
                               rtol=1e-5)


@pytest.mark.parametrize("kwargs", [{}, {"gamma": 16.0, "margin": 0.25}, {"remove_diagonal": False}])
def test_circle_matches_keras(keras, kwargs):
    embeddings = RNG.normal(size=(8, 5)).astype("float32")
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    labels = np.array([0, 0, 1, 1, 2, 2, 0, 3])
    for reduction in ("sum_over_batch_size", "sum", None):
        expected = to_numpy(keras.losses.Circle(reduction=reduction, **kwargs)(labels, embeddings))
        received = tkl.losses.Circle(reduction=reduction, **kwargs)(labels, embeddings)
        np.testing.assert_allclose(to_numpy(received), expected, rtol=1e-5, atol=1e-5)
    references = embeddings[:3]
    expected = to_numpy(keras.losses.circle(labels, embeddings, ref_labels=labels[:3], ref_embeddings=references,
                                            remove_diagonal=False))
    received = tkl.losses.circle(labels, embeddings, ref_labels=labels[:3], ref_embeddings=references,
                                 remove_diagonal=False)
    np.testing.assert_allclose(to_numpy(received), expected, rtol=1e-5, atol=1e-5)


def test_masked_predictions_match_keras(keras):
    y_true = RNG.random((2, 5, 3)).astype("float32")
    y_pred = RNG.random((2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 0]], dtype=bool)
    ours = torch.tensor(y_pred)
    ours._keras_mask = torch.tensor(mask)
    theirs = keras.ops.convert_to_tensor(y_pred)
    theirs._keras_mask = keras.ops.convert_to_tensor(mask)
    weight = RNG.random((2, 5)).astype("float32")
    for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight", None):
        for sample_weight in (None, weight):
            expected = to_numpy(keras.losses.Huber(reduction=reduction)(y_true, theirs, sample_weight=sample_weight))
            received = tkl.losses.Huber(reduction=reduction)(y_true, ours, sample_weight=sample_weight)
            np.testing.assert_allclose(to_numpy(received), expected, rtol=1e-5, atol=1e-6)


def test_keras_loss_configs_load_here(keras):
    for name, kwargs, kind in CLASS_CASES:
        config = getattr(keras.losses, name)(**kwargs).get_config()
        ours = getattr(tkl.losses, name).from_config(config)
        y_true, y_pred = _data(kind)
        np.testing.assert_allclose(to_numpy(ours(y_true, y_pred)),
                                   to_numpy(getattr(keras.losses, name).from_config(config)(y_true, y_pred)),
                                   rtol=1e-5, atol=1e-6)
    entry = keras.losses.serialize(keras.losses.BinaryCrossentropy(from_logits=True))
    assert isinstance(tkl.losses.deserialize(entry), tkl.losses.BinaryCrossentropy)
    assert tkl.losses.deserialize(entry).from_logits is True
    assert tkl.losses.deserialize(keras.losses.serialize(keras.losses.huber)) is tkl.losses.huber
    assert keras.losses.deserialize(tkl.losses.serialize(tkl.losses.huber)) is keras.losses.huber
    assert isinstance(keras.losses.deserialize(tkl.losses.serialize(tkl.losses.Dice(axis=1))), keras.losses.Dice)


def test_namespace_has_every_keras_name(keras):
    names = [n for n in dir(keras.losses) if not n.startswith("_")]
    assert [n for n in names if not hasattr(tkl.losses, n)] == []
    assert set(keras.src.losses.ALL_OBJECTS_DICT) <= set(tkl.losses.ALL_OBJECTS_DICT)
