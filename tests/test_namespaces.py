"""Keras's top-level names and small namespaces: ``tkl.Loss``/``Metric``/``Initializer``/
``Regularizer``, ``name_scope``, ``device``, ``version``, ``layers.Input``, the
lower-case aliases of initializers, regularizers and constraints, the ``STFT``
initializer, the activations added for Keras 3, and registered functions as activations
(the API coverage against Keras is in test_api_status.py)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy

ROOT = Path(__file__).resolve().parents[1]


def test_top_level_names():
    assert tkl.Loss is tkl.losses.Loss and tkl.Metric is tkl.metrics.Metric
    assert tkl.Initializer is tkl.initializers.Initializer and tkl.Regularizer is tkl.regularizers.Regularizer
    assert tkl.version() == tkl.__version__
    assert tkl.layers.Input is tkl.Input and tkl.layers.Input((2,)).shape == (None, 2)
    for name in ("losses", "metrics", "models", "tree", "name_scope", "device", "version", "Loss", "Metric"):
        assert name in tkl.__all__
    with pytest.raises(AttributeError, match="module 'torch_keraslike' has no attribute 'nope'"):
        tkl.nope  # noqa: B018


def test_tree_is_imported_on_first_use():
    code = ("import sys, torch_keraslike as tkl; assert 'torch_keraslike.tree' not in sys.modules; "
            "tkl.tree.flatten([1]); assert 'torch_keraslike.tree' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)


def test_name_scope_prefixes_weight_paths():
    with tkl.name_scope("encoder"):
        with tkl.name_scope("encoder"):  # deduplicated
            with tkl.name_scope("block"):
                dense = tkl.layers.Dense(2, name="proj")
                dense(torch.ones(1, 3))
    assert dense.kernel.path == "encoder/block/proj/kernel"
    with tkl.name_scope("outer"):
        with tkl.name_scope("inner", override_parent="root/sub"):
            other = tkl.layers.Dense(2, name="d")
            other(torch.ones(1, 3))
        after = tkl.layers.Dense(2, name="e")
        after(torch.ones(1, 3))
    assert other.bias.path == "root/sub/inner/d/bias" and after.bias.path == "outer/e/bias"
    with tkl.name_scope("twice", deduplicate=False):
        with tkl.name_scope("twice", deduplicate=False):
            again = tkl.layers.Dense(1, name="f")
            again(torch.ones(1, 1))
    assert again.kernel.path == "twice/twice/f/kernel"
    with pytest.raises(ValueError, match="name_scope: `name` must be a non-empty string without '/'"):
        tkl.name_scope("a/b")
    with pytest.raises(ValueError, match="`override_parent` must be a string path or None"):
        tkl.name_scope("a", override_parent=3)


def test_device_scope():
    with tkl.device("cpu:0"):
        assert torch.zeros(1).device.type == "cpu"
    assert tkl.device("gpu:1") == torch.device("cuda:1") and tkl.device(torch.device("cpu")).type == "cpu"
    with pytest.raises(ValueError, match="Invalid value for argument `device_name`. Expected a string like 'gpu:0' "
                                         "or 'cpu'. Received: device_name='tpu'"):
        tkl.device("tpu")
    with pytest.raises(ValueError, match="Received: device_name=3"):
        tkl.device(3)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_device_scope_places_tensors_on_the_gpu():
    with tkl.device("gpu"):
        assert torch.zeros(1).device.type == "cuda"


def test_lower_case_aliases_are_keras_classes():
    keras = import_keras()
    for module in ("initializers", "regularizers", "constraints"):
        ours, theirs = getattr(tkl, module), getattr(keras, module)
        for name in dir(theirs):
            if name.startswith("_") or name in ("get", "serialize", "deserialize"):
                continue
            assert getattr(ours, name).__name__ == getattr(theirs, name).__name__ or (
                name in ("STFTInitializer", "stft") and getattr(ours, name) is tkl.initializers.STFT), (module, name)
        assert set(getattr(keras.src, module).ALL_OBJECTS_DICT) <= set(ours.ALL_OBJECTS_DICT), module
    assert tkl.regularizers.l1_l2 is tkl.regularizers.L1L2 and tkl.constraints.non_neg is tkl.constraints.NonNeg
    assert tkl.initializers.he_normal is tkl.initializers.HeNormal
    assert isinstance(tkl.initializers.get("stft"), tkl.initializers.STFT)


def stft_reference(frames, bins, side, window):
    fft_length = (bins - 1) * 2
    t = np.arange(frames)[:, None, None]
    f = np.arange(bins)[None, None, :]
    angles = -2.0 * np.pi * t * f / fft_length
    kernel = np.cos(angles) if side == "real" else np.sin(angles)
    if window is not None:
        kernel = kernel * window[:, None, None] / np.sqrt(np.sum(window ** 2))
    return kernel


def test_stft_initializer():
    frames, bins = 8, 5
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frames) / (frames - 1))  # symmetric
    np.testing.assert_allclose(tkl.initializers.STFT("imag")((frames, 1, bins), dtype="float64").numpy(),
                               stft_reference(frames, bins, "imag", hann), atol=1e-12)
    periodic = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frames) / frames)
    np.testing.assert_allclose(tkl.initializers.STFT("real", periodic=True)((frames, 1, bins), dtype="float64").numpy(),
                               stft_reference(frames, bins, "real", periodic), atol=1e-12)
    custom = np.linspace(0.1, 1.0, frames)
    spectrum = tkl.initializers.STFT("real", window=custom, scaling="spectrum")((frames, 2, bins), dtype="float64")
    expected = stft_reference(frames, bins, "real", None) * custom[:, None, None] / custom.sum()
    np.testing.assert_allclose(spectrum.numpy(), np.broadcast_to(expected, (frames, 2, bins)), atol=1e-12)
    raw = tkl.initializers.STFT(window=None, scaling=None)((frames, 1, bins))
    assert raw.dtype == torch.float32 and raw[:, 0, 0].tolist() == [1.0] * frames
    config = tkl.initializers.STFT("imag", "hamming", None, True).get_config()
    assert config == {"side": "imag", "window": "hamming", "periodic": True, "scaling": None}
    assert tkl.initializers.deserialize(tkl.initializers.serialize(tkl.initializers.STFT("imag"))).side == "imag"
    layer = tkl.layers.Conv1D(bins, frames, kernel_initializer=tkl.initializers.STFT(), use_bias=False)
    layer(torch.ones(1, 16, 1))
    np.testing.assert_allclose(layer.get_weights()[0], stft_reference(frames, bins, "real", hann), atol=1e-6)


@pytest.mark.parametrize("make, pattern", [
    (lambda: tkl.initializers.STFT("both"), "side should be 'real' or 'imag', not 'both'"),
    (lambda: tkl.initializers.STFT(window="tukey"), r"STFT: unknown window 'tukey'. Supported names: \['bartlett'"),
    (lambda: tkl.initializers.STFT(scaling="power"), "Scaling is invalid, it must be `None`, 'density' or 'spectrum'"),
    (lambda: tkl.initializers.STFT(periodic="yes"), "STFT expected `periodic` to be True or False"),
    (lambda: tkl.initializers.STFT()((4, 3)), r"STFT initializes kernels of shape \(frame_length, channels, fft_bins\)"),
    (lambda: tkl.initializers.STFT(window=[1.0, 2.0])((4, 1, 3)), r"The shape of `window` must be equal to \[frame_length\]"),
    (lambda: tkl.initializers.STFT()((4, 1, 3), dtype="int32"), "STFT only creates floating-point tensors"),
])
def test_stft_errors(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


# sparsemax is checked against its definition in test_activations.py: Keras's torch
# backend sums the wrong cumulative sums for its threshold (its outputs do not sum to 1).
NEW_ACTIVATIONS = [("hard_shrink", {"threshold": 0.7}), ("hard_tanh", {}), ("soft_shrink", {"threshold": 0.2}),
                   ("sparse_plus", {}), ("sparse_sigmoid", {}), ("squareplus", {"b": 2}),
                   ("tanh_shrink", {}), ("threshold", {"threshold": 0.3, "default_value": -2.0})]


@pytest.mark.parametrize("name, kwargs", NEW_ACTIVATIONS)
def test_new_activations_match_keras(name, kwargs):
    keras = import_keras()
    x = np.random.default_rng(0).normal(0, 2, (5, 4)).astype("float32")
    np.testing.assert_allclose(to_numpy(getattr(tkl.activations, name)(torch.tensor(x), **kwargs)),
                               to_numpy(getattr(keras.activations, name)(x, **kwargs)), rtol=1e-5, atol=1e-6)
    layer = tkl.layers.Activation(name) if name != "threshold" else None
    if layer is not None:
        np.testing.assert_allclose(to_numpy(layer(torch.tensor(x))),
                                   to_numpy(keras.layers.Activation(name)(x)), rtol=1e-5, atol=1e-6)


def test_sparsemax_projects_onto_the_simplex_along_its_axis():
    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(0)) * 2
    for axis in (0, 1, -1):
        out = tkl.activations.sparsemax(x, axis=axis)
        torch.testing.assert_close(out.sum(dim=axis), torch.ones(x.shape[1 - axis % 2]))
        assert (out >= 0).all() and (out == 0).any()
    torch.testing.assert_close(tkl.activations.sparsemax(x, axis=0), tkl.activations.sparsemax(x.T).T)


def test_new_activation_argument_errors():
    with pytest.raises(ValueError, match="soft_shrink expected `threshold` to be a non-negative number"):
        tkl.activations.soft_shrink(torch.ones(2), threshold=-1.0)
    with pytest.raises(ValueError, match="squareplus expected `b` to be a non-negative number"):
        tkl.activations.squareplus(torch.ones(2), b=-4)
    with pytest.raises(ValueError, match="threshold expected `default_value` to be a number"):
        tkl.activations.threshold(torch.ones(2), 0.5, None)
    with pytest.raises(ValueError, match="sparsemax expects an int `axis` within the input's 2 dimensions"):
        tkl.activations.sparsemax(torch.ones(2, 3), axis=2)


def test_registered_functions_as_activations():
    @tkl.saving.register_serializable(package="test_namespaces")
    def doubled(x):
        return 2 * x

    for activation in ("test_namespaces>doubled", doubled):
        dense = tkl.layers.Dense(2, activation=activation)
        assert dense.activation is doubled
        config = dense.get_config()
        assert config["activation"] == {"module": "builtins", "class_name": "function",
                                        "config": "test_namespaces>doubled", "registered_name": "function"}
        rebuilt = tkl.layers.Dense.from_config(config)
        assert rebuilt.activation is doubled
    assert tkl.activations.deserialize("doubled", custom_objects={"doubled": doubled}) is doubled
    assert tkl.activations.get({"class_name": "function", "config": "relu"}) is tkl.activations.relu
    model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(2, activation=doubled)])
    assert tkl.models.model_from_json(model.to_json()).layers[0].activation is doubled
    with pytest.raises(ValueError, match=r"Unknown activation 'test_namespaces>missing'.*register one"):
        tkl.activations.get("test_namespaces>missing")


def test_keras_writes_registered_activations_the_same_way():
    keras = import_keras()

    @keras.saving.register_keras_serializable(package="test_namespaces")
    def halved(x):
        return x / 2

    @tkl.saving.register_serializable(package="test_namespaces")
    def halved_here(x):
        return x / 2

    theirs = keras.activations.serialize(halved)
    ours = tkl.activations.serialize(halved_here)
    assert set(ours) == set(theirs) and ours["class_name"] == theirs["class_name"] == "function"
    assert ours["config"] == "test_namespaces>halved_here" and theirs["config"] == "test_namespaces>halved"
