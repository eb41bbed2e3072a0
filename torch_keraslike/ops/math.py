"""``keras.ops`` math: segment reductions, ``top_k``, ``logsumexp``, distances, FFTs,
short-time Fourier transforms and special functions.

Complex results are returned as Keras does, as ``(real, imag)`` pairs of float
tensors, and complex inputs are taken as such pairs.
"""

import math

import torch
import torch.nn.functional as F

from ._base import canonical_axes, check_int, convert, result_type, shape_str, tensors
from ._symbolic import exported, keras_op

_SEGMENT_INIT = {"sum": 0.0, "amax": -math.inf, "amin": math.inf, "prod": 1.0}


def _segment(data, segment_ids, num_segments, reduce, op):
    data, segment_ids = tensors(data, segment_ids, op=op)
    if segment_ids.ndim != 1 or data.ndim < 1 or segment_ids.shape[0] != data.shape[0]:
        raise ValueError(
            f"{op}: segment_ids must be 1-D with one id per row of data; received data.shape="
            f"{shape_str(data.shape)} and segment_ids.shape={shape_str(segment_ids.shape)}."
        )
    if segment_ids.is_floating_point():
        raise TypeError(f"{op}: segment_ids must be integers, received dtype {segment_ids.dtype}.")
    if num_segments is None:
        num_segments = int(segment_ids.max()) + 1 if segment_ids.numel() else 0
    num_segments = check_int(num_segments, op, "num_segments", minimum=0)
    compute = data.dtype if data.is_floating_point() else torch.float64
    # Ids outside [0, num_segments) go to one extra segment, dropped at the end.
    ids = torch.where((segment_ids >= 0) & (segment_ids < num_segments), segment_ids, num_segments).long()
    index = ids.reshape((-1,) + (1,) * (data.ndim - 1)).expand_as(data)
    out = torch.full((num_segments + 1,) + tuple(data.shape[1:]), _SEGMENT_INIT[reduce], dtype=compute,
                     device=data.device)
    out = out.scatter_reduce(0, index, data.to(compute), reduce=reduce, include_self=True)[:num_segments]
    if not data.is_floating_point():
        info = torch.iinfo(data.dtype) if data.dtype != torch.bool else None
        if info is not None:
            out = out.clamp(info.min, info.max)
    return out.to(data.dtype)


def _segment_op(name, reduce, doc, call, result):
    def op(data, segment_ids, num_segments=None, sorted=False):
        return _segment(data, segment_ids, num_segments, reduce, f"ops.{name}")

    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    op.__doc__ = (
        f"{doc}\n\nArgs:\n    data: tensor; its rows (axis 0) are grouped.\n    segment_ids: 1-D integer "
        "tensor, the segment of each row; ids outside ``[0, num_segments)`` are dropped.\n    num_segments: "
        "number of segments (default ``max(segment_ids) + 1``).\n    sorted: whether the ids are sorted "
        "(accepted for Keras compatibility; any order works).\n\nReturns:\n    ``(num_segments,) + "
        f"data.shape[1:]`` in ``data``'s dtype.\n\nExample:\n    >>> from torch_keraslike import ops\n    "
        f">>> ops.{call}\n    {result}\n")
    return keras_op("math")(op)


segment_sum = _segment_op("segment_sum", "sum", "Sum of the rows of each segment (0 when empty).",
                          "segment_sum([1.0, 2.0, 3.0], [0, 0, 2])", "tensor([3., 0., 3.])")
segment_max = _segment_op("segment_max", "amax", "Maximum of the rows of each segment (-inf when empty).",
                          "segment_max([1.0, 2.0, 3.0], [0, 0, 1])", "tensor([2., 3.])")
segment_min = _segment_op("segment_min", "amin", "Minimum of the rows of each segment (inf when empty).",
                          "segment_min([1.0, 2.0, 3.0], [0, 0, 1])", "tensor([1., 3.])")
segment_prod = _segment_op("segment_prod", "prod", "Product of the rows of each segment (1 when empty).",
                           "segment_prod([2.0, 3.0, 4.0], [0, 0, 1])", "tensor([6., 4.])")


@keras_op("math")
def top_k(x, k, sorted=True):
    """The ``k`` largest values along the last axis, and their indices.

    Args:
        x: input tensor.
        k: number of values (at most ``x.shape[-1]``).
        sorted: return them in descending order.

    Returns:
        torch's ``(values, indices)`` named tuple (indices ``int64``, as Keras's torch backend).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.top_k([1.0, 5.0, 3.0], 2).values
        tensor([5., 3.])
    """
    x = convert(x, op="ops.top_k")
    k = check_int(k, "ops.top_k", "k", minimum=0)
    if x.ndim == 0 or k > x.shape[-1]:
        raise ValueError(f"ops.top_k: k={k} exceeds the last axis of the input (shape {shape_str(x.shape)}).")
    return torch.topk(x, k, sorted=sorted)


@keras_op("math")
def in_top_k(targets, predictions, k):
    """Whether each target class is among the ``k`` highest predictions (ties count).

    Args:
        targets: ``(batch,)`` integer class ids.
        predictions: ``(batch, classes)`` scores.
        k: number of top predictions.

    Returns:
        A ``(batch,)`` bool tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.in_top_k([1, 0], [[0.1, 0.9], [0.2, 0.8]], 1)
        tensor([ True, False])
    """
    targets, predictions = tensors(targets, predictions, op="ops.in_top_k")
    if predictions.ndim != 2 or targets.shape != predictions.shape[:1]:
        raise ValueError(
            f"ops.in_top_k needs predictions (batch, classes) and targets (batch,), received "
            f"{shape_str(predictions.shape)} and {shape_str(targets.shape)}."
        )
    kth = torch.topk(predictions, check_int(k, "ops.in_top_k", "k", minimum=1)).values[:, -1:]
    return (torch.take_along_dim(predictions, targets.long()[:, None], dim=-1) >= kth).any(-1)


@keras_op("math")
def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, computed stably.

    Args:
        x: input tensor.
        axis: ``None`` (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.

    Returns:
        The reduced tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.logsumexp([0.0, 0.0])
        tensor(0.6931)
    """
    x = convert(x, op="ops.logsumexp")
    axes = canonical_axes(axis, x.ndim, "ops.logsumexp")
    return torch.logsumexp(x, dim=tuple(range(x.ndim)) if axes is None else axes, keepdim=keepdims)


@keras_op("math", keras_name="CDist")
def cdist(x, y):
    """Euclidean distances between the rows of ``x`` and of ``y`` (batches broadcast).

    Args:
        x: ``(..., N, D)``.
        y: ``(..., M, D)``.

    Returns:
        ``(..., N, M)`` distances.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.cdist([[0.0, 0.0]], [[3.0, 4.0], [0.0, 1.0]])
        tensor([[5., 1.]])
    """
    x, y = tensors(x, y, op="ops.cdist")
    if x.ndim < 2 or y.ndim < 2 or x.shape[-1] != y.shape[-1]:
        raise ValueError(
            f"ops.cdist needs inputs of rank >= 2 with the same last axis, received {shape_str(x.shape)} "
            f"and {shape_str(y.shape)}."
        )
    dtype = torch.promote_types(x.dtype, y.dtype)
    if not dtype.is_floating_point:
        dtype = result_type(dtype, float)
    batch = torch.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    x = x.to(dtype).expand(*batch, *x.shape[-2:])
    y = y.to(dtype).expand(*batch, *y.shape[-2:])
    return torch.cdist(x, y, compute_mode="donot_use_mm_for_euclid_dist")


@keras_op("math")
def extract_sequences(x, sequence_length, sequence_stride):
    """Overlapping frames of the last axis.

    Args:
        x: ``(..., samples)``.
        sequence_length: frame length.
        sequence_stride: hop between frame starts.

    Returns:
        ``(..., num_frames, sequence_length)``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.extract_sequences(ops.arange(5), 3, 2)
        tensor([[0, 1, 2],
                [2, 3, 4]], dtype=torch.int32)
    """
    x = convert(x, op="ops.extract_sequences")
    length = check_int(sequence_length, "ops.extract_sequences", "sequence_length", minimum=1)
    stride = check_int(sequence_stride, "ops.extract_sequences", "sequence_stride", minimum=1)
    if x.ndim == 0 or x.shape[-1] < length:
        raise ValueError(
            f"ops.extract_sequences: sequence_length={length} exceeds the last axis of the input "
            f"(shape {shape_str(x.shape)})."
        )
    return x.unfold(-1, length, stride).clone()


def _complex(x, op):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"{op} takes a (real, imag) pair of float tensors, received {type(x).__name__}.")
    real, imag = tensors(*x, op=op)
    if real.shape != imag.shape:
        raise ValueError(
            f"{op}: the real and imaginary parts must have the same shape, received {shape_str(real.shape)} "
            f"and {shape_str(imag.shape)}."
        )
    if not real.is_floating_point() or not imag.is_floating_point():
        raise ValueError(f"{op}: the real and imaginary parts must be float tensors, received "
                         f"{real.dtype} and {imag.dtype}.")
    return torch.complex(real, imag)


def _pair(z):
    return z.real, z.imag


def _fft_op(name, torch_fn, doc, keras_name, call, result):
    def op(x):
        return _pair(torch_fn(_complex(x, f"ops.{name}")))

    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    op.__doc__ = (f"{doc}\n\nArgs:\n    x: ``(real, imag)`` pair of float tensors.\n\nReturns:\n    The "
                  "``(real, imag)`` pair of the result.\n\nExample:\n    >>> from torch_keraslike import ops\n"
                  f"    >>> ops.{call}\n    {result}\n")
    return keras_op("math", keras_name=keras_name)(op)


fft = _fft_op("fft", torch.fft.fft, "Fast Fourier transform over the last axis.", "FFT",
              "fft((ops.ones(2), ops.zeros(2)))[0]", "tensor([2., 0.])")
fft2 = _fft_op("fft2", torch.fft.fft2, "2-D fast Fourier transform over the last two axes.", "FFT2",
               "fft2((ops.ones((2, 2)), ops.zeros((2, 2))))[0]", "tensor([[4., 0.],\n            [0., 0.]])")
ifft2 = _fft_op("ifft2", torch.fft.ifft2, "Inverse 2-D fast Fourier transform over the last two axes.",
                "IFFT2", "ifft2((ops.ones((2, 2)), ops.zeros((2, 2))))[0]",
                "tensor([[1., 0.],\n            [0., 0.]])")


@keras_op("math", keras_name="RFFT")
def rfft(x, fft_length=None):
    """FFT of a real signal over the last axis (the non-negative frequencies).

    Args:
        x: real tensor.
        fft_length: FFT size (the signal is cropped or zero-padded to it).

    Returns:
        ``(real, imag)`` with ``fft_length // 2 + 1`` frequencies.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.rfft(ops.ones(4))[0]
        tensor([4., 0., 0.])
    """
    return _pair(torch.fft.rfft(convert(x, op="ops.rfft"), n=fft_length, dim=-1))


@keras_op("math", keras_name="IRFFT")
def irfft(x, fft_length=None):
    """Inverse of :func:`rfft`: a real signal from its non-negative frequencies.

    Args:
        x: ``(real, imag)`` pair.
        fft_length: length of the output signal (default ``2 * (frequencies - 1)``).

    Returns:
        The real signal.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.irfft((ops.array([4.0, 0.0, 0.0]), ops.zeros(3)))
        tensor([1., 1., 1., 1.])
    """
    return torch.fft.irfft(_complex(x, "ops.irfft"), n=fft_length, dim=-1)


def _window(window, length, dtype, device, op):
    if window is None:
        return None
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f"{op}: a string window must be 'hann' or 'hamming', received {window!r}.")
        make = torch.hann_window if window == "hann" else torch.hamming_window
        return make(length, periodic=True, dtype=dtype, device=device)
    win = convert(window, dtype, device, op)
    if win.shape != (length,):
        raise ValueError(f"{op}: window must have shape ({length},), received {shape_str(win.shape)}.")
    return win


def _frame_args(sequence_length, sequence_stride, fft_length, op):
    length = check_int(sequence_length, op, "sequence_length", minimum=1)
    stride = check_int(sequence_stride, op, "sequence_stride", minimum=1)
    size = check_int(fft_length, op, "fft_length", minimum=1)
    if size < length:
        raise ValueError(f"{op}: fft_length={size} must be >= sequence_length={length}.")
    return length, stride, size


@keras_op("math", keras_name="STFT")
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform of real signals.

    Args:
        x: ``(..., samples)`` float32 or float64.
        sequence_length: frame length.
        sequence_stride: hop between frames.
        fft_length: FFT size (>= ``sequence_length``).
        window: ``"hann"``, ``"hamming"`` (periodic), a tensor of ``sequence_length``, or None.
        center: pad the signal so frames are centred on their time.

    Returns:
        ``(real, imag)``, each ``(..., frames, fft_length // 2 + 1)``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.stft(ops.ones(16), 8, 4, 8)[0].shape
        torch.Size([5, 5])
    """
    op = "ops.stft"
    length, stride, size = _frame_args(sequence_length, sequence_stride, fft_length, op)
    x = convert(x, op=op)
    if x.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"{op}: x must be float32 or float64, received {x.dtype}.")
    win = _window(window, length, x.dtype, x.device, op)
    if win is None:
        win = torch.ones(length, dtype=x.dtype, device=x.device)
    batch = x.shape[:-1]
    z = torch.stft(x.reshape(-1, x.shape[-1]), n_fft=size, hop_length=stride, win_length=length, window=win,
                   center=center, return_complex=True)
    z = z.reshape(*batch, *z.shape[-2:]).transpose(-2, -1)
    return _pair(z)


@keras_op("math", keras_name="ISTFT")
def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann", center=True):
    """Inverse short-time Fourier transform (overlap-add with Keras's window
    normalisation).

    Args:
        x: ``(real, imag)``, each ``(..., frames, fft_length // 2 + 1)``.
        sequence_length: frame length.
        sequence_stride: hop between frames.
        fft_length: FFT size.
        length: crop or pad the output to this many samples.
        window: as for :func:`stft`.
        center: whether :func:`stft` centred the frames.

    Returns:
        ``(..., samples)`` real signals.

    Example:
        >>> from torch_keraslike import ops
        >>> signal = ops.sin(ops.arange(32) * 0.3)
        >>> restored = ops.istft(ops.stft(signal, 8, 4, 8), 8, 4, 8, length=32)
        >>> bool(ops.allclose(restored, signal, atol=1e-5))
        True
    """
    op = "ops.istft"
    seq_len, stride, size = _frame_args(sequence_length, sequence_stride, fft_length, op)
    z = _complex(x, op)
    win = _window(window, seq_len, z.real.dtype, z.device, op)
    batch, frames = z.shape[:-2], z.shape[-2]
    if seq_len == size and center and win is not None:
        signal = torch.istft(z.reshape(-1, *z.shape[-2:]).transpose(-2, -1), n_fft=size, hop_length=stride,
                             win_length=seq_len, window=win, center=True, length=length)
        return signal.reshape(*batch, signal.shape[-1])
    frames_t = torch.fft.irfft(z, n=size, dim=-1)
    if win is not None:
        left = (size - seq_len) // 2
        win = F.pad(win, (left, size - seq_len - left))
        # Normalise by the overlap-added squared window, assumed periodic with the hop.
        overlaps = -(-size // stride)
        squares = F.pad(win * win, (0, overlaps * stride - size)).reshape(overlaps, stride).sum(0)
        frames_t = frames_t * (win / squares.repeat(overlaps)[:size])
    total = stride * (frames - 1) + size
    flat = frames_t.reshape(-1, frames, size).transpose(1, 2)
    signal = F.fold(flat, (1, total), (1, size), stride=(1, stride)).reshape(*batch, total)
    start = size // 2 if center else 0
    end = start + length if length is not None else (total - size // 2 if center else total)
    return signal[..., start:end]


def _special(name, torch_fn, doc, call, result, keras_name=None):
    def op(x):
        return torch_fn(convert(x, op=f"ops.{name}"))

    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    op.__doc__ = (f"{doc}\n\nArgs:\n    x: input tensor.\n\nReturns:\n    A tensor of ``x``'s shape.\n\n"
                  f"Example:\n    >>> from torch_keraslike import ops\n    >>> ops.{call}\n    {result}\n")
    return keras_op("math", keras_name=keras_name)(op)


rsqrt = _special("rsqrt", torch.rsqrt, "``1 / sqrt(x)``, element-wise.", "rsqrt([4.0])", "tensor([0.5000])")
erf = _special("erf", torch.erf, "Error function, element-wise.", "erf([0.0])", "tensor([0.])")
erfc = _special("erfc", torch.erfc, "Complementary error function ``1 - erf(x)``.", "erfc([0.0])", "tensor([1.])")
erfinv = _special("erfinv", torch.erfinv, "Inverse error function.", "erfinv([0.0])", "tensor([0.])")
logdet = _special("logdet", torch.logdet, "Log-determinant of square matrices (NaN for negative determinants).",
                  "logdet([[1.0, 0.0], [0.0, 1.0]])", "tensor(0.)")


@keras_op("math")
def view_as_complex(x):
    """A complex tensor from a real one whose last axis holds (real, imag).

    Args:
        x: ``(..., 2)`` float tensor.

    Returns:
        ``(...)`` ``complex64`` tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.view_as_complex([[1.0, 2.0]])
        tensor([1.+2.j])
    """
    x = convert(x, op="ops.view_as_complex")
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(
            f"ops.view_as_complex: the last axis must have size 2 (real, imag), received shape {shape_str(x.shape)}."
        )
    return torch.complex(x[..., 0].to(torch.float32), x[..., 1].to(torch.float32))


@keras_op("math")
def view_as_real(x):
    """A real tensor whose last axis holds the (real, imag) parts of complex ``x``.

    Args:
        x: complex tensor.

    Returns:
        ``(..., 2)`` real tensor.

    Example:
        >>> import torch
        >>> from torch_keraslike import ops
        >>> ops.view_as_real(torch.tensor([1 + 2j]))
        tensor([[1., 2.]])
    """
    x = convert(x, op="ops.view_as_real")
    return torch.stack((torch.real(x), torch.imag(x) if x.is_complex() else torch.zeros_like(x)), dim=-1)


__all__ = exported(globals())
