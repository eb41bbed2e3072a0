"""Cropping1D/2D/3D: NumPy slicing, Keras's test cases and Keras 3 itself."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_parity import check_keras_parity
from layer_testing import run_layer_test
from torch_keraslike.layers.cropping import Cropping1D, Cropping2D, Cropping3D

CLASSES = {1: Cropping1D, 2: Cropping2D, 3: Cropping3D}


def to_layout(x, data_format):
    """A channels_last array in ``data_format``'s layout."""
    return x if data_format == "channels_last" else np.moveaxis(x, -1, 1)


def random_images(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


CASES = [
    (2, 1, ((1, 1), (1, 1))),
    (2, (2, 1), ((2, 2), (1, 1))),
    (2, ((1, 0), (2, 3)), ((1, 0), (2, 3))),
    (2, ((0, 0), (0, 0)), ((0, 0), (0, 0))),
    (3, 1, ((1, 1), (1, 1), (1, 1))),
    (3, (1, 2, 0), ((1, 1), (2, 2), (0, 0))),
    (3, ((0, 1), 2, (3, 0)), ((0, 1), (2, 2), (3, 0))),
]


# Cropping1D has no data_format (as in Keras).
@pytest.mark.parametrize("rank, cropping, crops, data_format", [
    (1, 1, ((1, 1),), "channels_last"),
    (1, (2, 0), ((2, 0),), "channels_last"),
] + [case + (data_format,) for case in CASES for data_format in ("channels_last", "channels_first")])
def test_cropping_matches_numpy(rank, cropping, crops, data_format):
    x = random_images((2,) + (5, 7, 6)[:rank] + (3,))
    index = (slice(None),) + tuple(slice(a, n - b) for (a, b), n in zip(crops, x.shape[1:])) + (slice(None),)
    expected = to_layout(x[index], data_format)
    inputs = torch.from_numpy(to_layout(x, data_format).copy())
    kwargs = {"cropping": cropping} if rank == 1 else {"cropping": cropping, "data_format": data_format}
    layer, out = run_layer_test(CLASSES[rank], kwargs, None, expected.shape, input_data=inputs,
                                run_compiled=cropping in (((1, 0), (2, 3)), (2, 0), ((0, 1), 2, (3, 0))))
    np.testing.assert_array_equal(out.numpy(), expected)
    stored = crops[0] if rank == 1 else crops
    assert layer.cropping == stored and layer.get_config()["cropping"] == stored
    assert layer.compute_output_shape(tuple(inputs.shape)) == expected.shape
    assert layer.compute_output_shape((None,) * (rank + 2)) == (None,) * (rank + 2)


def test_defaults_views_and_integers():
    assert Cropping1D().cropping == (1, 1)
    assert Cropping2D().cropping == ((0, 0), (0, 0))
    assert Cropping3D().cropping == ((1, 1),) * 3
    x = torch.arange(10).reshape(1, 5, 2)
    out = Cropping1D((1, 2))(x)
    assert out.dtype == torch.int64 and out.data_ptr() == x[:, 1:].data_ptr()  # a view, no copy
    assert "data_format" not in Cropping1D().get_config()
    tkl.config.set_image_data_format("channels_first")
    try:
        assert Cropping2D().data_format == "channels_first" == Cropping3D().data_format
    finally:
        tkl.config.set_image_data_format("channels_last")


@pytest.mark.parametrize("cls, kwargs, shape", [
    (Cropping1D, {"cropping": (1, 2)}, (2, 6, 3)),
    (Cropping2D, {"cropping": ((1, 0), (2, 3))}, (2, 4, 7, 2)),
    (Cropping2D, {"cropping": 1, "data_format": "channels_first"}, (2, 2, 4, 5)),
    (Cropping3D, {"cropping": ((0, 1), (2, 1), (1, 0)), "data_format": "channels_first"}, (2, 2, 3, 5, 2)),
])
def test_matches_keras(cls, kwargs, shape):
    check_keras_parity(cls, kwargs, random_images(shape))


def test_bad_cropping_arguments():
    for bad in [(1,), (1, 2, 3), "1", -1, (1, -1)]:
        with pytest.raises(ValueError, match='"cropping1d.*The `cropping` argument must be a tuple of 2 integers'):
            Cropping1D(cropping=bad)
    for bad in [(1, 2, 3), (1,)]:
        with pytest.raises(ValueError, match="`cropping` should have two elements"):
            Cropping2D(cropping=bad)
    for bad in ["1", ((1, 2), (3, 4, 5)), ((1, 2), (3, -4)), ((1, 2), "3"), -1]:
        with pytest.raises(ValueError, match="`cropping` should be either an int, a tuple of 2 ints"):
            Cropping2D(cropping=bad)
    for bad in [(1,), (1, 2), (1, 2, 3, 4)]:
        with pytest.raises(ValueError, match="`cropping` should have 3 elements"):
            Cropping3D(cropping=bad)
    for bad in ["1", ((1, 2), (3, 4), (5, 6, 7)), ((1, 2), (3, 4), (5, -6)), ((1, 2), (3, 4), "5")]:
        with pytest.raises(ValueError, match="`cropping` should be either an int, a tuple of 3 ints"):
            Cropping3D(cropping=bad)


@pytest.mark.parametrize("layer, shape, match", [
    (Cropping1D((2, 3)), (1, 5, 2), "`cropping` parameter of `Cropping1D` layer must be smaller than"),
    (Cropping2D(((1, 1), (3, 2))), (1, 4, 5, 2), "Values in `cropping` argument should be smaller than the "
                                                 "corresponding spatial dimension of the input."),
    (Cropping2D(((2, 2), (0, 0)), data_format="channels_first"), (1, 2, 4, 5),
     r"Received: (input_shape|inputs.shape)=\(1, 2, 4, 5\), cropping=\(\(2, 2\), \(0, 0\)\)"),
    (Cropping3D(((1, 1), (1, 1), (2, 3))), (1, 4, 4, 5, 2), "Values in `cropping` argument should be smaller"),
])
def test_too_large_crops_are_rejected_and_leave_the_layer_unbuilt(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        layer(torch.ones(shape))
    assert not layer.built
    with pytest.raises(ValueError, match=match):
        layer(tkl.Input(batch_shape=shape))
    big = tuple(s + 10 if i else s for i, s in enumerate(shape))
    layer(torch.ones(big))
    with pytest.raises(ValueError, match=match):  # also after build, on a smaller input
        layer(torch.ones(shape))
    with pytest.raises(ValueError, match="expected ndim="):
        layer(torch.ones(shape + (1,)))
