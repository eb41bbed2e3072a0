"""save_model/load_model: one safetensors file, config by registered name, no code run."""

import json

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

import torch_keraslike as tkl
from torch_keraslike import layers


def functional():
    a = tkl.Input((4,), name="a")
    b = tkl.Input((2,), name="b")
    x = torch.cat([layers.Dense(3, activation="relu")(a), b], dim=-1)
    return tkl.Model({"a": a, "b": b}, layers.Dense(1)(layers.Dropout(0.3)(x)))


def test_functional_round_trip_gives_equal_outputs(tmp_path):
    model = functional()
    model.eval()
    data = {"a": torch.randn(5, 4), "b": torch.randn(5, 2)}
    path = tmp_path / "model.safetensors"
    tkl.saving.save_model(model, path)
    loaded = tkl.saving.load_model(path)
    loaded.eval()
    torch.testing.assert_close(loaded(data), model(data))
    assert loaded.get_config() == model.get_config()


def test_sequential_lazy_and_registered_subclass(tmp_path):
    seq = tkl.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(2)])
    x = torch.randn(3, 5)
    expected = seq(x)
    tkl.saving.save_model(seq, tmp_path / "seq.safetensors")
    torch.testing.assert_close(tkl.saving.load_model(tmp_path / "seq.safetensors")(x), expected)

    @tkl.saving.register_serializable(package="tests")
    class Net(tkl.Model):
        def __init__(self, width=3, **kwargs):
            super().__init__(**kwargs)
            self.width = width
            self.hidden = layers.Dense(width)

        def call(self, x):
            return self.hidden(x) * 2

    net = Net(width=6)
    out = net(x)
    tkl.saving.save_model(net, tmp_path / "net.safetensors")
    loaded = tkl.saving.load_model(tmp_path / "net.safetensors")
    assert isinstance(loaded, Net) and loaded.width == 6
    torch.testing.assert_close(loaded(x), out)


def test_file_is_plain_safetensors_with_json_config(tmp_path):
    path = tmp_path / "model.safetensors"
    tkl.saving.save_model(functional(), path)
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
        keys = list(handle.keys())
    assert metadata["format"] == "torch_keraslike.model"
    assert json.loads(metadata["config"])["class_name"] == "Model"
    assert all(k.startswith("layers.") and not k.endswith("_extra_state") for k in keys)


def test_unregistered_class_names_register_serializable(tmp_path):
    class Unregistered(tkl.Layer):
        def call(self, x):
            return x

    x = tkl.Input((2,))
    model = tkl.Model(x, Unregistered(name="plain")(x))
    path = tmp_path / "model.safetensors"
    tkl.saving.save_model(model, path)
    with pytest.raises(ValueError, match=r"Unknown class 'Unregistered'.*register_serializable"):
        tkl.saving.load_model(path)
    loaded = tkl.saving.load_model(path, custom_objects={"Unregistered": Unregistered})
    assert isinstance(loaded.get_layer("plain"), Unregistered)


def _rewrite(path, edit):
    with safe_open(str(path), framework="pt") as handle:
        metadata = dict(handle.metadata())
        tensors = {k: handle.get_tensor(k) for k in handle.keys()}
    edit(metadata)
    save_file(tensors, str(path), metadata=metadata)


def test_tampered_file_executes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    tkl.saving.save_model(functional(), path)
    executed = []
    monkeypatch.setattr("os.system", lambda *a: executed.append(a))

    def point_at_os_system(metadata):
        config = json.loads(metadata["config"])
        config["config"]["layers"][2]["class_name"] = "os.system"
        config["config"]["layers"][2]["config"] = {"command": "echo pwned"}
        metadata["config"] = json.dumps(config)

    _rewrite(path, point_at_os_system)
    with pytest.raises(ValueError, match=r"Unknown class 'os.system'.*register_serializable"):
        tkl.saving.load_model(path)
    assert executed == []


def test_truncated_and_foreign_files_give_clear_errors(tmp_path):
    path = tmp_path / "model.safetensors"
    tkl.saving.save_model(functional(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 7])
    with pytest.raises(ValueError, match="truncated, corrupted or not a model file"):
        tkl.saving.load_model(path)
    path.write_bytes(b"\x00" * 3)
    with pytest.raises(ValueError, match="truncated, corrupted"):
        tkl.saving.load_model(path)
    save_file({"w": torch.zeros(2)}, str(path))
    with pytest.raises(ValueError, match="not a torch_keraslike model file"):
        tkl.saving.load_model(path)
    tkl.saving.save_model(functional(), path)
    _rewrite(path, lambda metadata: metadata.update(config="{not json"))
    with pytest.raises(ValueError, match="damaged config"):
        tkl.saving.load_model(path)


def test_weights_that_do_not_fit_the_config(tmp_path):
    path = tmp_path / "model.safetensors"
    model = functional()
    tkl.saving.save_model(model, path)

    def widen(metadata):
        config = json.loads(metadata["config"])
        dense = next(e for e in config["config"]["layers"] if e["class_name"] == "Dense")
        dense["config"]["units"] = 7
        metadata["config"] = json.dumps(config)

    _rewrite(path, widen)
    with pytest.raises(ValueError, match="size mismatch"):
        tkl.saving.load_model(path)
