"""Keras's HDF5 files (saving/keras_h5.py): ``.weights.h5`` both ways, tf.keras 2 models
and weights, errors that name the layer and weight, hostile files."""

import h5py
import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_files import (
    KERAS_NUMPY2_WARNING,
    RNG,
    assert_outputs_match,
    layer_zoo,
    randomize,
    run_keras,
    run_ours,
    write_tf_keras2_h5,
    zoo_inputs,
)
from keras_reference import import_keras
from torch_keraslike import layers

pytestmark = pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)


def _mlp(units=4, use_bias=True, outputs=2):
    x = tkl.Input((3,), name="x")
    h = layers.Dense(units, activation="relu", use_bias=use_bias, name="hidden")(x)
    return tkl.Model(x, layers.Dense(outputs, name="out")(layers.BatchNormalization(name="bn")(h)))


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items() if isinstance(v, torch.Tensor)}


# ------------------------------------------------------------- both ways
@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    keras = import_keras()
    folder = tmp_path_factory.mktemp("zoo")
    theirs = layer_zoo(keras)
    theirs.save(folder / "zoo.keras")
    theirs.save_weights(folder / "zoo.weights.h5")
    return theirs, folder


def test_keras_weights_load_into_our_model(zoo):
    theirs, folder = zoo
    ours = tkl.saving.load_model(folder / "zoo.keras")
    for weight in ours.parameters():
        torch.nn.init.zeros_(weight)
    ours.load_weights(folder / "zoo.weights.h5")
    inputs = zoo_inputs()
    assert_outputs_match(run_ours(ours, inputs), run_keras(theirs, inputs))


def test_our_weights_load_into_keras(zoo, tmp_path):
    keras = import_keras()
    theirs, folder = zoo
    ours = tkl.saving.load_model(folder / "zoo.keras")
    for name, tensor in ours.state_dict().items():
        if isinstance(tensor, torch.Tensor) and tensor.is_floating_point():
            tensor.copy_(torch.randn_like(tensor).abs() + 0.5 if "variance" in name else torch.randn_like(tensor) * 0.3)
    ours.save_weights(tmp_path / "ours.weights.h5")
    fresh = keras.saving.load_model(folder / "zoo.keras")
    fresh.load_weights(tmp_path / "ours.weights.h5")
    inputs = zoo_inputs()
    assert_outputs_match(run_keras(fresh, inputs), run_ours(ours, inputs))


# ------------------------------------------------------------------ errors
def test_a_weight_that_does_not_fit_is_named_and_nothing_changes(tmp_path):
    _mlp(units=5).save_weights(tmp_path / "five.weights.h5")
    model = _mlp(units=4)
    before = _state(model)
    with pytest.raises(ValueError, match=r'five.weights.h5: layer "hidden" \(group \'layers/dense\'\), weight 0 '
                                         r"\(our 'layers.1.kernel'\) does not fit: expected shape \(3, 4\) "
                                         r"\(Keras's layout\), received \(3, 5\)"):
        model.load_weights(tmp_path / "five.weights.h5")
    assert all(torch.equal(before[k], v) for k, v in _state(model).items())


def test_a_missing_weight_is_named(tmp_path):
    _mlp(use_bias=False).save_weights(tmp_path / "nobias.weights.h5")
    model = _mlp()
    before = _state(model)
    with pytest.raises(ValueError, match=r'layer "hidden" \(group \'layers/dense\'\) expects 2 weight\(s\) '
                                         r"\['layers.1.kernel', 'layers.1.bias'\], but the file holds 1"):
        model.load_weights(tmp_path / "nobias.weights.h5")
    assert all(torch.equal(before[k], v) for k, v in _state(model).items())


def test_skip_mismatch_loads_the_rest_with_a_warning(tmp_path):
    source = _mlp(outputs=3)
    source.save_weights(tmp_path / "three.weights.h5")
    model = _mlp(outputs=2)
    out_before = model.get_layer("out").kernel.detach().clone()
    with pytest.warns(UserWarning, match=r"skipped layers that do not fit the file: \['layer \"out\""):
        model.load_weights(tmp_path / "three.weights.h5", skip_mismatch=True)
    torch.testing.assert_close(model.get_layer("hidden").kernel, source.get_layer("hidden").kernel)
    torch.testing.assert_close(model.get_layer("out").kernel.detach(), out_before)


def test_save_weights_needs_keras_name_and_a_built_model(tmp_path):
    with pytest.raises(ValueError, match=r"end in '.weights.h5'.*model.save_weights\('model.weights.h5'\)"):
        _mlp().save_weights(tmp_path / "model.h5")
    lazy = tkl.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match=r'save_weights\(\) on model "sequential", which is not built yet'):
        lazy.save_weights(tmp_path / "lazy.weights.h5")
    assert not (tmp_path / "lazy.weights.h5").exists()


def test_save_weights_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "m.weights.h5"
    model = _mlp()
    model.save_weights(path)
    first = path.read_bytes()
    from torch_keraslike.saving import keras_h5

    def broken(model, target):
        with open(target, "wb") as handle:
            handle.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(keras_h5, "write_weights", broken)
    with pytest.raises(OSError, match="disk full"):
        model.save_weights(path)
    assert path.read_bytes() == first and sorted(p.name for p in tmp_path.iterdir()) == ["m.weights.h5"]


# --------------------------------------------------------------- tf.keras 2
@pytest.fixture(scope="module")
def legacy(tmp_path_factory):
    keras = import_keras()
    folder = tmp_path_factory.mktemp("legacy")
    L = keras.layers
    image, tokens = keras.Input((8, 8, 3), name="image"), keras.Input((5,), dtype="int32", name="tokens")
    x = L.Flatten()(L.BatchNormalization()(L.Conv2D(4, 3)(image)))
    t = L.LSTM(4)(L.Embedding(10, 3)(tokens))
    functional = keras.Model([image, tokens], L.Dense(2)(L.Concatenate()([x, t])))
    randomize(functional)
    write_tf_keras2_h5(functional, folder / "functional.h5")
    sequential = keras.Sequential([keras.Input((6,), dtype="int32"), L.Embedding(12, 4), L.GRU(5), L.Dense(3)])
    randomize(sequential)
    write_tf_keras2_h5(sequential, folder / "sequential.h5")
    return functional, sequential, folder


def test_tf_keras2_model_files_load(legacy):
    keras = import_keras()
    functional, sequential, folder = legacy
    inputs = [RNG.random((2, 8, 8, 3)).astype("float32"), RNG.integers(0, 10, (2, 5)).astype("int32")]
    # The file is one Keras itself reads the same way (the fixture is sound).
    assert_outputs_match(run_keras(keras.saving.load_model(folder / "functional.h5"), inputs),
                         run_keras(functional, inputs))
    ours = tkl.saving.load_model(folder / "functional.h5")
    assert_outputs_match(run_ours(ours, inputs), run_keras(functional, inputs))
    tokens = RNG.integers(0, 12, (2, 6)).astype("int32")
    ours = tkl.models.load_model(folder / "sequential.h5")
    assert isinstance(ours, tkl.Sequential)
    assert_outputs_match(run_ours(ours, tokens), run_keras(sequential, tokens))


def test_tf_keras2_weights_load_by_layer_order(legacy):
    functional, _, folder = legacy
    ours = tkl.saving.load_model(folder / "functional.h5")
    reference = _state(ours)
    for weight in ours.parameters():
        torch.nn.init.zeros_(weight)
    ours.load_weights(folder / "functional.h5")
    assert all(torch.equal(reference[k], v) for k, v in _state(ours).items())


def test_a_weights_file_is_not_a_model(tmp_path):
    _mlp().save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match=r"is a Keras weights file, not a full model.*model.load_weights"):
        tkl.saving.load_model(tmp_path / "w.weights.h5")


# ------------------------------------------------------------ hostile files
def _weights_file(tmp_path, edit):
    model = _mlp()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r+") as handle:
        edit(handle, tmp_path)
    return model, path


def _external_link(handle, folder):
    with h5py.File(folder / "other.h5", "w") as other:
        other.create_group("vars").create_dataset("0", data=np.zeros((3, 4), "f4"))
    del handle["layers/dense"]
    handle["layers/dense"] = h5py.ExternalLink(str(folder / "other.h5"), "/")


def _soft_link(handle, folder):
    del handle["layers/dense/vars/0"]
    handle["layers/dense/vars/0"] = h5py.SoftLink("/layers/dense_1/vars/0")


def _external_storage(handle, folder):
    (folder / "secret.bin").write_bytes(np.arange(12, dtype="f4").tobytes())
    del handle["layers/dense/vars/0"]
    handle["layers/dense/vars"].create_dataset("0", shape=(3, 4), dtype="f4",
                                               external=[(str(folder / "secret.bin"), 0, 48)])


def _shape_bomb(handle, folder):
    del handle["layers/dense/vars/0"]
    handle["layers/dense/vars"].create_dataset("0", shape=(100_000, 100_000), dtype="f4", chunks=(1000, 1000))


@pytest.mark.parametrize("edit, match", [
    (_external_link, r"'dense' is a ExternalLink, which a weights file never holds"),
    (_soft_link, r"'0' is a SoftLink"),
    (_external_storage, r"reads its data from other files"),
    (_shape_bomb, r"declares shape \(100000, 100000\) \(40000000000 bytes\) but stores 0 bytes"),
])
def test_hostile_weight_files_are_refused_before_reading(tmp_path, edit, match):
    model, path = _weights_file(tmp_path, edit)
    before = _state(model)
    with pytest.raises(ValueError, match=match):
        model.load_weights(path)
    assert all(torch.equal(before[k], v) for k, v in _state(model).items())


def test_a_file_that_is_not_hdf5_is_a_clear_error(tmp_path):
    path = tmp_path / "m.weights.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(ValueError, match="is not a readable HDF5 file"):
        _mlp().load_weights(path)
