"""``tkl.ops.linalg`` against NumPy and the defining identities of each
decomposition; errors."""

import numpy as np
import pytest
import torch

from torch_keraslike import ops

RNG = np.random.default_rng(3)
A = (RNG.standard_normal((2, 4, 4)) + 4 * np.eye(4)).astype("float32")
SPD = (A @ np.swapaxes(A, -1, -2) + np.eye(4)).astype("float32")
R = RNG.standard_normal((5, 3)).astype("float32")


def _close(ours, expected, rtol=1e-4, atol=1e-5):
    np.testing.assert_allclose(np.asarray(ours), np.asarray(expected), rtol=rtol, atol=atol)


def test_cholesky_and_its_inverse():
    lower = ops.cholesky(SPD)
    _close(lower @ lower.transpose(-1, -2), SPD)
    assert torch.allclose(lower, torch.tril(lower))
    upper = ops.cholesky(SPD, upper=True)
    _close(upper.transpose(-1, -2) @ upper, SPD)
    _close(ops.cholesky_inverse(lower), np.linalg.inv(SPD))
    _close(ops.cholesky_inverse(upper, upper=True), np.linalg.inv(SPD))


def test_determinants_inverses_and_solvers():
    _close(ops.det(A), np.linalg.det(A), rtol=1e-4)
    _close(ops.inv(A), np.linalg.inv(A))
    b = RNG.standard_normal((2, 4)).astype("float32")
    _close(ops.solve(A, b), np.linalg.solve(A, b[..., None])[..., 0])
    lower = np.tril(A)
    _close(ops.solve_triangular(lower, b, lower=True), np.linalg.solve(lower, b[..., None])[..., 0])
    upper = np.triu(A[0])
    rhs = RNG.standard_normal((4, 2)).astype("float32")
    _close(ops.solve_triangular(upper, rhs), np.linalg.solve(upper, rhs))


def test_eigen_and_singular_value_decompositions():
    values, vectors = ops.eigh(SPD)
    _close(values, np.linalg.eigvalsh(SPD), rtol=1e-4)
    _close(vectors @ torch.diag_embed(values) @ vectors.transpose(-1, -2), SPD, rtol=1e-3, atol=1e-3)
    w, v = ops.eig(A[0])
    _close((torch.as_tensor(A[0]).to(torch.complex64) @ v).numpy(), (v * w).numpy(), rtol=1e-3, atol=1e-3)
    u, s, vh = ops.svd(R, full_matrices=False)
    _close(u @ torch.diag(s) @ vh, R)
    _close(ops.svd(R, compute_uv=False), np.linalg.svd(R, compute_uv=False))
    assert ops.svd(R)[0].shape == (5, 5)


def test_qr_and_lu():
    q, r = ops.qr(R)
    assert q.shape == (5, 3) and r.shape == (3, 3)
    _close(q @ r, R)
    assert ops.qr(R, mode="complete")[0].shape == (5, 5)
    lu, pivots = ops.lu_factor(A[0])
    lower = torch.tril(lu, -1) + torch.eye(4)
    upper = torch.triu(lu)
    permuted = torch.as_tensor(A[0]).clone()
    for i, p in enumerate(pivots.tolist()):  # 0-based row swaps, applied in order
        permuted[[i, p]] = permuted[[p, i]]
    _close(lower @ upper, permuted)


def test_norms_match_numpy():
    x = RNG.standard_normal((3, 4)).astype("float32")
    for ord_ in (None, 1, 2, np.inf, -np.inf, 0.5):
        _close(ops.norm(x[0], ord=ord_), np.linalg.norm(x[0], ord=ord_))
    for ord_ in (None, "fro", "nuc", 1, -1, 2, np.inf):
        _close(ops.norm(x, ord=ord_), np.linalg.norm(x, ord=ord_))
    _close(ops.norm(x, axis=1, keepdims=True), np.linalg.norm(x, axis=1, keepdims=True))
    _close(ops.norm(RNG.standard_normal((2, 3, 4)).astype("float32"), axis=(1, 2)).shape, (2,))
    assert ops.norm(np.ones(3, "int64")).dtype == torch.float32


def test_least_squares_rank_and_pseudo_inverse():
    b = RNG.standard_normal(5).astype("float32")
    _close(ops.lstsq(R, b), np.linalg.lstsq(R, b, rcond=None)[0])
    _close(ops.lstsq(R, np.stack([b, 2 * b], 1), rcond=1e-6), np.linalg.lstsq(R, np.stack([b, 2 * b], 1))[0])
    rank_one = np.outer([1.0, 2.0, 3.0], [1.0, 1.0]).astype("float32")
    assert ops.matrix_rank(rank_one).item() == 1 and ops.matrix_rank(R).dtype == torch.int32
    assert ops.matrix_rank(np.diag([1.0, 1e-3]).astype("float32"), tol=1e-2).item() == 1
    _close(ops.pinv(R), np.linalg.pinv(R), rtol=1e-3)


def test_jvp_is_the_directional_derivative():
    x = torch.tensor([1.0, 2.0])
    out, tangent = ops.jvp(lambda v: v.sin() * v, (x,), (torch.ones(2),))
    _close(out, np.sin(x.numpy()) * x.numpy())
    _close(tangent, np.cos(x.numpy()) * x.numpy() + np.sin(x.numpy()))
    out, tangent, aux = ops.jvp(lambda v: (v * 3, v.sum()), (x,), (torch.ones(2),), has_aux=True)
    assert aux.item() == 3.0 and torch.equal(tangent, torch.full((2,), 3.0))


@pytest.mark.parametrize("call, error, message", [
    (lambda: ops.inv(R), ValueError, r"ops.inv needs square matrices \(\.\.\., M, M\), received shape \(5, 3\)"),
    (lambda: ops.det(np.ones(3)), ValueError, r"ops.det needs \(a batch of\) matrices of rank >= 2"),
    (lambda: ops.cholesky(-np.eye(2, dtype="float32")), ValueError, r"ops.cholesky rejected its inputs"),
    (lambda: ops.solve(A, np.ones(3)), ValueError, r"ops.solve: b must be \(\.\.\., M\) or \(\.\.\., M, K\) with M = 4"),
    (lambda: ops.qr(R, mode="raw"), ValueError, r"ops.qr: mode must be 'reduced' or 'complete'"),
    (lambda: ops.norm(R, ord="max"), ValueError, r"ops.norm: string ord must be 'fro' or 'nuc'"),
    (lambda: ops.norm(A, ord=2), ValueError, r"ops.norm: with ord=2 and axis=None the input must be 1-D or 2-D"),
    (lambda: ops.lstsq(R, np.ones(4)), ValueError, r"ops.lstsq needs a \(M, N\) matrix and b of shape"),
    (lambda: ops.jvp(3, (R,), (R,)), TypeError, r"ops.jvp: fun must be a callable"),
])
def test_bad_inputs_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
