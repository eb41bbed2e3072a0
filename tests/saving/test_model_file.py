"""save_model/load_model: one safetensors file, config by registered name, no code run."""

import json
import re

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
    assert json.loads(metadata["config"])["class_name"] == "Functional"
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
    with pytest.raises(ValueError, match="is corrupted: its .config. metadata is not valid JSON"):
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


# ------------------------------------------------------------ hardening (issue 9)
PAYLOADS = ["os.system", "builtins.exec", "importlib.import_module", "torch.os.system",
            "torch.builtins.exec", "torch.importlib.import_module", "tkl_payload.run", "torch.load"]


@pytest.fixture
def trap(tmp_path, monkeypatch):
    """A module ``tkl_payload`` that records its import, and spies on ``os.system``,
    ``exec`` and ``importlib.import_module``: nothing a file names may reach them."""
    import builtins
    import importlib
    import os
    import sys

    folder = tmp_path / "payload"
    folder.mkdir()
    marker = tmp_path / "imported"
    (folder / "tkl_payload.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef run(*args, **kwargs):\n    open({str(marker)!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(folder))
    calls = []
    real_import = importlib.import_module

    def spy_import(name, *args, **kwargs):
        calls.append(("import_module", name))
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(os, "system", lambda *a: calls.append(("system", a)))
    monkeypatch.setattr(builtins, "exec", lambda *a, **k: calls.append(("exec", a)))
    monkeypatch.setattr(importlib, "import_module", spy_import)
    yield calls
    foreign = [c for c in calls if c[0] != "import_module" or not c[1].startswith("torch")]
    assert foreign == [], foreign
    assert not marker.exists() and "tkl_payload" not in sys.modules


def _config_of(path):
    with safe_open(str(path), framework="pt") as handle:
        return json.loads(handle.metadata()["config"])


def _with_config(path, config):
    _rewrite(path, lambda metadata: metadata.update(config=json.dumps(config)))


def _string_fields(value, where=()):
    """Paths to every string in a JSON structure."""
    if isinstance(value, str):
        yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_fields(item, where + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_fields(item, where + (index,))


def _set(config, where, value):
    import copy

    config = copy.deepcopy(config)
    target = config
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    return config


def _model_with_every_kind_of_name():
    x = tkl.Input((4,), name="x", dtype="float32")
    h = layers.Dense(3, activation="relu", kernel_initializer="he_normal", kernel_regularizer="l2",
                     kernel_constraint="non_neg")(x)
    h = torch.cat([h, h[:, :1].to(torch.float64).float()], dim=-1)
    return tkl.Model(x, layers.Dense(1)(h))


def test_every_string_the_loader_reads_never_reaches_code(tmp_path, trap):
    path = tmp_path / "model.safetensors"
    tkl.saving.save_model(_model_with_every_kind_of_name(), path)
    config = _config_of(path)
    fields = list(_string_fields(config))
    assert len(fields) > 20
    for where in fields:
        for payload in PAYLOADS:
            _with_config(path, _set(config, where, payload))
            try:
                tkl.saving.load_model(path)
            except ValueError:
                pass  # refused: a clear ValueError, and nothing ran (checked by the fixture)


@pytest.mark.parametrize("field, match", [
    (("config", "layers", 1, "class_name"), r"Unknown class '{payload}'.*register_serializable"),
    (("config", "layers", 1, "config", "activation"), r"Unknown activation '{payload}'"),
    (("config", "layers", 1, "config", "kernel_initializer", "class_name"), r"Unknown initializer"),
    (("config", "layers", 1, "config", "kernel_regularizer", "class_name"), r"Unknown regularizer"),
    (("config", "layers", 1, "config", "kernel_constraint", "class_name"), r"Unknown constraint"),
    (("config", "layers", 1, "config", "dtype"), r"Invalid dtype"),
    (("config", "layers", 0, "config", "dtype"), r"Invalid"),
    (("config", "layers", 2, "config", "function"), r"names the function '{payload}', which is not a torch operator"),
])
@pytest.mark.parametrize("payload", ["os.system", "builtins.exec", "importlib.import_module",
                                     "torch.os.system", "torch.load", "tkl_payload.run"])
def test_resolved_names_are_refused_with_the_path(tmp_path, trap, field, match, payload):
    path = tmp_path / "model.safetensors"
    tkl.saving.save_model(_model_with_every_kind_of_name(), path)
    config = _config_of(path)
    if field[-1] == "class_name" and field[-2] != 1:
        config = _set(config, field[:-1], {"class_name": payload, "config": {}})
    else:
        config = _set(config, field, payload)
    _with_config(path, config)
    with pytest.raises(ValueError, match=match.format(payload=re.escape(payload))):
        tkl.saving.load_model(path)


def test_dtype_constants_decode_to_dtypes_only(tmp_path, trap):
    path = tmp_path / "model.safetensors"
    tkl.saving.save_model(_model_with_every_kind_of_name(), path)
    config = _config_of(path)
    text = json.dumps(config)
    assert '{"__dtype__": "float64"}' in text
    for payload in ("os", "_dynamo", "load", "float_"):
        _with_config(path, json.loads(text.replace('{"__dtype__": "float64"}', json.dumps({"__dtype__": payload}))))
        with pytest.raises(ValueError, match=rf"Invalid dtype constant in the config.*received '{payload}'"):
            tkl.saving.load_model(path)


_HUGE_KERNEL_CHILD = r"""
import json, resource, sys
import torch, torch_keraslike as tkl
from safetensors import safe_open
from safetensors.torch import save_file

path, kind = sys.argv[1], sys.argv[2]
@tkl.saving.register_serializable(package="test")
class Net(tkl.Model):
    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = tkl.layers.Dense(units)

    def call(self, x):
        return self.dense(x)

if kind == "functional":
    model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(2)])
else:  # built lazily: the file records the build shape
    model = Net()
    model(torch.ones(1, 3))
tkl.saving.save_model(model, path)
with safe_open(path, framework="pt") as handle:
    metadata = dict(handle.metadata())
    tensors = {k: handle.get_tensor(k) for k in handle.keys()}
config, extra = json.loads(metadata["config"]), json.loads(metadata["extra_state"])
if kind == "functional":
    layers = config["config"]["layers"]
    dense = next(entry for entry in layers if entry["class_name"] == "Dense")
    dense["config"]["units"] = 100_000
    layers[0]["config"]["batch_shape"] = [None, 100_000]
else:
    config["config"]["units"] = 100_000
    for key, value in extra.items():
        if value:
            value["input_shape"] = [None, 100_000]
metadata.update(config=json.dumps(config), extra_state=json.dumps(extra))
save_file(tensors, path, metadata=metadata)

def vm_bytes():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmSize:")) * 1024

# 100k x 100k float32 is 40 GB: give the process 1.5 GB more address space than it has.
limit = vm_bytes() + 1_500_000_000
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    tkl.saving.load_model(path)
except ValueError as error:
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps({"error": str(error), "grown_kb": grown}))
else:
    print(json.dumps({"error": None}))
"""


@pytest.mark.parametrize("kind", ["functional", "lazy"])
def test_a_huge_declared_kernel_allocates_nothing(tmp_path, kind):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", _HUGE_KERNEL_CHILD, str(tmp_path / "m.safetensors"), kind],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["error"] is not None
    assert "size mismatch for 'layers.0.kernel'" in report["error"] or "for 'dense.kernel'" in report["error"]
    assert "expected shape (100000, 100000), received shape (3, 2)" in report["error"]
    assert report["grown_kb"] < 200_000  # under 200 MB of resident memory


@pytest.mark.parametrize("name, text", [
    ("deeply nested list", "[" * 100_000 + "]" * 100_000),
    ("deeply nested dict", '{"class_name": "Model", "config": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}"),
])
def test_deeply_nested_metadata_is_a_corrupted_file(tmp_path, name, text):
    path = tmp_path / "model.safetensors"
    tkl.saving.save_model(functional(), path)
    _rewrite(path, lambda metadata: metadata.update(config=text))
    with pytest.raises(ValueError, match="is corrupted"):
        tkl.saving.load_model(path)


@pytest.mark.parametrize("edit", [
    lambda c: c.update(config=None),
    lambda c: c.update(class_name=None),
    lambda c: c.update(class_name=["Model"]),
    lambda c: c["config"].update(layers="abc"),
    lambda c: c["config"].update(layers=None),
    lambda c: c["config"]["layers"].__setitem__(2, None),
    lambda c: c["config"]["layers"][2].update(inbound_nodes=None),
    lambda c: c["config"]["layers"][2].update(inbound_nodes="x"),
    lambda c: c["config"]["layers"][2].update(config="x"),
    lambda c: c["config"]["layers"][2].update(config=None),
    lambda c: c["config"]["layers"][2]["inbound_nodes"][0].update(args=None),
    lambda c: c["config"]["layers"][2]["inbound_nodes"][0].update(kwargs=[1]),
    lambda c: c["config"]["layers"][2]["inbound_nodes"][0].update(args=[{"__slice__": 5}]),
    lambda c: c["config"]["layers"][2]["inbound_nodes"][0].update(args=[{"__tuple__": None}]),
    lambda c: c["config"]["layers"][2]["inbound_nodes"][0].update(args=[{"__keras_tensor__": "x"}]),
    lambda c: c["config"]["layers"][0]["config"].update(batch_shape="abc"),
    lambda c: c["config"]["layers"][0]["config"].update(batch_shape=None),
    lambda c: c["config"].update(input_layers=None),
    lambda c: c["config"].update(output_layers={"a": None}),
], ids=lambda edit: "edit")
def test_malformed_config_is_a_clear_value_error(tmp_path, edit):
    import copy

    path = tmp_path / "model.safetensors"
    tkl.saving.save_model(functional(), path)
    config = copy.deepcopy(_config_of(path))
    edit(config)
    _with_config(path, config)
    with pytest.raises(ValueError, match=re.escape(str(path))):
        tkl.saving.load_model(path)


@pytest.mark.parametrize("extra", ['null', '"abc"', '{"layers.1._extra_state": {"input_shape": "abc"}}',
                                   '{"layers.1._extra_state": {"input_shape": [null, -3]}}',
                                   '{"layers.1._extra_state": 7}'])
def test_malformed_build_state_is_a_clear_value_error(tmp_path, extra):
    path = tmp_path / "model.safetensors"
    tkl.saving.save_model(_lazy_built(), path)
    _rewrite(path, lambda metadata: metadata.update(extra_state=extra))
    with pytest.raises(ValueError, match=re.escape(str(path))):
        tkl.saving.load_model(path)


def _lazy_built():
    model = tkl.Sequential([layers.Dense(2)])
    model(torch.ones(1, 3))
    return model


def test_save_model_replaces_the_file_atomically(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    model = functional()
    tkl.saving.save_model(model, path)
    first = path.read_bytes()

    import safetensors.torch

    def broken_writer(tensors, filename, metadata=None):
        with open(filename, "wb") as handle:
            handle.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.torch, "save_file", broken_writer)
    with pytest.raises(OSError, match="disk full"):
        tkl.saving.save_model(model, path)
    assert path.read_bytes() == first  # the previous file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]  # no temp file left
    monkeypatch.undo()
    tkl.saving.load_model(path)


_KILLED_WRITER_CHILD = r"""
import sys, torch, torch_keraslike as tkl
path = sys.argv[1]
small = tkl.Sequential([tkl.Input((4,)), tkl.layers.Dense(2)])
tkl.saving.save_model(small, path)
big = tkl.Sequential([tkl.Input((4096,)), tkl.layers.Dense(8192), tkl.layers.Dense(4096)])
print("saved", flush=True)
while True:
    print("writing", flush=True)
    tkl.saving.save_model(big, path)
"""


@pytest.mark.slow
def test_save_model_killed_mid_write_leaves_a_loadable_file(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "model.safetensors"
    for attempt in range(3):
        with subprocess.Popen([sys.executable, "-c", _KILLED_WRITER_CHILD, str(path)],
                              stdout=subprocess.PIPE, text=True) as child:
            assert child.stdout.readline().strip() == "saved"
            assert child.stdout.readline().strip() == "writing"
            time.sleep(0.05 * attempt)  # the 256 MB write is under way
            child.send_signal(signal.SIGKILL)
            child.wait(30)
        model = tkl.saving.load_model(path)  # never a truncated file
        assert model.count_params() in (10, 4096 * 8192 + 8192 + 8192 * 4096 + 4096)
