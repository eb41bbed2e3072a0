"""Behaviours every built-in layer shares, checked on the whole catalogue:

- a batch of 0 samples gives an empty output of the right shape (training and
  inference), and leaves state such as moving statistics unchanged;
- an unbuilt layer called on ``meta`` inputs builds a shape-only layer and returns a
  ``meta`` output of the right shape; a layer built on real data refuses ``meta``
  inputs with a clear error, or returns a ``meta`` output of the right shape.

``CATALOGUE`` maps every layer exported by ``tkl.layers`` to a factory and the shape
of one input (a list of shapes for several inputs); a new layer must be added here.
"""

import pytest
import torch

import torch_keraslike as tkl
from torch_keraslike import layers as L

CATALOGUE = {
    "Activation": (lambda: L.Activation("relu"), (4,)),
    "Add": (lambda: L.Add(), [(3,), (3,)]),
    "Average": (lambda: L.Average(), [(3,), (3,)]),
    "AveragePooling1D": (lambda: L.AveragePooling1D(), (4, 2)),
    "AveragePooling2D": (lambda: L.AveragePooling2D(), (4, 4, 2)),
    "BatchNormalization": (lambda: L.BatchNormalization(), (3,)),
    "Concatenate": (lambda: L.Concatenate(), [(3,), (2,)]),
    "Conv1D": (lambda: L.Conv1D(2, 3), (5, 2)),
    "Conv2D": (lambda: L.Conv2D(2, 3), (5, 5, 2)),
    "Conv2DTranspose": (lambda: L.Conv2DTranspose(2, 3), (5, 5, 2)),
    "Conv3D": (lambda: L.Conv3D(2, 3), (5, 5, 5, 2)),
    "Dense": (lambda: L.Dense(3), (4,)),
    "DepthwiseConv2D": (lambda: L.DepthwiseConv2D(3), (5, 5, 2)),
    "Dropout": (lambda: L.Dropout(0.5), (4,)),
    "EinsumDense": (lambda: L.EinsumDense("ab,bc->ac", output_shape=3), (4,)),
    "Embedding": (lambda: L.Embedding(5, 2), (3,), torch.int64),
    "Flatten": (lambda: L.Flatten(), (2, 3)),
    "GRU": (lambda: L.GRU(3), (4, 2)),
    "GlobalAveragePooling1D": (lambda: L.GlobalAveragePooling1D(), (4, 2)),
    "GlobalAveragePooling2D": (lambda: L.GlobalAveragePooling2D(), (4, 4, 2)),
    "GlobalMaxPooling1D": (lambda: L.GlobalMaxPooling1D(), (4, 2)),
    "GlobalMaxPooling2D": (lambda: L.GlobalMaxPooling2D(), (4, 4, 2)),
    "GroupNormalization": (lambda: L.GroupNormalization(groups=2), (4,)),
    "Identity": (lambda: L.Identity(), (3,)),
    "LSTM": (lambda: L.LSTM(3), (4, 2)),
    "Lambda": (lambda: L.Lambda(lambda x: x * 2), (3,)),
    "LayerNormalization": (lambda: L.LayerNormalization(), (3,)),
    "MaxPooling1D": (lambda: L.MaxPooling1D(), (4, 2)),
    "MaxPooling2D": (lambda: L.MaxPooling2D(), (4, 4, 2)),
    "Maximum": (lambda: L.Maximum(), [(3,), (3,)]),
    "Minimum": (lambda: L.Minimum(), [(3,), (3,)]),
    "MultiHeadAttention": (lambda: L.MultiHeadAttention(2, 4), [(3, 4), (5, 4)]),
    "Multiply": (lambda: L.Multiply(), [(3,), (3,)]),
    "Permute": (lambda: L.Permute((2, 1)), (2, 3)),
    "Reshape": (lambda: L.Reshape((6,)), (2, 3)),
    "SeparableConv2D": (lambda: L.SeparableConv2D(2, 3), (5, 5, 2)),
    "Subtract": (lambda: L.Subtract(), [(3,), (3,)]),
    "UpSampling2D": (lambda: L.UpSampling2D(), (2, 2, 3)),
    "ZeroPadding2D": (lambda: L.ZeroPadding2D(), (2, 2, 3)),
}

# Exported names that are not layers to instantiate on their own.
NOT_LAYERS = {"Layer", "InputSpec", "InputLayer"}


def _entry(name):
    make, shape, *dtype = CATALOGUE[name]
    return make, shape, dtype[0] if dtype else torch.float32


def _inputs(shape, batch, dtype, device="cpu"):
    if isinstance(shape, list):
        return [_inputs(s, batch, dtype, device) for s in shape]
    return torch.zeros((batch,) + shape, dtype=dtype, device=device)


def _call(layer, inputs, training=None):
    kwargs = {} if training is None else {"training": training}
    if isinstance(layer, L.MultiHeadAttention):
        return layer(*inputs, **kwargs)
    return layer(inputs, **kwargs)


def _output_shapes(value):
    if isinstance(value, (list, tuple)):
        return [tuple(v.shape) for v in value]
    return tuple(value.shape)


def test_catalogue_covers_every_exported_layer():
    exported = {name for name in L.__all__ if name[0].isupper()} - NOT_LAYERS
    assert sorted(exported - set(CATALOGUE)) == [], "add the new layers to CATALOGUE"


@pytest.mark.parametrize("name", sorted(CATALOGUE))
@pytest.mark.parametrize("training", [True, False])
def test_empty_batch(name, training):
    make, shape, dtype = _entry(name)
    layer = make()
    reference = _output_shapes(_call(make(), _inputs(shape, 2, dtype), training=training))
    before = {k: v.clone() for k, v in layer.state_dict().items() if isinstance(v, torch.Tensor)}
    out = _call(layer, _inputs(shape, 0, dtype), training=training)
    shapes = _output_shapes(out)
    expected = [(0,) + s[1:] for s in reference] if isinstance(reference, list) else (0,) + reference[1:]
    assert shapes == expected
    for key, value in before.items():  # built by an empty batch: initial state unchanged
        torch.testing.assert_close(layer.state_dict()[key], value)


def test_batch_norm_moving_statistics_ignore_an_empty_batch():
    layer = L.BatchNormalization()
    layer(torch.randn(8, 3), training=True)
    mean, variance = layer.moving_mean.clone(), layer.moving_variance.clone()
    out = layer(torch.zeros(0, 3), training=True)
    assert out.shape == (0, 3)
    torch.testing.assert_close(layer.moving_mean, mean)
    torch.testing.assert_close(layer.moving_variance, variance)
    assert torch.isfinite(layer(torch.randn(4, 3), training=False)).all()


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_meta_inputs_build_shape_only_layers(name):
    make, shape, dtype = _entry(name)
    reference = _output_shapes(_call(make(), _inputs(shape, 2, dtype), training=False))
    layer = make()
    out = _call(layer, _inputs(shape, 2, dtype, "meta"), training=False)
    flat = out if isinstance(out, (list, tuple)) else [out]
    assert all(t.device.type == "meta" for t in flat)
    assert _output_shapes(out) == reference
    assert all(w.device.type == "meta" for w in layer.weights)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_meta_inputs_to_a_layer_built_on_real_data(name):
    make, shape, dtype = _entry(name)
    layer = make()
    reference = _output_shapes(_call(layer, _inputs(shape, 2, dtype), training=False))
    try:
        out = _call(layer, _inputs(shape, 2, dtype, "meta"), training=False)
    except RuntimeError as error:
        assert f'Layer "{layer.name}"' in str(error) and "Fix:" in str(error), str(error)
        return
    flat = out if isinstance(out, (list, tuple)) else [out]
    assert all(t.device.type == "meta" for t in flat), "never real memory from a meta input"
    assert _output_shapes(out) == reference
