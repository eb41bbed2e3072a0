"""``tkl.ops.rearrange`` (einops notation) against NumPy reshapes and transposes."""

import numpy as np
import pytest

import torch_keraslike as tkl
from torch_keraslike import ops


def _close(ours, expected):
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(expected))


def test_rearrange():
    images = np.arange(2 * 4 * 6 * 3).reshape(2, 4, 6, 3)
    _close(ops.rearrange(images, "b h w c -> b c h w"), images.transpose(0, 3, 1, 2))
    _close(ops.rearrange(images, "b h w c -> (b h) w c"), images.reshape(8, 6, 3))
    _close(ops.rearrange(images, "b h w c -> b (c h w)"), images.transpose(0, 3, 1, 2).reshape(2, -1))
    patches = ops.rearrange(images, "b (h1 h) (w1 w) c -> (b h1 w1) h w c", h1=2, w1=2)
    _close(patches[1], images[0, :2, 3:])
    with pytest.raises(ValueError, match=r"ops.rearrange: the pattern names 3 input axes"):
        ops.rearrange(images, "b h w -> b w h")
    with pytest.raises(ValueError, match=r"ops.rearrange: cannot split an axis of size 4"):
        ops.rearrange(images, "b (h1 h) w c -> b h w c", h1=3)
    with pytest.raises(ValueError, match=r"must use each input axis"):
        ops.rearrange(images, "b h w c -> b h w")


def test_rearrange_joins_functional_graphs():
    x = tkl.Input((4, 6, 3))
    y = ops.rearrange(x, "b h w c -> b c (h w)")
    assert y.shape == (None, 3, 24)
