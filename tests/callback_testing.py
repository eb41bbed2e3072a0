"""Shared pieces of the callback tests: a small regression problem, a compiled model,
and a callback that scripts the logged values to drive monitors exactly."""

import numpy as np
import torch

import torch_keraslike as tkl
from torch_keraslike import layers
from torch_keraslike.callbacks import Callback


def data(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x.sum(axis=1, keepdims=True) * 2).astype("float32")


def model(lr=0.05, optimizer=None, metrics=("mae",)):
    net = tkl.Sequential([tkl.Input((3,)), layers.Dense(1)])
    net.compile(optimizer or tkl.training.optimizers.SGD(learning_rate=lr), "mse", metrics=list(metrics))
    return net


class Scripted(Callback):
    """Replaces a logged value by a scripted sequence (put it before the callback under test)."""

    def __init__(self, values, key="loss"):
        super().__init__()
        self.values, self.key = list(values), key

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class Raise(Callback):
    """Raises ``error`` at the start of epoch ``epoch`` (or at batch ``batch`` of it)."""

    def __init__(self, error, epoch, batch=None):
        super().__init__()
        self.error, self.epoch, self.batch = error, epoch, batch
        self.current = None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch
        if epoch == self.epoch and self.batch is None:
            raise self.error

    def on_train_batch_begin(self, batch, logs=None):
        if self.current == self.epoch and batch == self.batch:
            raise self.error


def break_torch_save(monkeypatch):
    """Makes ``torch.save`` write its file, then fail like a full disk."""
    real_save = torch.save

    def failing_save(obj, f, *args, **kwargs):
        real_save(obj, f, *args, **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", failing_save)
