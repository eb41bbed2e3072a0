"""Keras 3 ``.keras`` archives (saving/keras_archive.py): Keras's files load here with
Keras's outputs, ours load in Keras, and tampered archives are refused having run and
allocated nothing."""

import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_files import (
    KERAS_NUMPY2_WARNING,
    RNG,
    assert_outputs_match,
    keras_weights,
    layer_zoo,
    run_keras,
    run_ours,
    zoo_inputs,
)
from keras_reference import import_keras
from torch_keraslike import layers

pytestmark = pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)


# ------------------------------------------------------------ Keras <-> ours
@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    keras = import_keras()
    folder = tmp_path_factory.mktemp("zoo")
    theirs = layer_zoo(keras)
    theirs.save(folder / "zoo.keras")
    return theirs, folder


def test_keras_archive_loads_with_keras_outputs(zoo):
    theirs, folder = zoo
    ours = tkl.saving.load_model(folder / "zoo.keras")
    assert ours.count_params() == theirs.count_params()
    assert [layer.name for layer in ours._graph.keras_layers()] == [layer.name for layer in theirs.layers]
    inputs = zoo_inputs()
    assert_outputs_match(run_ours(ours, inputs), run_keras(theirs, inputs))


def test_our_archive_loads_in_keras_with_our_outputs(zoo, tmp_path):
    keras = import_keras()
    _, folder = zoo
    ours = tkl.saving.load_model(folder / "zoo.keras")
    ours.save(tmp_path / "ours.keras")
    with zipfile.ZipFile(tmp_path / "ours.keras") as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        assert json.loads(archive.read("config.json"))["class_name"] == "Functional"
    theirs = keras.saving.load_model(tmp_path / "ours.keras")
    inputs = zoo_inputs()
    assert_outputs_match(run_keras(theirs, inputs), run_ours(ours, inputs))


def _text_model(keras):
    @keras.saving.register_keras_serializable(package="DemoText")
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.gamma = self.add_weight(shape=(input_shape[-1],), initializer="random_normal", name="gamma")

        def call(self, x):
            return x * self.gamma

    L = keras.layers
    model = keras.Sequential([keras.Input((9,), dtype="int32"), L.Embedding(30, 6, mask_zero=False),
                              L.LSTM(8), Scale(name="scale"), L.Dense(3)], name="text")
    for weight in model.weights:
        weight.assign(RNG.normal(0, 0.4, tuple(weight.shape)).astype("float32"))
    return model


class OurScale(tkl.Layer):
    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(input_shape[-1],), initializer="random_normal", name="gamma")

    def call(self, x):
        return x * self.gamma


def test_sequential_text_model_with_a_custom_layer(tmp_path):
    keras = import_keras()
    theirs = _text_model(keras)
    theirs.save(tmp_path / "text.keras")
    with pytest.raises(ValueError, match=r"Unknown class 'DemoText>Scale'.*register_serializable.*custom_objects"):
        tkl.saving.load_model(tmp_path / "text.keras")
    ours = tkl.saving.load_model(tmp_path / "text.keras", custom_objects={"Scale": OurScale})
    assert isinstance(ours, tkl.Sequential) and isinstance(ours.layers[2], OurScale)
    assert ours.count_params() == theirs.count_params()
    tokens = RNG.integers(0, 30, (4, 9)).astype("int32")
    assert_outputs_match(run_ours(ours, tokens), run_keras(theirs, tokens))
    ours.save(tmp_path / "back.keras")  # Keras finds its Scale by the registered name
    assert_outputs_match(run_keras(keras.saving.load_model(tmp_path / "back.keras"), tokens),
                         run_keras(theirs, tokens))


def test_keras_lambda_layers_need_safe_mode_off_both_ways(tmp_path):
    keras = import_keras()
    x = keras.Input((3,))
    theirs = keras.Model(x, keras.layers.Lambda(lambda t: t * 2.0 + 1.0)(keras.layers.Dense(2)(x)))
    theirs.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match=r"(?s)holds Python bytecode.*refused in safe mode.*safe_mode=False"):
        tkl.saving.load_model(tmp_path / "lambda.keras")
    ours = tkl.saving.load_model(tmp_path / "lambda.keras", safe_mode=False)
    data = RNG.random((2, 3)).astype("float32")
    assert_outputs_match(run_ours(ours, data), run_keras(theirs, data))
    ours.save(tmp_path / "ours_lambda.keras")
    assert_outputs_match(run_keras(keras.saving.load_model(tmp_path / "ours_lambda.keras", safe_mode=False), data),
                         run_keras(theirs, data))


def test_symbolic_arithmetic_travels_as_keras_operations(tmp_path):
    keras = import_keras()
    x = tkl.Input((4,))
    h = layers.Dense(4)(x)
    ours = tkl.Model(x, torch.relu(h + x) * 0.5)
    ours.save(tmp_path / "ops.keras")
    theirs = keras.saving.load_model(tmp_path / "ops.keras")
    data = RNG.random((2, 4)).astype("float32")
    assert_outputs_match(run_keras(theirs, data), run_ours(ours, data))


def test_layers_keras_cannot_hold_are_refused_when_saving(tmp_path):
    x = tkl.Input((4,))
    model = tkl.Model(x, torch.cumsum(x, dim=1))
    with pytest.raises(ValueError, match=r"\(TorchOpLayer\) applies torch.cumsum.*model.save\('model.safetensors'\)"):
        model.save(tmp_path / "cumsum.keras")
    assert not (tmp_path / "cumsum.keras").exists()
    model.save(tmp_path / "cumsum.safetensors")


def test_save_archive_is_atomic(tmp_path, monkeypatch):
    x = tkl.Input((3,))
    model = tkl.Model(x, layers.Dense(2)(x))
    path = tmp_path / "m.keras"
    model.save(path)
    first = path.read_bytes()
    from torch_keraslike.saving import keras_archive

    def broken(model, target):
        raise OSError("disk full")

    monkeypatch.setattr(keras_archive, "write_weights", broken)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == first and sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]


# --------------------------------------------------------- tampered archives
def _small_archive(path):
    x = tkl.Input((3,), name="x")
    model = tkl.Model(x, layers.Dense(2, name="dense")(layers.Dense(4, activation="relu", name="hidden")(x)))
    model.save(path)
    return model


def _rewrite(path, config=None, extra=(), compress=None):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if config is not None:
        members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in list(members.items()) + list(extra):
            archive.writestr(name, data, compress_type=compress or zipfile.ZIP_STORED)


def _config(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


@pytest.mark.parametrize("name", ["../evil.py", "/etc/evil", "assets/../../evil", "C:/evil", "a\\..\\evil"])
def test_members_outside_the_archive_are_refused(tmp_path, name):
    path = tmp_path / "m.keras"
    _small_archive(path)
    _rewrite(path, extra=[(name, b"print('pwned')")])
    with pytest.raises(ValueError, match=r"a path that points outside the archive.*nothing was extracted"):
        tkl.saving.load_model(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]


def test_a_zip_bomb_member_is_refused(tmp_path):
    path = tmp_path / "m.keras"
    _small_archive(path)
    _rewrite(path, extra=[("assets/zeros.bin", bytes(32 << 20))], compress=zipfile.ZIP_DEFLATED)
    with pytest.raises(ValueError, match=r"'assets/zeros.bin' declares 33554432 bytes but stores \d+.*zip bomb"):
        tkl.saving.load_model(path)


@pytest.fixture
def trap(tmp_path, monkeypatch):
    """Spies on os.system, exec and imports: nothing a file names may reach them."""
    import builtins
    import importlib
    import os

    calls = []
    real_import = importlib.import_module
    monkeypatch.setattr(os, "system", lambda *a: calls.append(("system", a)))
    monkeypatch.setattr(builtins, "exec", lambda *a, **k: calls.append(("exec", a)))
    monkeypatch.setattr(importlib, "import_module",
                        lambda name, *a, **k: calls.append(("import", name)) or real_import(name, *a, **k))
    yield calls
    assert [c for c in calls if c[0] != "import" or not c[1].startswith(("torch", "h5py"))] == []


@pytest.mark.parametrize("entry", [
    {"module": "os", "class_name": "system", "config": {"command": "touch pwned"}, "registered_name": "os.system"},
    {"module": "os", "class_name": "system", "config": {"command": "touch pwned"}, "registered_name": None},
    {"module": "builtins", "class_name": "exec", "config": {}, "registered_name": "builtins>exec"},
    {"module": "keras.src.ops.numpy", "class_name": "system", "config": {}, "registered_name": "system"},
])
def test_a_config_naming_code_runs_nothing(tmp_path, trap, entry):
    path = tmp_path / "m.keras"
    _small_archive(path)
    config = _config(path)
    hidden = config["config"]["layers"][1]
    hidden.update({k: v for k, v in entry.items()})
    _rewrite(path, config)
    with pytest.raises(ValueError, match=r"Unknown class|Keras operation 'system'"):
        tkl.saving.load_model(path)
    assert not (tmp_path / "pwned").exists()


def _string_fields(value, where=()):
    if isinstance(value, str):
        yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_fields(item, where + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_fields(item, where + (index,))


def test_every_string_of_an_archive_config_never_reaches_code(tmp_path, trap):
    import copy

    path = tmp_path / "m.keras"
    _small_archive(path)
    config = _config(path)
    fields = list(_string_fields(config))
    assert len(fields) > 20
    for where in fields:
        for payload in ("os.system", "builtins.exec", "importlib.import_module", "torch.load"):
            tampered = copy.deepcopy(config)
            target = tampered
            for key in where[:-1]:
                target = target[key]
            target[where[-1]] = payload
            _rewrite(path, tampered)
            try:
                tkl.saving.load_model(path)
            except ValueError:
                pass  # refused clearly; the fixture checks nothing ran


def test_keras_lambda_code_is_not_run_in_safe_mode(tmp_path):
    keras = import_keras()
    marker = tmp_path / "ran"
    x = keras.Input((2,))
    code = f"lambda t: (open({str(marker)!r}, 'w').close(), t)[1]"
    theirs = keras.Model(x, keras.layers.Lambda(eval(code))(x))  # noqa: S307 (the test's own lambda)
    theirs.save(tmp_path / "lambda.keras")
    marker.unlink()
    with pytest.raises(ValueError, match="refused in safe mode"):
        tkl.saving.load_model(tmp_path / "lambda.keras")
    assert not marker.exists()


@pytest.mark.parametrize("edit, match", [
    (lambda c: c.update(config=None), "needs a functional model's config"),
    (lambda c: c["config"].update(layers="abc"), "is corrupted"),
    (lambda c: c["config"]["layers"][1].update(inbound_nodes=[{"args": None, "kwargs": {}}]), "is corrupted"),
    (lambda c: c["config"]["layers"][1]["inbound_nodes"][0]["args"][0]["config"].update(keras_history="x"),
     "is corrupted"),
    (lambda c: c["config"]["layers"][1]["config"].update(dtype={"class_name": "DTypePolicy", "config": 5}),
     "is corrupted"),
    (lambda c: c["config"].update(output_layers=["nowhere", 0, 0]), "is corrupted"),
    (lambda c: c["config"]["layers"][1]["config"].update(units=-3), "units"),
])
def test_malformed_archive_configs_are_clear_value_errors(tmp_path, edit, match):
    path = tmp_path / "m.keras"
    _small_archive(path)
    config = _config(path)
    edit(config)
    _rewrite(path, config)
    with pytest.raises(ValueError, match=match):
        tkl.saving.load_model(path)


def test_missing_and_broken_members(tmp_path):
    path = tmp_path / "m.keras"
    _small_archive(path)
    with zipfile.ZipFile(path) as archive:
        config = archive.read("config.json")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", config)
    with pytest.raises(ValueError, match=r"has no 'model.weights.h5'"):
        tkl.saving.load_model(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", b"{not json")
    with pytest.raises(ValueError, match=r"is corrupted: its config.json is not valid JSON"):
        tkl.saving.load_model(path)
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 30)
    with pytest.raises(ValueError, match="is not a readable .keras archive"):
        tkl.saving.load_model(path)


_HUGE_DENSE_CHILD = r"""
import json, resource, sys, zipfile
import torch_keraslike as tkl

path = sys.argv[1]
x = tkl.Input((3,), name="x")
tkl.Model(x, tkl.layers.Dense(2, name="dense")(x)).save(path)
with zipfile.ZipFile(path) as archive:
    members = {n: archive.read(n) for n in archive.namelist()}
config = json.loads(members["config.json"])
config["config"]["layers"][0]["config"]["batch_shape"] = [None, 100_000]
config["config"]["layers"][1]["config"]["units"] = 100_000
members["config.json"] = json.dumps(config).encode()
with zipfile.ZipFile(path, "w") as archive:
    for name, data in members.items():
        archive.writestr(name, data)

def vm_bytes():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmSize:")) * 1024

# The declared kernel is 100k x 100k float32 (40 GB): allow 1.5 GB more address space.
limit = vm_bytes() + 1_500_000_000
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    tkl.saving.load_model(path)
except ValueError as error:
    print(json.dumps({"error": str(error), "grown_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before}))
else:
    print(json.dumps({"error": None}))
"""


def test_a_huge_declared_shape_allocates_nothing(tmp_path):
    result = subprocess.run([sys.executable, "-c", _HUGE_DENSE_CHILD, str(tmp_path / "m.keras")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["error"] is not None
    assert ('layer "dense" (group \'layers/dense\'), weight 0 (our \'layers.1.kernel\') does not fit: expected '
            "shape (100000, 100000) (Keras's layout), received (3, 2)") in report["error"]
    assert report["grown_kb"] < 200_000


def test_keras_weights_of_an_archive_load_into_a_model(zoo):
    theirs, folder = zoo
    ours = tkl.saving.load_model(folder / "zoo.keras")
    dense = ours.get_layer("shared")
    torch.nn.init.zeros_(dense.kernel)
    ours.load_weights(folder / "zoo.keras")
    np.testing.assert_allclose(dense.get_weights()[0], keras_weights(theirs.get_layer("shared"))[0])




def _rezip(path, compression):
    """Writes the archive's members again with ``compression``."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_stored_weights_are_read_in_place_and_compressed_ones_in_memory(tmp_path):
    path = tmp_path / "m.keras"
    model = _small_archive(path)
    x = torch.rand(2, 3)
    with tkl.saving.keras_archive.read_archive_weights(path, str(path)) as source:
        assert not isinstance(source, io.BytesIO)  # Keras writes the member uncompressed
        assert source.read(8) == b"\x89HDF\r\n\x1a\n"
    torch.testing.assert_close(tkl.saving.load_model(path)(x), model(x))
    _rezip(path, zipfile.ZIP_DEFLATED)
    with tkl.saving.keras_archive.read_archive_weights(path, str(path)) as source:
        assert isinstance(source, io.BytesIO)
    torch.testing.assert_close(tkl.saving.load_model(path)(x), model(x))


def test_weights_are_read_into_memory_where_files_cannot_be_mapped(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    model = _small_archive(path)

    def refuse(*args, **kwargs):
        raise OSError("no memory maps on this file system")

    monkeypatch.setattr(tkl.saving.keras_archive.mmap, "mmap", refuse)
    with tkl.saving.keras_archive.read_archive_weights(path, str(path)) as source:
        assert isinstance(source, io.BytesIO)
    x = torch.rand(2, 3)
    torch.testing.assert_close(tkl.saving.load_model(path)(x), model(x))


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_damaged_weights_are_refused_by_their_checksum(tmp_path, compression):
    path = tmp_path / "m.keras"
    _small_archive(path)
    _rezip(path, compression)
    target = tkl.saving.load_model(path)
    before = [w.copy() for w in target.get_weights()]
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("model.weights.h5")
    data = bytearray(path.read_bytes())
    # A byte in the middle of the member's data (after its 30-byte local header, name and
    # extra field).
    header = data[info.header_offset:info.header_offset + 30]
    start = info.header_offset + 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
    data[start + info.compress_size // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    for load in (lambda: tkl.saving.load_model(path), lambda: target.load_weights(path)):
        with pytest.raises(ValueError, match=r"'model.weights.h5' is damaged"):
            load()
    for weight, previous in zip(target.get_weights(), before):
        np.testing.assert_array_equal(weight, previous)
