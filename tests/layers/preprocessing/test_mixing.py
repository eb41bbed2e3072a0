"""CutMix and MixUp: images, labels and masks mixed within a batch."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from image_reference import assert_same_transform, clone_structure, images
from keras_reference import import_keras
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing.mixing import CutMix, MixUp


@pytest.mark.parametrize("cls, kwargs", [
    (CutMix, {}), (CutMix, {"factor": 0.5, "data_format": "channels_first"}),
    (MixUp, {}), (MixUp, {"alpha": 1.0, "data_format": "channels_first"}),
])
@pytest.mark.parametrize("training", [False, True])
def test_mixing_layers_common(cls, kwargs, training):
    shape = (6, 3, 5, 4) if kwargs.get("data_format") == "channels_first" else (6, 5, 4, 3)
    run_layer_test(cls, dict(kwargs, seed=3), shape, shape, training=training)


@pytest.mark.parametrize("make", [lambda k: (CutMix(), k.CutMix()), lambda k: (CutMix(0.4), k.CutMix(0.4)),
                                  lambda k: (MixUp(), k.MixUp()), lambda k: (MixUp(0.7), k.MixUp(0.7))])
def test_images_and_labels_as_keras(make):
    ours, theirs = make(import_keras().layers)
    x = images((6, 9, 7, 3), scale=255)
    transformation = assert_same_transform(ours, theirs, x, atol=1e-3)
    labels = torch.eye(6)
    np.testing.assert_allclose(ours.transform_labels(labels, clone_structure(transformation)).numpy(),
                               theirs.transform_labels(labels, transformation).cpu().numpy(), rtol=1e-5, atol=1e-6)


def test_cut_mix_labels_follow_the_pasted_area():
    x = torch.arange(4.0).reshape(4, 1, 1, 1).expand(4, 8, 8, 1).contiguous()
    layer = CutMix(seed=5)
    transformation = layer.get_random_transformation(x)
    out = layer.transform_images(x, transformation)
    labels = layer.transform_labels(torch.eye(4), transformation)
    permutation = transformation["permutation_order"]
    for i in range(4):
        own = float((out[i] == i).float().mean()) if int(permutation[i]) != i else 1.0
        assert abs(float(labels[i, i]) - own) < 0.2  # the kept share (rectangles cover whole pixels)
    torch.testing.assert_close(labels.sum(-1), torch.ones(4))
    assert CutMix(seed=1).get_random_transformation(torch.rand(8, 8, 3)) is None  # one image: nothing to mix


def test_mix_up_weights_and_masks():
    x = torch.rand(5, 4, 4, 3)
    layer = MixUp(alpha=0.5, seed=2)
    transformation = layer.get_random_transformation(x)
    weight = transformation["mix_weight"].reshape(-1, 1, 1, 1)
    expected = weight * x + (1 - weight) * x[transformation["permutation_order"]]
    torch.testing.assert_close(layer.transform_images(x, transformation), expected)
    assert sorted(transformation["permutation_order"].tolist()) == list(range(5))
    masks = torch.randint(0, 3, (5, 4, 4, 1))
    mixed = layer.transform_segmentation_masks(masks, transformation)
    assert mixed.dtype == torch.float32 and mixed.shape == masks.shape  # blended along the batch
    torch.testing.assert_close(mixed, weight * masks + (1 - weight) * masks[transformation["permutation_order"]])


def test_dict_calls_symbolic_specs_and_integer_labels():
    data = {"images": torch.rand(4, 6, 6, 3), "labels": torch.tensor([[1, 0], [0, 1], [1, 0], [0, 1]]),
            "segmentation_masks": torch.randint(0, 2, (4, 6, 6, 1))}
    cut = CutMix(seed=1)(data, training=True)
    assert cut["labels"].dtype == torch.float32 and cut["segmentation_masks"].dtype == torch.int64
    mixed = MixUp(seed=1)(data, training=True)
    assert mixed["segmentation_masks"].dtype == torch.float32
    inputs = {"images": tkl.Input((6, 6, 3)), "labels": tkl.Input((2,), dtype="int64"),
              "segmentation_masks": tkl.Input((6, 6, 1), dtype="int64")}
    spec = MixUp()(inputs)
    assert spec["labels"].dtype == torch.float32 and spec["segmentation_masks"].dtype == torch.float32
    spec = CutMix()(inputs)
    assert spec["labels"].dtype == torch.float32 and spec["segmentation_masks"].dtype == torch.int64


@pytest.mark.parametrize("make, message", [
    (lambda: MixUp(alpha=0), "`alpha` must be a positive number"),
    (lambda: MixUp(alpha="x"), "`alpha` must be a positive number"),
    (lambda: CutMix(1.5), r"in the range \[0, 1\]"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_configs_match_keras():
    keras = import_keras()
    for ours, theirs in [(CutMix(0.4, seed=1), keras.layers.CutMix(0.4, seed=1)),
                         (MixUp(0.3, seed=1), keras.layers.MixUp(0.3, seed=1))]:
        config, keras_config = ours.get_config(), theirs.get_config()
        for key in set(keras_config) - {"name", "dtype", "trainable"}:
            assert np.ravel(config[key]).tolist() == np.ravel(keras_config[key]).tolist(), key
