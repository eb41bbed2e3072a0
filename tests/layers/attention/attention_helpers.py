"""Helpers of the attention tests."""

import torch

from sequence_testing import data, numpy_of, randomize  # noqa: F401 (re-exported for the tests)


def with_mask(array, mask):
    """A tensor of ``array`` carrying ``mask`` (as an Embedding(mask_zero) output does)."""
    tensor = torch.tensor(array)
    tensor._keras_mask = torch.tensor(mask)
    return tensor
