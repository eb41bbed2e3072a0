"""``tkl.ops`` math: segment reductions, top-k, distances, FFTs and STFTs, special
functions, complex views; errors."""

import math

import numpy as np
import pytest
import torch

from torch_keraslike import ops

RNG = np.random.default_rng(4)


def _close(ours, expected, rtol=1e-5, atol=1e-5):
    np.testing.assert_allclose(np.asarray(ours), np.asarray(expected), rtol=rtol, atol=atol)


def test_segment_reductions():
    data = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]], "float32")
    ids = np.array([0, 0, 2, -1])  # -1 is dropped
    _close(ops.segment_sum(data, ids), [[4, 6], [0, 0], [5, 6]])
    _close(ops.segment_sum(data, ids, num_segments=2), [[4, 6], [0, 0]])
    _close(ops.segment_max(data, ids, num_segments=3), [[3, 4], [-np.inf, -np.inf], [5, 6]])
    _close(ops.segment_min(data, ids, num_segments=3), [[1, 2], [np.inf, np.inf], [5, 6]])
    _close(ops.segment_prod(data, ids, num_segments=3), [[3, 8], [1, 1], [5, 6]])
    ints = ops.segment_sum(np.array([1, 2, 3], "int32"), [1, 1, 0])
    assert ints.dtype == torch.int32 and ints.tolist() == [3, 3]


def test_top_k_in_top_k_and_logsumexp():
    x = np.array([[1.0, 4.0, 3.0, 2.0]], "float32")
    values, indices = ops.top_k(x, 2)
    assert values.tolist() == [[4.0, 3.0]] and indices.tolist() == [[1, 2]]
    assert ops.in_top_k([2, 0], np.array([[1.0, 4.0, 3.0], [1.0, 4.0, 3.0]], "float32"), 2).tolist() == [True, False]
    y = RNG.standard_normal((3, 4)).astype("float32")
    _close(ops.logsumexp(y, axis=1), np.log(np.exp(y).sum(1)))
    _close(ops.logsumexp(y, keepdims=True), np.log(np.exp(y).sum(keepdims=True)))


def test_distances_and_sequences():
    a, b = RNG.standard_normal((2, 3, 4)).astype("float32"), RNG.standard_normal((5, 4)).astype("float32")
    _close(ops.cdist(a, b), np.linalg.norm(a[:, :, None] - b[None, None], axis=-1))
    _close(ops.extract_sequences(np.arange(10), 4, 3), [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])


def test_ffts_match_numpy():
    real, imag = RNG.standard_normal((2, 3, 8)).astype("float32")
    z = real + 1j * imag
    for ours, reference in ((ops.fft, np.fft.fft), (ops.fft2, np.fft.fft2), (ops.ifft2, np.fft.ifft2)):
        out_real, out_imag = ours((real, imag))
        _close(out_real, reference(z).real, rtol=1e-4, atol=1e-4)
        _close(out_imag, reference(z).imag, rtol=1e-4, atol=1e-4)
    spectrum = ops.rfft(real, fft_length=10)
    _close(spectrum[0], np.fft.rfft(real, 10).real, rtol=1e-4, atol=1e-4)
    _close(ops.irfft(ops.rfft(real)), real, atol=1e-5)


def test_stft_inverts_with_istft():
    signal = np.sin(np.linspace(0, 20, 64)).astype("float32")[None]
    for length, stride, fft_length, center in ((8, 4, 8, True), (6, 2, 8, True), (8, 2, 8, False)):
        spectrum = ops.stft(signal, length, stride, fft_length, center=center)
        assert spectrum[0].shape[-1] == fft_length // 2 + 1
        restored = ops.istft(spectrum, length, stride, fft_length, length=64 if center else None, center=center)
        n = restored.shape[-1]
        core = slice(fft_length, n - fft_length)  # away from the edges the window overlap is complete
        _close(restored[..., core], signal[..., :n][..., core], atol=1e-4)


def test_special_functions_and_complex_views():
    x = np.array([0.1, 0.5, 0.9], "float32")
    _close(ops.erf(x), [math.erf(v) for v in x])
    _close(ops.erfc(x), [math.erfc(v) for v in x])
    _close(ops.erfinv(ops.erf(x)), x, rtol=1e-4)
    _close(ops.rsqrt(x), 1 / np.sqrt(x))
    _close(ops.logdet(np.diag([2.0, 3.0]).astype("float32")), math.log(6.0))
    complex_values = ops.view_as_complex([[1.0, 2.0], [3.0, -1.0]])
    assert complex_values.dtype == torch.complex64 and complex_values.tolist() == [1 + 2j, 3 - 1j]
    assert ops.view_as_real(complex_values).tolist() == [[1.0, 2.0], [3.0, -1.0]]


@pytest.mark.parametrize("call, error, message", [
    (lambda: ops.segment_sum(np.ones((3, 2)), [0, 1]), ValueError, r"ops.segment_sum: segment_ids must be 1-D with one id per row"),
    (lambda: ops.segment_max(np.ones(2), [0.5, 1.0]), TypeError, r"segment_ids must be integers"),
    (lambda: ops.top_k(np.ones(3), 4), ValueError, r"ops.top_k: k=4 exceeds the last axis"),
    (lambda: ops.cdist(np.ones((2, 3)), np.ones((2, 4))), ValueError, r"ops.cdist needs inputs of rank >= 2 with the same last axis"),
    (lambda: ops.fft(np.ones(3)), ValueError, r"ops.fft takes a \(real, imag\) pair"),
    (lambda: ops.fft((np.ones(3), np.ones(2))), ValueError, r"the real and imaginary parts must have the same shape"),
    (lambda: ops.stft(np.ones(16, "int32"), 4, 2, 4), TypeError, r"ops.stft: x must be float32 or float64"),
    (lambda: ops.stft(np.ones(16, "float32"), 8, 2, 4), ValueError, r"fft_length=4 must be >= sequence_length=8"),
    (lambda: ops.stft(np.ones(16, "float32"), 4, 0, 4), ValueError, r"sequence_stride must be >= 1"),
    (lambda: ops.stft(np.ones(16, "float32"), 4, 2, 4, window="blackman"), ValueError, r"a string window must be 'hann' or 'hamming'"),
    (lambda: ops.view_as_complex(np.ones((2, 3))), ValueError, r"the last axis must have size 2"),
    (lambda: ops.extract_sequences(np.ones(3), 4, 1), ValueError, r"sequence_length=4 exceeds the last axis"),
])
def test_bad_inputs_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
