"""BackupAndRestore: an interrupted fit resumes where it stopped."""

import copy
import os

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from callback_testing import break_torch_save, Raise, data
from torch_keraslike.callbacks import BackupAndRestore, TerminateOnNaN


def adam_model(seed):
    torch.manual_seed(seed)
    net = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(4, activation="relu"), tkl.layers.Dense(1)])
    net.compile(tkl.training.optimizers.Adam(learning_rate=0.01), "mse", metrics=["mae"])
    return net


def fit(net, callbacks, epochs=6):
    x, y = data(48)
    return net.fit(x, y, batch_size=16, epochs=epochs, shuffle=False, verbose=0, callbacks=callbacks)


def weights(net):
    return {key: value.detach().clone() for key, value in net.state_dict().items() if torch.is_tensor(value)}


def test_an_interrupted_fit_resumes_at_its_epoch_with_the_uninterrupted_result(tmp_path):
    reference = adam_model(seed=1)
    fit(reference, [])
    backup_dir = tmp_path / "backup"
    first = adam_model(seed=1)
    with pytest.raises(RuntimeError, match="preempted"):
        fit(first, [BackupAndRestore(backup_dir), Raise(RuntimeError("preempted"), epoch=3)])
    assert os.listdir(backup_dir) == ["latest.pt"]  # the failed run keeps its backup
    # A new process: another model object (other initial weights), a new callback.
    resumed = adam_model(seed=2)
    history = fit(resumed, [BackupAndRestore(backup_dir)])
    assert history.epoch == [3, 4, 5]
    for key, value in weights(reference).items():
        torch.testing.assert_close(weights(resumed)[key], value, msg=key)
    assert not backup_dir.exists()  # deleted after the run finished
    assert fit(resumed, [BackupAndRestore(backup_dir)], epochs=2).epoch == [0, 1]  # nothing left to resume


def test_backup_every_n_batches_and_kept_checkpoints(tmp_path):
    backup_dir = tmp_path / "backup"
    net = adam_model(seed=1)
    saved = []
    backup = BackupAndRestore(backup_dir, save_freq=2, delete_checkpoint=False)
    real_save = backup._save
    backup._save = lambda: saved.append((backup._current_epoch, backup._last_batch_seen)) or real_save()
    with pytest.raises(KeyboardInterrupt):
        fit(net, [backup, Raise(KeyboardInterrupt(), epoch=1, batch=2)])
    assert saved == [(0, 1), (1, 0)]  # batches 2 and 4 of the run: epoch 0 batch 1, epoch 1 batch 0
    state = torch.load(backup_dir / "latest.pt", weights_only=True)
    assert (state["epoch"], state["batch"]) == (1, 0)
    history = fit(adam_model(seed=2), [BackupAndRestore(backup_dir, save_freq=2, delete_checkpoint=False)])
    assert history.epoch == [1, 2, 3, 4, 5]  # the epoch of the backup is run again
    assert os.listdir(backup_dir) == ["latest.pt"]  # kept: delete_checkpoint=False
    assert torch.load(backup_dir / "latest.pt", weights_only=True)["epoch"] == 5


def test_a_stopped_run_counts_as_finished_and_a_nan_error_keeps_the_backup(tmp_path):
    backup_dir = tmp_path / "backup"
    net = adam_model(seed=1)
    stop = tkl.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: setattr(net, "stop_training", epoch == 1))
    assert fit(net, [BackupAndRestore(backup_dir), stop]).epoch == [0, 1]
    assert not backup_dir.exists()

    def poison(epoch, logs):
        if epoch == 1:
            with torch.no_grad():
                net.layers[1].kernel.fill_(float("nan"))

    with pytest.raises(RuntimeError, match="NaN or Inf loss"):
        fit(net, [BackupAndRestore(backup_dir), tkl.callbacks.LambdaCallback(on_epoch_end=poison),
                  TerminateOnNaN(raise_error=True)])
    assert torch.load(backup_dir / "latest.pt", weights_only=True)["epoch"] == 2


def test_double_checkpoint_restores_the_previous_backup_when_the_latest_is_unreadable(tmp_path):
    backup_dir = tmp_path / "backup"
    net = adam_model(seed=1)
    with pytest.raises(RuntimeError):
        fit(net, [BackupAndRestore(backup_dir, double_checkpoint=True), Raise(RuntimeError(), epoch=3)])
    assert sorted(os.listdir(backup_dir)) == ["latest.pt", "latest.pt.bkp"]
    assert torch.load(backup_dir / "latest.pt.bkp", weights_only=True)["epoch"] == 2
    (backup_dir / "latest.pt").write_bytes(b"truncated")
    assert fit(adam_model(seed=2), [BackupAndRestore(backup_dir, double_checkpoint=True)]).epoch == [2, 3, 4, 5]
    assert not backup_dir.exists()


class _Payload:
    ran = False

    def __reduce__(self):
        return (_Payload._run, ())

    @staticmethod
    def _run():
        _Payload.ran = True


def test_unreadable_foreign_or_mismatched_backups_are_clear_errors(tmp_path):
    backup_dir = tmp_path / "backup"
    backup_dir.mkdir()
    net = adam_model(seed=1)
    before, lr = weights(net), net.optimizer.param_groups[0]["lr"]
    (backup_dir / "latest.pt").write_bytes(b"truncated")
    with pytest.raises(ValueError, match=r"BackupAndRestore: cannot read the backup '.*latest.pt': .*Fix: "
                                         r"delete '.*backup' to start training from scratch"):
        fit(net, [BackupAndRestore(backup_dir)])
    torch.save({"model": _Payload()}, backup_dir / "latest.pt")  # pickled code is never run
    with pytest.raises(ValueError, match="cannot read the backup"):
        fit(net, [BackupAndRestore(backup_dir)])
    assert not _Payload.ran
    torch.save({"epoch": 1}, backup_dir / "latest.pt")
    with pytest.raises(ValueError, match="is not a BackupAndRestore backup"):
        fit(net, [BackupAndRestore(backup_dir)])
    other = tmp_path / "other"
    wide = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(8, activation="relu"), tkl.layers.Dense(1)])
    wide.compile(tkl.training.optimizers.Adam(learning_rate=0.01), "mse", metrics=["mae"])
    with pytest.raises(RuntimeError):
        fit(wide, [BackupAndRestore(other), Raise(RuntimeError(), epoch=1)])
    optimizer_state = copy.deepcopy(net.optimizer.state_dict())
    with pytest.raises(ValueError, match="(?s)does not fit this model and optimizer: .*size mismatch for "
                                         "'layers.0.kernel'.*A backup restores only the model and compile.. "
                                         "arguments it was written from. Fix: delete"):
        fit(net, [BackupAndRestore(other)])
    for key, value in before.items():  # nothing was loaded
        torch.testing.assert_close(weights(net)[key], value)
    torch.testing.assert_close(net.optimizer.state_dict()["state"], optimizer_state["state"])
    assert net.optimizer.state_dict()["param_groups"] == optimizer_state["param_groups"]
    assert net.optimizer.param_groups[0]["lr"] == lr


def test_a_failed_backup_write_keeps_the_previous_backup(tmp_path, monkeypatch):
    backup_dir = tmp_path / "backup"
    net = adam_model(seed=1)
    with pytest.raises(RuntimeError):
        fit(net, [BackupAndRestore(backup_dir), Raise(RuntimeError(), epoch=2)])
    before = (backup_dir / "latest.pt").read_bytes()
    break_torch_save(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        fit(net, [BackupAndRestore(backup_dir)])
    assert (backup_dir / "latest.pt").read_bytes() == before and os.listdir(backup_dir) == ["latest.pt"]


def test_backup_and_restore_argument_errors():
    with pytest.raises(ValueError, match="Empty `backup_dir` argument passed"):
        BackupAndRestore("")
    for save_freq in ("batch", 0, 1.5, True):
        with pytest.raises(ValueError, match=f"Invalid value for argument `save_freq`. Received: "
                                             f"save_freq={save_freq!r}. Expected either 'epoch' or an integer"):
            BackupAndRestore("/tmp/backup", save_freq=save_freq)
    assert np.isscalar(BackupAndRestore("/tmp/backup", save_freq=3).save_freq)
