"""tkl.utils.set_random_seed seeds Python, NumPy and torch at once."""

import random

import numpy as np
import pytest
import torch

import torch_keraslike as tkl


def _draws():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_set_random_seed_makes_every_generator_reproducible():
    tkl.utils.set_random_seed(1234)
    first = _draws()
    layer = tkl.layers.Dense(3)
    layer.build((None, 2))
    kernel = layer.kernel.detach().clone()
    tkl.utils.set_random_seed(1234)
    assert _draws() == first
    again = tkl.layers.Dense(3)
    again.build((None, 2))
    assert torch.equal(again.kernel, kernel)
    tkl.utils.set_random_seed(np.int64(2**32 - 1))  # the largest seed NumPy takes


@pytest.mark.parametrize("bad", [-1, 2**32, 1.0, "3", True, None])
def test_bad_seeds_are_rejected_before_anything_is_seeded(bad):
    random.seed(5)
    np.random.seed(5)
    torch.manual_seed(5)
    expected = _draws()
    random.seed(5)
    np.random.seed(5)
    torch.manual_seed(5)
    with pytest.raises(ValueError, match=r"set_random_seed expects an integer in \[0, 2\*\*32\), but received seed="):
        tkl.utils.set_random_seed(bad)
    assert _draws() == expected
