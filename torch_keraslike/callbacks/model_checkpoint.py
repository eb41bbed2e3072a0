"""``ModelCheckpoint``: saves the model or its weights at the end of epochs.

Every file is written atomically (a temporary file beside the destination, then a
rename): a run killed while saving leaves the previous checkpoint intact. Under
``torch.distributed`` only rank 0 writes (an FSDP2-sharded model's weights are
gathered whole first, by every process).

Example:
    >>> import os, tempfile, numpy as np, torch, torch_keraslike as tkl
    >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "weights.pt")
    >>> ckpt = tkl.callbacks.ModelCheckpoint(path, monitor="loss", save_weights_only=True)
    >>> _ = model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[ckpt])
    >>> restored = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    >>> restored.load_state_dict(torch.load(path, weights_only=True))
    <All keys matched successfully>
"""

import contextlib
import os
import string
import sys

import torch

from .._distributed_env import full_state_dict, is_primary
from .._files import atomic_path
from ._monitor import check_monitor, resolve_mode
from ._rank import say
from .callback import Callback

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(Callback):
    """Saves the model (or its weights) at the end of every epoch, or only when
    ``monitor`` improves.

    Args:
        filepath: where to save; may hold format fields filled from the epoch (1-based)
            and the logs, e.g. ``"ckpt/{epoch:02d}-{val_loss:.2f}.pt"``.
        monitor: log value compared when ``save_best_only``.
        verbose: 1 prints a line for each save.
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: save ``model.state_dict()`` only: with ``torch.save`` (load
            with ``model.load_state_dict(torch.load(path, weights_only=True))``), or as
            safetensors when ``filepath`` ends with ``.safetensors``. Otherwise the whole
            model is saved with ``tkl.saving.save_model``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (``"max"`` for names with ``"acc"``).
        save_freq: only ``"epoch"``.
        initial_value_threshold: a value ``monitor`` must beat for the first save.

    Example:
        >>> import torch_keraslike as tkl
        >>> ckpt = tkl.callbacks.ModelCheckpoint("best.pt", save_best_only=True,
        ...                                      save_weights_only=True)
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        cls = type(self).__name__
        filepath = os.fspath(filepath)
        if save_freq != "epoch":
            raise ValueError(f"{cls}: only save_freq='epoch' is supported, received {save_freq!r}.")
        self.mode = resolve_mode(mode, monitor, cls)
        self.filepath = filepath
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.initial_value_threshold = initial_value_threshold
        self.best = None

    def on_train_begin(self, logs=None):
        cls = type(self).__name__
        if self.save_best_only:
            check_monitor(self, self.monitor, cls, "decides which epochs are saved")
        available = self.params.get("metrics")
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(self.filepath) if f]
        except ValueError as error:
            raise ValueError(f"{cls}: filepath {self.filepath!r} is not a valid format string: {error}.") from None
        if available is not None:
            unknown = [f for f in fields if f != "epoch" and f.split(".")[0].split("[")[0] not in available]
            if unknown:
                raise ValueError(
                    f"{cls}: filepath {self.filepath!r} uses {unknown}, which the logs will not hold "
                    f"(they hold 'epoch' and {list(available)}). Fix: use only these fields."
                )
        if not self.save_weights_only:
            from .. import saving

            if getattr(self.model, "_tkl_fsdp", False):
                raise ValueError(
                    f"{cls}: the model is sharded with FSDP2, so save_weights_only=False (a whole "
                    "model file from one process) cannot be written. Fix: pass "
                    "save_weights_only=True: the weights are gathered and written by rank 0."
                )

            if not hasattr(saving, "save_model"):
                raise RuntimeError(
                    f"{cls}: save_weights_only=False needs tkl.saving.save_model, which this "
                    "version lacks. Fix: pass save_weights_only=True."
                )
        self.best = self.initial_value_threshold

    def _better(self, value):
        if self.best is None:
            return True
        return value < self.best if self.mode == "min" else value > self.best

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None:
                return
            if not self._better(value):
                if self.verbose > 0:
                    say(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}",
                          file=sys.stdout)
                return
            if self.verbose > 0:
                before = "inf" if self.best is None else f"{self.best:.5f}"
                say(f"Epoch {epoch + 1}: {self.monitor} improved from {before} to {value:.5f}, "
                      f"saving model to {path}", file=sys.stdout)
            self.best = value
        elif self.verbose > 0:
            say(f"Epoch {epoch + 1}: saving model to {path}", file=sys.stdout)
        self._save(path)

    def _save(self, path):
        # Every process gathers (a sharded model's weights need all of them); rank 0 writes.
        state = full_state_dict(self.model) if self.save_weights_only else None
        if not is_primary():
            return
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if not self.save_weights_only:
            _save_model(self.model, path)
        elif path.endswith(".safetensors"):
            from safetensors.torch import save_file

            tensors = {key: value.detach().to("cpu", copy=True).contiguous()
                       for key, value in state.items() if isinstance(value, torch.Tensor)}
            with atomic_path(path) as tmp:
                save_file(tensors, tmp)
        else:
            with atomic_path(path) as tmp:
                torch.save(state, tmp)


def _save_model(model, path):
    """``tkl.saving.save_model`` into a temporary file that keeps ``path``'s extension
    (the writer may choose the format by it), then renamed over ``path``."""
    from ..saving import save_model

    extension = os.path.splitext(path)[1]
    with atomic_path(path) as tmp:
        if not extension:
            save_model(model, tmp)
            return
        staged = tmp + extension
        try:
            save_model(model, staged)
            os.replace(staged, tmp)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(staged)
