"""ModelCheckpoint: formatted names, best-only, every format, atomic writes."""

import pytest
import torch

import torch_keraslike as tkl
from callback_testing import Scripted, data, model
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
