"""EinsumDense."""

import numpy as np
import pytest
import torch

from layer_testing import run_layer_test
from torch_keraslike.layers.einsum_dense import EinsumDense

CASES = [
    # (equation, output_shape, bias_axes, input shape, output, kernel, bias)
    ("ab,bc->ac", 4, "c", (2, 3), (2, 4), (3, 4), (4,)),
    ("ab,bc->ac", (4,), None, (2, 3), (2, 4), (3, 4), None),
    ("abc,cd->abd", (None, 4), "d", (2, 5, 3), (2, 5, 4), (3, 4), (4,)),
    ("abc,cde->abde", (None, 4, 5), "de", (2, 5, 3), (2, 5, 4, 5), (3, 4, 5), (4, 5)),
    ("abc,cde->abde", (5, 4, 2), "d", (2, 5, 3), (2, 5, 4, 2), (3, 4, 2), (4, 1)),
    ("abc,bcd->ad", 4, "d", (2, 5, 3), (2, 4), (5, 3, 4), (4,)),
    ("...b,bc->...c", 4, "c", (2, 5, 3), (2, 5, 4), (3, 4), (4,)),
    ("ab...,bc->ac...", 4, "c", (2, 3, 6), (2, 4, 6), (3, 4), (4, 1)),
]


@pytest.mark.parametrize("equation, output_shape, bias_axes, in_shape, out_shape, kernel, bias", CASES)
def test_shapes_and_numpy_reference(equation, output_shape, bias_axes, in_shape, out_shape, kernel, bias):
    layer, out = run_layer_test(
        EinsumDense,
        {"equation": equation, "output_shape": output_shape, "bias_axes": bias_axes,
         "activation": "relu", "bias_initializer": "random_normal"},
        in_shape, out_shape, expected_num_trainable_weights=1 if bias is None else 2,
        run_compiled=equation in ("abc,cde->abde", "ab...,bc->ac..."),
    )
    assert tuple(layer.kernel.shape) == kernel
    assert (layer.bias is None) if bias is None else tuple(layer.bias.shape) == bias
    assert layer.compute_output_shape(in_shape) == out_shape
    x = np.random.default_rng(0).standard_normal(in_shape).astype(np.float32)
    weights = layer.get_weights()
    expected = np.einsum(equation, x, weights[0])
    if bias is not None:
        expected = expected + weights[1]
    np.testing.assert_allclose(layer(x).detach().numpy(), np.maximum(expected, 0), rtol=1e-5, atol=1e-5)


def test_output_shape_none_is_filled_from_input_and_spaces_are_accepted():
    layer = EinsumDense("abc, cd -> abd", output_shape=(None, 8), bias_axes="d")
    assert layer(torch.ones(3, 7, 2)).shape == (3, 7, 8)
    assert layer.full_output_shape == (3, 7, 8)
    assert layer.compute_output_shape((None, None, 2)) == (None, None, 8)
    config = layer.get_config()
    assert config["output_shape"] == (None, 8) and config["equation"] == "abc, cd -> abd"
    assert config["bias_axes"] == "d" and config["kernel_initializer"]["class_name"] == "GlorotUniform"


@pytest.mark.parametrize("kwargs, match", [
    ({"equation": "ab->ac", "output_shape": 4}, "Invalid einsum equation 'ab->ac'"),
    ({"equation": "...ab,bc->ac", "output_shape": 4}, "Invalid einsum equation"),
    ({"equation": "a1,bc->ac", "output_shape": 4}, "Invalid einsum equation"),
    ({"equation": 3, "output_shape": 4}, "Invalid einsum equation"),
    ({"equation": "aab,bc->ac", "output_shape": 4}, "repeats a letter in 'aab'"),
    ({"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "x"},
     "Bias dimension 'x' was requested, but is not part of the output spec 'ac'"),
    ({"equation": "ab,bc->ad", "output_shape": 4},
     "Dimension 'd' was specified in the output 'ad' but has no corresponding dim"),
    ({"equation": "ab,bcx->ac", "output_shape": 4},
     "Weight dimension 'x' did not have a match in either the input spec 'ab' or the output"),
    ({"equation": "abc,cd->abd", "output_shape": 4}, "output_shape must give the 2 output axes"),
    ({"equation": "ab,bc->ac", "output_shape": (0,)}, "output_shape must give the 1 output axes"),
    ({"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": ""}, "bias_axes must be a string"),
])
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EinsumDense(**kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        EinsumDense("abc,cd->abd", (None, 4))(torch.ones(2, 3))
    with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
        EinsumDense("...b,bc->...c", 4)(torch.ones(3))
    with pytest.raises(ValueError, match="Input shape and output shape do not match at shared dimension 'b'"):
        EinsumDense("abc,cd->abd", (7, 4))(torch.ones(2, 5, 3))
    with pytest.raises(ValueError, match="size of weight dimension 'd' comes from the output_shape"):
        EinsumDense("abc,cd->abd", (None, None))(torch.ones(2, 5, 3))
    layer = EinsumDense("abc,cd->abd", (None, 4))
    layer(torch.ones(2, 5, 3))
    with pytest.raises(ValueError, match="expected axis 2 of input shape to have value 3"):
        layer(torch.ones(2, 5, 6))
    assert layer(torch.ones(1, 9, 3)).shape == (1, 9, 4)  # other sequence lengths are fine
    left = EinsumDense("...b,bc->...c", 4)
    left(torch.ones(2, 3))
    assert left(torch.ones(2, 6, 5, 3)).shape == (2, 6, 5, 4)
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        left(torch.ones(2, 6, 5, 2))
