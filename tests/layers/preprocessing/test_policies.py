"""RandAugment and AugMix: policies of the other image layers."""

import numpy as np
import pytest
import torch

from image_reference import assert_same_transform, clone_structure, images
from keras_reference import import_keras
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing.policies import AugMix, RandAugment


@pytest.mark.parametrize("cls, kwargs", [
    (RandAugment, {"num_ops": 3, "factor": 0.3}),
    (AugMix, {"num_chains": 2, "chain_depth": 2}),
    (AugMix, {"all_ops": False, "data_format": "channels_first"}),
])
@pytest.mark.parametrize("training", [False, True])
def test_policies_common(cls, kwargs, training):
    shape = (2, 3, 10, 9) if kwargs.get("data_format") == "channels_first" else (2, 10, 9, 3)
    run_layer_test(cls, dict(kwargs, seed=4), shape, shape, training=training)


# Keras's Equalization (its count_nonzero) triggers a torch deprecation warning.
KERAS_WARNING = pytest.mark.filterwarnings("ignore:Tensor.T is deprecated on 0-D tensors:UserWarning")


@KERAS_WARNING
@pytest.mark.parametrize("trial", range(3))
def test_rand_augment_applies_keras_picks_in_order(trial):
    # Keras's own loop (a `where` per operation) is meant to apply the picked
    # operations one after the other; on its torch backend some operations edit
    # their input in place, which leaks into the unpicked branches. The reference
    # is the intended result: Keras's operations applied in the picked order.
    keras = import_keras()
    x = torch.from_numpy(images((4, 9, 7, 3), scale=255))
    theirs, ours = keras.layers.RandAugment(), RandAugment()
    transformation = theirs.get_random_transformation(x)
    got = ours.transform_images(x.clone(), clone_structure(transformation))
    names = list(transformation["transforms"])
    expected = x.clone()
    for index in transformation["layer_idxes"].tolist():
        # A copy per application: Keras's torch affine_transform swaps entries of the
        # matrix it is given in place, so an operation picked twice would otherwise
        # see its own matrix edited (a rotation of a non-square image moved).
        arguments = clone_structure(transformation["transforms"][names[index]])
        expected = getattr(theirs, names[index]).transform_images(expected, arguments)
    np.testing.assert_allclose(got.numpy(), expected.cpu().numpy(), rtol=1e-5, atol=1e-2)


@KERAS_WARNING
@pytest.mark.parametrize("kwargs", [{}, {"all_ops": False, "num_chains": 2}, {"chain_depth": 1, "factor": 0.6}])
def test_aug_mix_same_transform_as_keras(kwargs):
    keras = import_keras()
    for _ in range(2):
        assert_same_transform(AugMix(**kwargs), keras.layers.AugMix(**kwargs), images((4, 9, 7, 3), scale=255),
                              atol=1e-2)


def test_rand_augment_compiled_picks_match_eager():
    layer = RandAugment(num_ops=2, factor=0.4)
    x = torch.rand(2, 8, 8, 3) * 255
    transformation = layer.get_random_transformation(x)
    eager = layer.transform_images(x, transformation)
    compiled = torch.compile(lambda images: layer.transform_images(images, transformation), backend="eager",
                             fullgraph=True)
    torch.testing.assert_close(compiled(x), eager, rtol=1e-4, atol=1e-3)
    torch._dynamo.reset()


def test_operations_share_the_policy_stream_and_arguments():
    layer = RandAugment(factor=0.4, value_range=(0, 1), seed=7, data_format="channels_first")
    assert layer.random_posterization.factor == (1, 3)  # max(1, int(8 * 0.4))
    assert layer.random_contrast.value_range == [0, 1] and layer.random_shear.data_format == "channels_first"
    assert all(getattr(layer, name).seed is None for name in layer._operations if hasattr(getattr(layer, name), "seed"))
    x = torch.rand(2, 3, 8, 8)
    torch.testing.assert_close(layer(x, training=True), RandAugment(factor=0.4, value_range=(0, 1), seed=7,
                                                                     data_format="channels_first")(x, training=True))
    mix = AugMix(all_ops=False)
    assert mix._operations == ["random_shear", "random_translation", "random_rotation", "random_posterization",
                               "solarization", "auto_contrast", "equalization"]


def test_aug_mix_weights_and_range():
    x = torch.rand(3, 8, 8, 3) * 255
    layer = AugMix(seed=2)
    transformation = layer.get_random_transformation(x)
    torch.testing.assert_close(transformation["chain_mixing_weights"].sum(), torch.tensor(1.0))
    assert 0 <= float(transformation["weight_sample"]) <= 1
    assert len(transformation["chain_transforms"]) == 3
    assert all(len(chain) <= 3 for chain in transformation["chain_transforms"])
    out = layer.transform_images(x, transformation)
    assert float(out.min()) >= 0 and float(out.max()) <= 255


def test_masks_follow_the_geometric_operations():
    x = torch.rand(2, 8, 8, 3)
    masks = (x[..., :1] > 0.5).long()
    layer = RandAugment(num_ops=2, factor=0.5, seed=3)
    transformation = layer.get_random_transformation(x)
    transformation["layer_idxes"] = torch.tensor([0, 4])  # shear, then colour degeneration
    moved = layer.transform_segmentation_masks(masks, transformation)
    expected = layer.random_shear.transform_segmentation_masks(masks, transformation["transforms"]["random_shear"])
    assert moved.dtype == torch.int64 and torch.equal(moved, expected)
    out = layer({"images": x, "segmentation_masks": masks}, training=True)
    assert out["segmentation_masks"].shape == (2, 8, 8, 1)


@pytest.mark.parametrize("make, error, message", [
    (lambda: RandAugment(num_ops=0), ValueError, "`num_ops` must be a positive integer"),
    (lambda: RandAugment(factor=2.0), ValueError, r"in the range \[0, 1\]"),
    (lambda: RandAugment(interpolation="cubic"), NotImplementedError, "Unknown `interpolation`"),
    (lambda: AugMix(num_chains=0), ValueError, "`num_chains` must be a positive integer"),
    (lambda: AugMix(alpha=-1), ValueError, "`alpha` must be a positive number"),
])
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_configs_match_keras():
    keras = import_keras()
    for ours, theirs in [(RandAugment(num_ops=3, factor=0.2, seed=1), keras.layers.RandAugment(num_ops=3, factor=0.2,
                                                                                               seed=1)),
                         (AugMix(num_chains=2, all_ops=False), keras.layers.AugMix(num_chains=2, all_ops=False))]:
        config, keras_config = ours.get_config(), theirs.get_config()
        for key in set(keras_config) - {"name", "dtype", "trainable"}:
            assert np.ravel(config[key]).tolist() == np.ravel(keras_config[key]).tolist(), key
