"""The random cases of the differential test against Keras (``test_keras_differential``):
for each op, the dtypes it runs on and a builder drawing its NumPy inputs and arguments
from a seeded generator. Pure data generation: no Keras needed to import it.
"""

import numpy as np
import torch

FLOATS = ("float16", "bfloat16", "float32", "float64")
INTS = ("uint8", "int8", "int16", "int32", "int64")
ALL = ("bool",) + INTS + FLOATS
SEED = 1234


def _array(rng, shape, dtype, low=-4, high=5, positive=False):
    if dtype == "bool":
        return np.asarray(rng.random(shape) > 0.5)
    if dtype == "bfloat16":
        return torch.tensor(_array(rng, shape, "float32", low, high, positive), dtype=torch.bfloat16)
    if dtype in INTS:
        low = max(low, 1 if positive else (0 if dtype == "uint8" else low))
        return np.asarray(rng.integers(low, high, shape).astype(dtype))
    values = rng.standard_normal(shape) * 2
    if positive:
        values = np.abs(values) + 0.25
    return np.asarray(values.astype(dtype))


def _shape(rng, min_rank=0, max_rank=3):
    return tuple(int(d) for d in rng.integers(1, 5, int(rng.integers(min_rank, max_rank + 1))))


def _axis(rng, ndim, allow_tuple=True, allow_none=True):
    choices = ["none"] * allow_none + ["int"] * (ndim > 0) + ["tuple"] * (allow_tuple and ndim > 1)
    kind = choices[rng.integers(len(choices))]
    if kind == "none":
        return None
    if kind == "int":
        return int(rng.integers(-ndim, ndim))
    count = int(rng.integers(1, ndim + 1))
    return tuple(int(a) for a in rng.choice(ndim, count, replace=False))


def _numpy(value):
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        return value.float().numpy() if value.dtype == torch.bfloat16 else value.numpy()
    return np.asarray(value)



def _unary(positive=False, min_rank=0):
    def build(rng, dtype):
        return (_array(rng, _shape(rng, min_rank), dtype, positive=positive),), {}

    return build


def _binary(positive=False, scalar_rate=0.25):
    def build(rng, dtype):
        shape = _shape(rng)
        a = _array(rng, shape, dtype, positive=positive)
        draw = rng.random()
        if draw < scalar_rate / 2:
            b = int(rng.integers(1, 4))
        elif draw < scalar_rate:
            b = float(rng.integers(1, 8)) / 2
        else:
            other = ALL[rng.integers(len(ALL))] if rng.random() < 0.3 else dtype
            tail = shape[int(rng.integers(0, len(shape) + 1)):]  # broadcast a suffix
            b = _array(rng, tail, other, positive=positive)
        return (a, b) if rng.random() < 0.8 else (b, a), {}

    return build


def _reduction(keepdims=True, allow_tuple=True, positive=False, min_rank=1, extra=None):
    def build(rng, dtype):
        x = _array(rng, _shape(rng, min_rank), dtype, positive=positive)
        kwargs = {"axis": _axis(rng, x.ndim, allow_tuple)}
        if keepdims:
            kwargs["keepdims"] = bool(rng.random() < 0.5)
        if extra:
            kwargs.update(extra(rng))
        return (x,), kwargs

    return build


def _arg_reduction(rng, dtype):
    x = _array(rng, _shape(rng, 1), dtype)
    return (x,), {"axis": _axis(rng, x.ndim, allow_tuple=False), "keepdims": bool(rng.random() < 0.5)}


def _scan(rng, dtype):
    x = _array(rng, _shape(rng, 1), dtype, low=1, high=3)
    return (x,), {"axis": _axis(rng, x.ndim, allow_tuple=False)}


def _quantile(rng, dtype):
    x = _array(rng, _shape(rng, 1), dtype)
    q = float(rng.random()) if rng.random() < 0.6 else np.sort(rng.random(3)).astype("float32")
    method = ("linear", "lower", "higher", "midpoint", "nearest")[rng.integers(5)]
    return (x, q), {"axis": _axis(rng, x.ndim), "method": method, "keepdims": bool(rng.random() < 0.5)}


def _with_nans(rng, dtype):
    x = _array(rng, _shape(rng, 1), dtype)
    x[rng.random(x.shape) < 0.2] = np.nan
    return (x,), {"axis": _axis(rng, x.ndim, allow_tuple=False), "keepdims": bool(rng.random() < 0.5)}


def _matmul(rng, dtype):
    n, k, m = (int(v) for v in rng.integers(1, 5, 3))
    batch = _shape(rng, 0, 2)
    return (_array(rng, batch + (n, k), dtype), _array(rng, (k, m), dtype)), {}


def _concat(rng, dtype):
    shape = list(_shape(rng, 1))
    axis = int(rng.integers(-len(shape), len(shape)))
    parts = []
    for _ in range(int(rng.integers(1, 4))):
        shape[axis] = int(rng.integers(1, 4))
        parts.append(_array(rng, tuple(shape), dtype))
    return (parts,), {"axis": axis}


def _stack(rng, dtype):
    shape = _shape(rng)
    parts = [_array(rng, shape, dtype) for _ in range(int(rng.integers(1, 4)))]
    return (parts,), {"axis": int(rng.integers(-len(shape) - 1, len(shape) + 1))}


def _reshape(rng, dtype):
    shape = _shape(rng, 1)
    x = _array(rng, shape, dtype)
    target = (int(np.prod(shape)),) if rng.random() < 0.5 else (-1,) + shape[-1:]
    return (x, target), {}


def _transpose(rng, dtype):
    x = _array(rng, _shape(rng, 1), dtype)
    axes = None if rng.random() < 0.3 else tuple(int(a) for a in rng.permutation(x.ndim))
    return (x,), {"axes": axes}


def _expand(rng, dtype):
    x = _array(rng, _shape(rng), dtype)
    return (x,), {"axis": int(rng.integers(-x.ndim - 1, x.ndim + 1))}


def _squeeze(rng, dtype):
    shape = list(_shape(rng, 1))
    position = int(rng.integers(0, len(shape)))
    shape[position] = 1
    return (_array(rng, tuple(shape), dtype),), {"axis": position if rng.random() < 0.5 else None}


def _moveaxis(rng, dtype):
    x = _array(rng, _shape(rng, 1), dtype)
    return (x, int(rng.integers(-x.ndim, x.ndim)), int(rng.integers(-x.ndim, x.ndim))), {}


def _take(rng, dtype):
    x = _array(rng, _shape(rng, 1), dtype)
    axis = None if rng.random() < 0.3 else int(rng.integers(-x.ndim, x.ndim))
    size = x.size if axis is None else x.shape[axis]
    return (x, rng.integers(-size, size, _shape(rng, 0, 2)).astype("int32")), {"axis": axis}


def _take_along(rng, dtype):
    x = _array(rng, _shape(rng, 1), dtype)
    axis = int(rng.integers(-x.ndim, x.ndim))
    return (x, np.argsort(_numpy(x), axis=axis).astype("int64")), {"axis": axis}


def _where(rng, dtype):
    shape = _shape(rng)
    return (rng.random(shape) > 0.5, _array(rng, shape, dtype), _array(rng, shape[1:], dtype)), {}


def _clip(rng, dtype):
    x = _array(rng, _shape(rng), dtype)
    return (x, -1, 2) if rng.random() < 0.5 else (x, -1.5, 2.5), {}


def _pad(rng, dtype):
    x = _array(rng, _shape(rng, 1, 3), dtype)
    widths = [(int(a), int(b)) for a, b in rng.integers(0, 3, (x.ndim, 2))]
    mode = ("constant", "reflect", "edge", "wrap")[rng.integers(4)]
    if mode == "reflect":
        widths = [(min(a, s - 1), min(b, s - 1)) for (a, b), s in zip(widths, x.shape)]
    return (x, widths), {"mode": mode}


def _tile_repeat(rng, dtype):
    return (_array(rng, _shape(rng, 1), dtype), int(rng.integers(1, 4))), {}


def _roll(rng, dtype):
    x = _array(rng, _shape(rng, 1), dtype)
    return (x, int(rng.integers(-3, 4))), {"axis": None if rng.random() < 0.4 else int(rng.integers(-x.ndim, x.ndim))}


def _split(rng, dtype):
    shape = list(_shape(rng, 1))
    axis = int(rng.integers(-len(shape), len(shape)))
    sections = int(rng.integers(1, 4))
    shape[axis] = sections * int(rng.integers(1, 3))
    return (_array(rng, tuple(shape), dtype), sections), {"axis": axis}


def _softmax(rng, dtype):
    x = _array(rng, _shape(rng, 1), dtype)
    axis = _axis(rng, x.ndim, allow_none=False)
    if isinstance(axis, int) and x.shape[axis] == 1:
        axis = None
    return (x,), {"axis": axis}


def _one_hot(rng, dtype):
    return (rng.integers(-1, 5, _shape(rng, 1)).astype(dtype), 5), {"axis": int(rng.integers(-1, 1))}


def _conv(rng, dtype):
    rank = int(rng.integers(1, 3))
    channels, out = (int(v) for v in rng.integers(1, 4, 2))
    x = _array(rng, (2,) + tuple(int(v) for v in rng.integers(4, 8, rank)) + (channels,), dtype)
    kernel = _array(rng, tuple(int(v) for v in rng.integers(1, 4, rank)) + (channels, out), dtype)
    return (x, kernel), {"strides": int(rng.integers(1, 3)), "padding": ("valid", "same")[rng.integers(2)],
                         "data_format": "channels_last"}


def _conv_transpose(rng, dtype):
    channels, out = (int(v) for v in rng.integers(1, 4, 2))
    x = _array(rng, (1, int(rng.integers(3, 6)), int(rng.integers(3, 6)), channels), dtype)
    kernel = _array(rng, (int(rng.integers(1, 4)), int(rng.integers(1, 4)), out, channels), dtype)
    return (x, kernel), {"strides": int(rng.integers(1, 3)), "padding": ("valid", "same")[rng.integers(2)],
                         "data_format": "channels_last"}


def _pool(rng, dtype):
    x = _array(rng, (2, int(rng.integers(3, 7)), int(rng.integers(3, 7)), 2), dtype)
    pool = int(rng.integers(1, 4))
    return (x, pool), {"strides": int(rng.integers(1, 3)), "padding": ("valid", "same")[rng.integers(2)],
                       "data_format": "channels_last"}


def _crossentropy(rng, dtype):
    logits = _array(rng, (3, 4), dtype)
    target = np.eye(4, dtype=dtype)[rng.integers(0, 4, 3)]
    if rng.random() < 0.5:
        return (target, logits), {"from_logits": True}
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    return (target, probs.astype(dtype)), {"from_logits": False}


def _sparse_crossentropy(rng, dtype):
    logits = _array(rng, (3, 4), dtype)
    return (rng.integers(0, 4, 3).astype("int32"), logits), {"from_logits": True}


def _binary_crossentropy(rng, dtype):
    shape = _shape(rng, 1)
    target = (rng.random(shape) > 0.5).astype(dtype)
    if rng.random() < 0.5:
        return (target, _array(rng, shape, dtype)), {"from_logits": True}
    return (target, rng.uniform(0.05, 0.95, shape).astype(dtype)), {}


def _moments(rng, dtype):
    x = _array(rng, _shape(rng, 1), dtype)
    axes = _axis(rng, x.ndim, allow_none=False)
    return (x, [axes] if isinstance(axes, int) else list(axes)), {"keepdims": bool(rng.random() < 0.5)}


def _layer_norm(rng, dtype):
    shape = _shape(rng, 2)
    x = _array(rng, shape, dtype)
    return (x,), {"gamma": _array(rng, shape[-1:], dtype), "beta": _array(rng, shape[-1:], dtype), "epsilon": 1e-3}


def _attention(rng, dtype):
    b, t, s, h, d = (int(v) for v in rng.integers(1, 4, 5))
    q, k, v = (_array(rng, (b, n, h, d), dtype) for n in (t, s, s))
    return (q, k, v), {"is_causal": bool(rng.random() < 0.5 and t == s)}


def _resize(rng, dtype):
    x = _array(rng, (2, int(rng.integers(2, 8)), int(rng.integers(2, 8)), 3), dtype, low=0, high=200)
    size = tuple(int(v) for v in rng.integers(2, 9, 2))
    return (x, size), {"interpolation": ("bilinear", "nearest", "bicubic")[rng.integers(3)],
                       "data_format": "channels_last"}


def _affine(rng, dtype):
    x = _array(rng, (2, 5, 6, 3), dtype)
    transform = np.stack([np.concatenate([rng.normal(1, 0.2, 1), rng.normal(0, 0.2, 2), rng.normal(0, 0.2, 1),
                                          rng.normal(1, 0.2, 1), rng.normal(0, 0.5, 1), [0.0, 0.0]])
                          for _ in range(2)]).astype(dtype)
    return (x, transform), {"interpolation": ("nearest", "bilinear")[rng.integers(2)],
                            "fill_mode": ("constant", "nearest", "wrap", "mirror", "reflect")[rng.integers(5)],
                            "data_format": "channels_last"}


def _linalg_square(positive_definite=False):
    def build(rng, dtype):
        n = int(rng.integers(1, 5))
        a = rng.standard_normal(_shape(rng, 0, 1) + (n, n))
        if positive_definite:
            a = a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
        else:
            a = a + n * np.eye(n)
        return (a.astype(dtype),), {}

    return build


def _solve(rng, dtype):
    n = int(rng.integers(1, 5))
    a = rng.standard_normal((n, n)) + n * np.eye(n)
    return (a.astype(dtype), rng.standard_normal((n, int(rng.integers(1, 3)))).astype(dtype)), {}


def _segment(rng, dtype):
    rows = int(rng.integers(1, 6))
    data = _array(rng, (rows,) + _shape(rng, 0, 2), dtype)
    return (data, np.sort(rng.integers(0, 3, rows)).astype("int32")), {"num_segments": 3}


def _top_k(rng, dtype):
    x = rng.permutation(24).reshape(2, 12)[:, : int(rng.integers(3, 12))].astype(dtype)
    return (x, int(rng.integers(1, 3))), {}


_FLOAT_IN = ("float16", "float32", "float64", "int32", "int64", "bool")
_ELEMENTWISE = {name: ("float32", "float64", "float16", "int32", "int64", "bool") for name in (
    "abs", "fabs", "arctan", "cos", "sin", "tanh", "exp", "exp2", "expm1", "log1p", "square", "negative",
    "sign", "ceil", "floor", "trunc", "cbrt", "deg2rad", "rad2deg", "isfinite", "isnan", "logical_not",
    "real", "copy", "erf", "sinc", "arcsinh", "cosh", "sinh", "signbit")}
_ELEMENTWISE.update({name: ("float32", "float64", "float16") for name in (
    "relu", "relu6", "sigmoid", "softplus", "softsign", "silu", "log_sigmoid", "leaky_relu", "hard_sigmoid",
    "hard_silu", "elu", "selu", "gelu", "celu", "tanh_shrink", "hard_tanh", "hard_shrink", "soft_shrink",
    "sparse_plus", "squareplus", "sparse_sigmoid", "erfinv")})

CASES = {name: (dtypes, _unary()) for name, dtypes in _ELEMENTWISE.items()}
CASES["round"] = (("float32", "float64", "float16", "int32", "int64"), _unary())
CASES.update({name: (("float32", "float64", "int32", "int64"), _unary(positive=True)) for name in (
    "sqrt", "log", "log2", "log10", "reciprocal", "rsqrt", "i0")})
CASES.update({name: (ALL, _binary()) for name in (
    "add", "subtract", "multiply", "maximum", "minimum", "equal", "not_equal", "greater", "less_equal",
    "logical_and", "logical_xor")})
CASES.update({name: (("float32", "float64", "int32", "int64", "int8"), _binary(positive=True)) for name in (
    "divide", "true_divide", "power", "mod", "fmod", "floor_divide", "arctan2", "logaddexp", "hypot",
    "heaviside", "divide_no_nan", "fmax", "fmin", "nextafter")})
CASES.update({name: (("int8", "int16", "int32", "int64", "uint8", "bool"), _binary(positive=True)) for name in (
    "bitwise_and", "bitwise_or", "bitwise_xor")})
CASES.update({
    "sum": (ALL, _reduction()), "mean": (ALL, _reduction()), "max": (ALL, _reduction()),
    "min": (ALL, _reduction()), "amax": (ALL, _reduction()), "prod": (ALL, _reduction()),
    "all": (ALL, _reduction()), "any": (ALL, _reduction()), "std": (_FLOAT_IN, _reduction()),
    "var": (_FLOAT_IN, _reduction()), "ptp": (("float32", "int32", "int64"), _reduction()),
    "logsumexp": (("float32", "float64"), _reduction()), "nansum": (ALL, _reduction()),
    "argmax": (ALL, _arg_reduction), "argmin": (ALL, _arg_reduction),
    "cumsum": (ALL, _scan), "cumprod": (("float32", "float64", "int32", "int64", "bool"), _scan),
    "sort": (("float32", "int32", "int64", "bool"), _scan), "argsort": (("float32", "int32"), _scan),
    "quantile": (("float32", "float64", "int32"), _quantile), "median": (("float32", "int64"), _reduction()),
    "nanmax": (("float32", "float64"), _with_nans), "nanmin": (("float32",), _with_nans),
    "nanmean": (("float32",), _with_nans), "nanargmax": (("float32",), _with_nans),
    "count_nonzero": (("float32", "int32", "bool"), _reduction(keepdims=False, allow_tuple=False, min_rank=1)),
    "matmul": (("float32", "float64", "int32", "int8", "bool"), _matmul),
    "concatenate": (ALL, _concat), "stack": (ALL, _stack), "reshape": (ALL, _reshape),
    "transpose": (ALL, _transpose), "expand_dims": (ALL, _expand), "squeeze": (ALL, _squeeze),
    "moveaxis": (("float32", "int64"), _moveaxis), "take": (("float32", "int32"), _take),
    "take_along_axis": (("float32", "int32"), _take_along), "where": (ALL, _where),
    "clip": (("float32", "float16", "int32", "int64", "bool"), _clip), "pad": (("float32", "int32"), _pad),
    "tile": (("float32", "bool"), _tile_repeat), "repeat": (("float32", "int64"), _tile_repeat),
    "roll": (("float32", "int32"), _roll), "split": (("float32",), _split), "flip": (ALL, _reduction(False)),
    "softmax": (("float32", "float64", "float16"), _softmax),
    "log_softmax": (("float32", "float64"), _softmax),
    "one_hot": (("int32", "int64"), _one_hot),
    "conv": (("float32",), _conv), "conv_transpose": (("float32",), _conv_transpose),
    "max_pool": (("float32",), _pool), "average_pool": (("float32",), _pool),
    "categorical_crossentropy": (("float32",), _crossentropy),
    "sparse_categorical_crossentropy": (("float32",), _sparse_crossentropy),
    "binary_crossentropy": (("float32",), _binary_crossentropy),
    "moments": (("float32", "float16"), _moments), "layer_normalization": (("float32",), _layer_norm),
    "dot_product_attention": (("float32",), _attention),
    "image.resize": (("float32", "uint8"), _resize), "image.affine_transform": (("float32",), _affine),
    "inv": (("float32", "float64"), _linalg_square()), "det": (("float32",), _linalg_square()),
    "cholesky": (("float32",), _linalg_square(positive_definite=True)), "solve": (("float32",), _solve),
    "segment_sum": (("float32", "int32"), _segment), "segment_max": (("float32",), _segment),
    "top_k": (("float32", "int32"), _top_k),
})

def _range(rng, dtype):
    start = int(rng.integers(-3, 3)) if dtype == "int" else float(rng.integers(-6, 6)) / 2
    stop = start + (int(rng.integers(1, 9)) if dtype == "int" else float(rng.integers(1, 9)) / 2)
    return (start, stop), {}


def _space(rng, dtype):
    start, stop = (float(v) for v in rng.uniform(0.5, 3, 2))
    return (start, stop), {"num": int(rng.integers(2, 7)), "endpoint": bool(rng.random() < 0.5)}


def _eye(rng, dtype):
    return (int(rng.integers(1, 5)),), {"M": int(rng.integers(1, 5)), "k": int(rng.integers(-2, 3)), "dtype": dtype}


def _triangle(rng, dtype):
    return (_array(rng, _shape(rng, 2, 3), dtype),), {"k": int(rng.integers(-2, 3))}


def _einsum(rng, dtype):
    a, b = _array(rng, (2, 3), dtype), _array(rng, (3, 4), dtype)
    return (("ij,jk->ik", "ij,jk->ki", "ij,jk->j")[rng.integers(3)], a, b), {}


def _tensordot(rng, dtype):
    a, b = _array(rng, (2, 3, 4), dtype), _array(rng, (3, 4, 2), dtype)
    return (a, b), {"axes": (2, ([1, 2], [0, 1]))[rng.integers(2)]}


def _cross(rng, dtype):
    shape = _shape(rng, 0, 2) + (3,)
    return (_array(rng, shape, dtype), _array(rng, shape, dtype)), {}


def _correlate(rng, dtype):
    a, v = _array(rng, (int(rng.integers(3, 7)),), dtype), _array(rng, (int(rng.integers(1, 4)),), dtype)
    return (a, v), {"mode": ("valid", "same", "full")[rng.integers(3)]}


def _matrix_pair(rng, dtype):
    return (_array(rng, (3, 4), dtype), _array(rng, (2, 3), dtype)), {}


def _diagonal(rng, dtype):
    return (_array(rng, _shape(rng, 2, 3), dtype),), {"offset": int(rng.integers(-1, 2))}


def _depthwise(rng, dtype):
    channels = int(rng.integers(1, 4))
    x = _array(rng, (2, int(rng.integers(4, 7)), int(rng.integers(4, 7)), channels), dtype)
    kernel = _array(rng, (int(rng.integers(1, 4)), int(rng.integers(1, 4)), channels, int(rng.integers(1, 3))), dtype)
    return (x, kernel), {"strides": int(rng.integers(1, 3)), "padding": ("valid", "same")[rng.integers(2)],
                         "data_format": "channels_last"}


def _separable(rng, dtype):
    (x, depthwise), kwargs = _depthwise(rng, dtype)
    pointwise = _array(rng, (1, 1, depthwise.shape[2] * depthwise.shape[3], int(rng.integers(1, 4))), dtype)
    return (x, depthwise, pointwise), kwargs


def _adaptive(rng, dtype):
    x = _array(rng, (2, int(rng.integers(4, 9)), int(rng.integers(4, 9)), 2), dtype)
    return (x, (int(rng.integers(1, 4)), int(rng.integers(1, 4)))), {"data_format": "channels_last"}


def _normalize(rng, dtype):
    x = _array(rng, _shape(rng, 1), dtype)
    return (x,), {"axis": -1, "order": int(rng.integers(1, 3))}


def _rms(rng, dtype):
    shape = _shape(rng, 1)
    return (_array(rng, shape, dtype),), {"scale": _array(rng, shape[-1:], dtype), "epsilon": 1e-3}


def _batch_norm(rng, dtype):
    shape = _shape(rng, 2)
    axis = int(rng.integers(0, len(shape)))
    stats = [_array(rng, (shape[axis],), dtype, positive=positive) for positive in (False, True, False, False)]
    return (_array(rng, shape, dtype), stats[0], stats[1], axis), {"offset": stats[2], "scale": stats[3]}


def _ctc_loss(rng, dtype):
    labels = rng.integers(1, 4, (2, 3)).astype("int32")
    return (labels, _array(rng, (2, 6, 4), dtype), np.array([3, 2], "int32"), np.array([6, 5], "int32")), {}


def _ctc_decode(rng, dtype):
    logits = _array(rng, (2, 6, 4), dtype)
    strategy = ("greedy", "beam_search")[rng.integers(2)]
    logits = torch.log_softmax(torch.as_tensor(logits), -1).numpy() if strategy == "greedy" else logits
    return (logits, np.array([6, 4], "int32")), {"strategy": strategy, "beam_width": 4, "top_paths": 2
                                                 if strategy == "beam_search" else 1}


def _images(rng, dtype, channels=3):
    return _array(rng, (2, int(rng.integers(4, 8)), int(rng.integers(4, 8)), channels), dtype)


def _image_only(channels=3):
    def build(rng, dtype):
        return (_images(rng, dtype, channels),), {"data_format": "channels_last"}

    return build


def _unit_images(rng, dtype):
    return (rng.uniform(0, 1, (2, 4, 5, 3)).astype(dtype),), {"data_format": "channels_last"}


def _crop_pad(name):
    def build(rng, dtype):
        images = _images(rng, dtype)
        first, second = ("top_cropping", "left_cropping") if name == "crop" else ("top_padding", "left_padding")
        return (images,), {first: int(rng.integers(0, 2)), second: int(rng.integers(0, 2)),
                           "target_height": 3, "target_width": 3 if name == "crop" else 9,
                           "data_format": "channels_last"}

    return build


def _patches(rng, dtype):
    return (_images(rng, dtype), int(rng.integers(1, 3))), {"strides": int(rng.integers(1, 3)),
                                                             "padding": ("valid", "same")[rng.integers(2)],
                                                             "data_format": "channels_last"}


def _blur(rng, dtype):
    return (_images(rng, dtype),), {"kernel_size": (3, 3), "sigma": (float(rng.uniform(0.5, 2)),) * 2,
                                    "data_format": "channels_last"}


def _map_coordinates(rng, dtype):
    image = _array(rng, (5, 6), dtype)
    coordinates = rng.uniform(-1, 6, (2, 3, 4)).astype("float32")
    return (image, coordinates, int(rng.integers(0, 2))), {
        "fill_mode": ("constant", "nearest", "wrap", "mirror", "reflect")[rng.integers(5)]}


def _perspective(rng, dtype):
    start = np.array([[0, 0], [5, 0], [5, 4], [0, 4]], "float32")
    end = (start + rng.uniform(-1, 1, (4, 2))).astype("float32")
    return (_images(rng, dtype), start, end), {"interpolation": ("nearest", "bilinear")[rng.integers(2)],
                                                "data_format": "channels_last"}


def _scale_translate(rng, dtype):
    images = _array(rng, (2, 5, 6, 3), dtype)
    method = ("linear", "cubic", "lanczos3")[rng.integers(3)]
    return (images, (2, 7, 4, 3), np.array([1.4, 0.7], "float32"), np.array([0.5, -0.3], "float32"),
            (1, 2), method), {"antialias": bool(rng.random() < 0.5)}


def _ssim(rng, dtype):
    a = rng.uniform(0, 1, (2, 12, 12, 3)).astype(dtype)
    return (a, np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1).astype(dtype)), {"filter_size": 5}


def _fft_pair(rng, dtype):
    shape = _shape(rng, 2, 3)
    return ((_array(rng, shape, dtype), _array(rng, shape, dtype)),), {}


def _rfft(rng, dtype):
    return (_array(rng, _shape(rng, 1), dtype),), {"fft_length": int(rng.integers(2, 9))}


def _stft(rng, dtype):
    length = int(rng.integers(2, 6))
    return (_array(rng, (2, 24), dtype), length, int(rng.integers(1, length + 1)), length + int(rng.integers(0, 3))), {
        "window": ("hann", "hamming", None)[rng.integers(3)], "center": bool(rng.random() < 0.5)}


def _cdist(rng, dtype):
    d = int(rng.integers(1, 4))
    return (_array(rng, (2, 3, d), dtype), _array(rng, (4, d), dtype)), {}


def _svd_input(rng, dtype):
    return (_array(rng, (int(rng.integers(2, 5)), int(rng.integers(2, 5))), dtype),), {"compute_uv": False}


def _norm(rng, dtype):
    x = _array(rng, _shape(rng, 1, 2), dtype)
    order = (None, 1, 2, np.inf) if x.ndim == 1 else (None, "fro", 1, np.inf)
    return (x,), {"ord": order[rng.integers(len(order))]}


def _searchsorted(rng, dtype):
    return (np.sort(_array(rng, (6,), dtype)), _array(rng, _shape(rng), dtype)), {
        "side": ("left", "right")[rng.integers(2)]}


def _bincount(rng, dtype):
    x = rng.integers(0, 6, _shape(rng, 1, 2)).astype(dtype)
    weights = rng.random(x.shape).astype("float32") if rng.random() < 0.5 else None
    return (x,), {"weights": weights, "minlength": int(rng.integers(0, 8))}


def _unique(rng, dtype):
    return (rng.integers(0, 4, (8,)).astype(dtype),), {"return_counts": bool(rng.random() < 0.5),
                                                          "return_inverse": bool(rng.random() < 0.5)}


def _slogdet(rng, dtype):
    n = int(rng.integers(1, 4))
    return ((rng.standard_normal((n, n)) + n * np.eye(n)).astype(dtype),), {}


def _segment_prod(rng, dtype):
    rows = int(rng.integers(1, 6))
    return (_array(rng, (rows, 2), dtype), rng.integers(0, 3, rows).astype("int32")), {"num_segments": 3}


def _full(rng, dtype):
    value = int(rng.integers(-3, 4)) if rng.random() < 0.5 else float(rng.integers(-6, 6)) / 4
    return (_shape(rng, 1), value), {"dtype": None if dtype == "default" else dtype}


def _like(rng, dtype):
    return (_array(rng, _shape(rng), dtype),), {}


CASES.update({
    "full": (("default", "int32", "float64", "bool"), _full),
    "full_like": (("int32", "float32"), lambda rng, dtype: ((_array(rng, _shape(rng), dtype), 2.5), {})),
    "zeros_like": (ALL, _like), "ones_like": (ALL, _like),
    "arange": (("int", "float"), _range), "linspace": (("float32",), _space), "logspace": (("float32",), _space),
    "geomspace": (("float32",), _space), "eye": (("float32", "int32"), _eye), "tri": (("float32",), _eye),
    "tril": (("float32", "int32"), _triangle), "triu": (("float32", "int32"), _triangle),
    "einsum": (("float32", "int32", "int8"), _einsum), "tensordot": (("float32", "int32"), _tensordot),
    "cross": (("float32", "int32"), _cross), "correlate": (("float32", "int32"), _correlate),
    "outer": (("float32", "int32"), _matrix_pair), "kron": (("float32", "int32"), _matrix_pair),
    "diagonal": (("float32", "int32"), _diagonal), "trace": (("float32", "int8", "bool"), _diagonal),
    "depthwise_conv": (("float32",), _depthwise), "separable_conv": (("float32",), _separable),
    "adaptive_average_pool": (("float32",), _adaptive), "adaptive_max_pool": (("float32",), _adaptive),
    "normalize": (("float32",), _normalize), "rms_normalization": (("float32", "float16"), _rms),
    "batch_normalization": (("float32",), _batch_norm), "ctc_loss": (("float32",), _ctc_loss),
    "ctc_decode": (("float32",), _ctc_decode), "log_softmax": (("float32", "float64"), _softmax),
    "image.rgb_to_grayscale": (("float32", "uint8"), _image_only()),
    "image.rgb_to_hsv": (("float32",), _unit_images), "image.hsv_to_rgb": (("float32",), _unit_images),
    "image.crop_images": (("float32",), _crop_pad("crop")), "image.pad_images": (("float32",), _crop_pad("pad")),
    "image.extract_patches": (("float32",), _patches), "image.gaussian_blur": (("float32",), _blur),
    "image.map_coordinates": (("float32", "int32"), _map_coordinates),
    "image.perspective_transform": (("float32",), _perspective),
    "image.scale_and_translate": (("float32",), _scale_translate), "image.sobel_edges": (("float32",), _image_only()),
    "image.ssim": (("float32",), _ssim),
    "fft": (("float32",), _fft_pair), "fft2": (("float32",), _fft_pair), "ifft2": (("float32",), _fft_pair),
    "rfft": (("float32",), _rfft), "stft": (("float32",), _stft), "cdist": (("float32",), _cdist),
    "svd": (("float32",), _svd_input), "norm": (("float32", "float64", "int64"), _norm),
    "qr": (("float32",), _linalg_square()), "eigh": (("float32",), _linalg_square(positive_definite=True)),
    "searchsorted": (("float32", "int32"), _searchsorted), "bincount": (("int32", "int64"), _bincount),
    "unique": (("int32", "float32"), _unique), "slogdet": (("float32",), _slogdet),
    "segment_prod": (("float32",), _segment_prod), "segment_min": (("float32",), _segment),
    "nancumsum": (("float32",), _scan), "nanprod": (("float32", "int32"), _reduction()),
    "nanstd": (("float32",), _with_nans), "nanvar": (("float32",), _with_nans),
    "nanmedian": (("float32",), _with_nans), "average": (("float32", "int32"), _reduction(keepdims=False,
                                                                                          allow_tuple=False)),
})
DRAWS = 3
