"""Keras's training workflow on torch: ``Model.compile``/``fit``/``evaluate``/``predict``.

- :mod:`~torch_keraslike.training.losses`: Keras losses (``MeanSquaredError``,
  ``SparseCategoricalCrossentropy(from_logits=True)``...).
- :mod:`~torch_keraslike.training.metrics`: metrics accumulated on tensors.
- :mod:`~torch_keraslike.training.optimizers`: Keras optimizer names and defaults as
  ``torch.optim`` optimizers.
- :mod:`~torch_keraslike.training.data`: what ``fit`` accepts (arrays, tensors,
  ``DataLoader``).
- :mod:`~torch_keraslike.training.trainer`: the ``Trainer`` mixin of ``tkl.Model``.

Callbacks live in ``tkl.callbacks``.

Example:
    >>> import torch_keraslike as tkl
    >>> loss = tkl.training.losses.SparseCategoricalCrossentropy(from_logits=True)
"""

from . import data, losses, metrics, optimizers, progbar
from .trainer import Trainer

__all__ = ["Trainer", "data", "losses", "metrics", "optimizers", "progbar"]
