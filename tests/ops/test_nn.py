"""``tkl.ops.nn``: activations, convolutions and pooling, encodings, losses,
normalizations, attention and CTC against independently computed values and Keras's
documented semantics; errors."""

import math

import numpy as np
import pytest
import torch

from torch_keraslike import ops

RNG = np.random.default_rng(1)
X = RNG.standard_normal((2, 5)).astype("float32")


def _close(ours, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(ours.detach()), np.asarray(expected), rtol=rtol, atol=atol)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "sigmoid": _sigmoid,
    "sparse_sigmoid": lambda x: np.clip((x + 1) / 2, 0, 1),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (np.abs(x) + 1),
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "squareplus": lambda x: (x + np.sqrt(x**2 + 4)) / 2,
    "log_sigmoid": lambda x: np.log(_sigmoid(x)),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
    "gelu": lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    "celu": lambda x: np.maximum(0, x) + np.minimum(0, np.exp(x) - 1),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_formulas(name):
    _close(getattr(ops, name)(X), ACTIVATIONS[name](X), rtol=1e-5, atol=1e-6)


def test_activation_arguments_and_dtypes():
    _close(ops.leaky_relu(X, negative_slope=0.5), np.where(X >= 0, X, 0.5 * X))
    _close(ops.elu(X, alpha=2.0), np.where(X > 0, X, 2 * (np.exp(X) - 1)))
    erf = np.vectorize(math.erf)
    _close(ops.gelu(X, approximate=False), 0.5 * X * (1 + erf(X / np.sqrt(2))), rtol=1e-5)
    _close(ops.threshold(X, 0.3, -7.0), np.where(X > 0.3, X, -7.0))
    _close(ops.glu(X[:, :4]), X[:, :2] * _sigmoid(X[:, 2:4]))
    assert ops.relu(np.array([-1, 2], "int32")).dtype == torch.int32
    assert ops.softmax(torch.zeros(2, 3, dtype=torch.float16)).dtype == torch.float16


def test_softmax_family_over_axes():
    _close(ops.softmax(X), np.exp(X) / np.exp(X).sum(-1, keepdims=True))
    _close(ops.softmax(X, axis=None), np.exp(X) / np.exp(X).sum())
    _close(ops.softmax(X, axis=(0, 1)), np.exp(X) / np.exp(X).sum())
    _close(ops.log_softmax(X, axis=0), X - np.log(np.exp(X).sum(0, keepdims=True)))
    sparse = ops.sparsemax(np.array([[0.1, 1.5, 0.2], [1.0, 1.0, 1.0], [0.5, 0.6, 0.1]], "float32"))
    _close(sparse, [[0.0, 1.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [13 / 30, 16 / 30, 1 / 30]])
    with pytest.warns(UserWarning, match="softmax over axis -1 of a tensor of shape \\(2, 1\\)"):
        ops.softmax(np.ones((2, 1), "float32"))


def _conv_reference(x, kernel, stride, padding):
    """Keras conv (channels_last, 2-D) by explicit loops over output positions."""
    n, h, w, c = x.shape
    kh, kw, _, out = kernel.shape
    if padding == "same":
        oh, ow = -(-h // stride), -(-w // stride)
        ph = max((oh - 1) * stride + kh - h, 0)
        pw = max((ow - 1) * stride + kw - w, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    result = np.zeros((n, oh, ow, out), "float64")
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            result[:, i, j] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return result


@pytest.mark.parametrize("stride, padding", [(1, "valid"), (2, "same"), (1, "same"), (3, "same")])
def test_conv_matches_the_definition(stride, padding):
    x = RNG.standard_normal((2, 7, 6, 3)).astype("float32")
    kernel = RNG.standard_normal((3, 2, 3, 4)).astype("float32")
    _close(ops.conv(x, kernel, strides=stride, padding=padding), _conv_reference(x, kernel, stride, padding),
           rtol=1e-4, atol=1e-4)
    first = ops.conv(np.moveaxis(x, -1, 1), kernel, strides=stride, padding=padding, data_format="channels_first")
    _close(first, np.moveaxis(_conv_reference(x, kernel, stride, padding), -1, 1), rtol=1e-4, atol=1e-4)


def test_depthwise_and_separable_convolutions_compose():
    x = RNG.standard_normal((1, 5, 5, 2)).astype("float32")
    depthwise = RNG.standard_normal((3, 3, 2, 2)).astype("float32")
    out = ops.depthwise_conv(x, depthwise, padding="same")
    assert out.shape == (1, 5, 5, 4)
    for channel in range(2):  # output channel c * multiplier + m comes from input channel c
        single = _conv_reference(x[..., channel:channel + 1], depthwise[:, :, channel:channel + 1, :], 1, "same")
        _close(out[..., channel * 2:channel * 2 + 2], single, rtol=1e-4, atol=1e-4)
    pointwise = RNG.standard_normal((1, 1, 4, 3)).astype("float32")
    _close(ops.separable_conv(x, depthwise, pointwise, padding="same"),
           _conv_reference(out.numpy(), pointwise, 1, "valid"), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("stride, padding, output_padding, expected", [
    (2, "same", None, 8), (2, "valid", None, 9), (1, "valid", None, 6), (3, "same", 1, 11), (2, "valid", 1, 10),
])
def test_conv_transpose_output_sizes_follow_keras(stride, padding, output_padding, expected):
    x = torch.ones(1, 4, 4, 2)
    out = ops.conv_transpose(x, torch.ones(3, 3, 5, 2), strides=stride, padding=padding,
                             output_padding=output_padding)
    assert out.shape == (1, expected, expected, 5)


def test_conv_transpose_is_the_adjoint_of_conv():
    # <conv(x), y> == <x, conv_transpose(y)> for the same kernel (valid padding).
    x = RNG.standard_normal((1, 6, 6, 2)).astype("float32")
    kernel = RNG.standard_normal((3, 3, 2, 4)).astype("float32")
    y = RNG.standard_normal((1, 2, 2, 4)).astype("float32")
    forward = ops.conv(x, kernel, strides=2).numpy()
    # conv's (h, w, in, out) kernel is conv_transpose's (h, w, out, in) kernel of the way back.
    backward = ops.conv_transpose(y, kernel, strides=2, output_padding=1).numpy()
    np.testing.assert_allclose((forward * y).sum(), (x * backward).sum(), rtol=1e-4)


def test_pooling():
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    _close(ops.max_pool(x, 2)[0, ..., 0], [[5, 7], [13, 15]])
    _close(ops.average_pool(x, 2)[0, ..., 0], [[2.5, 4.5], [10.5, 12.5]])
    # "same" with an odd total pad: the windows average only the real positions.
    y = np.arange(5, dtype="float32").reshape(1, 5, 1)
    _close(ops.average_pool(y, 2, padding="same")[0, :, 0], [0.5, 2.5, 4.0])
    _close(ops.max_pool(-y, 2, strides=2, padding="same")[0, :, 0], [0.0, -2.0, -4.0])
    _close(ops.adaptive_average_pool(x, 1)[0, 0, 0, 0], x.mean())
    _close(ops.adaptive_max_pool(x, (2, 1))[0, :, 0, 0], [7, 15])


def test_one_hot_and_multi_hot():
    _close(ops.one_hot([1, -1, 3], 3), [[0, 1, 0], [0, 0, 0], [0, 0, 0]])
    assert ops.one_hot([[0, 1]], 2, axis=0).shape == (2, 1, 2)
    assert ops.one_hot([0], 2, dtype="int32").dtype == torch.int32
    _close(ops.multi_hot([0, 2, 2], 4), [1, 0, 1, 0])
    _close(ops.multi_hot([[1], [3]], num_tokens=4), [[0, 1, 0, 0], [0, 0, 0, 1]])


def test_crossentropies_match_their_formulas():
    logits = RNG.standard_normal((3, 4)).astype("float32")
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    labels = np.array([0, 3, 1])
    onehot = np.eye(4, dtype="float32")[labels]
    expected = -np.log(probs[np.arange(3), labels])
    _close(ops.categorical_crossentropy(onehot, logits, from_logits=True), expected, rtol=1e-5)
    _close(ops.categorical_crossentropy(onehot, probs), expected, rtol=1e-5)
    _close(ops.sparse_categorical_crossentropy(labels, logits, from_logits=True), expected, rtol=1e-5)
    _close(ops.sparse_categorical_crossentropy(labels[:, None], probs), expected, rtol=1e-5)
    _close(ops.sparse_categorical_crossentropy(labels, logits.T, from_logits=True, axis=0), expected, rtol=1e-5)
    target = (RNG.random((3, 4)) > 0.5).astype("float32")
    bce = -(target * np.log(_sigmoid(logits)) + (1 - target) * np.log(1 - _sigmoid(logits)))
    _close(ops.binary_crossentropy(target, logits, from_logits=True), bce, rtol=1e-5)
    _close(ops.binary_crossentropy(target, _sigmoid(logits)), bce, rtol=1e-4)


def test_moments_and_normalizations():
    x = RNG.standard_normal((4, 3, 2)).astype("float32")
    mean, variance = ops.moments(x, axes=[0, 2], keepdims=True)
    _close(mean, x.mean((0, 2), keepdims=True))
    _close(variance, x.var((0, 2), keepdims=True), rtol=1e-4)
    synced = ops.moments(x, axes=[0], synchronized=True)  # one process: the plain statistics
    _close(synced[0], x.mean(0))
    half = ops.moments(x.astype("float16"), axes=[0])
    assert half[0].dtype == torch.float16
    offset, scale = RNG.standard_normal(3).astype("float32"), RNG.standard_normal(3).astype("float32")
    stat_mean, stat_var = x.mean((0, 2)), x.var((0, 2))
    expected = (x - stat_mean[:, None]) / np.sqrt(stat_var[:, None] + 1e-3) * scale[:, None] + offset[:, None]
    _close(ops.batch_normalization(x, stat_mean, stat_var, axis=1, offset=offset, scale=scale), expected, rtol=1e-4)
    for axis in (-1, 1, (1, 2), (0, 2)):
        axes = (axis,) if isinstance(axis, int) else axis
        normalized = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-7)
        _close(ops.layer_normalization(x, axis=axis), normalized, rtol=1e-4, atol=1e-4)
        rms = x / np.sqrt((x * x).mean(axes, keepdims=True) + 1e-7)
        _close(ops.rms_normalization(x, axis=axis), rms, rtol=1e-4, atol=1e-4)
    gamma, beta = RNG.standard_normal(2).astype("float32"), RNG.standard_normal(2).astype("float32")
    plain = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    _close(ops.layer_normalization(x, gamma, beta, epsilon=1e-3), plain * gamma + beta, rtol=1e-4, atol=1e-5)
    _close(ops.normalize(x, axis=-1), x / np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-5)
    _close(ops.normalize(x, axis=1, order=1), x / np.abs(x).sum(1, keepdims=True), rtol=1e-5)


def test_psnr_and_polar():
    a = RNG.random((2, 4, 4)).astype("float32")
    b = np.clip(a + 0.05, 0, 1)
    _close(ops.psnr(a, b, 1.0), 20 * np.log10(1.0) - 10 * np.log10(((a - b) ** 2).mean()), rtol=1e-5)
    _close(ops.polar([2.0, 1.0], [np.pi / 2, 0.0]), np.array([2j, 1.0]), atol=1e-6)


def _attention_reference(q, k, v, mask=None, scale=None):
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    logits = np.einsum("bqhd,bkhd->bhqk", q, k) * scale
    if mask is not None:
        logits = np.where(mask, logits, -1e9)
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return np.einsum("bhqk,bkhd->bqhd", weights, v)


def test_dot_product_attention():
    q, k, v = (RNG.standard_normal((2, n, 3, 4)).astype("float32") for n in (5, 6, 6))
    _close(ops.dot_product_attention(q, k, v), _attention_reference(q, k, v), rtol=1e-4, atol=1e-5)
    _close(ops.dot_product_attention(q, k, v, scale=0.1), _attention_reference(q, k, v, scale=0.1), rtol=1e-4,
           atol=1e-5)
    mask = RNG.random((2, 3, 5, 6)) > 0.3
    mask[..., 0] = True
    _close(ops.dot_product_attention(q, k, v, mask=mask), _attention_reference(q, k, v, mask), rtol=1e-4, atol=1e-5)
    causal = np.tril(np.ones((6, 6), bool))
    _close(ops.dot_product_attention(k, k, v, is_causal=True), _attention_reference(k, k, v, causal), rtol=1e-4,
           atol=1e-5)
    bias = np.where(mask, 0.0, -1e9).astype("float32")  # an additive mask is a bias
    _close(ops.dot_product_attention(q, k, v, bias=bias), _attention_reference(q, k, v, mask), rtol=1e-4, atol=1e-5)
    grouped_k, grouped_v = k[:, :, :1], v[:, :, :1]  # one key/value head for three query heads
    _close(ops.dot_product_attention(q, grouped_k, grouped_v),
           _attention_reference(q, np.repeat(grouped_k, 3, 2), np.repeat(grouped_v, 3, 2)), rtol=1e-4, atol=1e-5)


def test_unfold_fold_and_space_depth():
    x = RNG.standard_normal((1, 2, 4, 4)).astype("float32")
    blocks = ops.unfold(x, 2, stride=2)
    assert blocks.shape == (1, 8, 4)
    _close(ops.fold(blocks, 4, 2, stride=2), x)
    images = RNG.standard_normal((2, 4, 6, 3)).astype("float32")
    packed = ops.space_to_depth(images, 2)
    assert packed.shape == (2, 2, 3, 12)
    _close(packed[0, 0, 0], images[0, :2, :2].reshape(-1))  # (row, col, channel) order
    _close(ops.depth_to_space(packed, 2), images)
    first = np.moveaxis(images, -1, 1)
    _close(ops.depth_to_space(ops.space_to_depth(first, 2, data_format="channels_first"), 2,
                              data_format="channels_first"), first)


def test_ctc_loss_and_greedy_decoding():
    # Uniform outputs over 3 classes: "1" has 3 alignments of 2 steps, each (1/3)^2.
    _close(ops.ctc_loss([[1]], np.zeros((1, 2, 3), "float32"), [1], [2]), [math.log(3)], rtol=1e-5)
    probs = np.array([[[0.1, 0.7, 0.2], [0.1, 0.7, 0.2], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]], "float32")
    paths, scores = ops.ctc_decode(np.log(probs), [4], strategy="greedy")
    assert paths.tolist() == [[[1, 2, -1, -1]]] and paths.dtype == torch.int32
    _close(scores, [[-np.log(probs.max(-1)).sum()]], rtol=1e-5)
    unmerged, _ = ops.ctc_decode(np.log(probs), [4], merge_repeated=False)
    assert unmerged.tolist() == [[[1, 1, 2, -1]]]
    short, _ = ops.ctc_decode(np.log(probs), [2])
    assert short.tolist() == [[[1, -1, -1, -1]]]


def test_beam_search_finds_the_most_likely_labelling():
    logits = RNG.standard_normal((2, 5, 3)).astype("float32")
    paths, scores = ops.ctc_decode(logits, [5, 4], strategy="beam_search", beam_width=16, top_paths=2)
    assert paths.shape == (2, 2, 5) and scores.shape == (2, 2)
    for b, length in enumerate((5, 4)):
        best = [int(v) for v in paths[0, b] if v >= 0]
        target = np.array([best or [0]], "int32")
        log_prob = -ops.ctc_loss(target, logits[b:b + 1], [len(best)], [length]).item()
        np.testing.assert_allclose(scores[b, 0].item(), log_prob, rtol=1e-4)
        assert scores[b, 0] >= scores[b, 1]


@pytest.mark.parametrize("call, error, message", [
    (lambda: ops.conv(np.ones((1, 5, 5, 3)), np.ones((3, 3, 2, 4))), ValueError, r"ops.conv: the input has 3 channels"),
    (lambda: ops.conv(np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 4)), padding="full"), ValueError, r"ops.conv: invalid padding='full'"),
    (lambda: ops.conv(np.ones((5, 5)), np.ones((3, 3))), ValueError, r"ops.conv needs a batched 1-D, 2-D or 3-D input"),
    (lambda: ops.conv(np.ones((1, 5, 5, 3)), np.ones((3, 3, 4))), ValueError, r"ops.conv: a 2-D convolution needs a kernel of rank 4"),
    (lambda: ops.max_pool(np.ones((1, 5, 5, 3)), (2, 2, 2)), ValueError, r"ops.max_pool: pool_size must be an int or 2 ints >= 1"),
    (lambda: ops.depthwise_conv(np.ones((1, 5, 5, 3)), np.ones((3, 3, 2, 1))), ValueError, r"ops.depthwise_conv: the kernel's input channels"),
    (lambda: ops.conv(np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 4)), data_format="NHWC"), ValueError, r"Invalid data_format"),
    (lambda: ops.glu(np.ones((2, 3))), ValueError, r"ops.glu: axis 1 of the input \(shape \(2, 3\)\) must have an even size"),
    (lambda: ops.one_hot([1], 3, sparse=True), ValueError, r"ops.one_hot: sparse=True is not supported"),
    (lambda: ops.multi_hot([1]), ValueError, r"ops.multi_hot: num_classes must be given"),
    (lambda: ops.binary_crossentropy(np.ones(3), np.ones(2)), ValueError, r"ops.binary_crossentropy: target and output must have the same shape"),
    (lambda: ops.sparse_categorical_crossentropy(np.ones(3), np.ones((2, 4))), ValueError, r"target must have the shape of output without its class axis"),
    (lambda: ops.normalize(np.ones(3), order=0), ValueError, r"ops.normalize: order must be an int >= 1"),
    (lambda: ops.dot_product_attention(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3))), ValueError, r"ops.dot_product_attention needs 4-D inputs"),
    (lambda: ops.dot_product_attention(*[np.ones((1, 2, 2, 4))] * 3, attn_logits_soft_cap=5.0), ValueError, r"attn_logits_soft_cap is only supported by Keras on JAX/TPU"),
    (lambda: ops.depth_to_space(np.ones((1, 2, 2, 6)), 2), ValueError, r"ops.depth_to_space: 6 channels are not divisible by block_size\*\*2 = 4"),
    (lambda: ops.space_to_depth(np.ones((1, 2, 2, 6)), 1), ValueError, r"ops.space_to_depth: block_size must be an int >= 2"),
    (lambda: ops.ctc_decode(np.ones((1, 2, 3)), [2], strategy="viterbi"), ValueError, r"ops.ctc_decode: strategy must be 'greedy' or 'beam_search'"),
    (lambda: ops.unfold(np.ones((2, 3)), 2), ValueError, r"ops.unfold needs a 4-D \(N, C, H, W\) input"),
    (lambda: ops.batch_normalization(np.ones((2, 3)), np.ones(2), np.ones(3), axis=1), ValueError, r"ops.batch_normalization: mean must hold one value per feature"),
])
def test_bad_inputs_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_gradients_flow_through_ops():
    x = torch.randn(2, 4, 4, 3, requires_grad=True)
    loss = ops.mean(ops.relu(ops.conv(x, torch.ones(3, 3, 3, 2), padding="same")))
    loss.backward()
    assert x.grad is not None and x.grad.shape == x.shape
