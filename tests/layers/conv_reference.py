"""NumPy references of the convolutions, written from Keras's definitions (inputs
channels_last, kernels in Keras's layouts as ``get_weights()`` returns them)."""

import itertools
import math

import numpy as np


def keras_same_pads(size, k, s, d):
    out = math.ceil(size / s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def np_conv(x, kernel, bias, strides, padding, dilation, groups=1):
    """Cross-correlation of channels_last ``x`` with a Keras kernel (*k, in/groups, out)."""
    rank = x.ndim - 2
    ks = kernel.shape[:rank]
    if padding == "same":
        pads = [keras_same_pads(x.shape[1 + i], ks[i], strides[i], dilation[i]) for i in range(rank)]
        x = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    elif padding == "causal":
        x = np.pad(x, [(0, 0), ((ks[0] - 1) * dilation[0], 0), (0, 0)])
    outs = [(x.shape[1 + i] - (ks[i] - 1) * dilation[i] - 1) // strides[i] + 1 for i in range(rank)]
    cin, fout = kernel.shape[-2], kernel.shape[-1] // groups
    out = np.zeros((x.shape[0], *outs, kernel.shape[-1]))
    for offset in np.ndindex(*ks):
        index = (slice(None),) + tuple(
            slice(o * d, o * d + (n - 1) * s + 1, s) for o, d, n, s in zip(offset, dilation, outs, strides))
        patch = x[index]
        for g in range(groups):
            out[..., g * fout:(g + 1) * fout] += (
                patch[..., g * cin:(g + 1) * cin] @ kernel[offset][:, g * fout:(g + 1) * fout])
    return out if bias is None else out + bias


def np_depthwise(x, kernel, bias, strides, padding, dilation):
    """Depthwise conv, Keras kernel (kh, kw, c, m): output channel c * m_total + m."""
    out = np.concatenate([
        np_conv(x[..., i:i + 1], kernel[:, :, i:i + 1, :], None, strides, padding, dilation)
        for i in range(kernel.shape[2])], axis=-1)
    return out if bias is None else out + bias


def np_conv_transpose(x, kernel, bias, strides, padding, output_padding, dilation):
    """TF's definition: the gradient of a forward conv (output size ``O`` from Keras's
    formula, Keras padding) with respect to its input. Kernel (kh, kw, out, in)."""
    n, h, w, _ = x.shape
    ks = kernel.shape[:2]
    eff = [(k - 1) * d + 1 for k, d in zip(ks, dilation)]
    sizes = []
    for size, k, s, op in zip((h, w), eff, strides, output_padding or (None, None)):
        if padding == "valid":
            sizes.append((size - 1) * s + k + (max(k, s) - k if op is None else op))
        else:
            sizes.append(size * s if op is None else (size - 1) * s + k % 2 + op)
    full = np.zeros((n, (h - 1) * strides[0] + eff[0], (w - 1) * strides[1] + eff[1], kernel.shape[2]))
    for i, j, a, b in itertools.product(range(h), range(w), range(ks[0]), range(ks[1])):
        row, col = i * strides[0] + a * dilation[0], j * strides[1] + b * dilation[1]
        full[:, row, col] += x[:, i, j] @ kernel[a, b].T
    out = np.zeros((n, *sizes, kernel.shape[2]))
    index = []
    for axis, (size, k, s) in enumerate(zip(sizes, eff, strides)):
        before = keras_same_pads(size, k, s, 1)[0] if padding == "same" else 0
        stop = min(before + size, full.shape[1 + axis])
        index.append((before, stop))
    (b0, e0), (b1, e1) = index
    out[:, :e0 - b0, :e1 - b1] = full[:, b0:e0, b1:e1]
    return out if bias is None else out + bias


def forward_conv_matches(size_in, size_out, k, s, padding):
    """Whether TF's forward conv maps size_out back to size_in (TF's validity rule)."""
    if padding == "same":
        return math.ceil(size_out / s) == size_in
    return size_out >= k and (size_out - k) // s + 1 == size_in


def nchw(x):
    return np.moveaxis(x, -1, 1)
