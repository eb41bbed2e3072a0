"""Numerical conventions shared by losses and ops."""

from . import config


def clip_probabilities(probabilities):
    """Probabilities kept inside ``[epsilon, 1 - epsilon]`` before a logarithm, as Keras
    does (``epsilon`` is ``tkl.config.epsilon()``, 1e-7 by default)."""
    epsilon = config.epsilon()
    return probabilities.clamp(epsilon, 1.0 - epsilon)
