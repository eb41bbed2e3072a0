"""ModelCheckpoint: formatted names, best-only, every format, atomic writes."""

import pytest
import torch

import torch_keraslike as tkl
from callback_testing import break_torch_save, Scripted, data, model
from torch_keraslike import layers
from torch_keraslike.callbacks import ModelCheckpoint


def test_model_checkpoint_weights_only_every_epoch_with_formatted_names(tmp_path):
    x, y = data()
    net = model()
    pattern = str(tmp_path / "ckpt" / "w-{epoch:02d}-{loss:.2f}.pt")
    ckpt = ModelCheckpoint(pattern, save_weights_only=True)
    history = net.fit(x, y, epochs=2, verbose=0, callbacks=[ckpt])
    names = sorted(p.name for p in (tmp_path / "ckpt").iterdir())
    assert names == [f"w-{e + 1:02d}-{history.history['loss'][e]:.2f}.pt" for e in range(2)]
    restored = tkl.Sequential([tkl.Input((3,)), layers.Dense(1)])
    restored.load_state_dict(torch.load(tmp_path / "ckpt" / names[-1]))
    torch.testing.assert_close(restored(torch.from_numpy(x)), net(torch.from_numpy(x)))


def test_model_checkpoint_save_best_only_and_safetensors(tmp_path, capsys):
    from safetensors.torch import load_file

    x, y = data()
    net = model()
    path = tmp_path / "best.safetensors"
    saved = []

    class Spy(ModelCheckpoint):
        def _save(self, filepath):
            saved.append(self.best)
            super()._save(filepath)

    ckpt = Spy(path, monitor="val_loss", save_best_only=True, save_weights_only=True, verbose=1)
    net.fit(x, y, epochs=4, verbose=0, validation_data=(x, y),
            callbacks=[Scripted([3.0, 1.0, 2.0, 0.5], key="val_loss"), ckpt])
    assert saved == [3.0, 1.0, 0.5]
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from inf to 3.00000" in out
    assert "Epoch 3: val_loss did not improve from 1.00000" in out
    tensors = load_file(str(path))
    torch.testing.assert_close(tensors["layers.0.kernel"], net.layers[0].kernel.detach())
    with pytest.raises(ValueError, match=r"filepath '.*\{val_acc\}.*' uses \['val_acc'\], which the logs will not hold"):
        net.fit(x, y, verbose=0, callbacks=[ModelCheckpoint(str(tmp_path / "{val_acc}.pt"), save_weights_only=True)])
    with pytest.raises(ValueError, match="monitor='val_loss' decides which epochs are saved"):
        net.fit(x, y, verbose=0, callbacks=[ModelCheckpoint(str(path), save_best_only=True)])
    with pytest.raises(ValueError, match="only save_freq='epoch' is supported"):
        ModelCheckpoint(str(path), save_freq=10)


@pytest.mark.skipif(not hasattr(tkl.saving, "save_model"), reason="tkl.saving.save_model not available")
def test_model_checkpoint_full_model(tmp_path):
    x, y = data()
    net = model()
    path = tmp_path / "model.safetensors"
    net.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(path))])
    loaded = tkl.saving.load_model(str(path))
    torch.testing.assert_close(loaded(torch.from_numpy(x)), net(torch.from_numpy(x)))


def test_model_checkpoint_leaves_no_temporary_files(tmp_path):
    x, y = data()
    net = model()
    callbacks = [ModelCheckpoint(tmp_path / "w.pt", save_weights_only=True),
                 ModelCheckpoint(tmp_path / "w.safetensors", save_weights_only=True),
                 ModelCheckpoint(tmp_path / "m.safetensors")]
    net.fit(x, y, epochs=2, verbose=0, callbacks=callbacks)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors", "w.pt", "w.safetensors"]
    restored = tkl.Sequential([tkl.Input((3,)), layers.Dense(1)])
    restored.load_state_dict(torch.load(tmp_path / "w.pt", weights_only=True))
    torch.testing.assert_close(restored(torch.from_numpy(x)), net(torch.from_numpy(x)))


def test_model_checkpoint_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    x, y = data()
    net = model()
    path = tmp_path / "w.pt"
    net.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(path, save_weights_only=True)])
    before = path.read_bytes()
    break_torch_save(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        net.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(path, save_weights_only=True)])
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["w.pt"]


# A child process saves a small checkpoint, then a ~200 MB one to the same path; the
# parent SIGKILLs it while the second file is being written and checks that the
# first one is intact and loads.
_KILLED_WRITER = r"""
import sys
import torch
import torch_keraslike as tkl
from torch_keraslike.callbacks import ModelCheckpoint

mode, path = sys.argv[1], sys.argv[2]


def net(inputs, units):
    model = tkl.Sequential([tkl.Input((inputs,)), tkl.layers.Dense(units, kernel_initializer="ones")])
    model.compile("sgd", "mse")
    return model


small, big = net(3, 2), net(12288, 4096)  # big: 12288 * 4096 float32 = 201 MB
checkpoint = ModelCheckpoint(path, save_weights_only=mode != "model")
checkpoint.set_model(small)
checkpoint.on_train_begin()
checkpoint.on_epoch_end(0, {})
print("saved", flush=True)
sys.stdin.readline()  # the parent has recorded the first file
checkpoint.set_model(big)
print("writing", flush=True)
checkpoint.on_epoch_end(1, {})
print("done", flush=True)
"""


def _start_writer(mode, path):
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(tkl.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, mode, str(path)], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _listing(folder):
    return {entry.name: (entry.stat().st_size, entry.stat().st_mtime_ns) for entry in folder.iterdir()}


def _kill_mid_write(process, folder, path):
    """Lets the child start its second write and SIGKILLs it once bytes of the new file
    reach the disk. Returns the first file's bytes, or None when the kill came too late."""
    import signal
    import time

    assert process.stdout.readline().strip() == "saved"
    before, listing = path.read_bytes(), _listing(folder)
    process.stdin.write("\n")
    process.stdin.flush()
    assert process.stdout.readline().strip() == "writing"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        now = _listing(folder)
        if any(size > 0 and (name not in listing or now[name] != listing[name])
               for name, (size, _) in now.items()) or path.name not in now or now[path.name][0] == 0:
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = "done" in process.stdout.read()
    process.stdout.close()
    process.stdin.close()
    return None if finished else before


def _load(mode, path):
    if mode == "pt":
        return torch.load(path, weights_only=True)["layers.0.kernel"]
    if mode == "safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))["layers.0.kernel"]
    return tkl.saving.load_model(str(path)).layers[0].kernel.detach()


def _check_kills(tmp_path, names, pending):
    for mode, name in names.items():
        for attempt in range(3):  # a write that ends before the kill lands proves nothing
            if attempt:
                (tmp_path / f"{mode}{attempt}").mkdir()
                pending[mode] = (tmp_path / f"{mode}{attempt}",
                                 _start_writer(mode, tmp_path / f"{mode}{attempt}" / name))
            folder, process = pending[mode]
            path = folder / name
            before = _kill_mid_write(process, folder, path)
            if before is not None:
                break
        else:
            pytest.fail(f"{mode}: the child finished every write before it could be killed")
        assert path.read_bytes() == before, mode
        torch.testing.assert_close(_load(mode, path), torch.ones(3, 2))
        # Only temporary files of the interrupted write may remain (ours: .ckpt.pt.*.tmp).
        leftovers = [p.name for p in folder.iterdir() if p.name != name]
        assert all(n.startswith(".") and "tmp" in n for n in leftovers), (mode, leftovers)


@pytest.mark.slow
def test_model_checkpoint_killed_mid_write_keeps_the_previous_file(tmp_path):
    names = {"pt": "ckpt.pt", "safetensors": "ckpt.safetensors", "model": "model.safetensors"}
    # The children start together (importing torch is most of their time); the kills
    # are done one at a time, each while its child is writing.
    pending = {}
    for mode, name in names.items():
        (tmp_path / f"{mode}0").mkdir()
        pending[mode] = (tmp_path / f"{mode}0", _start_writer(mode, tmp_path / f"{mode}0" / name))
    try:
        _check_kills(tmp_path, names, pending)
    finally:
        for _, process in pending.values():
            if process.poll() is None:
                process.kill()
                process.communicate()
