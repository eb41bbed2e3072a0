"""Keras applications as torch modules: each built by Keras with random weights at a
small input size, loaded from its ``.keras`` file with Keras's outputs and parameter
count, saved back for Keras, and its ``.weights.h5`` exchanged both ways."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_files import KERAS_NUMPY2_WARNING, RNG, assert_outputs_match, run_keras, run_ours
from keras_reference import import_keras

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings(KERAS_NUMPY2_WARNING)]

# (application, input size): the smallest sizes the applications accept, to keep the
# suite fast; weights=None gives Keras's random initialization.
APPLICATIONS = [("ResNet50", 32), ("MobileNetV2", 32), ("EfficientNetB0", 32), ("DenseNet121", 32),
                ("ConvNeXtTiny", 32)]
TOLERANCE = {"rtol": 1e-4, "atol": 1e-4}


def _randomize_statistics(model):
    """BatchNormalization statistics away from (0, 1), so a misplaced one shows."""
    for weight in model.weights:
        if weight.path.endswith("moving_mean"):
            weight.assign(RNG.normal(0.0, 0.05, tuple(weight.shape)).astype("float32"))
        elif weight.path.endswith("moving_variance"):
            weight.assign(RNG.uniform(0.8, 1.2, tuple(weight.shape)).astype("float32"))


@pytest.fixture(scope="module", params=APPLICATIONS, ids=[name for name, _ in APPLICATIONS])
def application(request, tmp_path_factory):
    keras = import_keras()
    name, size = request.param
    folder = tmp_path_factory.mktemp(name)
    theirs = getattr(keras.applications, name)(weights=None, input_shape=(size, size, 3), classes=10,
                                               classifier_activation=None)
    _randomize_statistics(theirs)
    theirs.save(folder / "model.keras")
    images = (RNG.random((2, size, size, 3)) * 255).astype("float32")
    expected = run_keras(theirs, images)
    return theirs, images, expected, folder


def test_loads_with_keras_outputs_and_parameter_count(application):
    theirs, images, expected, folder = application
    ours = tkl.saving.load_model(folder / "model.keras")
    assert isinstance(ours, torch.nn.Module) and isinstance(ours, tkl.Model)
    assert ours.count_params() == theirs.count_params()
    trainable = sum(int(np.prod(w.shape)) for w in theirs.trainable_weights)
    assert sum(p.numel() for p in ours.parameters() if p.requires_grad) == trainable
    assert_outputs_match(run_ours(ours, images), expected, **TOLERANCE)
    # A clean torch module: plain parameter names, state_dict round trip.
    assert all(name.startswith("layers.") for name, _ in ours.named_parameters())
    ours.save(folder / "ours.keras")


def test_saved_back_keras_gets_the_same_outputs(application):
    keras = import_keras()
    _, images, expected, folder = application
    again = keras.saving.load_model(folder / "ours.keras")
    assert_outputs_match(run_keras(again, images), expected, **TOLERANCE)


def test_weights_files_both_ways(application):
    theirs, images, expected, folder = application
    theirs.save_weights(folder / "theirs.weights.h5")
    ours = tkl.saving.load_model(folder / "model.keras")
    with torch.no_grad():
        for weight in ours.parameters():
            weight.zero_()
    ours.load_weights(folder / "theirs.weights.h5")
    assert_outputs_match(run_ours(ours, images), expected, **TOLERANCE)
    ours.save_weights(folder / "ours.weights.h5")
    for weight in theirs.weights:
        weight.assign(np.zeros(tuple(weight.shape), "float32"))
    theirs.load_weights(folder / "ours.weights.h5")  # restores the fixture's model too
    assert_outputs_match(run_keras(theirs, images), expected, **TOLERANCE)
