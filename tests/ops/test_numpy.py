"""``tkl.ops.numpy``: values against NumPy (computed independently), Keras's dtype
rules, argument handling, errors, and device placement."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from torch_keraslike import ops

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4)).astype("float32")
B = RNG.standard_normal((3, 4)).astype("float32")
P = (np.abs(A) + 0.5).astype("float32")  # positive
I = RNG.integers(-5, 6, (3, 4)).astype("int32")
U = RNG.uniform(-0.9, 0.9, (3, 4)).astype("float32")  # inside (-1, 1)
M = (RNG.standard_normal((3, 3)) + 3 * np.eye(3)).astype("float32")


def _np(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)):
        return type(value)(_np(v) for v in value)
    return np.asarray(value)


def _check(ours, expected, rtol=1e-5):
    if isinstance(expected, (list, tuple)):
        assert len(ours) == len(expected)
        for a, b in zip(ours, expected):
            _check(a, b, rtol)
        return
    ours, expected = _np(ours), np.asarray(expected)
    assert ours.shape == expected.shape, (ours.shape, expected.shape)
    if expected.dtype.kind in "fc":
        np.testing.assert_allclose(ours, expected, rtol=rtol, atol=1e-6)
    else:
        np.testing.assert_array_equal(ours, expected)


# name -> (args, kwargs, NumPy reference of the same call)
NUMPY_CASES = {
    **{name: ((A,), {}, getattr(np, name)) for name in (
        "abs", "absolute", "fabs", "arctan", "arcsinh", "cos", "cosh", "sin", "sinh", "tan", "tanh", "exp",
        "exp2", "expm1", "square", "negative", "sign", "signbit", "ceil", "floor", "trunc", "cbrt",
        "deg2rad", "rad2deg", "isfinite", "isinf", "isnan", "isneginf", "isposinf", "isreal", "conjugate",
        "conj", "real", "copy", "ravel", "sort", "argsort", "flip", "fliplr", "flipud", "transpose",
        "nan_to_num", "sinc", "i0")},
    **{name: ((U,), {}, getattr(np, name)) for name in ("arccos", "arcsin", "arctanh")},
    **{name: ((P,), {}, getattr(np, name)) for name in ("log", "log10", "log2", "log1p", "sqrt", "reciprocal")},
    "imag": ((A + 1j * B,), {}, np.imag),
    "arccosh": ((P + 1,), {}, np.arccosh),
    "angle": ((A,), {}, np.angle),
    **{name: ((A, B), {}, getattr(np, name)) for name in (
        "add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum", "fmax", "fmin", "equal",
        "not_equal", "greater", "greater_equal", "less", "less_equal", "arctan2", "logaddexp", "logaddexp2",
        "hypot", "nextafter", "heaviside", "mod", "fmod", "floor_divide", "isclose")},
    **{name: ((A > 0, B > 0), {}, getattr(np, name)) for name in ("logical_and", "logical_or", "logical_xor")},
    "logical_not": ((A > 0,), {}, np.logical_not),
    **{name: ((I, I[::-1]), {}, getattr(np, name)) for name in ("bitwise_and", "bitwise_or", "bitwise_xor",
                                                                "gcd", "lcm")},
    **{name: ((I,), {}, fn) for name, fn in (("bitwise_invert", np.invert), ("bitwise_not", np.invert))},
    **{name: ((np.abs(I), 2), {}, fn) for name, fn in (("left_shift", np.left_shift),
                                                         ("bitwise_left_shift", np.left_shift),
                                                         ("right_shift", np.right_shift),
                                                         ("bitwise_right_shift", np.right_shift))},
    "power": ((P, B), {}, np.power),
    "divide_no_nan": ((A, np.where(B > 0, B, 0)), {}, lambda a, b: np.where(b == 0, 0, a / np.where(b == 0, 1, b))),
    "ldexp": ((A, I), {}, np.ldexp),
    "allclose": ((A, A + 1e-7), {}, np.allclose),
    "isin": ((I, [0, 1, 2]), {}, np.isin),
    **{name: ((A,), {"axis": 1, "keepdims": True}, getattr(np, name)) for name in (
        "sum", "mean", "max", "min", "amax", "amin", "prod", "std", "var", "median", "ptp", "nansum", "nanmean",
        "nanmax", "nanmin", "nanprod", "nanstd", "nanvar", "nanmedian")},
    **{name: ((A > 0,), {"axis": 0}, getattr(np, name)) for name in ("all", "any")},
    **{name: ((A,), {"axis": 1}, getattr(np, name)) for name in (
        "argmax", "argmin", "nanargmax", "nanargmin", "cumsum", "cumprod", "nancumsum", "nancumprod",
        "count_nonzero")},
    **{name: ((A, 0.3), {"axis": 0}, getattr(np, name)) for name in ("quantile", "nanquantile")},
    **{name: ((A, 30.0), {"axis": 0}, getattr(np, name)) for name in ("percentile", "nanpercentile")},
    "average": ((A,), {"axis": 1, "weights": P[0]}, np.average),
    "clip": ((A, -0.5, 0.5), {}, np.clip),
    "round": ((A * 10,), {"decimals": -1}, np.round),
    "where": ((A > 0, A, B), {}, np.where),
    "select": (([A > 1, A < -1], [A, B]), {"default": 0.5}, np.select),
    "reshape": ((A, (4, 3)), {}, np.reshape),
    "expand_dims": ((A, (0, 2)), {}, np.expand_dims),
    "squeeze": ((A[:1],), {"axis": 0}, np.squeeze),
    "moveaxis": ((A, 0, 1), {}, np.moveaxis),
    "swapaxes": ((A, 0, 1), {}, np.swapaxes),
    "broadcast_to": ((A[0], (2, 4)), {}, np.broadcast_to),
    "concatenate": (([A, B],), {"axis": 1}, np.concatenate),
    "stack": (([A, B],), {"axis": 1}, np.stack),
    "hstack": (([A, B],), {}, np.hstack),
    "vstack": (([A, B],), {}, np.vstack),
    "dstack": (([A, B],), {}, np.dstack),
    "append": ((A, B), {"axis": 0}, np.append),
    "split": ((A, [1, 3]), {"axis": 1}, np.split),
    "array_split": ((A, 3), {"axis": 1}, np.array_split),
    "hsplit": ((A, 2), {}, np.hsplit),
    "vsplit": ((A, [1]), {}, np.vsplit),
    "dsplit": ((A[..., None].repeat(2, -1), 2), {}, np.dsplit),
    "roll": ((A, 2), {"axis": 1}, np.roll),
    "rot90": ((A, 3), {"axes": (1, 0)}, np.rot90),
    "tile": ((A, (2, 1)), {}, np.tile),
    "repeat": ((A, [1, 0, 2]), {"axis": 0}, np.repeat),
    "pad": ((A, ((1, 2), (0, 3))), {"mode": "symmetric"}, np.pad),
    "take": ((A, [[0, -1]]), {"axis": 1}, np.take),
    "take_along_axis": ((A, np.argsort(A, 1)), {"axis": 1}, np.take_along_axis),
    "get_item": ((A, (slice(1, None), 2)), {}, lambda a, key: a[key]),
    "searchsorted": (([1.0, 2.0, 3.0], [0.5, 2.0, 9.0]), {"side": "right"}, np.searchsorted),
    "digitize": ((A, [-1.0, 0.0, 1.0]), {}, np.digitize),
    "diag": ((A,), {"k": 1}, np.diag),
    "diagflat": ((A[0],), {"k": -1}, np.diagflat),
    "diagonal": ((A,), {"offset": 1}, np.diagonal),
    "trace": ((A,), {"offset": -1}, np.trace),
    "tril": ((A,), {"k": 1}, np.tril),
    "triu": ((A,), {"k": -1}, np.triu),
    "matmul": ((A, B.T), {}, np.matmul),
    "dot": ((A, B.T), {}, np.dot),
    "tensordot": ((A, B), {"axes": ([1], [1])}, np.tensordot),
    "einsum": (("ij,kj->ik", A, B), {}, np.einsum),
    "inner": ((A, B), {}, np.inner),
    "outer": ((A[0], B[1]), {}, np.outer),
    "vdot": ((A, B), {}, np.vdot),
    "kron": ((A[:2, :2], B[:2, :2]), {}, np.kron),
    "cross": ((A[:, :3], B[:, :3]), {}, np.cross),
    "correlate": ((A[0], B[0, :2]), {"mode": "full"}, np.correlate),
    "corrcoef": ((A,), {}, np.corrcoef),
    "trapezoid": ((A,), {"dx": 0.5, "axis": 0}, np.trapezoid),
    "diff": ((A,), {"n": 2, "axis": 1}, np.diff),
    "slogdet": ((M,), {}, lambda m: tuple(np.linalg.slogdet(m))),
    "meshgrid": (([1, 2, 3], [4, 5]), {"indexing": "ij"}, lambda *x, indexing: np.meshgrid(*x, indexing=indexing)),
    "vander": ((A[0], 3), {"increasing": True}, lambda x, n, increasing: np.vander(x, n, increasing=increasing)),
    "nonzero": ((I,), {}, lambda x: np.stack(np.nonzero(x))),
    "unravel_index": (([1, 7], (3, 4)), {}, np.unravel_index),
    "unique": ((I,), {"return_counts": True}, lambda x, return_counts: np.unique(x, return_counts=True)),
    "bincount": ((np.abs(I).ravel(),), {"minlength": 7}, np.bincount),
    "arange": ((1, 7, 2), {}, np.arange),
    "linspace": ((0.0, 1.0, 5), {"endpoint": False}, np.linspace),
    "logspace": ((0.0, 2.0, 3), {"base": 2.0}, np.logspace),
    "geomspace": ((1.0, 8.0, 4), {}, np.geomspace),
    "eye": ((3, 4), {"k": 1}, np.eye),
    "identity": ((3,), {}, np.identity),
    "tri": ((3, 4), {"k": -1}, np.tri),
    "zeros": (((2, 3),), {}, np.zeros),
    "ones": (((2, 3),), {}, np.ones),
    "full": (((2, 3), 7.5), {}, np.full),
    "zeros_like": ((A,), {}, np.zeros_like),
    "ones_like": ((A,), {}, np.ones_like),
    "full_like": ((A, -2.0), {}, np.full_like),
    "array": (([[1.5, 2.0]],), {}, np.array),
    **{name: ((5,), {}, getattr(np, name)) for name in ("bartlett", "blackman", "hamming", "hanning")},
    "kaiser": ((5, 2.5), {}, np.kaiser),
}
# Values that depend on memory, not arguments: only shapes and dtypes are checked.
SHAPE_ONLY = {"empty": (((2, 3),), np.empty), "empty_like": ((A,), np.empty_like)}


@pytest.mark.parametrize("name", sorted(NUMPY_CASES))
def test_values_match_numpy(name):
    args, kwargs, reference = NUMPY_CASES[name]
    ours = getattr(ops, name)(*args, **kwargs)
    expected = reference(*[a.numpy() if isinstance(a, torch.Tensor) else a for a in args], **kwargs)
    _check(ours, expected, rtol=1e-4 if name in ("i0", "logspace", "geomspace", "corrcoef") else 1e-5)


@pytest.mark.parametrize("name", sorted(SHAPE_ONLY))
def test_uninitialised_creation_shapes(name):
    args, reference = SHAPE_ONLY[name]
    ours = getattr(ops, name)(*args)
    assert tuple(ours.shape) == reference(*args).shape and ours.dtype == torch.float32


def test_every_numpy_name_is_tested_here_or_against_keras():
    from .differential_cases import CASES

    tested = set(NUMPY_CASES) | set(SHAPE_ONLY) | set(CASES) | {"ndim", "size", "view", "vectorize", "argpartition",
                                                              "histogram"}
    assert sorted(set(ops.numpy.__all__) - tested) == []


# ------------------------------------------------------------ dtype rules
def test_python_scalars_are_weak():
    assert ops.add(torch.ones(2, dtype=torch.int8), 1).dtype == torch.int8
    assert ops.add(torch.ones(2, dtype=torch.float16), 1.5).dtype == torch.float16
    assert ops.add(torch.ones(2, dtype=torch.int32), 1.5).dtype == torch.float32
    assert ops.add(torch.ones(2, dtype=torch.bool), 1).dtype == torch.int32
    assert ops.multiply(2, 3).dtype == torch.int32 and ops.multiply(2.0, 3).dtype == torch.float32


def test_conversion_of_python_values_and_arrays():
    assert ops.array([1, 2]).dtype == torch.int32
    assert ops.array([1, 2.5]).dtype == torch.float32
    assert ops.array([True, False]).dtype == torch.bool
    assert ops.array(np.ones(2, "int64")).dtype == torch.int64
    assert ops.array(np.ones(2, "uint32")).dtype == torch.int64  # torch has no uint32 arithmetic
    assert ops.array(2**40).dtype == torch.int64
    with pytest.raises(TypeError, match="ops.array: cannot convert an array of dtype <U1"):
        ops.array(["a"])


def test_reduction_dtypes_follow_keras():
    assert ops.sum(np.ones(3, "int8")).dtype == torch.int32
    assert ops.sum(np.ones(3, "int64")).dtype == torch.int64
    assert ops.mean(np.ones(3, "int64")).dtype == torch.float32
    assert ops.mean(np.ones(3, "float64")).dtype == torch.float64
    assert ops.var(np.ones(3, "float64")).dtype == torch.float32  # Keras's 32-bit promotion on torch
    assert ops.argmax(np.ones(3)).dtype == torch.int32
    assert ops.prod(np.ones(3, "int64")).dtype == torch.int32
    assert ops.cumsum(np.ones(3, "bool")).dtype == torch.int32


def test_products_use_keras_promotion():
    i8 = np.ones((2, 2), "int8")
    assert ops.matmul(i8, i8).dtype == torch.int32
    assert ops.matmul(np.ones((2, 2)), np.ones((2, 2))).dtype == torch.float32  # float64 -> float32, as Keras
    assert ops.matmul(torch.ones(2, 2, dtype=torch.bfloat16), torch.ones(2, 2)).dtype == torch.float32
    assert ops.einsum("ij,jk->ik", i8, i8).dtype == torch.int32


def test_reductions_accept_axis_tuples_negative_axes_and_empty_axes():
    _check(ops.sum(A[None], axis=(-1, 0)), A.sum(axis=1))
    _check(ops.max(A, axis=(), keepdims=True), A)
    _check(ops.mean(A, axis=None, keepdims=True), A.mean(keepdims=True))
    _check(ops.max(np.zeros((0, 2)), axis=0, initial=-1.0), np.full(2, -1.0, "float32"))


def test_argpartition_partitions_and_histogram_counts():
    x = RNG.permutation(10).astype("float32")
    order = ops.argpartition(x, 3)
    assert order.dtype == torch.int32
    chosen = x[_np(order)]
    assert chosen[3] == np.sort(x)[3] and (chosen[:3] <= chosen[3]).all() and (chosen[4:] >= chosen[3]).all()
    counts, edges = ops.histogram(A.ravel(), bins=4, range=(-1.0, 1.0))
    expected_counts, expected_edges = np.histogram(A.ravel(), bins=4, range=(-1.0, 1.0))
    _check(counts, expected_counts.astype("float32"))
    _check(edges, expected_edges.astype("float32"))


def test_ndim_size_view_and_vectorize():
    assert ops.ndim(A) == 2 and ops.ndim(tkl.Input((2, 3))) == 3
    assert ops.size(A).item() == 12
    assert ops.view(np.array([1.0], "float32"), "int32").item() == 1065353216
    clipped = ops.vectorize(lambda a, limit: ops.minimum(a, limit), excluded={1})
    _check(clipped(A, 0.0), np.minimum(A, 0.0))
    norms = ops.vectorize(lambda v: ops.sqrt(ops.sum(v * v)), signature="(n)->()")
    _check(norms(A), np.linalg.norm(A, axis=1))


def test_bincount_of_a_batch_counts_each_row():
    x = np.array([[0, 1, 1], [2, 2, 2]], "int32")
    _check(ops.bincount(x, minlength=4), [[1, 2, 0, 0], [0, 0, 3, 0]])
    _check(ops.bincount(x, weights=np.ones((2, 3), "float32")), [[1.0, 2.0, 0.0], [0.0, 0.0, 3.0]])


def test_pad_modes_follow_numpy():
    x = np.arange(5, dtype="float32")
    for mode in ("constant", "edge", "reflect", "symmetric", "wrap"):
        _check(ops.pad(x, (7, 6), mode=mode), np.pad(x, (7, 6), mode=mode))
    _check(ops.pad(np.array([True]), 1), np.pad(np.array([True]), 1))
    _check(ops.pad(x, 2, constant_values=9.0), np.pad(x, 2, constant_values=9.0))


# ------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, error, message", [
    (lambda: ops.sum(A, axis=2), ValueError, r"ops.sum: axis=2 is out of range for a tensor of rank 2; expected -2 <= axis < 2"),
    (lambda: ops.mean(A, axis=(0, 0)), ValueError, r"ops.mean: axis=\(0, 0\) repeats an axis"),
    (lambda: ops.argmax(A, axis=(0, 1)), TypeError, r"ops.argmax: axis must be an int, received \(0, 1\)"),
    (lambda: ops.reshape(A, (5, 3)), ValueError, r"ops.reshape: cannot reshape a tensor of shape \(3, 4\) \(12 elements\) into newshape=\(5, 3\)"),
    (lambda: ops.reshape(A, (-1, -1)), ValueError, r"at most one -1"),
    (lambda: ops.matmul(A, B), ValueError, r"ops.matmul: cannot multiply shapes \(3, 4\) and \(3, 4\)"),
    (lambda: ops.concatenate([A, B.T], axis=0), ValueError, r"ops.concatenate: all tensors must have the same shape except along axis 0"),
    (lambda: ops.stack([A, B.T]), ValueError, r"ops.stack: all tensors must have the same shape"),
    (lambda: ops.add(A, np.ones(3)), ValueError, r"ops.add rejected its inputs \(shape=\(3, 4\), dtype=float32; shape=\(3,\), dtype=float64\)"),
    (lambda: ops.cast(A, "floaty"), ValueError, r"ops.cast: invalid dtype 'floaty'. Expected one of"),
    (lambda: ops.zeros((2,), dtype="int128"), ValueError, r"ops.zeros: invalid dtype 'int128'"),
    (lambda: ops.split(A, 3, axis=1), ValueError, r"ops.split: cannot split axis 1 of size 4"),
    (lambda: ops.squeeze(A, axis=0), ValueError, r"ops.squeeze: cannot squeeze axis 0 of a tensor of shape \(3, 4\)"),
    (lambda: ops.transpose(A, (0, 0)), ValueError, r"ops.transpose: axes=\(0, 0\) is not a permutation"),
    (lambda: ops.broadcast_to(A, (2, 3)), ValueError, r"ops.broadcast_to: cannot broadcast a tensor of shape \(3, 4\) to shape \(2, 3\)"),
    (lambda: ops.pad(A, ((1, 1),) * 3), ValueError, r"ops.pad: pad_width must give non-negative \(before, after\) pairs for each of the 2 axes"),
    (lambda: ops.pad(A, 1, mode="mean"), ValueError, r"ops.pad: invalid mode='mean'; expected one of"),
    (lambda: ops.where(A > 0, A), ValueError, r"ops.where: x1 and x2 must both be given"),
    (lambda: ops.take(A, [0.5]), TypeError, r"ops.take: indices must be integers"),
    (lambda: ops.linspace(0, 1, 5, axis=1), ValueError, r"ops.linspace: only axis=0 is supported"),
    (lambda: ops.eye(2.5), TypeError, r"ops.eye: N must be an integer"),
    (lambda: ops.histogram(A), ValueError, r"ops.histogram needs a 1-D tensor, received shape \(3, 4\)"),
    (lambda: ops.searchsorted(A, [1.0]), ValueError, r"ops.searchsorted only supports a 1-D sorted_sequence"),
    (lambda: ops.ldexp(A, A), TypeError, r"ops.ldexp: the exponent x2 must be an integer tensor"),
    (lambda: ops.max(np.zeros((0, 2))), ValueError, r"ops.max: cannot compute the max of an empty tensor"),
    (lambda: ops.tensordot(A, B, axes=([0], [1])), ValueError, r"ops.tensordot: the contracted axes have sizes \[3\] in x1"),
    (lambda: ops.vander(A), ValueError, r"ops.vander needs a 1-D tensor, received shape \(3, 4\)"),
    (lambda: ops.select(A > 0, [A]), ValueError, r"ops.select: condlist and choicelist must be lists"),
    (lambda: ops.quantile(A, 0.5, method="cubic"), ValueError, r"ops.quantile: invalid method='cubic'"),
    (lambda: ops.vectorize(3), ValueError, r"ops.vectorize: pyfunc must be a callable"),
])
def test_bad_inputs_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_failed_call_leaves_its_input_unchanged():
    x = torch.tensor(A)
    before = x.clone()
    with pytest.raises(ValueError):
        ops.reshape(x, (7,))
    assert torch.equal(x, before)


# --------------------------------------------------------------- placement
def test_results_stay_on_the_input_device():
    x = torch.ones(2, 3, device="meta")
    for result in (ops.add(x, 1), ops.add(1.5, x), ops.mean(x, axis=0), ops.where(x > 0, x, 0.0),
                   ops.concatenate([x, x]), ops.clip(x, 0, 1), ops.matmul(x, x.T), ops.full_like(x, 2),
                   ops.take(x, [0], axis=1), ops.linspace(x[0, 0], 2.0, 3)):
        assert result.device.type == "meta"


def test_torch_tensors_numpy_arrays_and_lists_give_the_same_result():
    expected = ops.add(torch.tensor(A), torch.tensor(B))
    _check(ops.add(A, B), _np(expected))
    _check(ops.add(A.tolist(), B.tolist()), _np(expected))
