"""``tkl.ops.image`` against independently computed values and Keras's documented
semantics; channels_first agreement; errors."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from torch_keraslike import ops

RNG = np.random.default_rng(2)
IMAGES = RNG.random((2, 5, 6, 3)).astype("float32")


def _close(ours, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(ours), np.asarray(expected), rtol=rtol, atol=atol)


def _first(images):
    return np.moveaxis(images, -1, -3)


def test_resize_modes_and_dtypes():
    small = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    _close(ops.image.resize(small, (4, 4), interpolation="nearest")[0, ..., 0],
           np.repeat(np.repeat(small[0, ..., 0], 2, 0), 2, 1))
    _close(ops.image.resize(np.ones((3, 3, 2), "float32"), (5, 7)), np.ones((5, 7, 2)))
    ints = ops.image.resize((IMAGES * 255).astype("uint8"), (10, 12), interpolation="bicubic")
    assert ints.dtype == torch.uint8 and ints.shape == (2, 10, 12, 3)
    assert ops.image.resize(IMAGES.astype("float16"), (3, 3)).dtype == torch.float16
    channels_first = ops.image.resize(_first(IMAGES), (3, 4), data_format="channels_first")
    _close(channels_first, _first(ops.image.resize(IMAGES, (3, 4)).numpy()))


def test_resize_to_aspect_ratio():
    wide = np.ones((1, 4, 8, 1), "float32")
    cropped = ops.image.resize(wide, (4, 4), crop_to_aspect_ratio=True)
    assert cropped.shape == (1, 4, 4, 1)
    padded = ops.image.resize(wide, (8, 8), pad_to_aspect_ratio=True, fill_value=-1.0)
    assert padded.shape == (1, 8, 8, 1)
    _close(padded[0, :2, :, 0], -np.ones((2, 8)))  # bands of fill_value above and below
    _close(padded[0, 2:6, :, 0], np.ones((4, 8)))


def test_crop_and_pad_images():
    image = np.arange(30, dtype="float32").reshape(5, 6, 1)
    _close(ops.image.crop_images(image, top_cropping=1, left_cropping=2, target_height=3, target_width=2),
           image[1:4, 2:4])
    _close(ops.image.crop_images(image, bottom_cropping=1, right_cropping=1, target_height=2, target_width=3),
           image[2:4, 2:5])
    _close(ops.image.pad_images(image, 1, 2, bottom_padding=0, right_padding=1), np.pad(image, ((1, 0), (2, 1), (0, 0))))
    _close(ops.image.pad_images(_first(image[None]), top_padding=1, left_padding=0, target_height=7,
                                target_width=6, data_format="channels_first"),
           _first(np.pad(image, ((1, 1), (0, 0), (0, 0)))[None]))


def test_extract_patches_2d_and_3d():
    images = np.arange(2 * 4 * 4 * 2, dtype="float32").reshape(2, 4, 4, 2)
    patches = ops.image.extract_patches(images, 2)
    assert patches.shape == (2, 2, 2, 8)
    _close(patches[1, 1, 0], images[1, 2:4, 0:2].reshape(-1))  # row-major pixels, channels innermost
    strided = ops.image.extract_patches(images, (2, 3), strides=1, dilation_rate=(1, 1))
    assert strided.shape == (2, 3, 2, 12)
    same = ops.image.extract_patches(images, 3, strides=2, padding="same")
    assert same.shape == (2, 2, 2, 18)
    dilated = ops.image.extract_patches(images, 2, strides=1, dilation_rate=2)
    _close(dilated[0, 0, 0], images[0, ::2, ::2].reshape(-1))
    first = ops.image.extract_patches(_first(images), 2, data_format="channels_first")
    _close(first, _first(patches.numpy()))
    volumes = np.arange(4**3 * 2, dtype="float32").reshape(1, 4, 4, 4, 2)
    cubes = ops.image.extract_patches_3d(volumes, 2)
    assert cubes.shape == (1, 2, 2, 2, 16)
    _close(cubes[0, 1, 0, 1], volumes[0, 2:4, 0:2, 2:4].reshape(-1))
    _close(ops.image.extract_patches(volumes, (2, 2, 2)), cubes)


def test_colour_spaces():
    rgb = RNG.random((2, 3, 4, 3)).astype("float32")
    hsv = ops.image.rgb_to_hsv(rgb)
    _close(ops.image.hsv_to_rgb(hsv), rgb, atol=1e-5)
    _close(ops.image.rgb_to_hsv([[[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.5]]]),
           [[[1 / 3, 1.0, 1.0], [2 / 3, 1.0, 1.0], [0.0, 0.0, 0.5]]], atol=1e-6)
    grey = ops.image.rgb_to_grayscale(rgb)
    _close(grey[..., 0], rgb @ np.array([0.2989, 0.587, 0.114], "float32"), rtol=1e-5)
    _close(ops.image.rgb_to_grayscale(_first(rgb), data_format="channels_first"), _first(grey.numpy()))
    _close(ops.image.rgb_to_hsv(_first(rgb), data_format="channels_first"), _first(hsv.numpy()))


def test_gaussian_blur_and_sobel_edges():
    flat = np.ones((1, 7, 7, 2), "float32")
    blurred = ops.image.gaussian_blur(flat, (3, 3), (1.0, 1.0))
    _close(blurred[0, 1:-1, 1:-1], np.ones((5, 5, 2)), rtol=1e-6)  # the kernel sums to 1
    impulse = np.zeros((1, 5, 5, 1), "float32")
    impulse[0, 2, 2, 0] = 1.0
    kernel = ops.image.gaussian_blur(impulse, 3, 2.0)[0, 1:4, 1:4, 0].numpy()
    weights = np.exp(-0.5 * (np.arange(3) - 1) ** 2 / 4.0)
    _close(kernel, np.outer(weights, weights) / np.outer(weights, weights).sum(), rtol=1e-5)
    ramp = np.tile(np.arange(5, dtype="float32"), (5, 1))[None, ..., None]  # grows along x
    edges = ops.image.sobel_edges(ramp)
    assert edges.shape == (1, 5, 5, 1, 2)
    _close(edges[0, 1:-1, 1:-1, 0, 1], np.full((3, 3), 8.0))  # dx of a unit ramp
    _close(edges[0, 1:-1, 1:-1, 0, 0], np.zeros((3, 3)))


def test_ssim():
    image = RNG.random((16, 16, 3)).astype("float32")
    _close(ops.image.ssim(image, image), 1.0, rtol=1e-5)
    noisy = np.clip(image + RNG.normal(0, 0.2, image.shape), 0, 1).astype("float32")
    score = float(ops.image.ssim(image[None], noisy[None])[0])
    assert 0.0 < score < 0.9
    _close(ops.image.ssim(_first(image), _first(noisy), data_format="channels_first"), score, rtol=1e-5)


def test_map_coordinates_fill_modes():
    line = np.arange(4, dtype="float32")
    points = np.array([[-2.0, -1.0, 1.5, 4.0, 5.0]], "float32")
    expected = {
        "constant": [0.0, 0.0, 1.5, 0.0, 0.0],
        "nearest": [0.0, 0.0, 1.5, 3.0, 3.0],
        "wrap": [2.0, 3.0, 1.5, 0.0, 1.0],
        "mirror": [2.0, 1.0, 1.5, 2.0, 1.0],
        "reflect": [1.0, 0.0, 1.5, 3.0, 2.0],
    }
    for mode, values in expected.items():
        _close(ops.image.map_coordinates(line, points, order=1, fill_mode=mode), values)
    _close(ops.image.map_coordinates(line, [[1.4, 2.6]], order=0), [1.0, 3.0])
    grid = np.arange(12, dtype="int32").reshape(3, 4)
    assert ops.image.map_coordinates(grid, [[0.5], [0.5]], order=1).dtype == torch.int32


def test_affine_and_perspective_transforms():
    identity = np.array([1, 0, 0, 0, 1, 0, 0, 0], "float32")
    _close(ops.image.affine_transform(IMAGES, identity), IMAGES)
    shift = np.array([1, 0, 1, 0, 1, 0, 0, 0], "float32")  # output x reads input x + 1
    moved = ops.image.affine_transform(IMAGES, shift, interpolation="nearest")
    _close(moved[:, :, :-1], IMAGES[:, :, 1:])
    _close(moved[:, :, -1], np.zeros((2, 5, 3)))
    _close(ops.image.affine_transform(IMAGES, shift, fill_mode="nearest")[:, :, -1], IMAGES[:, :, -1])
    corners = np.array([[0, 0], [5, 0], [5, 4], [0, 4]], "float32")
    _close(ops.image.perspective_transform(IMAGES, corners, corners), IMAGES, atol=1e-5)
    _close(ops.image.perspective_transform(IMAGES, corners + [1, 0], corners, interpolation="nearest"),
           moved, atol=1e-5)
    first = ops.image.affine_transform(_first(IMAGES), shift, data_format="channels_first")
    _close(first, _first(ops.image.affine_transform(IMAGES, shift).numpy()))


def test_elastic_transform_is_seeded_and_shape_preserving():
    images = RNG.random((2, 8, 8, 3)).astype("float32")
    first = ops.image.elastic_transform(images, seed=3)
    assert first.shape == images.shape and first.dtype == torch.float32
    _close(ops.image.elastic_transform(images, seed=3), first)
    assert not np.allclose(ops.image.elastic_transform(images, seed=4), first)
    _close(ops.image.elastic_transform(images, alpha=0.0, seed=1), images, atol=1e-6)


def test_scale_and_translate():
    image = RNG.random((4, 5)).astype("float32")
    _close(ops.image.scale_and_translate(image, (4, 5), [1.0, 1.0], [0.0, 0.0], [0, 1], "linear"), image,
           atol=1e-6)
    doubled = ops.image.scale_and_translate(np.ones((4, 5), "float32"), (8, 10), [2.0, 2.0], [0.0, 0.0], [0, 1],
                                            "cubic")
    _close(doubled, np.ones((8, 10)), atol=1e-5)


def test_image_ops_join_functional_graphs():
    x = tkl.Input((8, 8, 3))
    y = ops.image.resize(ops.image.rgb_to_grayscale(x), (4, 4))
    assert y.shape == (None, 4, 4, 1)
    model = tkl.Model(x, y)
    assert model(torch.ones(2, 8, 8, 3)).shape == (2, 4, 4, 1)


@pytest.mark.parametrize("call, error, message", [
    (lambda: ops.image.resize(IMAGES, (0, 4)), ValueError, r"ops.image.resize: size must be two positive ints"),
    (lambda: ops.image.resize(IMAGES, (4, 4), interpolation="lanczos3"), ValueError, r"has no torch kernel"),
    (lambda: ops.image.resize(IMAGES, (4, 4), interpolation="area"), ValueError, r"invalid interpolation='area'"),
    (lambda: ops.image.resize(IMAGES[0, 0], (4, 4)), ValueError, r"images must have rank 3 \(one image\) or 4"),
    (lambda: ops.image.resize(IMAGES, (4, 4), crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), ValueError,
     r"only one of pad_to_aspect_ratio and crop_to_aspect_ratio"),
    (lambda: ops.image.crop_images(IMAGES, top_cropping=1, target_height=2), ValueError,
     r"give exactly two of left_cropping, right_cropping, target_width"),
    (lambda: ops.image.crop_images(IMAGES, 1, 1, target_height=9, target_width=2), ValueError,
     r"the crop \(top=1, left=1, height=9, width=2\) does not fit in images of 5x6"),
    (lambda: ops.image.pad_images(IMAGES, 1, 1, target_height=2, target_width=9), ValueError,
     r"the target size is smaller than the image"),
    (lambda: ops.image.pad_images(IMAGES, -1, 0, 0, 0), ValueError, r"top_padding must be >= 0"),
    (lambda: ops.image.extract_patches(IMAGES, [2, 2, 2, 2]), ValueError, r"size must have 2 or 3 elements"),
    (lambda: ops.image.rgb_to_hsv(IMAGES.astype("int32")), ValueError, r"images must be a float dtype"),
    (lambda: ops.image.rgb_to_grayscale(IMAGES[..., :2]), ValueError, r"images need 3 or 1 channels"),
    (lambda: ops.image.affine_transform(IMAGES, np.ones(6)), ValueError, r"transform must have shape \(8,\)"),
    (lambda: ops.image.affine_transform(IMAGES, np.ones(8), fill_mode="edge"), ValueError, r"invalid fill_mode='edge'"),
    (lambda: ops.image.map_coordinates(IMAGES[0], [[0.0]], order=1), ValueError, r"coordinates must have one entry per axis"),
    (lambda: ops.image.map_coordinates(IMAGES[0, 0], [[0.0], [0.0]], order=3), ValueError, r"order must be 0 \(nearest\) or 1"),
    (lambda: ops.image.perspective_transform(IMAGES, np.ones((3, 2)), np.ones((3, 2))), ValueError,
     r"start_points must have shape \(4, 2\)"),
    (lambda: ops.image.elastic_transform(IMAGES, seed="x"), TypeError, r"seed must be None, an int or a SeedGenerator"),
    (lambda: ops.image.ssim(IMAGES, IMAGES[:1]), ValueError, r"the images must have the same shape"),
    (lambda: ops.image.scale_and_translate(IMAGES, (2, 5, 6, 3), [1.0], [0.0], [1], "area"), ValueError,
     r"invalid method='area'"),
])
def test_bad_inputs_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
