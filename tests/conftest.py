import os
import sys
from pathlib import Path

import pytest
import torch

# Keras (an optional test dependency) is the reference of the differential tests; its
# backend must be chosen before it is first imported.
os.environ.setdefault("KERAS_BACKEND", "torch")

# Tests import the shared helpers (``layer_testing``, ``keras_reference``) from this folder.
sys.path.insert(0, str(Path(__file__).parent))

import torch_keraslike as tkl  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_session():
    """Each test starts with fresh auto-names and a fixed seed."""
    tkl.clear_session()
    torch.manual_seed(0)
    yield
