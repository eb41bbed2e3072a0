"""MaxPooling1D/2D/3D and AveragePooling1D/2D/3D: a NumPy reference written from
Keras's definition, and Keras 3 itself."""

import itertools

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_parity import check_keras_parity
from layer_testing import run_layer_test
from torch_keraslike.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)


def numpy_pool(x, pool_size, strides, padding, mode):
    """Keras's pooling on a channels_last array (batch, *spatial, channels), written out
    from the definition: output size ceil(n / s) for "same" with the total padding
    max((out - 1) * s + k - n, 0), pad_before = total // 2; each output takes the max or
    the mean of the input positions of its window that lie inside the input."""
    spatial = x.shape[1:-1]
    outs, starts = [], []
    for n, k, s in zip(spatial, pool_size, strides):
        if padding == "same":
            out = -(-n // s)
            before = max((out - 1) * s + k - n, 0) // 2
        else:
            out, before = (n - k) // s + 1, 0
        outs.append(out)
        starts.append([i * s - before for i in range(out)])
    result = np.zeros((x.shape[0], *outs, x.shape[-1]), dtype=np.float64)
    for index in itertools.product(*(range(o) for o in outs)):
        window = tuple(
            slice(max(start[i], 0), min(start[i] + k, n))
            for start, i, k, n in zip(starts, index, pool_size, spatial)
        )
        values = x[(slice(None),) + window + (slice(None),)].reshape(x.shape[0], -1, x.shape[-1])
        result[(slice(None),) + index + (slice(None),)] = (
            values.max(axis=1) if mode == "max" else values.mean(axis=1)
        )
    return result


def to_layout(x, data_format):
    """A channels_last array in ``data_format``'s layout."""
    return x if data_format == "channels_last" else np.moveaxis(x, -1, 1)


WINDOWED = [
    # (class, mode, spatial shape, pool_size, strides, padding, also run compiled)
    (MaxPooling1D, "max", (7,), 2, None, "valid", False),
    (MaxPooling1D, "max", (7,), 2, 1, "same", True),  # total pad 1: asymmetric
    (MaxPooling1D, "max", (7,), 3, 2, "same", False),  # total pad 2: symmetric
    (AveragePooling1D, "avg", (7,), 3, 2, "valid", False),
    (AveragePooling1D, "avg", (5,), 2, 2, "same", True),  # asymmetric
    (AveragePooling1D, "avg", (7,), 3, 1, "same", False),  # symmetric
    (MaxPooling2D, "max", (5, 6), (2, 2), None, "valid", True),
    (MaxPooling2D, "max", (5, 6), (2, 2), (2, 2), "same", False),  # rows asymmetric, cols none
    (MaxPooling2D, "max", (5, 7), (3, 3), (2, 1), "same", False),  # symmetric
    (MaxPooling2D, "max", (6, 6), (2, 3), (1, 2), "same", True),  # rows asym, cols sym
    (AveragePooling2D, "avg", (5, 6), (3, 2), (2, 2), "valid", False),
    (AveragePooling2D, "avg", (5, 6), (2, 2), (1, 1), "same", False),  # asymmetric both
    (AveragePooling2D, "avg", (7, 7), (3, 3), (2, 2), "same", True),  # symmetric
    (AveragePooling2D, "avg", (6, 5), (2, 3), (1, 2), "same", True),  # rows asym, cols sym
    (MaxPooling3D, "max", (4, 5, 3), (2, 2, 2), None, "valid", False),
    (MaxPooling3D, "max", (4, 5, 3), (2, 3, 2), (1, 2, 1), "same", True),  # asym, sym, asym
    (AveragePooling3D, "avg", (4, 5, 3), 2, None, "valid", False),
    (AveragePooling3D, "avg", (5, 4, 3), (3, 2, 2), (2, 1, 2), "same", True),  # sym, asym, sym
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("cls, mode, spatial, pool_size, strides, padding, compiled", WINDOWED)
def test_windowed_pooling_matches_keras_reference(
    cls, mode, spatial, pool_size, strides, padding, compiled, data_format
):
    rank = len(spatial)
    k = (pool_size,) * rank if isinstance(pool_size, int) else pool_size
    s = k if strides is None else ((strides,) * rank if isinstance(strides, int) else strides)
    x = np.random.default_rng(1).standard_normal((2, *spatial, 3)).astype(np.float32)
    expected = to_layout(numpy_pool(x, k, s, padding, mode), data_format)
    kwargs = {"pool_size": pool_size, "strides": strides, "padding": padding, "data_format": data_format}
    inputs = torch.from_numpy(to_layout(x, data_format).copy())
    layer, out = run_layer_test(
        cls, kwargs, None, expected.shape, input_data=inputs, run_compiled=compiled
    )
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape(tuple(inputs.shape)) == tuple(out.shape)


def test_same_average_excludes_padding_and_max_ignores_it():
    # One row [1, 2, 3, 4, 5], pool 2, stride 2, "same": output 3 steps, the last
    # window holds only the 5 (Keras pads after, and the pad is not averaged).
    x = torch.tensor([[[1.0], [2.0], [3.0], [4.0], [5.0]]])
    assert AveragePooling1D(2, padding="same")(x).flatten().tolist() == [1.5, 3.5, 5.0]
    assert MaxPooling1D(2, padding="same")(-x).flatten().tolist() == [-1.0, -3.0, -5.0]


def test_channels_last_output_layout_and_global_default():
    x = torch.randn(2, 6, 6, 3)
    last = MaxPooling2D(2)(x)
    first = MaxPooling2D(2, data_format="channels_first")(x.permute(0, 3, 1, 2).contiguous())
    assert torch.equal(last, first.permute(0, 2, 3, 1))
    tkl.config.set_image_data_format("channels_first")
    try:
        assert MaxPooling2D().data_format == "channels_first"
    finally:
        tkl.config.set_image_data_format("channels_last")


def test_defaults_and_config():
    layer = MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    config = AveragePooling1D(3, strides=1, padding="SAME").get_config()
    assert config["pool_size"] == (3,) and config["strides"] == (1,) and config["padding"] == "same"
    assert config["data_format"] == "channels_last"


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
@pytest.mark.parametrize("kwargs, match", [
    ({"pool_size": 0}, "`pool_size` argument must be a positive int or a tuple of 2"),
    ({"pool_size": (2,)}, "`pool_size` argument must be"),
    ({"pool_size": "2"}, "`pool_size` argument must be"),
    ({"pool_size": 2, "strides": (1, 0)}, "`strides` argument must be"),
    ({"pool_size": 2, "padding": "full"}, 'must be "valid" or "same", received padding=\'full\''),
    ({"pool_size": 2, "data_format": "NHWC"}, "Invalid data_format"),
])
def test_bad_constructor_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        MaxPooling2D()(torch.ones(2, 4, 4))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        AveragePooling1D()(torch.ones(2, 4, 4, 1))
    with pytest.raises(ValueError, match='padding="valid" every spatial size must be at least'):
        MaxPooling2D(3)(torch.ones(1, 2, 5, 1))
    with pytest.raises(ValueError, match='padding="valid" every spatial size must be at least'):
        MaxPooling1D(3, data_format="channels_first").compute_output_shape((None, 4, 2))
    assert MaxPooling1D(3).compute_output_shape((None, None, 4)) == (None, None, 4)
    # "same" accepts inputs smaller than the window.
    assert AveragePooling2D(3, padding="same")(torch.ones(1, 2, 2, 1)).tolist() == [[[[1.0]]]]


def test_3d_defaults_and_bad_arguments():
    layer = AveragePooling3D()
    assert layer.pool_size == (2, 2, 2) == layer.strides
    with pytest.raises(ValueError, match="`pool_size` argument must be a positive int or a tuple of 3"):
        MaxPooling3D((2, 2))
    with pytest.raises(ValueError, match="expected ndim=5, found ndim=4"):
        MaxPooling3D()(torch.ones(1, 4, 4, 4))
    layer = AveragePooling3D(3)
    assert layer.built  # no state: built at construction, as in Keras
    with pytest.raises(ValueError, match='padding="valid" every spatial size must be at least'):
        layer(torch.ones(1, 4, 2, 4, 1))
    assert layer(torch.ones(1, 4, 4, 4, 1)).shape == (1, 1, 1, 1, 1)


# ------------------------------------------------------- parity with Keras 3
@pytest.mark.parametrize("cls, kwargs, shape", [
    (MaxPooling1D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 8, 3)),
    (AveragePooling1D, {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 7, 3)),  # symmetric pads
    (MaxPooling2D, {"pool_size": (2, 3), "strides": (1, 2), "padding": "same"}, (2, 6, 6, 3)),
    (AveragePooling2D, {"pool_size": (3, 2), "strides": 2, "data_format": "channels_first"}, (2, 3, 7, 6)),
    (MaxPooling3D, {"pool_size": (2, 3, 2), "strides": (1, 2, 1), "padding": "same"}, (2, 4, 5, 3, 2)),
    (AveragePooling3D, {"pool_size": 2, "padding": "valid"}, (2, 4, 5, 3, 2)),
    (AveragePooling3D, {"pool_size": 3, "strides": 1, "padding": "same",
                        "data_format": "channels_first"}, (2, 2, 4, 5, 3)),
])
def test_matches_keras(cls, kwargs, shape):
    x = np.random.default_rng(4).standard_normal(shape).astype(np.float32)
    check_keras_parity(cls, kwargs, x)
