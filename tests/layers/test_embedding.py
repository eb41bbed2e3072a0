"""Embedding."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from layer_testing import run_layer_test
from torch_keraslike.layers.embedding import Embedding


@pytest.mark.parametrize("input_shape", [(3, 4), (2, 3, 4), (5,)])
def test_embedding_common_and_numpy_reference(input_shape):
    layer, out = run_layer_test(
        Embedding, {"input_dim": 6, "output_dim": 3}, input_shape, input_shape + (3,),
        expected_num_trainable_weights=1, input_dtype=torch.int64, expected_output_dtype=torch.float32,
        run_compiled=len(input_shape) == 2,
    )
    indices = np.random.default_rng(0).integers(0, 6, input_shape)
    (table,) = layer.get_weights()
    assert table.shape == (6, 3)
    np.testing.assert_array_equal(layer(indices).detach().numpy(), table[indices])


def test_integer_dtypes_are_kept_and_float_indices_are_cast():
    layer = Embedding(5, 2)
    layer.build(None)
    table = layer.embeddings.detach()
    for dtype in (torch.int32, torch.int64, torch.uint8):
        indices = torch.tensor([[1, 4]], dtype=dtype)
        assert indices.dtype == dtype
        assert torch.equal(layer(indices), table[torch.tensor([[1, 4]])])
    # Floats (also NumPy floats) are cast to int64 like Keras does: 2.7 -> row 2.
    assert torch.equal(layer(torch.tensor([[1.0, 2.7]])), table[torch.tensor([[1, 2]])])
    assert torch.equal(layer(np.array([3.0])), table[torch.tensor([3])])


def test_default_initializer_is_keras_uniform():
    layer = Embedding(1000, 8)
    layer.build(None)
    assert layer.embeddings.shape == (1000, 8)
    assert layer.embeddings.abs().max() <= 0.05 and layer.embeddings.std() > 0.02
    config = layer.get_config()
    assert config["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert config["embeddings_initializer"]["config"]["minval"] == -0.05
    assert config["mask_zero"] is False


def test_mask_zero():
    layer = Embedding(4, 2, mask_zero=True)
    indices = torch.tensor([[1, 2, 0, 0]])
    assert layer.compute_mask(indices).tolist() == [[True, True, False, False]]
    assert Embedding(4, 2).compute_mask(indices) is None
    assert Embedding.from_config(layer.get_config()).mask_zero is True


def test_regularizer_constraint_and_set_weights():
    layer = Embedding(3, 2, embeddings_regularizer=tkl.regularizers.L2(0.5), embeddings_constraint="non_neg")
    layer(torch.tensor([0, 1]))
    table = np.arange(6, dtype=np.float32).reshape(3, 2)
    layer.set_weights([table])
    np.testing.assert_allclose(float(sum(layer.losses).detach()), 0.5 * (table ** 2).sum())
    np.testing.assert_array_equal(layer(torch.tensor([2, 0])).detach().numpy(), table[[2, 0]])
    clone = Embedding.from_config(layer.get_config())
    assert isinstance(clone.embeddings_constraint, tkl.constraints.NonNeg)
    assert clone.embeddings_regularizer.get_config()["l2"] == 0.5


@pytest.mark.parametrize("input_dim, output_dim", [(0, 2), (3, -1), (2.5, 3), (3, None), (True, 2)])
def test_bad_dimensions(input_dim, output_dim):
    with pytest.raises(ValueError, match="both `input_dim` and `output_dim` should be positive integers"):
        Embedding(input_dim, output_dim)


def test_out_of_range_index_raises():
    with pytest.raises(IndexError):
        Embedding(3, 2)(torch.tensor([3]))


# ------------------------------------------------------------ bad inputs (issue 9)
@pytest.mark.parametrize("ids, low, high", [([[0, 5]], 0, 5), ([[-1, 2]], -1, 2), ([[9]], 9, 9)])
def test_indices_outside_the_table_name_the_layer_and_the_range(ids, low, high):
    layer = tkl.layers.Embedding(5, 2, name="tokens")
    with pytest.raises(IndexError, match=rf'Layer "tokens" \(Embedding\) received indices in '
                                         rf"\[{low}, {high}\], outside its table of input_dim=5 rows"):
        layer(torch.tensor(ids))
    table = layer.embeddings.detach().clone()
    layer(torch.tensor([[0, 4]]))  # valid indices still work, and nothing changed
    torch.testing.assert_close(layer.embeddings.detach(), table)


@pytest.mark.parametrize("bad", [None, [torch.zeros(2, dtype=torch.long)] * 2,
                                 {"ids": torch.zeros(2, dtype=torch.long)}])
def test_none_lists_and_dicts_are_refused_before_building(bad):
    layer = tkl.layers.Embedding(5, 2, name="tokens")
    with pytest.raises(ValueError, match="embedding|tokens|Inputs to a layer should be tensors"):
        layer(bad)
    assert not layer.built and layer.weights == []


def test_meta_indices_and_a_real_table_are_a_clear_error():
    layer = tkl.layers.Embedding(5, 2, name="tokens")
    layer(torch.zeros(1, 3, dtype=torch.long))
    with pytest.raises(RuntimeError, match=r'Layer "tokens" \(Embedding\) received an input on device meta, '
                                           r"but its weights are on cpu"):
        layer(torch.zeros(1, 3, dtype=torch.long, device="meta"))
    shape_only = tkl.layers.Embedding(5, 2)
    out = shape_only(torch.zeros(1, 3, dtype=torch.long, device="meta"))
    assert out.device.type == "meta" and out.shape == (1, 3, 2)


@pytest.mark.parametrize("wrap", [lambda t: t, lambda t: [t], lambda t: torch.from_numpy(t)])
def test_initial_weights_build_the_layer_with_them(wrap):
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    layer = Embedding(4, 3, weights=wrap(table))
    assert layer.built
    np.testing.assert_array_equal(layer.get_weights()[0], table)
    np.testing.assert_array_equal(layer(torch.tensor([3, 1])).detach().numpy(), table[[3, 1]])
    assert "weights" not in layer.get_config()
    fresh = Embedding.from_config(layer.get_config())
    fresh.load_state_dict(layer.state_dict())  # built with no input shape: still rebuilds
    np.testing.assert_array_equal(fresh.get_weights()[0], table)


@pytest.mark.parametrize("bad", [np.ones((3, 3)), np.ones(12), "table", [np.ones((4, 3)), np.ones((4, 3))]])
def test_initial_weights_of_the_wrong_shape(bad):
    message = r"weights must be the initial embedding table, an array of shape \(4, 3\)"
    with pytest.raises(ValueError, match=message):
        Embedding(4, 3, weights=bad)


def test_initial_weights_match_keras():
    from keras_reference import import_keras

    keras = import_keras()
    table = np.random.default_rng(0).random((5, 2)).astype(np.float32)
    ids = np.array([[4, 0, 2]])
    np.testing.assert_array_equal(Embedding(5, 2, weights=table)(ids).detach().numpy(),
                                  keras.layers.Embedding(5, 2, weights=table)(ids).detach().cpu().numpy())
