"""Keras's masking protocol on Layer: masks travel with tensors, fill call(mask=...),
pass through supporting layers, are computed by Embedding(mask_zero)/Lambda(mask=), and
are carried through functional models, Sequential and torch.compile."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy
from torch_keraslike import layers


def embedding(values=(0.0, 1.0, 2.0, 3.0, 4.0)):
    layer = layers.Embedding(len(values), 1, mask_zero=True)
    layer.build(None)
    layer.embeddings.assign(np.array(values, "float32").reshape(-1, 1))
    return layer


IDS = torch.tensor([[1, 2, 0, 0]])


def test_masked_average_matches_keras():
    pooled = layers.GlobalAveragePooling1D()(embedding()(IDS))
    assert float(pooled.detach()) == pytest.approx(1.5)  # (1 + 2) / 2, padding left out
    keras = import_keras()
    theirs = keras.layers.Embedding(5, 1, mask_zero=True)
    theirs.build(None)
    theirs.set_weights([np.arange(5, dtype="float32").reshape(-1, 1)])
    expected = to_numpy(keras.layers.GlobalAveragePooling1D()(theirs(IDS.numpy())))
    np.testing.assert_allclose(pooled.detach().numpy(), expected, rtol=1e-6)


def test_masks_pass_through_supporting_layers_and_fill_call_mask():
    x = embedding()(IDS)
    assert x._keras_mask.tolist() == [[True, True, False, False]]
    y = layers.Dropout(0.5)(layers.Dense(3)(x), training=False)
    assert torch.equal(y._keras_mask, x._keras_mask)  # Dense and Dropout pass it on
    seen = []

    class Consumer(tkl.Layer):
        def call(self, inputs, mask=None):
            seen.append(mask)
            return inputs.sum(-1)

        def compute_mask(self, inputs, mask=None):
            return None

    out = Consumer()(y)
    assert torch.equal(seen[0], x._keras_mask) and getattr(out, "_keras_mask", None) is None
    explicit = torch.tensor([[True, False, True, False]])
    Consumer()(y, mask=explicit)
    assert torch.equal(seen[1], explicit)  # an explicit mask wins


def test_a_layer_that_does_not_support_masks_warns_like_keras():
    x = embedding()(IDS)
    with pytest.warns(UserWarning, match="does not support masking and will therefore destroy the mask"):
        out = layers.Conv1D(2, 1)(x)
    assert getattr(out, "_keras_mask", None) is None


def test_functional_sequential_and_compiled_models_carry_masks():
    inputs = tkl.Input((4,), dtype="int64")
    h = embedding()(inputs)
    assert h._keras_mask is not None and h._keras_mask.shape == (None, 4)  # symbolic mask
    model = tkl.Model(inputs, layers.GlobalAveragePooling1D()(layers.Dense(2, kernel_initializer="ones")(h)))
    torch.testing.assert_close(model(IDS), torch.full((1, 2), 1.5))
    sequential = tkl.Sequential([embedding(), layers.GlobalAveragePooling1D()])
    torch.testing.assert_close(sequential(IDS), torch.full((1, 1), 1.5))
    compiled = torch.compile(model, backend="eager", fullgraph=True)
    torch.testing.assert_close(compiled(IDS), torch.full((1, 2), 1.5))
    # The config round trip rebuilds the masked graph (masks are derived, never stored).
    clone = tkl.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    torch.testing.assert_close(clone(IDS), model(IDS))


def test_model_outputs_keep_the_masks_their_layers_attached():
    inputs = tkl.Input((4,), dtype="int64")
    model = tkl.Model(inputs, layers.Dense(2)(embedding()(inputs)))
    out = model(IDS)
    assert out._keras_mask.tolist() == [[True, True, False, False]]
    pooled = tkl.Model(inputs, layers.GlobalAveragePooling1D()(embedding()(inputs)))
    assert getattr(pooled(IDS), "_keras_mask", None) is None  # consumed, not re-attached


def test_lambda_mask_argument_and_function_mask():
    x = torch.ones(1, 3, 2)
    fixed = layers.Lambda(lambda t: t * 2, mask=torch.tensor([[True, False, True]]))
    assert fixed(x)._keras_mask.tolist() == [[True, False, True]]
    computed = layers.Lambda(lambda t: t, mask=lambda inputs, mask: inputs[..., 0] > 0)
    assert computed(torch.tensor([[[1.0], [0.0]]]))._keras_mask.tolist() == [[True, False]]
    seen = []
    layers.Lambda(lambda t, mask=None: seen.append(mask) or t, mask=lambda i, m: m)(embedding()(IDS))
    assert seen[0].tolist() == [[True, True, False, False]]


def test_unmasked_calls_carry_no_mask():
    out = layers.Dense(2)(torch.ones(2, 3))
    assert getattr(out, "_keras_mask", None) is None
