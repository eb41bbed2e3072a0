"""SpectralNormalization: Keras's power iteration, weight order and in-place kernel update."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from torch_keraslike.layers.spectral_normalization import SpectralNormalization


class _SNDense(SpectralNormalization):
    def __init__(self, layer=None, **kwargs):
        super().__init__(layer if layer is not None else tkl.layers.Dense(2), **kwargs)


class _SNEmbedding(SpectralNormalization):
    def __init__(self, layer=None, **kwargs):
        super().__init__(layer if layer is not None else tkl.layers.Embedding(10, 4), **kwargs)


@pytest.mark.parametrize("shape, out", [((10, 3, 4), (10, 3, 2)), ((10, 3, 4, 5), (10, 3, 4, 2))])
@pytest.mark.parametrize("training", [False, True])
def test_spectral_norm_common(shape, out, training):
    layer, _ = run_layer_test(_SNDense, {}, shape, out, 2, 1, training=training)
    assert [tuple(w.shape) for w in layer.get_weights()] == [(shape[-1], 2), (1, 2), (2,)]


def test_spectral_norm_of_an_embedding():
    x = torch.randint(0, 10, (10,)).float()
    layer, _ = run_layer_test(_SNEmbedding, {}, (10,), (10, 4), 1, 1, input_data=x)
    assert layer.vector_u.shape == (1, 4)
    ints = layer(torch.randint(0, 10, (10,)), training=True)  # Keras fixes the last axis (10)
    assert ints.dtype == torch.float32  # indices stay indices; vectors are floats


def test_weights_are_in_keras_order():
    layer = SpectralNormalization(tkl.layers.Dense(3))
    layer(torch.ones(2, 4))
    assert layer.weights[0] is layer.layer.kernel
    assert layer.weights[1] is layer.vector_u and layer.weights[2] is layer.layer.bias
    kernel, bias = layer.layer.kernel, layer.layer.bias
    assert len(layer.trainable_weights) == 2
    assert layer.trainable_weights[0] is kernel and layer.trainable_weights[1] is bias
    assert layer.non_trainable_weights == [layer.vector_u]
    arrays = [np.full((4, 3), 2.0, np.float32), np.ones((1, 3), np.float32), np.arange(3, dtype=np.float32)]
    layer.set_weights(arrays)
    for got, want in zip(layer.get_weights(), arrays):
        np.testing.assert_array_equal(got, want)
    assert [k for k in layer.state_dict() if "extra" not in k] == ["vector_u", "layer.kernel", "layer.bias"]


def test_training_normalizes_kernel_in_place_and_inference_uses_it():
    # Keras's test: a 2x2 kernel of ones has spectral norm 2.
    conv = tkl.layers.Conv2D(1, (2, 2), kernel_initializer=tkl.initializers.Constant(1.0))
    layer = SpectralNormalization(conv, power_iterations=8)
    images = torch.ones(1, 2, 2, 1)
    torch.testing.assert_close(layer(images, training=False), torch.full((1, 1, 1, 1), 4.0))
    torch.testing.assert_close(layer(images, training=True), torch.full((1, 1, 1, 1), 2.0))
    torch.testing.assert_close(conv.kernel, torch.full_like(conv.kernel, 0.5))
    torch.testing.assert_close(layer(images, training=False), torch.full((1, 1, 1, 1), 2.0))


def test_spectral_norm_converges_to_unit_norm_and_zero_kernel_is_kept():
    dense = tkl.layers.Dense(5)
    layer = SpectralNormalization(dense, power_iterations=50)
    layer(torch.ones(2, 7), training=True)
    assert abs(float(torch.linalg.matrix_norm(dense.kernel.detach(), ord=2)) - 1) < 1e-4
    zero = SpectralNormalization(tkl.layers.Dense(3, kernel_initializer="zeros"))
    zero(torch.ones(1, 2))
    u_before = zero.vector_u.clone()
    out = zero(torch.ones(1, 2), training=True)
    assert torch.isfinite(out).all() and torch.equal(zero.vector_u, u_before)
    assert torch.equal(zero.layer.kernel, torch.zeros(2, 3))


def test_gradient_reaches_the_kernel_and_compiled_training_matches():
    layer = SpectralNormalization(tkl.layers.Dense(3), power_iterations=2)
    x = torch.randn(4, 5)
    layer(x)
    reference = SpectralNormalization(tkl.layers.Dense(3), power_iterations=2)
    reference(x)
    reference.set_weights(layer.get_weights())
    layer(x, training=True).sum().backward()
    assert layer.layer.kernel.grad is not None
    compiled = torch.compile(reference, backend="eager", fullgraph=True)
    torch.testing.assert_close(compiled(x, training=True), reference.layer(x))
    torch.testing.assert_close(reference.layer.kernel, layer.layer.kernel)
    torch._dynamo.reset()


def test_matches_keras_in_inference_and_training_steps():
    keras = import_keras()
    x = np.random.default_rng(0).standard_normal((4, 6, 6, 3)).astype(np.float32)
    for make in (lambda m: m.layers.Conv2D(4, 3), lambda m: m.layers.Dense(4)):
        ours = SpectralNormalization(make(tkl), power_iterations=2)
        theirs = keras.layers.SpectralNormalization(make(keras), power_iterations=2)
        ours(x)
        theirs(x)
        theirs.set_weights(ours.get_weights())
        for training in (False, True, True, False):
            np.testing.assert_allclose(to_numpy(ours(x, training=training)),
                                       to_numpy(theirs(x, training=training)), rtol=1e-5, atol=1e-6)
        for got, want in zip(ours.get_weights(), [w.value for w in theirs.weights]):
            np.testing.assert_allclose(got, to_numpy(want), rtol=1e-5, atol=1e-7)


def test_bad_arguments_and_layers_without_kernel():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="`power_iterations` should be greater than zero"):
            SpectralNormalization(tkl.layers.Dense(2), power_iterations=bad)
    layer = SpectralNormalization(tkl.layers.Activation("relu"))
    with pytest.raises(ValueError, match="object has no attribute 'kernel' nor 'embeddings'"):
        layer(torch.ones(4, 2))
    # The wrapper stays unbuilt (Activation itself has no state: built at construction).
    assert not layer.built and not hasattr(layer, "vector_u")
    built = SpectralNormalization(tkl.layers.Dense(2))
    built(torch.ones(1, 3))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        built(torch.ones(1, 4))


def test_config_round_trip_keeps_power_iterations():
    layer = SpectralNormalization(tkl.layers.Dense(2), power_iterations=3)
    config = layer.get_config()
    assert config["power_iterations"] == 3 and config["layer"]["class_name"] == "Dense"
    assert SpectralNormalization.from_config(config).power_iterations == 3
