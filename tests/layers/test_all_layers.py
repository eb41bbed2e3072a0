"""Behaviours every built-in layer shares, checked on the whole catalogue:

- a batch of 0 samples gives an empty output of the right shape (training and
  inference), and leaves state such as moving statistics unchanged;
- an unbuilt layer called on ``meta`` inputs builds a shape-only layer and returns a
  ``meta`` output of the right shape; a layer built on real data refuses ``meta``
  inputs with a clear error, or returns a ``meta`` output of the right shape;
- integer, bool and unsigned inputs either compute (layers that compute in floating
  point cast them to their dtype) or raise a clear ``TypeError`` naming the layer.

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
    "ActivityRegularization": (lambda: L.ActivityRegularization(l1=0.1), (3,)),
    "AdaptiveAveragePooling1D": (lambda: L.AdaptiveAveragePooling1D(2), (4, 3)),
    "AdaptiveAveragePooling2D": (lambda: L.AdaptiveAveragePooling2D(2), (4, 4, 3)),
    "AdaptiveAveragePooling3D": (lambda: L.AdaptiveAveragePooling3D(2), (4, 4, 4, 3)),
    "AdaptiveMaxPooling1D": (lambda: L.AdaptiveMaxPooling1D(2), (4, 3)),
    "AdaptiveMaxPooling2D": (lambda: L.AdaptiveMaxPooling2D(2), (4, 4, 3)),
    "AdaptiveMaxPooling3D": (lambda: L.AdaptiveMaxPooling3D(2), (4, 4, 4, 3)),
    "AlphaDropout": (lambda: L.AlphaDropout(0.5), (4,)),
    "AveragePooling3D": (lambda: L.AveragePooling3D(), (4, 4, 4, 2)),
    "CenterCrop": (lambda: L.CenterCrop(2, 2), (4, 4, 3)),
    "Conv1DTranspose": (lambda: L.Conv1DTranspose(2, 3), (5, 2)),
    "Conv3DTranspose": (lambda: L.Conv3DTranspose(2, 3), (4, 4, 4, 2)),
    "Cropping1D": (lambda: L.Cropping1D(1), (5, 2)),
    "Cropping2D": (lambda: L.Cropping2D(1), (5, 5, 2)),
    "Cropping3D": (lambda: L.Cropping3D(1), (5, 5, 5, 2)),
    "DepthwiseConv1D": (lambda: L.DepthwiseConv1D(3), (5, 2)),
    "Dot": (lambda: L.Dot(axes=-1), [(3,), (3,)]),
    "ELU": (lambda: L.ELU(), (4,)),
    "GaussianDropout": (lambda: L.GaussianDropout(0.3), (4,)),
    "GaussianNoise": (lambda: L.GaussianNoise(0.3), (4,)),
    "GlobalAveragePooling3D": (lambda: L.GlobalAveragePooling3D(), (3, 3, 3, 2)),
    "GlobalMaxPooling3D": (lambda: L.GlobalMaxPooling3D(), (3, 3, 3, 2)),
    "LayerScale": (lambda: L.LayerScale(0.1, 4), (3, 4)),
    "LeakyReLU": (lambda: L.LeakyReLU(), (4,)),
    "MaxPooling3D": (lambda: L.MaxPooling3D(), (4, 4, 4, 2)),
    "Normalization": (lambda: L.Normalization(mean=0.5, variance=2.0), (3,)),
    "PReLU": (lambda: L.PReLU(), (4,)),
    "RMSNormalization": (lambda: L.RMSNormalization(), (4,)),
    "RandomBrightness": (lambda: L.RandomBrightness(0.2, seed=1), (4, 4, 3)),
    "RandomContrast": (lambda: L.RandomContrast(0.2, seed=1), (4, 4, 3)),
    "RandomCrop": (lambda: L.RandomCrop(2, 2, seed=1), (4, 4, 3)),
    "RandomFlip": (lambda: L.RandomFlip(seed=1), (4, 4, 3)),
    "RandomRotation": (lambda: L.RandomRotation(0.2, seed=1), (4, 4, 3)),
    "RandomTranslation": (lambda: L.RandomTranslation(0.2, 0.2, seed=1), (4, 4, 3)),
    "RandomZoom": (lambda: L.RandomZoom(0.2, seed=1), (4, 4, 3)),
    "ReLU": (lambda: L.ReLU(max_value=6.0), (4,)),
    "RepeatVector": (lambda: L.RepeatVector(3), (4,)),
    "Rescaling": (lambda: L.Rescaling(1 / 255), (4, 4, 3)),
    "Resizing": (lambda: L.Resizing(3, 3), (4, 4, 3)),
    "ReversibleEmbedding": (lambda: L.ReversibleEmbedding(5, 2), (3,), torch.int64),
    "SeparableConv1D": (lambda: L.SeparableConv1D(2, 3), (5, 2)),
    "Softmax": (lambda: L.Softmax(), (4,)),
    "SpatialDropout1D": (lambda: L.SpatialDropout1D(0.5), (4, 3)),
    "SpatialDropout2D": (lambda: L.SpatialDropout2D(0.5), (4, 4, 3)),
    "SpatialDropout3D": (lambda: L.SpatialDropout3D(0.5), (3, 3, 3, 2)),
    "SpectralNormalization": (lambda: L.SpectralNormalization(L.Dense(3)), (4,)),
    "UnitNormalization": (lambda: L.UnitNormalization(), (4,)),
    "UpSampling1D": (lambda: L.UpSampling1D(), (3, 2)),
    "UpSampling3D": (lambda: L.UpSampling3D(), (2, 2, 2, 2)),
    "ZeroPadding1D": (lambda: L.ZeroPadding1D(), (3, 2)),
    "ZeroPadding3D": (lambda: L.ZeroPadding3D(), (2, 2, 2, 2)),
    # The recurrent and attention families (cells run inside an RNN).
    "AdditiveAttention": (lambda: L.AdditiveAttention(), [(3, 4), (5, 4)]),
    "Attention": (lambda: L.Attention(use_scale=True), [(3, 4), (5, 4)]),
    "Bidirectional": (lambda: L.Bidirectional(L.LSTM(3, return_sequences=True)), (4, 2)),
    "ConvLSTM1D": (lambda: L.ConvLSTM1D(2, 3), (3, 5, 2)),
    "ConvLSTM2D": (lambda: L.ConvLSTM2D(2, 3, padding="same"), (3, 4, 4, 2)),
    "ConvLSTM3D": (lambda: L.ConvLSTM3D(2, 2), (2, 3, 3, 3, 2)),
    "GRUCell": (lambda: L.RNN(L.GRUCell(3), return_state=True), (4, 2)),
    "GroupedQueryAttention": (lambda: L.GroupedQueryAttention(2, 4, 2), [(3, 4), (5, 4)]),
    "LSTMCell": (lambda: L.RNN(L.LSTMCell(3)), (4, 2)),
    "Masking": (lambda: L.Masking(), (4, 2)),
    "RNN": (lambda: L.RNN(L.SimpleRNNCell(3), return_sequences=True, go_backwards=True), (4, 2)),
    "SimpleRNN": (lambda: L.SimpleRNN(3, return_state=True), (4, 2)),
    "SimpleRNNCell": (lambda: L.RNN(L.SimpleRNNCell(3, activation="relu")), (4, 2)),
    "StackedRNNCells": (lambda: L.RNN(L.StackedRNNCells([L.LSTMCell(3), L.GRUCell(2)])), (4, 2)),
    "TimeDistributed": (lambda: L.TimeDistributed(L.Dense(3)), (4, 2)),
    "AugMix": (lambda: L.AugMix(seed=1), (8, 8, 3)),
    "AutoContrast": (lambda: L.AutoContrast(), (4, 4, 3)),
    "CategoryEncoding": (lambda: L.CategoryEncoding(5), (3,), torch.int64),
    "ContrastLimitedAdaptiveHistogramEqualization": (
        lambda: L.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2)), (4, 4, 3)),
    "CutMix": (lambda: L.CutMix(seed=1), (4, 4, 3)),
    "Discretization": (lambda: L.Discretization(bin_boundaries=[0.0, 1.0]), (3,)),
    "Equalization": (lambda: L.Equalization(), (4, 4, 3)),
    "HashedCrossing": (lambda: L.HashedCrossing(7), [(1,), (1,)], torch.int64),
    "Hashing": (lambda: L.Hashing(7), (3,), torch.int64),
    "IntegerLookup": (lambda: L.IntegerLookup(vocabulary=[1, 2, 3]), (3,), torch.int64),
    "MaxNumBoundingBoxes": (lambda: L.MaxNumBoundingBoxes(3), (4, 4, 3)),
    "MelSpectrogram": (lambda: L.MelSpectrogram(fft_length=16, sequence_stride=8, num_mel_bins=4), (32,)),
    "MixUp": (lambda: L.MixUp(seed=1), (4, 4, 3)),
    "Pipeline": (lambda: L.Pipeline([L.Rescaling(0.5), L.RandomFlip(seed=1)]), (4, 4, 3)),
    "RandAugment": (lambda: L.RandAugment(seed=1), (8, 8, 3)),
    "RandomColorDegeneration": (lambda: L.RandomColorDegeneration(0.5, seed=1), (4, 4, 3)),
    "RandomColorJitter": (lambda: L.RandomColorJitter(brightness_factor=0.2, hue_factor=0.2, seed=1), (4, 4, 3)),
    "RandomElasticTransform": (lambda: L.RandomElasticTransform(seed=1), (8, 8, 3)),
    "RandomErasing": (lambda: L.RandomErasing(seed=1), (4, 4, 3)),
    "RandomGaussianBlur": (lambda: L.RandomGaussianBlur(seed=1), (4, 4, 3)),
    "RandomGrayscale": (lambda: L.RandomGrayscale(seed=1), (4, 4, 3)),
    "RandomHue": (lambda: L.RandomHue(0.5, seed=1), (4, 4, 3)),
    "RandomInvert": (lambda: L.RandomInvert(seed=1), (4, 4, 3)),
    "RandomPerspective": (lambda: L.RandomPerspective(seed=1), (4, 4, 3)),
    "RandomPosterization": (lambda: L.RandomPosterization(4, seed=1), (4, 4, 3)),
    "RandomSaturation": (lambda: L.RandomSaturation(0.5, seed=1), (4, 4, 3)),
    "RandomSharpness": (lambda: L.RandomSharpness(0.5, seed=1), (4, 4, 3)),
    "RandomShear": (lambda: L.RandomShear(0.3, 0.3, seed=1), (4, 4, 3)),
    "STFTSpectrogram": (lambda: L.STFTSpectrogram(frame_length=8, frame_step=4), (16, 1)),
    "Solarization": (lambda: L.Solarization(0.2, 0.5, seed=1), (4, 4, 3)),
}

# Exported names that are not layers to instantiate on their own (``Input`` makes a
# ``KerasTensor``; ``Wrapper`` is the base class of wrappers, whose subclasses are in the
# catalogue). ``TorchModuleWrapper`` behaves as the torch module it wraps
# (tests/test_torch_ecosystem.py).
NOT_LAYERS = {"Layer", "InputSpec", "Input", "InputLayer", "Wrapper", "TorchModuleWrapper"}


def _entry(name):
    make, shape, *dtype = CATALOGUE[name]
    return make, shape, dtype[0] if dtype else torch.float32


def _inputs(shape, batch, dtype, device="cpu"):
    if isinstance(shape, list):
        return [_inputs(s, batch, dtype, device) for s in shape]
    return torch.zeros((batch,) + shape, dtype=dtype, device=device)


def _call(layer, inputs, training=None):
    # Layers without a training argument (encodings) ignore it: torch's mode is enough.
    kwargs = {} if training is None or not layer._tkl_call_takes_training else {"training": training}
    if isinstance(layer, (L.MultiHeadAttention, L.GroupedQueryAttention)):
        return layer(*inputs, **kwargs)
    return layer(inputs, **kwargs)


def _output_shapes(value):
    if isinstance(value, (list, tuple)):
        return [tuple(v.shape) for v in value]
    return tuple(value.shape)


def test_catalogue_covers_every_exported_layer():
    # Keras's other names (MaxPool2D for MaxPooling2D...) are the same classes.
    covered = {getattr(L, name) for name in CATALOGUE}
    exported = {name for name in L.__all__ if name[0].isupper()} - NOT_LAYERS
    assert sorted(name for name in exported if getattr(L, name) not in covered) == [], \
        "add the new layers to CATALOGUE"


@pytest.mark.parametrize("name", sorted(CATALOGUE))
@pytest.mark.parametrize("training", [True, False])
def test_empty_batch(name, training):
    make, shape, dtype = _entry(name)
    layer = make()
    reference = _output_shapes(_call(make(), _inputs(shape, 2, dtype), training=training))
    before = {k: v.clone() for k, v in layer.state_dict().items() if not k.endswith("_extra_state")}
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


@pytest.mark.parametrize("name", sorted(n for n in CATALOGUE if _entry(n)[2] == torch.float32))
@pytest.mark.parametrize("dtype", [torch.int64, torch.bool, torch.uint8])
def test_integer_bool_and_unsigned_inputs(name, dtype):
    make, shape, _ = _entry(name)
    layer = make()
    inputs = _inputs(shape, 2, dtype)
    for tensor in inputs if isinstance(inputs, list) else [inputs]:
        tensor.fill_(1)
    try:
        out = _call(layer, inputs, training=False)
    except TypeError as error:
        assert f'Layer "{layer.name}"' in str(error) and "Fix:" in str(error), str(error)
        return
    flat = out if isinstance(out, (list, tuple)) else [out]
    if layer.cast_integer_inputs:
        assert all(t.dtype == torch.float32 for t in flat)
