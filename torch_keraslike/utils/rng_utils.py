"""``set_random_seed``: one call seeds Python, NumPy and torch."""

import numbers
import random

import numpy as np
import torch

__all__ = ["set_random_seed"]


def set_random_seed(seed):
    """Seeds Python's ``random``, NumPy's global generator and torch (every device).

    After it, unseeded ``tkl.random`` draws, weight initializers, dropout masks,
    ``fit(shuffle=True)`` and ``SeedGenerator(seed=None)`` are reproducible.
    Some CUDA kernels stay nondeterministic; see
    ``torch.use_deterministic_algorithms``.

    Args:
        seed: an int in ``[0, 2**32)`` (NumPy's range).

    Example:
        >>> import torch_keraslike as tkl
        >>> tkl.utils.set_random_seed(7); a = tkl.random.normal((2,))
        >>> tkl.utils.set_random_seed(7); bool((a == tkl.random.normal((2,))).all())
        True
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**32:
        raise ValueError(
            f"set_random_seed expects an integer in [0, 2**32), but received seed={seed!r} (of "
            f"type {type(seed).__name__}). Fix: e.g. set_random_seed(1337)."
        )
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
