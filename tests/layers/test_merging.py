"""Add, Subtract, Multiply, Average, Maximum, Minimum and Concatenate: NumPy, masks
(Keras's rules), the functional forms, and Keras 3 itself."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_parity import check_keras_parity
from keras_reference import import_keras
from layer_testing import run_layer_test
from torch_keraslike import layers
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


# --------------------------------------------------------------------- masks
X1 = [[[0, 0], [1, 2], [0, 0], [3, 4]]]
X2 = [[[0, 0], [0, 0], [1, 2], [3, 4]]]
M1 = [[False, True, False, True]]
M2 = [[False, False, True, True]]
MERGES = [Add, Subtract, Multiply, Average, Maximum, Minimum]


def _keras_masked(keras, cls, xs, masks, **kwargs):
    """Keras's output and output mask, the masks attached to its inputs as Keras's
    ``Masking`` layer would."""
    from keras.src.backend import get_keras_mask, set_keras_mask

    tensors = [torch.tensor(x, dtype=torch.float32) for x in xs]
    for t, m in zip(tensors, masks):
        if m is not None:
            set_keras_mask(t, torch.tensor(m))
    out = getattr(keras.layers, cls.__name__)(**kwargs)(tensors)
    mask = get_keras_mask(out)
    return out.numpy(), None if mask is None else mask.numpy()


@pytest.mark.parametrize("cls", MERGES + [Concatenate])
@pytest.mark.parametrize("masks", [[M1, None], [M1, M2], [None, M2]])
def test_masked_merges_match_keras(cls, masks):
    keras = import_keras()
    kwargs = {"axis": 1} if cls is Concatenate else {}
    expected, expected_mask = _keras_masked(keras, cls, [X1, X2], masks, **kwargs)
    layer = cls(**kwargs)
    xs = [torch.tensor(x, dtype=torch.float32) for x in (X1, X2)]
    mask = [None if m is None else torch.tensor(m) for m in masks]
    # Only the layers whose values depend on masks take a ``mask`` call argument (as in Keras).
    out = layer(xs, mask=mask) if cls in (Maximum, Minimum, Multiply) else layer(xs)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    got = layer.compute_mask(xs, mask)
    if expected_mask is None:
        assert got is None
    else:
        np.testing.assert_array_equal(got.numpy(), expected_mask)
    assert layer.supports_masking


def test_keras_masked_values():
    # Keras's own expectations (merging_test.py), masks as its Masking layer makes them.
    xs = [torch.tensor(X1, dtype=torch.float32), torch.tensor(X2, dtype=torch.float32)]
    both = [torch.tensor(M1), torch.tensor(M2)]
    assert Multiply()(xs, mask=[both[0], None]).tolist() == [[[0, 0], [0, 0], [1, 2], [9, 16]]]
    assert Multiply()(xs, mask=both).tolist() == [[[0, 0], [1, 2], [1, 2], [9, 16]]]
    assert Minimum()(xs, mask=[both[0], None]).tolist() == [[[0, 0], [0, 0], [1, 2], [3, 4]]]
    assert Minimum()(xs, mask=both).tolist() == [[[0, 0], [1, 2], [1, 2], [3, 4]]]
    negative = [-x for x in xs]
    assert Maximum()(negative, mask=both).tolist() == [[[0, 0], [-1, -2], [-1, -2], [-3, -4]]]
    assert Add()(xs).tolist() == [[[0, 0], [1, 2], [1, 2], [6, 8]]]
    with pytest.raises(TypeError, match="mask"):
        Add()(xs, mask=both)
    assert Add().compute_mask(xs, both).tolist() == [[False, True, True, True]]
    assert Concatenate(axis=1).compute_mask(xs, [both[0], None]).tolist() == [[0, 1, 0, 1, 1, 1, 1, 1]]
    assert Concatenate(axis=2).compute_mask(xs, [both[0], None]).tolist() == [[1, 1, 1, 1]]


def test_masks_with_all_none_and_no_masks():
    xs = [torch.randn(2, 3, 4), torch.randn(2, 3, 4)]
    for cls in MERGES + [Concatenate]:
        layer = cls()
        assert layer.compute_mask(xs, None) is None
        assert layer.compute_mask(xs, [None, None]) is None
        torch.testing.assert_close(layer(xs, mask=[None, None]) if cls in (Maximum, Minimum, Multiply)
                                   else layer(xs), layer(xs))
    # Masks also go through the broadcasting of inputs of lower rank.
    a, b = torch.randn(2, 4), torch.randn(2, 3, 4)
    out = Maximum()([a, b], mask=[torch.tensor([True, False]), torch.ones(2, 3, dtype=torch.bool)])
    torch.testing.assert_close(out[0], torch.maximum(a[0], b[0]))
    torch.testing.assert_close(out[1], b[1])


@pytest.mark.parametrize("cls", MERGES + [Concatenate])
def test_mask_errors(cls):
    xs = [torch.ones(2, 4, 5), torch.ones(2, 4, 5)]
    layer = cls()
    with pytest.raises(ValueError, match="`mask` should be a list."):
        layer.compute_mask(xs, torch.ones(2, 4))
    with pytest.raises(ValueError, match="`inputs` should be a list."):
        layer.compute_mask(xs[0], [None, None])
    with pytest.raises(ValueError, match=" should have the same length."):
        layer.compute_mask(xs, [None])
    if cls in (Maximum, Minimum, Multiply):
        with pytest.raises(ValueError, match=r"mask 1 of shape \(2, 3\) does not fit input 1 of shape \(2, 4, 5\)"):
            layer(xs, mask=[None, torch.ones(2, 3, dtype=torch.bool)])
        with pytest.raises(ValueError, match="`mask` should be a list."):
            layer(xs, mask=torch.ones(2, 4, dtype=torch.bool))
        # The shapes were valid, so the (weightless) layer may be built; nothing else moved.
        assert not layer.weights and layer(xs).shape == (2, 4, 5)


# -------------------------------------------------------- functional forms
@pytest.mark.parametrize("fn, cls, kwargs", [
    (layers.add, Add, {}), (layers.subtract, Subtract, {}), (layers.multiply, Multiply, {}),
    (layers.average, Average, {}), (layers.maximum, Maximum, {}), (layers.minimum, Minimum, {}),
    (layers.concatenate, Concatenate, {"axis": 1}),
])
def test_functional_forms_create_and_call_the_layer(fn, cls, kwargs):
    xs = arrays((2, 3), (2, 3), seed=4)
    out = fn([torch.from_numpy(x) for x in xs], **kwargs)
    torch.testing.assert_close(out, cls(**kwargs)([torch.from_numpy(x) for x in xs]))
    a, b = tkl.Input(shape=(3,)), tkl.Input(shape=(3,))
    symbolic = fn([a, b], name=f"my_{cls.__name__.lower()}", **kwargs)
    model = tkl.Model([a, b], symbolic)
    assert model.layers[-1].name == f"my_{cls.__name__.lower()}" and isinstance(model.layers[-1], cls)
    torch.testing.assert_close(model([torch.from_numpy(x) for x in xs]), out)


@pytest.mark.parametrize("cls", MERGES)
def test_merges_match_keras(cls):
    xs = arrays((2, 3, 4), (2, 3, 4), seed=5)
    check_keras_parity(cls, {}, xs)
    if cls is not Subtract:
        check_keras_parity(cls, {}, arrays((2, 3, 4), (2, 1, 4), (2, 3, 1), seed=6))
