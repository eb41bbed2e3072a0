"""Keras 3 (torch backend) as the behavioural reference of differential tests.

Keras is an optional test dependency: ``import_keras()`` skips the calling test with
a reason when it is absent (``.ci/run`` installs it, so CI runs these tests).

Example (inside a test)::

    keras = import_keras()
    ours, theirs = tkl.layers.Dense(3), keras.layers.Dense(3)
    assert_layer_matches_keras(ours, theirs, np.random.rand(2, 4).astype("float32"))
"""

import os

import numpy as np
import pytest
import torch

KERAS_VERSION = "3.15.1"


def import_keras():
    """Keras 3 on its torch backend, or a skip with the reason."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip(
        "keras", reason=f"Keras 3 is an optional test dependency: pip install keras=={KERAS_VERSION}"
    )
    if keras.backend.backend() != "torch":
        pytest.skip(f"Keras runs on the {keras.backend.backend()!r} backend; these tests need KERAS_BACKEND=torch")
    return keras


def to_numpy(value):
    """NumPy view of a torch tensor, a Keras tensor/variable or a nested structure of them."""
    if isinstance(value, (list, tuple)):
        return type(value)(to_numpy(v) for v in value)
    if isinstance(value, dict):
        return {k: to_numpy(v) for k, v in value.items()}
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if hasattr(value, "numpy"):
        return np.asarray(value.numpy())
    return np.asarray(value)


def assert_layer_matches_keras(ours, theirs, inputs, call_kwargs=None, rtol=1e-5, atol=1e-6,
                               copy_weights=True):
    """Builds both layers on ``inputs``, gives Keras our weights, compares the outputs.

    ``get_weights()`` of our layer is in Keras's order and layouts, so the same list
    goes into ``theirs.set_weights``. Returns both outputs as NumPy arrays.
    """
    call_kwargs = call_kwargs or {}
    ours(inputs, **call_kwargs)
    theirs(inputs, **call_kwargs)
    if copy_weights:
        theirs.set_weights(ours.get_weights())
    expected = to_numpy(theirs(inputs, **call_kwargs))
    received = to_numpy(ours(inputs, **call_kwargs))
    np.testing.assert_allclose(received, expected, rtol=rtol, atol=atol)
    return received, expected
