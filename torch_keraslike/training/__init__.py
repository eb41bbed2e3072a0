"""Keras's training workflow on torch: ``Model.compile``/``fit``/``evaluate``/``predict``.

- :mod:`~torch_keraslike.training.losses`: Keras losses (``MeanSquaredError``,
  ``SparseCategoricalCrossentropy(from_logits=True)``...).
- :mod:`~torch_keraslike.training.metrics`: metrics accumulated on tensors.
- :mod:`~torch_keraslike.training.optimizers`: Keras's optimizers as ``torch.optim``
  optimizers (``tkl.optimizers``), with :mod:`~torch_keraslike.training.schedules`.
- :mod:`~torch_keraslike.training.distributed`: ``fit`` on ``torch.distributed`` (DDP,
  FSDP2); :mod:`~torch_keraslike.training.mixed_precision`: loss scaling.
- :mod:`~torch_keraslike.training.data`: what ``fit`` accepts (arrays, tensors,
  ``DataLoader``).
- :mod:`~torch_keraslike.training.trainer`: the ``Trainer`` mixin of ``tkl.Model``.

Callbacks live in ``tkl.callbacks``.

Example:
    >>> import torch_keraslike as tkl
    >>> loss = tkl.training.losses.SparseCategoricalCrossentropy(from_logits=True)
"""

from . import data, distributed, losses, metrics, mixed_precision, optimizers, progbar, schedules
from .trainer import Trainer

__all__ = ["Trainer", "data", "distributed", "losses", "metrics", "mixed_precision", "optimizers",
           "progbar", "schedules"]
