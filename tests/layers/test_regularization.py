"""SpatialDropout1D/2D/3D, GaussianDropout, GaussianNoise, AlphaDropout and
ActivityRegularization: Keras's test cases, statistics, seeding, training-only
behaviour, and Keras 3's formulas on the same random draws."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras
from layer_testing import run_layer_test
from torch_keraslike.layers.regularization import (
    ActivityRegularization,
    AlphaDropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)

NOISE = [
    (SpatialDropout1D, {"rate": 0.5}, (2, 3, 4)),
    (SpatialDropout2D, {"rate": 0.5}, (2, 3, 4, 5)),
    (SpatialDropout2D, {"rate": 0.5, "data_format": "channels_first"}, (2, 3, 4, 5)),
    (SpatialDropout3D, {"rate": 0.5}, (2, 3, 4, 4, 5)),
    (SpatialDropout3D, {"rate": 0.5, "data_format": "channels_first"}, (2, 3, 4, 4, 5)),
    (GaussianDropout, {"rate": 0.2}, (2, 3)),
    (GaussianNoise, {"stddev": 0.2}, (2, 3)),
    (AlphaDropout, {"rate": 0.2}, (2, 3)),
]


@pytest.mark.parametrize("cls, kwargs, shape", NOISE)
def test_common(cls, kwargs, shape):
    layer, out = run_layer_test(cls, kwargs, shape, shape)
    x = torch.randn(shape)
    assert torch.equal(layer(x, training=False), x)  # identity at inference
    assert layer.supports_masking
    trained = layer(x, training=True)
    assert trained.shape == x.shape and not torch.equal(trained, x)
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + shape[1:]


@pytest.mark.parametrize("cls, kwargs, shape", NOISE)
def test_training_follows_train_and_eval_and_seeds_repeat(cls, kwargs, shape):
    x = torch.randn(shape)
    layer = cls(**kwargs, seed=7)
    layer.train()
    first = layer(x)
    assert not torch.equal(first, x)
    layer.eval()
    assert torch.equal(layer(x), x)
    again = cls(**kwargs, seed=7)
    torch.testing.assert_close(again(x, training=True), first)
    torch.testing.assert_close(cls.from_config(json.loads(json.dumps(layer.get_config())))(x, training=True), first)
    assert not torch.equal(again(x, training=True), first)  # the stream moves on


@pytest.mark.parametrize("cls, axes, shape", [
    (SpatialDropout1D, {"channels_last": (1,)}, (10, 3, 10)),
    (SpatialDropout2D, {"channels_last": (1, 2), "channels_first": (2, 3)}, (10, 3, 3, 10)),
    (SpatialDropout3D, {"channels_last": (1, 2, 3), "channels_first": (2, 3, 4)}, (10, 3, 3, 3, 10)),
])
def test_spatial_dropout_drops_whole_feature_maps(cls, axes, shape):
    for data_format, spatial in axes.items():
        kwargs = {"data_format": data_format} if cls is not SpatialDropout1D else {}
        out = cls(0.5, **kwargs)(torch.ones(shape), training=True)
        reduced = out.amax(dim=spatial, keepdim=True)
        assert torch.equal(out, reduced.expand_as(out))  # constant over the spatial axes
        assert set(out.unique().tolist()) == {0.0, 2.0}


def test_statistics_match_keras_tests():
    x = torch.ones(20, 500)
    out = GaussianDropout(0.3, seed=1337)(x, training=True)
    assert abs(out.std().item() - np.sqrt(0.3 / 0.7)) < 0.02
    out = GaussianNoise(0.3, seed=1337)(x, training=True)
    assert abs(out.std().item() - 0.3) < 0.02
    out = AlphaDropout(0.3, seed=1337)(torch.randn(20, 500), training=True)
    assert abs(out.std().item() - 1.0) < 0.1
    out = AlphaDropout(0.5, noise_shape=(None, 1, None))(torch.ones(20, 5, 10), training=True)
    torch.testing.assert_close(out[:, 0], out[:, 1])
    out = AlphaDropout(0.5, noise_shape=(20, 1, 10))(torch.ones(20, 5, 10), training=True)
    torch.testing.assert_close(out[:, 0], out[:, 1])
    assert torch.equal(SpatialDropout2D(1.0)(torch.ones(1, 2, 2, 3), training=True), torch.zeros(1, 2, 2, 3))
    assert torch.equal(GaussianNoise(0.0)(x, training=True), x)


@pytest.mark.parametrize("kind, make", [
    ("normal", lambda: GaussianNoise(0.3)),
    ("normal", lambda: GaussianDropout(0.3)),
    ("uniform", lambda: AlphaDropout(0.3)),
    ("uniform", lambda: AlphaDropout(0.4, noise_shape=(None, 1, 4))),
    ("mask", lambda: SpatialDropout1D(0.3)),
    ("mask", lambda: SpatialDropout2D(0.3, data_format="channels_first")),
    ("mask", lambda: SpatialDropout3D(0.3)),
])
def test_matches_keras_on_the_same_random_draws(kind, make, monkeypatch):
    keras = import_keras()
    from keras.src import backend as keras_backend

    ours = make()
    rank = {SpatialDropout1D: 1, SpatialDropout2D: 2, SpatialDropout3D: 3}.get(type(ours), 1)
    shape = (2, 3) + (4,) * rank
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    theirs = getattr(keras.layers, type(ours).__name__)(**{
        k: v for k, v in ours.get_config().items() if k not in ("name", "dtype", "trainable")})
    draws = {}

    def our_draw(draw_kind, draw_shape, inputs):
        generator = torch.Generator().manual_seed(3)
        if draw_kind == "normal":
            draws["z"] = torch.randn(draw_shape, generator=generator)
        else:  # keep where >= rate: uniform draws, or a 0/1 keep mask for SpatialDropout
            draws["u"] = torch.rand(draw_shape, generator=generator)
            if kind == "mask":
                draws["u"] = (draws["u"] >= ours.rate).float()
        return draws["z" if draw_kind == "normal" else "u"]

    monkeypatch.setattr(ours, "_draw", our_draw)
    expected_ours = ours(x, training=True)
    monkeypatch.setattr(keras_backend.random, "normal",
                        lambda shape, mean=0.0, stddev=1.0, dtype=None, seed=None: mean + stddev * draws["z"])
    monkeypatch.setattr(keras_backend.random, "uniform",
                        lambda shape, minval=0.0, maxval=1.0, dtype=None, seed=None: draws["u"])
    monkeypatch.setattr(torch, "bernoulli", lambda probabilities, generator=None: draws["u"])
    expected = theirs(x, training=True)
    np.testing.assert_allclose(expected_ours.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls, kwargs", [
    (SpatialDropout1D, {"rate": 0.2, "seed": 3}),
    (SpatialDropout2D, {"rate": 0.2, "data_format": "channels_first"}),
    (GaussianDropout, {"rate": 0.1, "seed": 2}),
    (GaussianNoise, {"stddev": 0.1}),
    (AlphaDropout, {"rate": 0.1, "noise_shape": [None, 1]}),
    (ActivityRegularization, {"l1": 0.1, "l2": 0.2}),
])
def test_configs_are_keras_configs(cls, kwargs):
    keras = import_keras()
    ours = cls(**kwargs)
    theirs = getattr(keras.layers, cls.__name__)(**kwargs)
    ours_config, keras_config = ours.get_config(), theirs.get_config()
    assert set(ours_config) == set(keras_config)
    for key, value in kwargs.items():
        assert ours_config[key] == keras_config[key] or list(ours_config[key]) == list(keras_config[key])
    getattr(keras.layers, cls.__name__).from_config(ours_config | {"dtype": "float32"})


def test_activity_regularization():
    layer, _ = run_layer_test(ActivityRegularization, {"l1": 0.1, "l2": 0.2}, (2, 3), (2, 3))
    layer = ActivityRegularization(l1=0.2, l2=0.3)
    x = torch.full((1,), 2.0)
    assert torch.equal(layer(x), x)
    assert len(layer.losses) == 1
    torch.testing.assert_close(layer.losses[0], torch.tensor(4 * 0.3 + 2 * 0.2))
    layer(torch.ones(4, 3))  # divided by the batch size, as every activity regularizer
    torch.testing.assert_close(layer.losses[0], torch.tensor((0.2 * 12 + 0.3 * 12) / 4))
    assert layer.supports_masking and "activity_regularizer" not in layer.get_config()


def test_activity_regularization_matches_keras():
    keras = import_keras()
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    ours, theirs = ActivityRegularization(0.1, 0.2), keras.layers.ActivityRegularization(0.1, 0.2)
    np.testing.assert_array_equal(ours(x).numpy(), theirs(x).numpy())
    np.testing.assert_allclose(ours.losses[0].item(), float(theirs.losses[0]), rtol=1e-5)


@pytest.mark.parametrize("make, match", [
    (lambda: SpatialDropout1D(-0.5), r"Invalid value received for argument `rate`. Expected a float value "
                                     r"between 0 and 1. Received: rate=-0.5"),
    (lambda: SpatialDropout2D(1.5), "Invalid value received for argument `rate`"),
    (lambda: GaussianDropout(1.0), r"Invalid value received for argument `rate`.*in \[0, 1\)"),
    (lambda: GaussianDropout("half"), "Invalid value received for argument `rate`"),
    (lambda: AlphaDropout(rate=-0.5), "Invalid value received for argument `rate`"),
    (lambda: AlphaDropout(rate=1.5), "Invalid value received for argument `rate`"),
    (lambda: GaussianNoise(1.5), "Invalid value received for argument `stddev`. Expected a float value between 0 and 1"),
    (lambda: GaussianNoise(0.1, seed=1.5), "seed must be an int or None"),
    (lambda: AlphaDropout(0.5, noise_shape="Invalid"), "Invalid value received for argument `noise_shape`"),
    (lambda: AlphaDropout(0.5, noise_shape=(20, 0, 10)), "Invalid value received for argument `noise_shape`"),
    (lambda: SpatialDropout3D(0.5, data_format="NDHWC"), "Invalid data_format"),
    (lambda: ActivityRegularization(l1=-1.0), "l1 must be a non-negative number"),
    (lambda: ActivityRegularization(l2="x"), "l2 must be a non-negative number"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match) as error:
        make()
    assert "Layer" in str(error.value) or "data_format" in str(error.value)


def test_bad_inputs():
    layer = SpatialDropout2D(0.5)
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        layer(torch.ones(2, 3, 4), training=True)
    assert not layer.built
    layer = AlphaDropout(0.5, noise_shape=(None, 1))
    with pytest.raises(ValueError, match=r"noise_shape=\(None, 1\) has 2 entries but the input has rank 3"):
        layer(torch.ones(2, 3, 4), training=True)


def test_symbolic_training_call_in_a_model():
    x = tkl.Input(shape=(3, 2))
    y = SpatialDropout1D(0.5)(x, training=True)
    assert y.shape == (None, 3, 2)
    model = tkl.Model(x, GaussianNoise(0.5)(x))
    data = torch.randn(4, 3, 2)
    model.eval()
    assert torch.equal(model(data), data)


@pytest.mark.parametrize("cls, kwargs, shape", NOISE)
def test_training_mode_compiles_without_graph_breaks(cls, kwargs, shape):
    # Seeded layers draw from torch's global generator while compiled.
    x = torch.ones(shape)
    for seed in (None, 5):
        layer = cls(**kwargs, seed=seed)
        layer(x)
        compiled = torch.compile(layer, backend="eager", fullgraph=True)
        torch.manual_seed(1)
        first = compiled(x, training=True)
        torch.manual_seed(1)
        torch.testing.assert_close(compiled(x, training=True), first)
        assert first.shape == x.shape and not torch.equal(first, x)
        torch.testing.assert_close(compiled(x, training=False), x)
        torch._dynamo.reset()
