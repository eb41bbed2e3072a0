"""``tkl.optimizers.schedules``: Keras's learning-rate schedules.

Example:
    >>> import torch_keraslike as tkl
    >>> tkl.optimizers.schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])(15)
    0.5
"""

from ..training.schedules import (CosineDecay, CosineDecayRestarts, ExponentialDecay, InverseTimeDecay,
                                  LearningRateSchedule, PiecewiseConstantDecay, PolynomialDecay,
                                  deserialize, serialize)

__all__ = [
    "CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay",
    "LearningRateSchedule", "PiecewiseConstantDecay", "PolynomialDecay", "deserialize", "serialize",
]
