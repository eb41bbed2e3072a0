"""BatchNormalization(renorm=True): Keras 3's batch renormalization."""

import json

import numpy as np
import pytest
import torch

from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from torch_keraslike.layers.normalization import BatchNormalization


def _rand(shape, seed=0, loc=1.5, scale=2.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale + loc).astype(np.float32)


@pytest.mark.parametrize("kwargs, trainable", [({"renorm": True}, 2), ({"renorm": True, "center": False}, 1)])
@pytest.mark.parametrize("training", [False, True])
def test_renorm_common(kwargs, trainable, training):
    shape = (4, 3, 3, 2)
    layer, _ = run_layer_test(BatchNormalization, kwargs, shape, shape, trainable, 5, training=training)
    assert [n for n, _ in layer.named_buffers()] == [
        "moving_mean", "moving_variance", "moving_stddev", "renorm_mean", "renorm_stddev"]


def _numpy_renorm_step(x, state, gamma, beta, momentum, renorm_momentum, clipping, epsilon=1e-3):
    """One training step of batch renormalization, written from the paper and Keras's
    update rules; ``state`` holds the five statistics and is updated."""
    axes = tuple(range(x.ndim - 1))
    x = x.astype(np.float64)
    mean, var = x.mean(axes), x.var(axes)
    std = np.sqrt(var + epsilon)
    r = std / np.maximum(state["renorm_stddev"], np.sqrt(epsilon))
    d = (mean - state["renorm_mean"]) / np.maximum(state["renorm_stddev"], np.sqrt(epsilon))
    r = np.clip(r, clipping.get("rmin", -np.inf), clipping.get("rmax", np.inf))
    d = np.clip(d, -clipping.get("dmax", np.inf), clipping.get("dmax", np.inf))
    out = (x - mean) / np.sqrt(var + epsilon) * (r * gamma) + (d * gamma + beta)
    state["renorm_mean"] = state["renorm_mean"] * renorm_momentum + mean * (1 - renorm_momentum)
    state["renorm_stddev"] = state["renorm_stddev"] * renorm_momentum + std * (1 - renorm_momentum)
    state["moving_mean"] = state["moving_mean"] * momentum + mean * (1 - momentum)
    state["moving_stddev"] = state["moving_stddev"] * momentum + std * (1 - momentum)
    state["moving_variance"] = np.maximum(state["moving_stddev"] ** 2 - epsilon, 0)
    return out


@pytest.mark.parametrize("clipping", [{}, {"rmax": 1.1, "rmin": 0.9, "dmax": 0.2}])
def test_renorm_training_matches_the_formula(clipping):
    layer = BatchNormalization(renorm=True, renorm_clipping=clipping, momentum=0.8, renorm_momentum=0.6)
    layer.build((None, 3))
    rng = np.random.default_rng(1)
    gamma, beta = rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    layer.set_weights([gamma.astype(np.float32), beta.astype(np.float32)] + layer.get_weights()[2:])
    names = ["moving_mean", "moving_variance", "moving_stddev", "renorm_mean", "renorm_stddev"]
    state = dict(zip(names, [w.astype(np.float64) for w in layer.get_weights()[2:]]))
    np.testing.assert_allclose(state["moving_stddev"], 1.0)  # sqrt of the moving variance init
    for step in range(4):
        x = _rand((8, 3), seed=step, loc=step, scale=step + 1)
        expected = _numpy_renorm_step(x, state, gamma, beta, 0.8, 0.6, clipping)
        np.testing.assert_allclose(layer(x, training=True).detach().numpy(), expected, rtol=1e-4, atol=1e-4)
        for name, value in zip(names, layer.get_weights()[2:]):
            np.testing.assert_allclose(value, state[name], rtol=1e-5, atol=1e-6, err_msg=name)
    # Inference uses the moving statistics only (moving_variance derived from the stddev).
    x = _rand((5, 3), seed=9)
    expected = (x - state["moving_mean"]) / np.sqrt(state["moving_variance"] + 1e-3) * gamma + beta
    np.testing.assert_allclose(layer(x, training=False).detach().numpy(), expected, rtol=1e-4, atol=1e-4)


def test_renorm_corrections_carry_no_gradient():
    x = torch.from_numpy(_rand((6, 4))).requires_grad_()
    layer = BatchNormalization(renorm=True)
    layer.build((None, 4))
    layer(x, training=True).mul(torch.arange(4.0)).sum().backward()
    x2 = x.detach().clone().requires_grad_()
    plain = BatchNormalization()
    # At initialization r and d are constants: gradients are those of batch norm scaled by r.
    mean, var = x2.detach().mean(0), x2.detach().var(0, unbiased=False)
    r = torch.sqrt(var + 1e-3) / 1.0
    (plain(x2, training=True) * r * torch.arange(4.0)).sum().backward()
    torch.testing.assert_close(x.grad, x2.grad, rtol=1e-4, atol=1e-4)
    assert torch.isfinite(mean).all()


def test_renorm_compiled_training_matches_eager():
    eager, compiled_layer = BatchNormalization(renorm=True), BatchNormalization(renorm=True)
    compiled = torch.compile(compiled_layer, backend="eager", fullgraph=True)
    for step in range(3):
        x = torch.from_numpy(_rand((6, 3, 3, 2), seed=step))
        torch.testing.assert_close(compiled(x, training=True), eager(x, training=True))
    for a, b in zip(compiled_layer.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    torch._dynamo.reset()


@pytest.mark.parametrize("kwargs", [
    {"renorm": True},
    {"renorm": True, "renorm_clipping": {"rmax": 1.2, "rmin": 0.9, "dmax": 0.1}, "renorm_momentum": 0.5,
     "momentum": 0.8},
    {"renorm": True, "scale": False, "center": False, "axis": 1},
])
def test_renorm_matches_keras(kwargs):
    keras = import_keras()
    x = _rand((4, 3, 5, 5))
    ours, theirs = BatchNormalization(**kwargs), keras.layers.BatchNormalization(**kwargs)
    ours(x)
    theirs(x)
    rng = np.random.default_rng(3)
    weights = [w + rng.uniform(0.1, 1, w.shape).astype(np.float32) for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    for step in range(3):
        batch = _rand((4, 3, 5, 5), seed=step, loc=step, scale=step + 1)
        np.testing.assert_allclose(to_numpy(ours(batch, training=True)),
                                   to_numpy(theirs(batch, training=True)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_numpy(ours(x, training=False)), to_numpy(theirs(x, training=False)),
                               rtol=1e-5, atol=1e-5)
    for got, want in zip(ours.get_weights(), [w.value for w in theirs.weights]):
        np.testing.assert_allclose(got, to_numpy(want), rtol=1e-5, atol=1e-6)
    config = theirs.get_config()
    for key in ("renorm", "renorm_clipping", "renorm_momentum", "synchronized"):
        assert ours.get_config()[key] == config[key]


def test_renorm_config_round_trip_and_defaults():
    config = json.loads(json.dumps(BatchNormalization(renorm=True).get_config()))
    assert (config["renorm"], config["renorm_clipping"], config["renorm_momentum"]) == (True, {}, 0.99)
    assert BatchNormalization().get_config()["renorm_clipping"] is None
    clone = BatchNormalization.from_config(config)
    assert clone.renorm and clone.renorm_clipping == {}


@pytest.mark.parametrize("kwargs, message", [
    ({"renorm_clipping": {"rmax": 1, "bad": 2}}, "Received invalid keys for `renorm_clipping` argument"),
    ({"renorm_clipping": {"rmax": 1, "rmin": 2}}, "rmax should be greater than rmin"),
    ({"renorm_clipping": {"dmax": -1}}, "dmax should be non-negative"),
    ({"renorm_clipping": {"dmax": "big"}}, r"renorm_clipping\['dmax'\] must be a number"),
    ({"renorm_momentum": 2.0}, r"renorm_momentum must be a number in \[0, 1\]"),
])
def test_renorm_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BatchNormalization(renorm=True, **kwargs)
