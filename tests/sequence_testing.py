"""Helpers shared by the recurrent and attention tests: random weights in Keras's
layouts, random data, NumPy views of (nested) outputs."""

import numpy as np
import torch


def randomize(layer, seed=0, scale=0.5):
    """Random normal weights (Keras layouts), set and returned as a list."""
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(w.shape).astype(np.float32) * scale for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def data(*shape, seed=1):
    """A float32 NumPy array of standard normal values."""
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def numpy_of(value):
    """NumPy arrays of a tensor or a (nested) list/tuple of tensors."""
    if isinstance(value, (list, tuple)):
        return [numpy_of(v) for v in value]
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
