"""LayerScale (ConvNeXt)."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras
from layer_testing import run_layer_test
from torch_keraslike.layers.layer_scale import LayerScale


def test_layer_scale_common():
    shape = (2, 3, 3, 4)
    layer, _ = run_layer_test(LayerScale, {"init_values": 1e-6, "projection_dim": 4}, shape, shape, 1)
    torch.testing.assert_close(layer.gamma, torch.full((4,), 1e-6, requires_grad=True))
    assert [k for k in layer.state_dict() if "extra" not in k] == ["gamma"]


def test_multiplies_the_last_axis():
    layer = LayerScale(0.5, 3)
    layer(torch.ones(1, 3))
    layer.set_weights([np.array([1.0, 2.0, 3.0], np.float32)])
    expected = torch.tensor([1.0, 2.0, 3.0]).expand(2, 2, 3)
    torch.testing.assert_close(layer(torch.ones(2, 2, 3)).detach(), expected)


def test_registered_as_keras_layer_scale_with_keras_config():
    assert tkl.saving.get_registered_object("LayerScale") is LayerScale
    assert tkl.saving.get_registered_name(LayerScale) == "keras>LayerScale"
    config = LayerScale(1e-6, 8).get_config()
    assert config["init_values"] == 1e-6 and config["projection_dim"] == 8


def test_matches_keras_convnext_layer_scale():
    import_keras()
    from keras.src.applications.convnext import LayerScale as KerasLayerScale

    x = np.random.default_rng(0).standard_normal((2, 4, 4, 6)).astype(np.float32)
    ours, theirs = LayerScale(0.3, 6), KerasLayerScale(0.3, 6)
    np.testing.assert_allclose(ours(x).detach().numpy(), theirs(x).detach().cpu().numpy(), rtol=1e-6)
    theirs_config = theirs.get_config()
    assert (theirs_config["init_values"], theirs_config["projection_dim"]) == (0.3, 6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="init_values must be a number"):
        LayerScale("small", 4)
    with pytest.raises(ValueError, match="projection_dim must be a positive integer"):
        LayerScale(1e-6, 0)
    layer = LayerScale(1e-6, 4)
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        layer(torch.ones(2, 3))
    assert not layer.built
