"""TimeDistributed: one layer applied at every step (Keras's
``time_distributed_test.py``)."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from rnn_cells import data, numpy_of, randomize

L = tkl.layers


class _TimeDistributed(L.TimeDistributed):
    def __init__(self, layer, **kwargs):
        super().__init__(tkl.saving.deserialize(tkl.saving.serialize(layer)), **kwargs)


def test_basics():
    layer, _ = run_layer_test(_TimeDistributed, {"layer": L.Dense(1, use_bias=False)}, (3, 2, 4), (3, 2, 1), 1)
    assert [k for k in layer.state_dict() if "extra" not in k] == ["layer.kernel"]


def test_build_and_symbolic_shapes():
    inputs = tkl.Input((10, 32, 32, 3), batch_size=4)
    outputs = L.TimeDistributed(L.Conv2D(8, 3))(inputs)
    assert outputs.shape == (4, 10, 30, 30, 8)
    assert L.TimeDistributed(L.Dense(5)).compute_output_shape((None, 7, 3)) == (None, 7, 5)


def test_correctness():
    sequence = np.arange(24, dtype="float32").reshape((3, 2, 4))
    layer = L.TimeDistributed(L.Dense(1, kernel_initializer=tkl.initializers.Constant(0.01), use_bias=False))
    np.testing.assert_allclose(numpy_of(layer(sequence))[:, :, 0], [[0.06, 0.22], [0.38, 0.54], [0.7, 0.86]],
                               rtol=1e-5)


def test_masks_reach_a_layer_that_takes_them_and_pass_through():
    class MaskedDense(L.Wrapper):
        def __init__(self, units, **kwargs):
            super().__init__(L.Dense(units, kernel_initializer=tkl.initializers.Constant(0.01), use_bias=False),
                             **kwargs)
            self.supports_masking = True

        def call(self, inputs, training=False, mask=None):
            out = self.layer.call(inputs)
            return out if mask is None else out * mask.to(out.dtype)[:, None]

    sequence = np.arange(24, dtype="float32").reshape((3, 2, 4))
    mask = np.array([[False, True], [True, False], [True, True]])
    out = L.TimeDistributed(MaskedDense(1))(sequence, mask=mask)
    np.testing.assert_allclose(numpy_of(out)[:, :, 0], [[0.0, 0.22], [0.38, 0.0], [0.7, 0.86]], rtol=1e-5)
    ids = torch.tensor([[1, 2, 0], [3, 0, 0]])
    out = L.TimeDistributed(L.Dense(4))(L.Embedding(4, 3, mask_zero=True)(ids))
    torch.testing.assert_close(out._keras_mask, ids != 0)


def test_fits_after_an_embedding_with_mask_zero():
    model = tkl.Sequential([tkl.Input((20,), dtype="int64"), L.Embedding(10, 5, mask_zero=True),
                            L.TimeDistributed(L.Dense(5, activation="softmax"))])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).integers(1, 10, size=(22, 20))
    history = model.fit(x, np.ones((22, 20), "int64"), epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize("shape, ok", [((4, 5), True), ((4, 5, 1), True), ((4, 5, 2), True), ((4, 6), False),
                                       ((5, 5), False), ((5, 6), False), ((4,), False)])
def test_mask_shape_validation(shape, ok):
    layer = L.TimeDistributed(L.Dense(5, activation="softmax"), name="td")
    inputs = np.zeros((4, 5, 3), "float32")
    mask = np.ones(shape, bool)
    if ok:
        assert layer(inputs, mask=mask).shape == (4, 5, 5)
        return
    with pytest.raises(ValueError, match=r'Layer "td".*The `mask` passed to the `TimeDistributed` layer'):
        layer(inputs, mask=mask)


def test_bad_arguments():
    with pytest.raises(ValueError, match="Please initialize `TimeDistributed` layer with a `keras.layers.Layer`"):
        L.TimeDistributed("dense")
    layer = L.TimeDistributed(L.Dense(3))
    with pytest.raises(ValueError, match="expected min_ndim=3, found ndim=2"):
        layer(torch.ones(2, 4))
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        layer.build((2, 4))
    assert not layer.built


def test_config_round_trip_and_hooks_on_the_wrapped_layer():
    dense = L.Dense(3)
    layer = L.TimeDistributed(dense)
    calls = []
    dense.register_forward_hook(lambda *args: calls.append(1))
    x = torch.ones(2, 4, 5)
    reference = layer(x)
    assert calls == [1]  # one call for all steps
    clone = L.TimeDistributed.from_config(json.loads(json.dumps(layer.get_config())))
    clone(x)
    clone.set_weights(layer.get_weights())
    torch.testing.assert_close(clone(x), reference)


def test_keras_parity_conv():
    keras = import_keras()
    ours, theirs = L.TimeDistributed(L.Conv2D(4, 3)), keras.layers.TimeDistributed(keras.layers.Conv2D(4, 3))
    x = data(2, 3, 6, 6, 2)
    ours(x), theirs(x)
    theirs.set_weights(randomize(ours))
    np.testing.assert_allclose(numpy_of(ours(x)), to_numpy(theirs(x)), rtol=1e-5, atol=1e-6)
