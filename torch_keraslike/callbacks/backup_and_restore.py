"""``BackupAndRestore``: lets an interrupted ``fit`` resume where it stopped.

At the end of every epoch (or every ``save_freq`` batches) the model's weights, the
optimizer's state and the epoch number are written to one file in ``backup_dir``,
atomically. When ``fit`` starts with a backup present, the weights and optimizer
state are restored and training resumes at the epoch after the last one backed up.
The backup is deleted when a run finishes (all its epochs, or stopped by
``model.stop_training``), not when it is ended by an error or ``KeyboardInterrupt``.

The file is written with ``torch.save`` and read with ``torch.load(weights_only=True)``:
tensors, numbers and containers only, nothing is unpickled that could run code.

Example:
    >>> import os, tempfile, numpy as np, torch_keraslike as tkl
    >>> backup_dir = os.path.join(tempfile.mkdtemp(), "backup")
    >>> class Interrupt(tkl.callbacks.Callback):
    ...     def on_epoch_begin(self, epoch, logs=None):
    ...         if epoch == 2:
    ...             raise RuntimeError("interrupted")
    >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> x, y = np.ones((8, 3)), np.ones((8, 1))
    >>> backup = tkl.callbacks.BackupAndRestore(backup_dir)
    >>> try:
    ...     model.fit(x, y, epochs=5, verbose=0, callbacks=[backup, Interrupt()])
    ... except RuntimeError:
    ...     pass
    >>> history = model.fit(x, y, epochs=5, verbose=0, callbacks=[backup])
    >>> history.epoch, os.path.exists(backup_dir)
    ([2, 3, 4], False)
"""

import contextlib
import copy
import glob
import os
import shutil

import torch

from .._distributed_env import (broadcast_object, full_optimizer_state_dict, full_state_dict, is_primary,
                                load_full_state)
from .._files import atomic_path
from .callback import Callback

__all__ = ["BackupAndRestore"]

_FORMAT = "torch_keraslike.BackupAndRestore"
_VERSION = 1
_FILE = "latest.pt"


class BackupAndRestore(Callback):
    """Backs up the training state in ``backup_dir`` and restores it on the next ``fit``.

    The model restored must be the one backed up (same architecture and ``compile``
    arguments). Keep ``backup_dir`` for this callback only: it is removed at the end.

    Args:
        backup_dir: folder of the backup (created when needed).
        save_freq: ``"epoch"`` backs up at the end of every epoch; an int ``n`` every
            ``n`` training batches (a resumed run restarts the epoch in which the
            backup was written, from the weights of that batch).
        double_checkpoint: keep the previous backup too, and restore it when the
            latest one cannot be read.
        delete_checkpoint: delete the backup when a run finishes; False keeps it.

    Example:
        >>> import torch_keraslike as tkl
        >>> backup = tkl.callbacks.BackupAndRestore("/tmp/backup", save_freq=100)
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        cls = type(self).__name__
        if not backup_dir:
            raise ValueError(f"{cls}: Empty `backup_dir` argument passed. Fix: pass a folder, "
                             "e.g. BackupAndRestore(backup_dir='/tmp/backup').")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(
                f"{cls}: Invalid value for argument `save_freq`. Received: save_freq={save_freq!r}. "
                "Expected either 'epoch' or an integer value >= 1 (a number of batches)."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._path = os.path.join(self.backup_dir, _FILE)
        self._previous_path = self._path + ".bkp"
        self._current_epoch = 0
        self._last_batch_seen = 0
        self._batches_since_save = 0
        self._epoch_open = False
        if save_freq != "epoch":
            # Only then does the callback read batches (reading them syncs every step).
            self.on_train_batch_end = self._batch_end

    # --------------------------------------------------------------- restore
    def on_train_begin(self, logs=None):
        self._current_epoch = 0
        self._last_batch_seen = 0
        self._batches_since_save = 0
        self._epoch_open = False
        candidates = [self._path] + ([self._previous_path] if self.double_checkpoint else [])
        # Rank 0 (which wrote them) decides which backups exist, for every process.
        candidates = broadcast_object([path for path in candidates if os.path.exists(path)])
        for index, path in enumerate(candidates):
            try:
                self._restore(path)
                return
            except _UnreadableBackup:
                if index == len(candidates) - 1:
                    raise

    def _restore(self, path):
        cls = type(self).__name__
        state, problem = (_read(path, cls, self.backup_dir) if is_primary() else (None, None))
        problem = broadcast_object(problem)  # every process fails, or none
        if problem is not None:
            raise _UnreadableBackup(problem)
        optimizer = self.model.optimizer
        previous = copy.deepcopy(optimizer.state_dict()) if not _sharded(self.model) else None
        try:
            load_full_state(self.model, optimizer, state and state["model"], state and state["optimizer"])
            state = broadcast_object(None if state is None else {"epoch": state["epoch"]}) or state
        except Exception as error:
            if previous is None:
                raise
            optimizer.load_state_dict(previous)
            raise ValueError(
                f"{cls}: the backup {path!r} does not fit this model and optimizer: {error}\n"
                "A backup restores only the model and compile() arguments it was written from. "
                f"Fix: delete {self.backup_dir!r} to start from scratch."
            ) from error
        self._current_epoch = int(state["epoch"])
        self.model._initial_epoch = self._current_epoch

    # ------------------------------------------------------------------ save
    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_open = True

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()
        self._epoch_open = False

    def _batch_end(self, batch, logs=None):
        if batch <= self._last_batch_seen:  # first batch of an epoch
            self._batches_since_save += batch + 1
        else:
            self._batches_since_save += batch - self._last_batch_seen
        self._last_batch_seen = batch
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save()

    def _save(self):
        # Every process gathers (a sharded model needs all of them); rank 0 writes.
        model_state = full_state_dict(self.model)
        optimizer_state = full_optimizer_state_dict(self.model, self.model.optimizer)
        if not is_primary():
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._path):
            with atomic_path(self._previous_path) as tmp:
                shutil.copyfile(self._path, tmp)
        state = {
            "format": _FORMAT,
            "version": _VERSION,
            "epoch": self._current_epoch,
            "batch": self._last_batch_seen,
            "model": model_state,
            "optimizer": optimizer_state,
        }
        with atomic_path(self._path) as tmp:
            torch.save(state, tmp)

    # ---------------------------------------------------------------- delete
    def on_train_end(self, logs=None):
        finished = not self._epoch_open and (
            self._current_epoch >= self.params.get("epochs", 0) or bool(getattr(self.model, "stop_training", False))
        )
        if finished and self.delete_checkpoint and is_primary():
            self._delete()

    def _delete(self):
        leftovers = glob.glob(os.path.join(glob.escape(self.backup_dir), f".{_FILE}*.tmp"))
        for path in [self._path, self._previous_path, *leftovers]:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        with contextlib.suppress(OSError):  # a folder holding other files is kept
            os.rmdir(self.backup_dir)


def _read(path, cls, backup_dir):
    """``(state, None)`` from a backup file, or ``(None, message)`` when it is unreadable."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001  (any unreadable file gets the same advice)
        return None, (f"{cls}: cannot read the backup {path!r}: {type(error).__name__}: {error}. "
                      f"Fix: delete {backup_dir!r} to start training from scratch.")
    if not (isinstance(state, dict) and state.get("format") == _FORMAT
            and {"epoch", "batch", "model", "optimizer"} <= set(state)):
        return None, (f"{cls}: {path!r} is not a BackupAndRestore backup. Fix: give the callback a "
                      "folder of its own, and delete this one to start from scratch.")
    return state, None


def _sharded(model):
    return bool(getattr(model, "_tkl_fsdp", False))


class _UnreadableBackup(ValueError):
    """The backup file is missing its content (corrupted, or another file)."""
