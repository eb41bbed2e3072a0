"""MelSpectrogram and STFTSpectrogram."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from torch_keraslike.layers.preprocessing.audio import MelSpectrogram, STFTSpectrogram

SIGNALS = np.random.default_rng(0).normal(size=(2, 4000)).astype("float32")
MULTI = np.random.default_rng(1).normal(size=(2, 300, 2)).astype("float32")
HANN_64 = np.hanning(64).tolist()  # an explicit window: Keras needs SciPy for named ones


@pytest.mark.parametrize("kwargs", [
    {},
    {"fft_length": 512, "sequence_stride": 128, "num_mel_bins": 64, "power_to_db": False},
    {"fft_length": 256, "sequence_length": 200, "sequence_stride": 100, "window": "hamming", "mag_exp": 1.0,
     "top_db": 50.0, "ref_power": 2.0, "min_freq": 100.0, "max_freq": 6000},
])
def test_mel_spectrogram_matches_keras(kwargs):
    keras = import_keras()
    ours, theirs = MelSpectrogram(**kwargs), keras.layers.MelSpectrogram(**kwargs)
    got, expected = to_numpy(ours(SIGNALS)), to_numpy(theirs(SIGNALS))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
    assert tuple(ours.compute_output_shape(SIGNALS.shape)) == tuple(theirs.compute_output_shape(SIGNALS.shape))
    config, keras_config = ours.get_config(), theirs.get_config()
    assert {k: config[k] for k in keras_config if k not in ("name", "dtype")} == {
        k: v for k, v in keras_config.items() if k not in ("name", "dtype")}


def test_mel_spectrogram_common_and_single_signals():
    kwargs = {"fft_length": 64, "sequence_stride": 16, "num_mel_bins": 8}
    run_layer_test(MelSpectrogram, kwargs, (3, 200), (3, 8, 13))
    layer = MelSpectrogram(**kwargs)
    assert layer(torch.randn(200)).shape == (8, 13)
    assert layer(torch.randint(-5, 5, (2, 200))).dtype == torch.float32
    spec = MelSpectrogram(**kwargs)(tkl.Input((None,)))
    assert spec.shape == (None, 8, None)


def test_mel_filter_bank_shape():
    from torch_keraslike.layers.preprocessing.audio import linear_to_mel_weight_matrix

    matrix = linear_to_mel_weight_matrix(10, 129, 8000, 125.0, 3800.0)
    assert matrix.shape == (129, 10) and float(matrix[0].abs().sum()) == 0.0  # no DC weight
    assert float(matrix.min()) >= 0 and float(matrix.max()) <= 1


@pytest.mark.parametrize("mode", ["log", "magnitude", "psd", "real", "imag", "angle", "stft"])
@pytest.mark.parametrize("kwargs", [
    dict(frame_length=64, frame_step=16, window=HANN_64),
    dict(frame_length=64, frame_step=32, fft_length=128, window=HANN_64, padding="same", expand_dims=True),
    dict(frame_length=64, window=None, scaling="spectrum", data_format="channels_first"),
    dict(frame_length=64, frame_step=20, window=None, scaling=None, data_format="channels_first", expand_dims=True),
])
def test_stft_spectrogram_matches_keras(mode, kwargs):
    keras = import_keras()
    inputs = MULTI.transpose(0, 2, 1).copy() if kwargs.get("data_format") == "channels_first" else MULTI
    ours, theirs = STFTSpectrogram(mode=mode, **kwargs), keras.layers.STFTSpectrogram(mode=mode, **kwargs)
    ours(inputs)
    theirs(inputs)
    # Same initial kernels (ours are computed in float64: within float32 rounding of Keras's).
    for a, b in zip(ours.get_weights(), [to_numpy(w.value) for w in theirs.weights]):
        np.testing.assert_allclose(a, b, atol=3e-5)
    assert [w.path.split("/")[-1] for w in theirs.weights] == [k for k in ours.state_dict() if "extra" not in k]
    theirs.set_weights(ours.get_weights())
    got, expected = to_numpy(ours(inputs)), to_numpy(theirs(inputs))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-4)
    assert tuple(ours.compute_output_shape(inputs.shape)) == tuple(theirs.compute_output_shape(inputs.shape))


@pytest.mark.parametrize("mode, weights", [("log", 2), ("real", 1), ("imag", 1)])
def test_stft_spectrogram_common(mode, weights):
    run_layer_test(STFTSpectrogram, {"mode": mode, "frame_length": 16, "frame_step": 8}, (2, 64, 2), (2, 7, 18),
                   expected_num_trainable_weights=weights)


def test_stft_named_windows_and_trainable_kernels():
    layer = STFTSpectrogram(mode="magnitude", frame_length=8, frame_step=4, window="hann", periodic=True)
    layer(torch.randn(1, 32, 1))
    hann = torch.hann_window(8, periodic=True, dtype=torch.float64)
    expected = (hann / hann.square().sum().sqrt()).float()
    torch.testing.assert_close(layer.real_kernel.detach()[:, 0, 0], expected)  # DC column: the scaled window
    assert layer.real_kernel.requires_grad and layer.imag_kernel.requires_grad
    magnitude = layer(torch.randn(1, 32, 1))
    assert magnitude.requires_grad and float(magnitude.detach().min()) >= 0


@pytest.mark.parametrize("kwargs, message", [
    ({"frame_step": 300}, "`frame_step` should be a positive integer not greater than `frame_length`"),
    ({"fft_length": 100}, "`fft_length` should be not less than `frame_length`"),
    ({"mode": "power"}, "Output mode is invalid"),
    ({"scaling": "l3"}, "Scaling is invalid"),
    ({"padding": "causal"}, "Padding is invalid"),
    ({"window": "kaiser7"}, "unknown window 'kaiser7'"),
    ({"window": [1.0, 2.0]}, "The shape of `window` must be equal to \\[frame_length\\]"),
])
def test_stft_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        STFTSpectrogram(**kwargs)


def test_stft_input_errors():
    layer = STFTSpectrogram(frame_length=8)
    with pytest.raises(TypeError, match=r'Layer "stft_spectrogram.*Expected a floating dtype.*Received: input '
                                        r"type=int64"):
        layer(torch.ones(1, 16, 1, dtype=torch.int64))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        STFTSpectrogram(frame_length=8)(torch.ones(16, 1))
    with pytest.warns(UserWarning, match="`fft_length` is recommended to be a power of two"):
        STFTSpectrogram(frame_length=8, fft_length=12)


@pytest.mark.parametrize("kwargs, message", [
    ({"fft_length": 256, "sequence_length": 512}, "`fft_length` must be greater than or equal to `sequence_length`"),
    ({"window": "kaiser"}, "`window` must be 'hann', 'hamming' or None"),
    ({"num_mel_bins": 0}, "`num_mel_bins` must be a positive integer"),
    ({"min_freq": 9000.0}, "expected 0 <= min_freq < max_freq"),
])
def test_mel_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MelSpectrogram(**kwargs)


def test_mel_rank_errors_leave_the_layer_unbuilt():
    layer = MelSpectrogram(fft_length=64, sequence_stride=16)
    with pytest.raises(ValueError, match=r"expected signals of shape \(batch, samples\) or \(samples,\)"):
        layer(torch.ones(2, 3, 100))
    assert not layer.built
