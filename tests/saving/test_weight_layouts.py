"""Where each weight lives in Keras's files and in which layout (saving/weight_layouts.py):
the groups Keras's saver writes, our stored layouts mapped to Keras's, tf.keras 2's
per-layer order."""

import json

import h5py
import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_files import KERAS_NUMPY2_WARNING, layer_zoo
from keras_reference import import_keras
from torch_keraslike import layers
from torch_keraslike.saving.weight_layouts import Slot, from_keras, keras_groups, legacy_layers, to_keras

pytestmark = pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)


def _datasets(path):
    found = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, obj: found.__setitem__(name, obj.shape)
                          if isinstance(obj, h5py.Dataset) else None)
    return found


def _expected(model):
    return {f"{g.path}/vars/{i}" if g.path else f"vars/{i}": s.keras_shape
            for g in keras_groups(model) for i, s in enumerate(g.slots)}


def test_groups_are_the_groups_keras_writes(tmp_path):
    keras = import_keras()
    theirs = layer_zoo(keras)
    theirs.save_weights(tmp_path / "zoo.weights.h5")
    ours = tkl.Model.from_config(json.loads(json.dumps(theirs.get_config())))
    assert _expected(ours) == _datasets(tmp_path / "zoo.weights.h5")
    paths = {g.path for g in keras_groups(ours)}
    assert {"layers/lstm/cell", "layers/multi_head_attention/query_dense", "layers/sequential/layers/dense",
            "layers/functional/layers/dense", "layers/gru_1/cell"} <= paths


def test_subclassed_models_follow_keras_attribute_walk(tmp_path):
    keras = import_keras()

    class KerasNet(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(4)
            self.out = keras.layers.Dense(2)
            self.blocks = [keras.layers.Dense(4), keras.layers.BatchNormalization()]
            self._hidden = keras.layers.Dense(4)

        def call(self, x):
            for block in self.blocks:
                x = block(self.dense(x) if block is self.blocks[0] else x)
            return self.out(self._hidden(x))

    class Net(tkl.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(4)
            self.out = layers.Dense(2)
            self.blocks = torch.nn.ModuleList([layers.Dense(4), layers.BatchNormalization()])
            self._hidden = layers.Dense(4)

        def call(self, x):
            x = self.blocks[1](self.blocks[0](self.dense(x)))
            return self.out(self._hidden(x))

    theirs = KerasNet()
    theirs(np.ones((1, 3), "float32"))
    theirs.save_weights(tmp_path / "net.weights.h5")
    ours = Net()
    ours(torch.ones(1, 3))
    assert _expected(ours) == _datasets(tmp_path / "net.weights.h5")
    # Keras walks "blocks" before its own "layers" list, and private attributes last.
    assert [g.path for g in keras_groups(ours) if g.slots] == [
        "blocks/dense", "blocks/batch_normalization", "dense", "layers/dense_1", "layers/dense_3"]


def test_layouts_map_to_keras_and_back():
    conv = layers.Conv2D(5, (2, 3))
    conv.build((None, 6, 6, 4))
    (group,) = [g for g in keras_groups(conv) if g.slots]
    kernel_slot = group.slots[0]
    assert kernel_slot.shape == (5, 4, 2, 3) and kernel_slot.keras_shape == (2, 3, 4, 5)
    array = to_keras(conv.kernel, kernel_slot)
    np.testing.assert_array_equal(array, conv.get_weights()[0])
    torch.testing.assert_close(from_keras(array, kernel_slot), conv.kernel.detach())
    assert kernel_slot.stored_shape((2, 3, 4, 5)) == (5, 4, 2, 3)
    scalar = Slot("count", (), torch.float32)
    assert from_keras(np.float32(3.0), scalar).shape == ()


def test_recurrent_weights_live_in_a_cell():
    lstm = layers.LSTM(3)
    lstm.build((None, 4, 2))
    groups = keras_groups(lstm)
    assert [(g.path, [s.key for s in g.slots]) for g in groups] == [
        ("", []), ("cell", ["cell.kernel", "cell.recurrent_kernel", "cell.bias"])]


def test_legacy_order_puts_trainable_weights_first():
    x = tkl.Input((3,))
    nested = tkl.Sequential([tkl.Input((3,)), layers.Dense(2, name="a"), layers.BatchNormalization(name="bn"),
                             layers.Dense(2, name="b")], name="nested")
    frozen = layers.BatchNormalization(name="frozen")
    model = tkl.Model(x, frozen(nested(x)))
    frozen.trainable = False
    (first, slots_a), (second, slots_b) = legacy_layers(model)
    assert first is nested
    assert [s.key.split(".", 2)[-1] for s in slots_a] == [
        "layers.0.kernel", "layers.0.bias", "layers.1.gamma", "layers.1.beta", "layers.2.kernel",
        "layers.2.bias", "layers.1.moving_mean", "layers.1.moving_variance"]
    assert [s.key.rsplit(".", 1)[-1] for s in slots_b] == ["gamma", "beta", "moving_mean", "moving_variance"]


@pytest.mark.parametrize("make, shape", [
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2), (None, 5, 5, 3)),
    (lambda: layers.SeparableConv2D(4, 3, depth_multiplier=2), (None, 5, 5, 3)),
    (lambda: layers.Conv2DTranspose(4, 3), (None, 5, 5, 3)),
    (lambda: layers.GRU(3, reset_after=True), (None, 4, 2)),
    (lambda: layers.EinsumDense("abc,cd->abd", (None, 4), bias_axes="d"), (None, 3, 2)),
])
def test_slots_agree_with_get_weights(make, shape):
    layer = make()
    layer.build(shape)
    slots = [s for g in keras_groups(layer) for s in g.slots]
    state = layer.state_dict()
    for slot, array in zip(slots, layer.get_weights()):
        assert slot.keras_shape == array.shape
        np.testing.assert_array_equal(to_keras(state[slot.key], slot), array)
