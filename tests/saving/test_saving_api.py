"""save_model/load_model/save_weights/load_weights choose the format by content when
reading and by name when writing (saving/saving_api.py)."""

import os
import shutil
import zipfile

import pytest
import torch

import torch_keraslike as tkl
from torch_keraslike import layers


def _model():
    x = tkl.Input((3,), name="x")
    return tkl.Model(x, layers.Dense(2, name="out")(layers.Dense(4, activation="relu", name="hidden")(x)))


@pytest.mark.parametrize("written, renamed", [
    ("m.keras", "m.bin"), ("m.safetensors", "m.keras"), ("m.safetensors", "m.h5"), ("m.keras", "m.weights")])
def test_load_model_recognises_the_format_by_content(tmp_path, written, renamed):
    model = _model()
    model.save(tmp_path / written)
    shutil.move(tmp_path / written, tmp_path / renamed)
    data = torch.rand(2, 3)
    torch.testing.assert_close(tkl.saving.load_model(tmp_path / renamed)(data), model(data))


def test_writing_follows_the_name(tmp_path):
    model = _model()
    model.save(tmp_path / "m.keras")
    assert zipfile.is_zipfile(tmp_path / "m.keras")
    tkl.saving.save_model(model, tmp_path / "m.safetensors")
    assert (tmp_path / "m.safetensors").read_bytes()[8:9] == b"{"
    with pytest.raises(ValueError, match=r"tf.keras 2's legacy HDF5 format.*model.save\('model.keras'\)"):
        model.save(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"names a weights file. Fix: model.save_weights"):
        model.save(tmp_path / "m.weights.h5")
    assert sorted(os.listdir(tmp_path)) == ["m.keras", "m.safetensors"]


def test_overwrite_false_keeps_the_file(tmp_path):
    model = _model()
    model.save(tmp_path / "m.keras")
    first = (tmp_path / "m.keras").read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=False"):
        _model().save(tmp_path / "m.keras", overwrite=False)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save_weights(tmp_path / "m.keras", overwrite=False)
    assert (tmp_path / "m.keras").read_bytes() == first


def test_unknown_files_are_clear_errors(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ValueError, match=r"is not a model file this library reads.*truncated, corrupted"):
        tkl.saving.load_model(path)
    with pytest.raises(ValueError, match=r"is not a model file this library reads"):
        _model().load_weights(path)
    with pytest.raises(FileNotFoundError):
        tkl.saving.load_model(tmp_path / "missing.keras")


def test_load_weights_reads_every_format(tmp_path):
    source = _model()
    source.save(tmp_path / "m.keras")
    source.save(tmp_path / "m.safetensors")
    source.save_weights(tmp_path / "m.weights.h5")
    data = torch.rand(2, 3)
    for name in ("m.keras", "m.safetensors", "m.weights.h5"):
        target = _model()
        target.load_weights(tmp_path / name)
        torch.testing.assert_close(target(data), source(data))


def test_load_weights_needs_a_built_model(tmp_path):
    _model().save_weights(tmp_path / "m.weights.h5")
    lazy = tkl.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match=r'load_weights\(\) on model "sequential", which is not built yet'):
        lazy.load_weights(tmp_path / "m.weights.h5")


def test_models_namespace_and_keras_names():
    assert tkl.models.load_model is tkl.saving.load_model
    assert tkl.saving.register_keras_serializable is tkl.saving.register_serializable
    for name in ("save_model", "load_model", "save_weights", "load_weights", "serialize", "deserialize"):
        assert name in tkl.saving.__all__


def test_compiled_model_saves_its_weights(tmp_path):
    model = _model()
    compiled = torch.compile(model, backend="eager")
    data = torch.rand(2, 3)
    expected = compiled(data)
    model.save(tmp_path / "m.keras")
    torch.testing.assert_close(tkl.saving.load_model(tmp_path / "m.keras")(data), expected)
