"""Normalization (the preprocessing layer): adapt, given statistics, Keras's weights."""

import json

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing.normalization import Normalization


def _data(shape=(40, 3, 4), seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 3 + 5).astype(np.float32)


@pytest.mark.parametrize("kwargs, shape, non_trainable", [
    ({"axis": -1}, (3, 4), 3),
    ({"axis": (1, 2)}, (3, 4, 5), 3),
    ({"axis": None}, (3, 4), 3),
    ({"axis": -1, "mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0]}, (2, 3), 0),
    ({"axis": -1, "invert": True}, (3, 4), 3),
])
def test_normalization_common(kwargs, shape, non_trainable):
    run_layer_test(Normalization, kwargs, shape, shape, 0, non_trainable)


def test_weights_are_keras_mean_variance_count():
    layer = Normalization(axis=(1, 3))
    layer.build((None, 3, 5, 4))
    names = [k for k in layer.state_dict() if "extra" not in k]
    assert names == ["mean", "variance", "count"]
    assert [w.shape for w in layer.get_weights()] == [(3, 4), (3, 4), ()]
    assert layer.count.dtype == torch.int32 and layer.trainable_weights == []


@pytest.mark.parametrize("axis", [-1, (1, 2), None, 1])
def test_adapt_on_an_array_and_call(axis):
    data = _data()
    layer = Normalization(axis=axis)
    layer.adapt(data)
    keep = () if axis is None else (axis,) if isinstance(axis, int) else axis
    reduce = tuple(d for d in range(3) if d not in [k % 3 for k in keep])
    mean = data.astype(np.float64).mean(reduce, keepdims=True)
    std = data.astype(np.float64).std(reduce, keepdims=True)
    np.testing.assert_allclose(layer(data).numpy(), (data - mean) / std, rtol=1e-5, atol=1e-5)
    assert int(layer.count) == 0  # kept at 0, as Keras does


def _loaders(data):
    tensor = torch.from_numpy(data)
    return {
        "tensor": tensor,
        "loader_x": DataLoader(tensor, batch_size=7),
        "loader_xy": DataLoader(TensorDataset(tensor, torch.zeros(len(tensor))), batch_size=6),
        "list": [data[:10], data[10:25], data[25:]],
        "generator": (data[i:i + 9] for i in range(0, len(data), 9)),
        "tuples": [(data[:20], None), (data[20:], None)],
    }


@pytest.mark.parametrize("kind", ["tensor", "loader_x", "loader_xy", "list", "generator", "tuples"])
def test_adapt_on_tensors_and_batches_equals_adapt_on_the_array(kind):
    data = _data()
    reference = Normalization(axis=-1)
    reference.adapt(data)
    layer = Normalization(axis=-1)
    layer.adapt(_loaders(data)[kind])
    for got, want in zip(layer.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_adapt_again_replaces_the_statistics_and_state_dict_round_trip():
    layer = Normalization()
    layer.adapt(_data(seed=1))
    layer.adapt(_data(seed=2) * 10)
    fresh = Normalization()
    fresh.adapt(_data(seed=2) * 10)
    np.testing.assert_allclose(layer.get_weights()[0], fresh.get_weights()[0], rtol=1e-6)
    restored = Normalization.from_config(layer.get_config())
    restored.load_state_dict(layer.state_dict())
    torch.testing.assert_close(restored(torch.ones(2, 3, 4)), layer(torch.ones(2, 3, 4)))


def test_invert_undoes_normalization():
    data = _data()
    forward, inverse = Normalization(), Normalization(invert=True)
    forward.adapt(data)
    inverse.adapt(data)
    torch.testing.assert_close(inverse(forward(data)), torch.from_numpy(data), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("axis, mean, variance, shape", [
    (-1, 3.0, 2.0, (4, 5)),                                       # scalar
    (-1, [1.0, 2.0], [4.0, 9.0], (3, 2)),                         # per feature
    (1, [1.0, 2.0, 3.0], [1.0, 4.0, 9.0], (2, 3, 4)),             # non-last axis
    ((1, 2), [[1.0, 2.0], [3.0, 4.0]], [[1.0] * 2] * 2, (2, 2, 2)),
    ((1, 2), [1.0, 2.0, 3.0], [1.0, 4.0, 9.0], (2, 4, 3)),       # right-aligned to the kept axes
])
def test_given_mean_and_variance_broadcast_like_keras(axis, mean, variance, shape):
    keras = import_keras()
    x = _data(shape)
    ours = Normalization(axis=axis, mean=mean, variance=variance)
    theirs = keras.layers.Normalization(axis=axis, mean=mean, variance=variance)
    np.testing.assert_allclose(to_numpy(ours(x)), to_numpy(theirs(x)), rtol=1e-6, atol=1e-6)
    assert ours.weights == [] and ours.get_config()["mean"] == np.array(mean).tolist()


@pytest.mark.parametrize("axis, invert", [(-1, False), ((1, 2), False), (None, True)])
def test_adapt_matches_keras_on_arrays_and_batches(axis, invert):
    keras = import_keras()
    data = _data()
    # (Keras's adapt on iterables needs TensorFlow; ours equals adapt on the array, above.)
    for source in (data, torch.from_numpy(data)):
        ours = Normalization(axis=axis, invert=invert)
        theirs = keras.layers.Normalization(axis=axis, invert=invert)
        ours.adapt(source)
        theirs.adapt(source)
        for got, want in zip(ours.get_weights(), [w.value for w in theirs.weights]):
            np.testing.assert_allclose(got, to_numpy(want), rtol=1e-5, atol=1e-5)
        x = data[:4]
        np.testing.assert_allclose(to_numpy(ours(x)), to_numpy(theirs(x)), rtol=1e-5, atol=1e-5)
    config = theirs.get_config()
    assert {k: ours.get_config()[k] for k in ("axis", "invert", "mean", "variance")} == {
        k: config[k] for k in ("axis", "invert", "mean", "variance")}


def test_keras_weights_load_into_the_layer():
    # EfficientNet's stem: an unadapted Normalization whose statistics come from the file.
    keras = import_keras()
    theirs = keras.layers.Normalization(axis=-1)
    theirs.adapt(_data((10, 4, 4, 3)))
    ours = Normalization(axis=-1)
    ours.build((None, 4, 4, 3))
    ours.set_weights([to_numpy(w.value) for w in theirs.weights])
    x = _data((2, 4, 4, 3), seed=5)
    np.testing.assert_allclose(to_numpy(ours(x)), to_numpy(theirs(x)), rtol=1e-6, atol=1e-6)


def test_integer_inputs_symbolic_calls_and_masks():
    layer = Normalization(mean=2.0, variance=4.0, axis=None)
    out = layer(torch.tensor([[2, 4]]))
    assert out.dtype == torch.float32 and out.tolist() == [[0.0, 1.0]]
    assert Normalization()(tkl.Input((3,), dtype="int32")).dtype == torch.float32
    assert Normalization.supports_masking is True


def test_config_is_json_and_round_trips():
    layer = Normalization(axis=(1, 2), mean=[1.0, 2.0], variance=[3.0, 4.0], invert=True)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["axis"] == [1, 2] and config["invert"] is True
    clone = Normalization.from_config(config)
    assert clone.axis == (1, 2) and clone.get_config()["mean"] == [1.0, 2.0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="both `mean` and `variance` must be set"):
        Normalization(mean=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="both `mean` and `variance` must be set"):
        Normalization(variance=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="must have the same shape"):
        Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="rank of `mean` must be less than or equal to the number of axes"):
        Normalization(axis=-1, mean=[[1.0]], variance=[[1.0]])
    with pytest.raises(TypeError, match="axis must be an int, a tuple of ints or None"):
        Normalization(axis="last")


@pytest.mark.parametrize("axis, shape, message", [
    (3, (None, 2), r"All `axis` values must be in the range \[-ndim, ndim\)"),
    (-4, (None, 2), r"All `axis` values must be in the range \[-ndim, ndim\)"),
    (1, (None, None), "All `axis` values to be kept must have a known shape"),
])
def test_bad_build_shapes(axis, shape, message):
    layer = Normalization(axis=axis)
    with pytest.raises(ValueError, match="(?i)" + message):
        layer.build(shape)
    assert not layer.built and layer.weights == []


def test_given_values_that_do_not_broadcast():
    layer = Normalization(axis=-1, mean=[1.0, 2.0, 3.0], variance=[1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"`mean` of shape \(3,\) cannot be broadcast"):
        layer(torch.ones(2, 4))
    assert not layer.built


def test_failed_adapt_changes_nothing():
    layer = Normalization(axis=-1)
    layer.adapt(_data((10, 3, 4)))
    before = layer.get_weights()
    with pytest.raises(ValueError, match="adapt\\(\\) is being called with data with an incompatible shape"):
        layer.adapt(_data((10, 3, 5)))
    with pytest.raises(ValueError, match="incompatible shape"):
        layer.adapt([_data((5, 3, 4)), _data((5, 3, 6))])  # fails on the second batch
    with pytest.raises(ValueError, match="empty iterable"):
        layer.adapt([])
    with pytest.raises(TypeError, match="expects an iterable that yields arrays or tensors"):
        layer.adapt([[1.0, 2.0]])
    with pytest.raises(TypeError, match="unsupported data type int for adapt"):
        layer.adapt(3)
    for got, want in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    fresh = Normalization()
    with pytest.raises(ValueError, match="empty iterable"):
        fresh.adapt(iter([]))
    assert not fresh.built
    with pytest.raises(ValueError, match="adapt\\(\\) cannot be used on a layer constructed with `mean`"):
        Normalization(mean=1.0, variance=1.0).adapt(_data())
