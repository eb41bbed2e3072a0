"""What all image preprocessing layers share: dict inputs, single images, devices,
dtypes, torch.compile, models, seeds and training-only behaviour."""

import copy
import pickle

import pytest
import torch

import torch_keraslike as tkl
from torch_keraslike.layers import preprocessing as P

RANDOM_LAYERS = {
    "flip": lambda seed=None: P.RandomFlip(seed=seed),
    "rotation": lambda seed=None: P.RandomRotation(0.2, seed=seed),
    "zoom": lambda seed=None: P.RandomZoom(0.2, seed=seed),
    "translation": lambda seed=None: P.RandomTranslation(0.2, 0.2, seed=seed),
    "contrast": lambda seed=None: P.RandomContrast(0.5, seed=seed),
    "brightness": lambda seed=None: P.RandomBrightness(0.2, seed=seed),
    "crop": lambda seed=None: P.RandomCrop(6, 6, seed=seed),
    "color_degeneration": lambda seed=None: P.RandomColorDegeneration(0.5, seed=seed),
    "grayscale": lambda seed=None: P.RandomGrayscale(0.5, seed=seed),
    "hue": lambda seed=None: P.RandomHue(0.5, seed=seed),
    "saturation": lambda seed=None: P.RandomSaturation(0.5, seed=seed),
    "color_jitter": lambda seed=None: P.RandomColorJitter(brightness_factor=0.2, contrast_factor=0.2,
                                                          saturation_factor=0.3, hue_factor=0.2, seed=seed),
    "invert": lambda seed=None: P.RandomInvert(0.5, seed=seed),
    "posterization": lambda seed=None: P.RandomPosterization((2, 7), seed=seed),
    "solarization": lambda seed=None: P.Solarization(0.3, 0.5, seed=seed),
    "sharpness": lambda seed=None: P.RandomSharpness(0.5, seed=seed),
    "gaussian_blur": lambda seed=None: P.RandomGaussianBlur(0.8, seed=seed),
    "erasing": lambda seed=None: P.RandomErasing(seed=seed),
    "shear": lambda seed=None: P.RandomShear(0.3, 0.3, seed=seed),
    "perspective": lambda seed=None: P.RandomPerspective(seed=seed),
    "elastic": lambda seed=None: P.RandomElasticTransform(seed=seed),
    "cut_mix": lambda seed=None: P.CutMix(seed=seed),
    "mix_up": lambda seed=None: P.MixUp(seed=seed),
    "rand_augment": lambda seed=None: P.RandAugment(seed=seed),
    "aug_mix": lambda seed=None: P.AugMix(seed=seed),
}
# AugMix picks its operations in Python: under torch.compile that step is a graph break.
NOT_FULLGRAPH = {"aug_mix"}
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
@pytest.mark.parametrize("device", DEVICES)
def test_random_layers_run_on_the_input_device_seeded(name, device):
    x = (torch.rand(4, 8, 8, 3) * 255).to(device)
    layer = RANDOM_LAYERS[name](seed=11).to(device)
    out = layer(x, training=True)
    assert out.device == x.device and torch.isfinite(out).all()
    again = RANDOM_LAYERS[name](seed=11).to(device)(x, training=True)
    assert torch.equal(out, again)
    if device == "cpu" and name != "crop":
        assert layer._generator.device == torch.device("cpu")


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_training_only_and_output_dtypes(name):
    floats = torch.rand(4, 8, 8, 3) * 255
    ints = floats.to(torch.uint8)
    layer = RANDOM_LAYERS[name]()
    assert torch.equal(layer(floats, training=False), floats)
    layer.eval()
    assert torch.equal(layer(floats), floats)  # torch's eval() is inference
    layer.train()
    # Integers: brightness and grayscale keep the dtype (as Keras), the others compute in floats.
    expected = torch.uint8 if layer._keeps_integer_dtype else torch.float32
    assert layer(ints, training=True).dtype == expected
    assert layer(ints, training=False).dtype == expected
    assert layer(floats.double(), training=True).dtype == torch.float32
    assert layer(tkl.Input((8, 8, 3), dtype="uint8")).dtype == expected


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_unseeded_layers_draw_from_torch_global_generator(name):
    x = torch.rand(4, 8, 8, 3) * 255
    torch.manual_seed(3)
    first = RANDOM_LAYERS[name]()(x, training=True)
    torch.manual_seed(3)
    assert torch.equal(first, RANDOM_LAYERS[name]()(x, training=True))


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_compiled_training_without_seed_is_one_graph(name):
    layer = RANDOM_LAYERS[name]()
    compiled = torch.compile(layer, backend="eager", fullgraph=name not in NOT_FULLGRAPH)
    x = torch.rand(2, 8, 8, 3) * 255
    out = compiled(x, training=True)
    assert out.shape == layer(x, training=True).shape
    torch.testing.assert_close(compiled(x, training=False), x)
    torch._dynamo.reset()


def test_seeded_layers_compile_with_the_draw_outside_the_graph():
    layer, reference = P.RandomRotation(0.3, seed=4), P.RandomRotation(0.3, seed=4)
    compiled = torch.compile(layer, backend="eager")
    x = torch.rand(2, 8, 8, 3)
    for _ in range(2):
        torch.testing.assert_close(compiled(x, training=True), reference(x, training=True))
    torch._dynamo.reset()


def test_dict_inputs_transform_images_and_masks_alike_and_keep_labels():
    x = torch.rand(3, 8, 8, 1)
    data = {"images": x, "segmentation_masks": (x > 0.5).long(), "labels": torch.tensor([0, 1, 2]),
            "weights": torch.ones(3)}
    layer = P.RandomTranslation(0.3, 0.3, seed=1, interpolation="nearest", fill_mode="nearest")
    out = layer(data, training=True)
    assert torch.equal(out["segmentation_masks"], (out["images"] > 0.5).long())
    assert out["labels"] is data["labels"] and out["weights"] is data["weights"]  # other entries pass
    assert data["images"] is x  # the caller's dict is not modified
    single = P.RandomFlip(seed=0)({"images": x[0], "labels": torch.tensor(1)}, training=True)
    assert single["images"].shape == (8, 8, 1)


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_input_errors_leave_the_layer_unbuilt(name):
    layer = RANDOM_LAYERS[name]()
    images = torch.rand(1, 8, 8, 3)
    for bad, message in [
        (torch.ones(2, 3), r"expected images to have rank 3 \(single image\) or 4 \(batch of images\). "
                           r"Received: images.shape=\(2, 3\)"),
        ({"pixels": images}, "a dict input needs an 'images' entry"),
        ({"images": images, "bounding_boxes": {"boxes": torch.zeros(1, 1, 4)}}, "bounding boxes are not supported"),
        ({"images": images, "segmentation_masks": torch.zeros(4)}, "expected segmentation_masks to have rank 3"),
    ]:
        with pytest.raises(ValueError, match=message):
            layer(bad, training=True)
        assert not layer.built
    layer(images, training=True)
    with pytest.raises(ValueError, match="expected images to have rank 3"):
        layer(torch.ones(1, 1, 1, 1, 1), training=True)
    with pytest.raises(ValueError, match="bounding boxes are not supported"):
        layer({"images": images, "bounding_boxes": {"boxes": torch.zeros(1, 1, 4)}}, training=True)


def test_symbolic_dict_and_augmentation_model():
    images = tkl.Input((8, 8, 3))
    spec = P.RandomCrop(4, 4)({"images": images, "labels": tkl.Input((1,))})
    assert spec["images"].shape == (None, 4, 4, 3) and spec["labels"].shape == (None, 1)
    model = tkl.Sequential([
        tkl.Input((16, 16, 3), dtype="uint8"),
        P.Rescaling(1 / 255),
        P.RandomFlip("horizontal", seed=1),
        P.RandomRotation(0.1, seed=2),
        P.RandomZoom(0.1, seed=3),
        P.CenterCrop(12, 12),
        P.Resizing(8, 8),
        tkl.layers.Conv2D(4, 3),
    ])
    x = torch.randint(0, 255, (2, 16, 16, 3), dtype=torch.uint8)
    assert model(x).shape == (2, 6, 6, 4)
    model.eval()
    first, second = model(x), model(x)
    assert torch.equal(first, second)  # inference: augmentations are off


def test_copies_and_pickles_keep_the_seeded_stream():
    layer = P.RandomZoom(0.3, seed=5)
    x = torch.rand(2, 6, 6, 3)
    layer(x, training=True)
    clone = copy.deepcopy(layer)
    torch.testing.assert_close(clone(x, training=True), layer(x, training=True))
    restored = pickle.loads(pickle.dumps(layer))
    torch.testing.assert_close(restored(x, training=True), layer(x, training=True))


def test_registered_for_configs():
    for cls in (getattr(P, name) for name in P.__all__):
        assert tkl.saving.get_registered_object(cls.__name__) is cls
        assert getattr(tkl.layers, cls.__name__) is cls
