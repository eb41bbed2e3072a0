"""Audio front ends: ``MelSpectrogram`` (torch's STFT, a mel filter bank, decibels)
and ``STFTSpectrogram`` (the STFT as a strided convolution with trainable Fourier
kernels, Keras's layout)."""

import math
import warnings

import torch
import torch.nn.functional as F

from ... import config as tkl_config
from ... import symbolic
from ...input_spec import InputSpec
from ...layer import Layer
from ...ops import math as math_ops
from ...saving import register_serializable
from .._common import is_positive_int, layer_label, same_pads
from ._base import is_number

__all__ = ["MelSpectrogram", "STFTSpectrogram"]

_MEL_BREAK_HERTZ = 700.0
_MEL_HIGH_Q = 1127.0


def _hertz_to_mel(frequencies):
    return _MEL_HIGH_Q * torch.log(1.0 + frequencies / _MEL_BREAK_HERTZ)


def linear_to_mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate, lower_edge_hertz,
                                upper_edge_hertz, dtype=torch.float32):
    """The HTK mel filter bank ``(num_spectrogram_bins, num_mel_bins)``: triangles
    linear in mel between ``num_mel_bins + 2`` equally spaced mel points; the DC bin
    gets no weight."""
    def spaced(start, stop, num):
        # start + (stop - start) * i / (num - 1), Keras's rounding (not torch.linspace's).
        return start + torch.arange(num, dtype=dtype) / (num - 1) * (stop - start)

    nyquist = torch.tensor(float(sampling_rate), dtype=dtype) / 2.0
    linear = spaced(torch.tensor(0.0, dtype=dtype), nyquist, num_spectrogram_bins)[1:]
    bins_mel = _hertz_to_mel(linear).unsqueeze(1)
    edges = spaced(_hertz_to_mel(torch.tensor(float(lower_edge_hertz), dtype=dtype)),
                   _hertz_to_mel(torch.tensor(float(upper_edge_hertz), dtype=dtype)), num_mel_bins + 2)
    lower, center, upper = edges[:-2].unsqueeze(0), edges[1:-1].unsqueeze(0), edges[2:].unsqueeze(0)
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = torch.clamp(torch.minimum(lower_slopes, upper_slopes), min=0.0)
    return F.pad(weights, (0, 0, 1, 0))


def _positive(layer, value, name):
    if not is_positive_int(value):
        raise ValueError(f"{layer_label(layer)}: `{name}` must be a positive integer, received {name}={value!r}.")
    return int(value)


@register_serializable(package="keras")
class MelSpectrogram(Layer):
    """Mel-scaled power spectrogram of audio signals (in decibels by default).

    Frames of ``sequence_length`` samples every ``sequence_stride`` samples (centred,
    so ``1 + samples // sequence_stride`` frames) are windowed and transformed with
    an FFT of ``fft_length``; the magnitudes to the power ``mag_exp`` are projected
    on ``num_mel_bins`` mel bands between ``min_freq`` and ``max_freq``. With
    ``power_to_db``, ``10 log10(max(x, min_power) / ref_power)``, floored at
    ``top_db`` below the maximum of the whole batch (as in Keras).

    Args:
        fft_length: the FFT size (default 2048).
        sequence_stride: the hop between frames (default 512).
        sequence_length: the frame length (default ``fft_length``).
        window: ``"hann"`` (default), ``"hamming"`` or None.
        sampling_rate: samples per second (default 16000).
        num_mel_bins: the number of mel bands (default 128).
        min_freq: the lowest band edge in Hz (default 20).
        max_freq: the highest band edge in Hz (default ``sampling_rate / 2``).
        power_to_db: convert to decibels (default True).
        top_db: the dynamic range kept in decibels (default 80).
        mag_exp: the exponent of the magnitudes (default 2: power).
        min_power: the floor of the power before the logarithm (default 1e-10).
        ref_power: the reference power of 0 dB (default 1).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        ``(batch, samples)`` -> ``(batch, num_mel_bins, frames)``; a single signal
        ``(samples,)`` -> ``(num_mel_bins, frames)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.MelSpectrogram(fft_length=256, sequence_stride=64, num_mel_bins=40)
        >>> layer(torch.randn(2, 1600)).shape
        torch.Size([2, 40, 26])
    """

    cast_integer_inputs = True

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None, window="hann",
                 sampling_rate=16000, num_mel_bins=128, min_freq=20.0, max_freq=None, power_to_db=True,
                 top_db=80.0, mag_exp=2.0, min_power=1e-10, ref_power=1.0, **kwargs):
        super().__init__(**kwargs)
        self.fft_length = _positive(self, fft_length, "fft_length")
        self.sequence_stride = _positive(self, sequence_stride, "sequence_stride")
        self.sequence_length = _positive(self, sequence_length or fft_length, "sequence_length")
        if self.fft_length < self.sequence_length:
            raise ValueError(
                f"{layer_label(self)}: `fft_length` must be greater than or equal to `sequence_length`. "
                f"Received: sequence_length={self.sequence_length}, fft_length={self.fft_length}."
            )
        if window not in ("hann", "hamming", None):
            raise ValueError(f"{layer_label(self)}: `window` must be 'hann', 'hamming' or None, received {window!r}.")
        self.window = window
        self.sampling_rate = _positive(self, sampling_rate, "sampling_rate")
        self.num_mel_bins = _positive(self, num_mel_bins, "num_mel_bins")
        self.max_freq = max_freq or int(sampling_rate / 2)
        for name, value in (("min_freq", min_freq), ("max_freq", self.max_freq), ("top_db", top_db),
                            ("mag_exp", mag_exp), ("min_power", min_power), ("ref_power", ref_power)):
            if not is_number(value):
                raise ValueError(f"{layer_label(self)}: `{name}` must be a number, received {value!r}.")
        if not 0 <= min_freq < self.max_freq:
            raise ValueError(f"{layer_label(self)}: expected 0 <= min_freq < max_freq, received "
                             f"min_freq={min_freq}, max_freq={self.max_freq}.")
        self.min_freq, self.power_to_db, self.top_db = min_freq, bool(power_to_db), top_db
        self.mag_exp, self.min_power, self.ref_power = mag_exp, min_power, ref_power
        matrix = linear_to_mel_weight_matrix(self.num_mel_bins, self.fft_length // 2 + 1, self.sampling_rate,
                                             self.min_freq, self.max_freq)
        self.register_buffer("_mel_matrix", matrix, persistent=False)

    def build(self, input_shape):
        if len(input_shape) not in (1, 2):
            raise ValueError(
                f"{layer_label(self)}: expected signals of shape (batch, samples) or (samples,), received "
                f"input of shape {tuple(input_shape)}."
            )

    def call(self, inputs):
        dtype = inputs.dtype if inputs.dtype in (torch.float32, torch.float64) else torch.float32
        if inputs.dim() == 2 and inputs.shape[0] == 0:  # torch's STFT pads, which fails on no signal
            return inputs.new_zeros(self.compute_output_shape(tuple(inputs.shape)), dtype=self._tkl_dtype)
        real, imag = math_ops.stft(inputs.to(dtype), self.sequence_length, self.sequence_stride, self.fft_length,
                                   window=self.window, center=True)
        spectrum = torch.pow(torch.sqrt(real * real + imag * imag), self.mag_exp)
        mel = torch.tensordot(spectrum, self._mel_matrix.to(device=spectrum.device, dtype=dtype), dims=1)
        if self.power_to_db:
            log_spec = 10.0 * torch.log10(torch.clamp(mel, min=self.min_power))
            log_spec = log_spec - 10.0 * math.log10(max(abs(self.ref_power), self.min_power))
            mel = torch.maximum(log_spec, log_spec.amax() - self.top_db) if log_spec.numel() else log_spec
        return mel.transpose(-1, -2).to(self._tkl_dtype)

    def compute_output_shape(self, input_shape):
        samples = input_shape[-1]
        frames = None if samples is None else 1 + samples // self.sequence_stride
        return tuple(input_shape[:-1]) + (self.num_mel_bins, frames)

    def compute_output_spec(self, inputs):
        return symbolic.KerasTensor(self.compute_output_shape(inputs.shape), self._tkl_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(fft_length=self.fft_length, sequence_stride=self.sequence_stride,
                      sequence_length=self.sequence_length, window=self.window, sampling_rate=self.sampling_rate,
                      num_mel_bins=self.num_mel_bins, min_freq=self.min_freq, max_freq=self.max_freq,
                      power_to_db=self.power_to_db, top_db=self.top_db, mag_exp=self.mag_exp,
                      min_power=self.min_power, ref_power=self.ref_power)
        return config


_WINDOWS = {
    "hann": torch.hann_window,
    "hamming": torch.hamming_window,
    "blackman": torch.blackman_window,
    "bartlett": torch.bartlett_window,
    "boxcar": lambda length, periodic, dtype: torch.ones(length, dtype=dtype),
}
_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


def stft_kernel(side, window, scaling, periodic, frame_length, freq_bins, dtype=torch.float32):
    """Keras's STFT convolution kernel ``(frame_length, 1, freq_bins)``: the real
    (cosine) or imaginary (minus sine) Fourier basis, times the window, divided by
    its L2 (``"density"``) or L1 (``"spectrum"``) norm."""
    time = torch.arange(frame_length, dtype=torch.float64).reshape(-1, 1, 1)
    freq = torch.arange(freq_bins, dtype=torch.float64).reshape(1, 1, -1) / ((freq_bins - 1) * 2)
    angles = -2.0 * time * freq * math.pi
    kernel = torch.cos(angles) if side == "real" else torch.sin(angles)
    if window is not None:
        if isinstance(window, str):
            win = _WINDOWS[window](frame_length, periodic=periodic, dtype=torch.float64)
        else:
            win = torch.as_tensor(window, dtype=torch.float64)
        win = win.reshape(-1, 1, 1)
        if scaling == "density":
            win = win / torch.sqrt(torch.sum(win * win))
        elif scaling == "spectrum":
            win = win / torch.sum(torch.abs(win))
        kernel = kernel * win
    return kernel.to(dtype)


class _STFTInitializer:
    """The ``(shape, dtype) -> tensor`` initializer of a kernel (picklable)."""

    def __init__(self, side, window, scaling, periodic):
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        return stft_kernel(self.side, self.window, self.scaling, self.periodic, shape[0], shape[2],
                           dtype or torch.float32)


@register_serializable(package="keras")
class STFTSpectrogram(Layer):
    """Short-time Fourier transform of multi-channel signals, as a strided
    convolution with trainable kernels ``real_kernel`` and ``imag_kernel``
    (``(frame_length, 1, fft_length // 2 + 1)``, Keras's layout).

    Frames of ``frame_length`` samples every ``frame_step`` are windowed and
    transformed to ``fft_length // 2 + 1`` frequencies, each channel separately.
    ``mode`` picks the output: ``"log"`` (log magnitude, default), ``"magnitude"``,
    ``"psd"`` (power, doubled except at DC and Nyquist), ``"real"``, ``"imag"``,
    ``"angle"`` or ``"stft"`` (real and imaginary parts concatenated). Only the
    needed kernels are created (``"real"`` has no ``imag_kernel`` and conversely).

    Args:
        mode: the output, see above.
        frame_length: samples per frame (default 256).
        frame_step: the hop between frames, in ``[1, frame_length]`` (default
            ``frame_length // 2``).
        fft_length: the FFT size, >= ``frame_length`` (default: the next power of
            two).
        window: ``"hann"`` (default), ``"hamming"``, ``"blackman"``, ``"bartlett"``,
            ``"boxcar"``, a list of ``frame_length`` values, or None.
        periodic: use the periodic form of a named window (default False).
        scaling: ``"density"`` (default: L2-normalised window), ``"spectrum"`` (L1)
            or None.
        padding: ``"valid"`` (default) or ``"same"``.
        expand_dims: keep frequencies and channels on separate axes.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        ``(batch, time, channels)`` -> ``(batch, frames, channels * freqs)``, or
        ``(batch, frames, freqs, channels)`` with ``expand_dims``
        (channels_first: ``(batch, channels * freqs, frames)`` /
        ``(batch, channels, frames, freqs)``).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.STFTSpectrogram(frame_length=64, frame_step=32)
        >>> layer(torch.randn(2, 256, 1)).shape
        torch.Size([2, 7, 33])
    """

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None, window="hann",
                 periodic=False, scaling="density", padding="valid", expand_dims=False, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        label = layer_label(self)
        frame_length = _positive(self, frame_length, "frame_length")
        if frame_step is not None and not (is_positive_int(frame_step) and frame_step <= frame_length):
            raise ValueError(f"{label}: `frame_step` should be a positive integer not greater than `frame_length`. "
                             f"Received frame_step={frame_step!r}, frame_length={frame_length}")
        if fft_length is not None and not (is_positive_int(fft_length) and fft_length >= frame_length):
            raise ValueError(f"{label}: `fft_length` should be not less than `frame_length`. Received "
                             f"fft_length={fft_length!r}, frame_length={frame_length}")
        if fft_length is not None and (fft_length & -fft_length) != fft_length:
            warnings.warn(f"{label}: `fft_length` is recommended to be a power of two. Received "
                          f"fft_length={fft_length}", stacklevel=2)
        if mode not in _MODES:
            raise ValueError(f"{label}: Output mode is invalid, it must be one of {', '.join(_MODES)}. "
                             f"Received: mode={mode!r}")
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(f"{label}: Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                             f"Received scaling={scaling!r}")
        if padding not in ("valid", "same"):
            raise ValueError(f"{label}: Padding is invalid, it should be 'valid', 'same'. Received: padding={padding!r}")
        if isinstance(window, str) and window not in _WINDOWS:
            raise ValueError(f"{label}: unknown window {window!r}; supported: {sorted(_WINDOWS)}, a list of "
                             "frame_length values, or None.")
        if window is not None and not isinstance(window, str):
            window = [float(w) for w in torch.as_tensor(window, dtype=torch.float64).reshape(-1).tolist()]
            if len(window) != frame_length:
                raise ValueError(f"{label}: The shape of `window` must be equal to [frame_length]. Received: "
                                 f"window of length {len(window)}")
        try:
            self.data_format = tkl_config.standardize_data_format(data_format)
        except ValueError as error:
            raise ValueError(f"{label}: {error}") from None
        self.mode, self.frame_length, self.frame_step = mode, frame_length, frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window, self.periodic, self.scaling = window, bool(periodic), scaling
        self.padding, self.expand_dims = padding, bool(expand_dims)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        for side in ("real", "imag"):
            if self.mode == ("imag" if side == "real" else "real"):
                continue

            initializer = _STFTInitializer(side, self.window, self.scaling, self.periodic)
            setattr(self, f"{side}_kernel", self.add_weight(shape=shape, initializer=initializer,
                                                           name=f"{side}_kernel"))

    def _conv(self, inputs, kernel):
        if self.data_format == "channels_last":
            inputs = inputs.transpose(1, 2)
        batch, channels, time = inputs.shape
        signals = inputs.reshape(batch * channels, 1, time)
        if self.padding == "same":
            signals = F.pad(signals, same_pads(time, self.frame_length, self._frame_step))
        weight = kernel.to(signals.dtype).permute(2, 1, 0)  # (freqs, 1, frame_length)
        outputs = F.conv1d(signals, weight, stride=self._frame_step)
        return outputs.reshape(batch, channels, outputs.shape[1], outputs.shape[2])  # (B, C, F, T)

    def _layout(self, outputs):
        batch, channels, freqs, frames = outputs.shape
        if self.expand_dims:
            return outputs.permute(0, 3, 2, 1) if self.data_format == "channels_last" else outputs.transpose(2, 3)
        outputs = outputs.reshape(batch, channels * freqs, frames)
        return outputs.transpose(1, 2) if self.data_format == "channels_last" else outputs

    def call(self, inputs):
        if inputs.dtype not in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
            raise TypeError(
                f"{layer_label(self)}: Invalid input type. Expected a floating dtype (float16, float32 or "
                f"float64). Received: input type={str(inputs.dtype).replace('torch.', '')}. Fix: cast the "
                "signals to float32."
            )
        real = self._conv(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._conv(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._layout(real)
        if self.mode == "imag":
            return self._layout(imag)
        if self.mode == "angle":
            return self._layout(torch.atan2(imag, real))
        if self.mode == "stft":
            return self._layout(torch.cat([real, imag], dim=2))
        power = real * real + imag * imag
        if self.mode == "psd":
            return self._layout(power + F.pad(power[:, :, 1:-1, :], (0, 0, 1, 1)))
        epsilon = tkl_config.epsilon()
        magnitude = self._layout(torch.sqrt(torch.clamp(power, min=epsilon)))
        return magnitude if self.mode == "magnitude" else torch.log(torch.clamp(magnitude, min=epsilon))

    def compute_output_shape(self, input_shape):
        channels_last = self.data_format == "channels_last"
        batch = input_shape[0]
        time, channels = (input_shape[1], input_shape[2]) if channels_last else (input_shape[2], input_shape[1])
        freqs = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        if time is None:
            frames = None
        elif self.padding == "same":
            frames = -(-time // self._frame_step)
        else:
            frames = max((time - self.frame_length) // self._frame_step + 1, 0)
        if self.expand_dims:
            return (batch, frames, freqs, channels) if channels_last else (batch, channels, frames, freqs)
        merged = None if channels is None else channels * freqs
        return (batch, frames, merged) if channels_last else (batch, merged, frames)

    def get_config(self):
        config = super().get_config()
        config.update(mode=self.mode, frame_length=self.frame_length, frame_step=self.frame_step,
                      fft_length=self.fft_length, window=self.window, periodic=self.periodic,
                      scaling=self.scaling, padding=self.padding, data_format=self.data_format,
                      expand_dims=self.expand_dims)
        return config
