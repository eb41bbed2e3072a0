"""AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D: Keras's test
cases, a NumPy reference of the adaptive bins, and Keras 3 itself."""

import itertools
import json

import numpy as np
import pytest
import torch

from keras_parity import check_keras_parity
from layer_testing import run_layer_test
from torch_keraslike.layers.pooling_adaptive import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)

AVERAGE = {1: AdaptiveAveragePooling1D, 2: AdaptiveAveragePooling2D, 3: AdaptiveAveragePooling3D}
MAX = {1: AdaptiveMaxPooling1D, 2: AdaptiveMaxPooling2D, 3: AdaptiveMaxPooling3D}


def numpy_adaptive(x, output_size, reduce):
    """Adaptive pooling of a channels_last array: bin ``i`` of an axis of size ``n``
    covers ``floor(i * n / m)`` to ``ceil((i + 1) * n / m)``."""
    spatial = x.shape[1:-1]
    out = np.zeros((x.shape[0], *output_size, x.shape[-1]))
    for index in itertools.product(*(range(m) for m in output_size)):
        window = tuple(slice(i * n // m, -(-(i + 1) * n // m)) for i, n, m in zip(index, spatial, output_size))
        values = x[(slice(None),) + window + (slice(None),)]
        out[(slice(None),) + index + (slice(None),)] = reduce(values, axis=tuple(range(1, len(spatial) + 1)))
    return out


@pytest.mark.parametrize("rank, spatial, output_size", [
    (1, (7,), 3), (1, (4,), (6,)), (2, (8, 8), 4), (2, (7, 5), (2, 3)), (3, (4, 5, 3), (2, 2, 3)),
])
@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_matches_numpy(rank, spatial, output_size, mode, data_format):
    cls = (AVERAGE if mode == "avg" else MAX)[rank]
    x = np.random.default_rng(rank).standard_normal((2, *spatial, 3)).astype(np.float32)
    sizes = (output_size,) * rank if isinstance(output_size, int) else output_size
    expected = numpy_adaptive(x, sizes, np.mean if mode == "avg" else np.max)
    inputs = x if data_format == "channels_last" else np.moveaxis(x, -1, 1)
    expected = expected if data_format == "channels_last" else np.moveaxis(expected, -1, 1)
    layer, out = run_layer_test(cls, {"output_size": output_size, "data_format": data_format}, None,
                                expected.shape, input_data=torch.from_numpy(np.ascontiguousarray(inputs)),
                                run_compiled=data_format == "channels_last" and mode == "avg")
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape((None,) + inputs.shape[1:]) == (None,) + expected.shape[1:]


def test_keras_numerical_cases():
    x = np.arange(1.0, 17.0, dtype=np.float32).reshape(1, 1, 4, 4)
    average = AdaptiveAveragePooling2D(output_size=2, data_format="channels_first")
    np.testing.assert_allclose(average(x).numpy(), [[[[3.5, 5.5], [11.5, 13.5]]]])
    maximum = AdaptiveMaxPooling2D(output_size=2, data_format="channels_first")
    np.testing.assert_allclose(maximum(x).numpy(), [[[[6.0, 8.0], [14.0, 16.0]]]])


def test_config_and_output_shapes():
    layer = AdaptiveAveragePooling2D(output_size=32, data_format="channels_first")
    config = json.loads(json.dumps(layer.get_config()))
    assert tuple(config["output_size"]) == (32, 32) and config["data_format"] == "channels_first"
    assert AdaptiveAveragePooling2D.from_config(config).output_size == (32, 32)
    assert AdaptiveMaxPooling2D((8, 16)).get_config()["output_size"] == (8, 16)
    assert AdaptiveAveragePooling2D(16).compute_output_shape((None, 64, 64, 3)) == (None, 16, 16, 3)
    assert AdaptiveMaxPooling2D((8, 16), data_format="channels_first").compute_output_shape(
        (2, 3, 64, 64)) == (2, 3, 8, 16)
    assert AdaptiveMaxPooling1D([5]).output_size == (5,)
    assert AdaptiveMaxPooling3D(2).compute_output_shape((None, None, None, None, 4)) == (None, 2, 2, 2, 4)


@pytest.mark.parametrize("cls, kwargs, shape", [
    (AdaptiveAveragePooling1D, {"output_size": 3}, (2, 7, 4)),
    (AdaptiveMaxPooling1D, {"output_size": 4, "data_format": "channels_first"}, (2, 3, 10)),
    (AdaptiveAveragePooling2D, {"output_size": (2, 3)}, (2, 7, 5, 3)),
    (AdaptiveMaxPooling2D, {"output_size": 3, "data_format": "channels_first"}, (2, 3, 7, 8)),
    (AdaptiveAveragePooling3D, {"output_size": (2, 3, 1), "data_format": "channels_first"}, (2, 2, 5, 6, 3)),
    (AdaptiveMaxPooling3D, {"output_size": 2}, (2, 5, 4, 3, 2)),
])
def test_matches_keras(cls, kwargs, shape):
    check_keras_parity(cls, kwargs, np.random.default_rng(9).standard_normal(shape).astype(np.float32))


@pytest.mark.parametrize("make, error, match", [
    (lambda: AdaptiveAveragePooling1D((2, 3)), ValueError, "For 1D input, `output_size` tuple must have length 1"),
    (lambda: AdaptiveMaxPooling1D("3"), TypeError, "`output_size` must be an integer or length tuple"),
    (lambda: AdaptiveAveragePooling2D((2, 2, 2)), TypeError,
     r"`output_size` must be an integer or \(height, width\) tuple"),
    (lambda: AdaptiveMaxPooling3D((2, 2)), TypeError,
     r"`output_size` must be an integer or \(depth, height, width\) tuple"),
    (lambda: AdaptiveMaxPooling2D(0), ValueError, "every entry of `output_size` must be a positive int"),
    (lambda: AdaptiveAveragePooling3D((2, -1, 2)), ValueError, "must be a positive int"),
    (lambda: AdaptiveAveragePooling2D(2, data_format="NHWC"), ValueError, "Invalid data_format"),
])
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_inputs_are_rejected_before_the_kernel():
    layer = AdaptiveMaxPooling2D(2)
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        layer(torch.ones(2, 4, 4))
    assert not layer.built
