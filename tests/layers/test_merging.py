"""Add, Subtract, Multiply, Average, Maximum, Minimum and Concatenate."""

import numpy as np
import pytest
import torch

from layer_testing import run_layer_test
from torch_keraslike.layers.merging import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
)

ELEMENTWISE = [
    (Add, lambda xs: sum(xs)),
    (Subtract, lambda xs: xs[0] - xs[1]),
    (Multiply, lambda xs: np.prod(np.stack(np.broadcast_arrays(*xs)), axis=0)),
    (Average, lambda xs: sum(xs) / len(xs)),
    (Maximum, lambda xs: np.maximum.reduce(np.broadcast_arrays(*xs))),
    (Minimum, lambda xs: np.minimum.reduce(np.broadcast_arrays(*xs))),
]


def arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(np.float32) for shape in shapes]


@pytest.mark.parametrize("cls, reference", ELEMENTWISE)
def test_elementwise_merge_matches_numpy(cls, reference):
    xs = arrays((2, 3, 4), (2, 3, 4))
    layer, out = run_layer_test(cls, {}, None, (2, 3, 4), input_data=[torch.from_numpy(x) for x in xs])
    np.testing.assert_allclose(out.numpy(), reference(xs), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls, reference", [c for c in ELEMENTWISE if c[0] is not Subtract])
def test_three_inputs_with_size_one_broadcast(cls, reference):
    xs = arrays((2, 3, 4), (2, 1, 4), (2, 3, 1), seed=1)
    layer, out = run_layer_test(
        cls, {}, None, (2, 3, 4), input_data=[torch.from_numpy(x) for x in xs], run_compiled=cls is Add
    )
    np.testing.assert_allclose(out.numpy(), reference(xs), rtol=1e-6, atol=1e-6)
    assert layer.compute_output_shape([(None, 3, 4), (None, 1, 4), (None, 3, 1)]) == (None, 3, 4)


def test_lower_rank_input_gets_axes_after_the_batch_axis():
    # Keras inserts the missing axes right after the batch axis: (2, 4) + (2, 3, 4)
    # adds x[:, None, :]; torch's broadcasting alone would misalign the batch.
    a, b = arrays((2, 4), (2, 3, 4), seed=2)
    layer, out = run_layer_test(Add, {}, None, (2, 3, 4), input_data=[torch.from_numpy(a), torch.from_numpy(b)])
    np.testing.assert_allclose(out.numpy(), a[:, None, :] + b, rtol=1e-6)
    with pytest.raises(ValueError, match=r"Inputs have incompatible shapes. Received shapes \(2, 3\)"):
        Add()([torch.ones(2, 3), torch.ones(2, 3, 4)])


def test_merge_errors_for_non_lists_and_too_few_inputs():
    with pytest.raises(ValueError, match=r"A merge layer should be called on a list of at least 2 inputs. Got 1 inputs"):
        Add()([torch.ones(2, 3)])
    with pytest.raises(ValueError, match=r"should be called on a list of inputs. Received: input_shape=\(2, 3\)"):
        Multiply()(torch.ones(2, 3))
    with pytest.raises(ValueError, match="at least 2 inputs. Got 0 inputs"):
        Average()([])
    # The same checks after build.
    layer = Maximum()
    layer([torch.ones(2, 3), torch.ones(2, 3)])
    with pytest.raises(ValueError, match="at least 2 inputs. Got 1 inputs"):
        layer([torch.ones(2, 3)])
    with pytest.raises(ValueError, match="should be called on a list of inputs"):
        layer(torch.ones(2, 3))


def test_merge_errors_for_incompatible_shapes():
    with pytest.raises(ValueError, match=r"Inputs have incompatible shapes. Received shapes \(2, 3\) and \(2, 4\)"):
        Add()([torch.ones(2, 3), torch.ones(2, 4)])
    with pytest.raises(ValueError, match="Cannot merge tensors with different batch sizes"):
        Add()([torch.ones(2, 3), torch.ones(1, 3)])
    # After build, a bad call raises the same ValueError, not a torch kernel error.
    layer = Minimum()
    layer([torch.ones(2, 3), torch.ones(2, 3)])
    with pytest.raises(ValueError, match="Inputs have incompatible shapes"):
        layer([torch.ones(2, 3), torch.ones(2, 5)])


def test_subtract_needs_exactly_two_inputs():
    with pytest.raises(ValueError, match="A `Subtract` layer should be called on exactly 2 inputs"):
        Subtract()([torch.ones(1, 2)] * 3)
    layer = Subtract()
    layer([torch.ones(1, 2)] * 2)
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layer([torch.ones(1, 2)] * 3)


def test_integer_inputs_keep_their_dtype():
    out = Add()([torch.tensor([[1, 2]]), torch.tensor([[3, 4]])])
    assert out.dtype == torch.int64 and out.tolist() == [[4, 6]]


# --------------------------------------------------------------- Concatenate
@pytest.mark.parametrize("axis, shapes, expected", [
    (-1, [(2, 3, 4), (2, 3, 5)], (2, 3, 9)),
    (1, [(2, 3, 4), (2, 1, 4), (2, 2, 4)], (2, 6, 4)),
    (-2, [(2, 3, 4), (2, 2, 4)], (2, 5, 4)),
    (0, [(2, 3), (1, 3)], (3, 3)),
])
def test_concatenate_matches_numpy(axis, shapes, expected):
    xs = arrays(*shapes, seed=3)
    layer, out = run_layer_test(
        Concatenate, {"axis": axis}, None, expected, input_data=[torch.from_numpy(x) for x in xs],
        run_compiled=axis == -1,
    )
    np.testing.assert_array_equal(out.numpy(), np.concatenate(xs, axis=axis))
    assert layer.get_config()["axis"] == axis
    unknown = [(None,) + s[1:] for s in shapes]
    assert layer.compute_output_shape(unknown)[1:] == expected[1:]


def test_concatenate_single_input_and_errors():
    x = torch.randn(2, 3)
    assert torch.equal(Concatenate()([x]), x)
    message = (r"A `Concatenate` layer requires inputs with matching shapes except for the "
               r"concatenation axis. Received: input_shape=\[\(2, 3, 4\), \(2, 5, 5\)\]")
    with pytest.raises(ValueError, match=message):
        Concatenate()([torch.ones(2, 3, 4), torch.ones(2, 5, 5)])
    with pytest.raises(ValueError, match="requires inputs with matching shapes"):
        Concatenate()([torch.ones(2, 3), torch.ones(2, 3, 1)])
    with pytest.raises(ValueError, match="should be called on a list of at least 1 input"):
        Concatenate()(torch.ones(2, 3))
    with pytest.raises(ValueError, match="should be called on a list of at least 1 input"):
        Concatenate()([])
    with pytest.raises(ValueError, match=r"axis=3 is out of range for inputs of rank 2"):
        Concatenate(axis=3)([torch.ones(2, 3), torch.ones(2, 3)])
    with pytest.raises(ValueError, match="axis must be an int"):
        Concatenate(axis="last")
    # After build, mismatched shapes still raise the Keras error before torch.cat runs.
    layer = Concatenate(axis=1)
    layer([torch.ones(2, 3, 4), torch.ones(2, 1, 4)])
    with pytest.raises(ValueError, match="requires inputs with matching shapes"):
        layer([torch.ones(2, 3, 4), torch.ones(2, 1, 5)])
