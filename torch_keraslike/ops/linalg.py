"""``keras.ops.linalg`` on ``torch.linalg``: decompositions, inverses, solvers and
norms of (batches of) matrices ``(..., M, N)``.
"""

import torch

from ._base import canonical_axes, convert, floatx, result_type, shape_str, tensors
from ._symbolic import exported, keras_op


def _matrix(x, op, square=True):
    x = convert(x, op=op)
    if x.ndim < 2:
        raise ValueError(f"{op} needs (a batch of) matrices of rank >= 2, received shape {shape_str(x.shape)}.")
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{op} needs square matrices (..., M, M), received shape {shape_str(x.shape)}.")
    return x


@keras_op("linalg")
def cholesky(x, upper=False):
    """Cholesky factor of symmetric (Hermitian) positive-definite matrices.

    Args:
        x: ``(..., M, M)``.
        upper: return the upper factor ``U`` (``x = U^H U``) instead of the lower ``L``.

    Returns:
        The triangular factor; a ``ValueError`` when a matrix is not positive-definite.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.cholesky([[4.0, 2.0], [2.0, 2.0]])
        tensor([[2., 0.],
                [1., 1.]])
    """
    return torch.linalg.cholesky(_matrix(x, "ops.cholesky"), upper=upper)


@keras_op("linalg")
def cholesky_inverse(x, upper=False):
    """Inverse of ``A`` from its Cholesky factor.

    Args:
        x: the factor ``(..., M, M)`` (lower, or upper with ``upper=True``).
        upper: whether ``x`` is the upper factor.

    Returns:
        ``A^-1``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.cholesky_inverse([[2.0, 0.0], [1.0, 1.0]])
        tensor([[ 0.5000, -0.5000],
                [-0.5000,  1.0000]])
    """
    return torch.cholesky_inverse(_matrix(x, "ops.cholesky_inverse"), upper=upper)


@keras_op("linalg")
def det(x):
    """Determinants of square matrices.

    Args:
        x: ``(..., M, M)``.

    Returns:
        ``(...)`` determinants.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.det([[2.0, 0.0], [0.0, 3.0]])
        tensor(6.)
    """
    return torch.linalg.det(_matrix(x, "ops.det"))


@keras_op("linalg")
def eig(x):
    """Eigenvalues and eigenvectors of general square matrices.

    Args:
        x: ``(..., M, M)``.

    Returns:
        ``(eigenvalues, eigenvectors)``, complex.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.eig([[2.0, 0.0], [0.0, 3.0]])[0]
        tensor([2.+0.j, 3.+0.j])
    """
    return tuple(torch.linalg.eig(_matrix(x, "ops.eig")))


@keras_op("linalg")
def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of symmetric (Hermitian) matrices.

    Args:
        x: ``(..., M, M)``; only the lower triangle is read.

    Returns:
        ``(eigenvalues, eigenvectors)``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.eigh([[2.0, 0.0], [0.0, 1.0]])[0]
        tensor([1., 2.])
    """
    return tuple(torch.linalg.eigh(_matrix(x, "ops.eigh")))


@keras_op("linalg")
def inv(x):
    """Inverses of square matrices.

    Args:
        x: ``(..., M, M)``.

    Returns:
        The inverses (a ``ValueError`` for singular matrices).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.inv([[2.0, 0.0], [0.0, 4.0]])
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    return torch.linalg.inv(_matrix(x, "ops.inv"))


@keras_op("linalg")
def lu_factor(x):
    """LU factorisation with partial pivoting.

    Args:
        x: ``(..., M, N)``.

    Returns:
        ``(lu, pivots)``: the packed factors and 0-based pivot rows (as in SciPy/JAX).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.lu_factor([[1.0, 2.0], [3.0, 4.0]])[1]
        tensor([1, 1], dtype=torch.int32)
    """
    lu, pivots = torch.linalg.lu_factor(_matrix(x, "ops.lu_factor", square=False))
    return lu, pivots - 1


@keras_op("linalg")
def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm.

    Args:
        x: input tensor.
        ord: ``None`` (2-norm / Frobenius), a number, ``inf``, ``-inf``, ``"fro"`` or
            ``"nuc"`` (``torch.linalg.norm``'s meanings).
        axis: ``None`` (the whole flattened tensor, or a matrix for 2-D with ``ord``),
            an int (vector norms) or a pair of ints (matrix norms).
        keepdims: keep the reduced axes with size 1.

    Returns:
        The norms, in Keras's weak-float promotion of ``x``'s dtype (integers give floatx).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.norm([3.0, 4.0])
        tensor(5.)
    """
    if isinstance(ord, str) and ord not in ("fro", "nuc"):
        raise ValueError(f"ops.norm: string ord must be 'fro' or 'nuc', received ord={ord!r}.")
    x = convert(x, op="ops.norm")
    dtype = floatx() if x.dtype == torch.int64 else result_type(x.dtype, float)
    x = x.to(dtype)
    if axis is not None:
        axes = canonical_axes(axis, x.ndim, "ops.norm")
        if len(axes) not in (1, 2):
            raise ValueError(f"ops.norm: axis must be an int or a pair of ints, received axis={axis!r}.")
        axis = axis if isinstance(axis, int) else tuple(axis)
    elif ord is not None and x.ndim > 2:
        raise ValueError(
            f"ops.norm: with ord={ord!r} and axis=None the input must be 1-D or 2-D, received shape "
            f"{shape_str(x.shape)}. Fix: pass axis."
        )
    return torch.linalg.norm(x, ord=ord, dim=axis, keepdim=keepdims)


@keras_op("linalg")
def qr(x, mode="reduced"):
    """QR decomposition.

    Args:
        x: ``(..., M, N)``.
        mode: ``"reduced"`` (``Q`` is ``(..., M, K)``, ``K = min(M, N)``) or ``"complete"``.

    Returns:
        ``(q, r)``.

    Example:
        >>> from torch_keraslike import ops
        >>> q, r = ops.qr([[1.0, 0.0], [0.0, 2.0]])
        >>> r
        tensor([[1., 0.],
                [0., 2.]])
    """
    if mode not in ("reduced", "complete"):
        raise ValueError(f"ops.qr: mode must be 'reduced' or 'complete', received mode={mode!r}.")
    return tuple(torch.linalg.qr(_matrix(x, "ops.qr", square=False), mode=mode))


def _system(a, b, op):
    a, b = tensors(a, b, op=op)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{op}: a must be square matrices (..., M, M), received shape {shape_str(a.shape)}.")
    vector = b.ndim == 1 or b.ndim == a.ndim - 1
    if b.ndim < 1 or (b.shape[-1] if vector else b.shape[-2]) != a.shape[-1]:
        raise ValueError(
            f"{op}: b must be (..., M) or (..., M, K) with M = {a.shape[-1]}, received shape {shape_str(b.shape)}."
        )
    dtype = torch.promote_types(a.dtype, b.dtype)
    return a.to(dtype), b.to(dtype)


@keras_op("linalg")
def solve(a, b):
    """Solves ``a @ x = b``.

    Args:
        a: ``(..., M, M)``.
        b: ``(..., M)`` or ``(..., M, K)``.

    Returns:
        ``x`` of ``b``'s shape.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.solve([[2.0, 0.0], [0.0, 4.0]], [2.0, 2.0])
        tensor([1.0000, 0.5000])
    """
    a, b = _system(a, b, "ops.solve")
    return torch.linalg.solve(a, b)


@keras_op("linalg")
def solve_triangular(a, b, lower=False):
    """Solves ``a @ x = b`` for triangular ``a``.

    Args:
        a: ``(..., M, M)`` triangular matrices.
        b: ``(..., M)`` or ``(..., M, K)``.
        lower: whether ``a`` is lower (else upper) triangular.

    Returns:
        ``x`` of ``b``'s shape.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.solve_triangular([[2.0, 0.0], [1.0, 1.0]], [2.0, 3.0], lower=True)
        tensor([1., 2.])
    """
    a, b = _system(a, b, "ops.solve_triangular")
    if b.ndim == 1 or b.ndim == a.ndim - 1:
        return torch.linalg.solve_triangular(a, b.unsqueeze(-1), upper=not lower).squeeze(-1)
    return torch.linalg.solve_triangular(a, b, upper=not lower)


@keras_op("linalg", keras_name="SVD")
def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition ``x = u @ diag(s) @ vh``.

    Args:
        x: ``(..., M, N)``.
        full_matrices: square ``u`` and ``vh`` (else reduced).
        compute_uv: return ``(u, s, vh)``; else only ``s``.

    Returns:
        ``(u, s, vh)`` or the singular values ``s`` (descending).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.svd([[3.0, 0.0], [0.0, 4.0]], compute_uv=False)
        tensor([4., 3.])
    """
    x = _matrix(x, "ops.svd", square=False)
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return tuple(torch.linalg.svd(x, full_matrices=full_matrices))


@keras_op("linalg")
def lstsq(a, b, rcond=None):
    """Least-squares solution of ``a @ x = b``.

    Args:
        a: ``(M, N)`` matrix.
        b: ``(M,)`` or ``(M, K)``.
        rcond: cut-off for small singular values (relative to the largest), NumPy's meaning.

    Returns:
        ``x`` of shape ``(N,)`` or ``(N, K)``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.lstsq([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], [1.0, 2.0, 0.0])
        tensor([1., 2.])
    """
    a, b = tensors(a, b, op="ops.lstsq")
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(
            f"ops.lstsq needs a (M, N) matrix and b of shape (M,) or (M, K); received a {shape_str(a.shape)} "
            f"and b {shape_str(b.shape)}."
        )
    dtype = torch.promote_types(a.dtype, b.dtype)
    a, b = a.to(dtype), b.to(dtype)
    vector = b.ndim == 1
    b = b.unsqueeze(-1) if vector else b
    if a.device.type != "cpu":
        # CUDA's lstsq driver handles full-rank systems only; the pseudo-inverse does all.
        x = torch.linalg.pinv(a, rtol=rcond) @ b if rcond is not None else torch.linalg.pinv(a) @ b
    else:
        x = torch.linalg.lstsq(a, b, rcond=rcond, driver="gelsd").solution
    return x.squeeze(-1) if vector else x


@keras_op("linalg")
def matrix_rank(x, tol=None):
    """Numerical rank: the number of singular values above ``tol``.

    Args:
        x: ``(..., M, N)``.
        tol: absolute threshold (default: NumPy's ``max(M, N) * eps * largest``).

    Returns:
        ``int32`` ranks.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.matrix_rank([[1.0, 2.0], [2.0, 4.0]])
        tensor(1, dtype=torch.int32)
    """
    return torch.linalg.matrix_rank(_matrix(x, "ops.matrix_rank", square=False), atol=tol).to(torch.int32)


@keras_op("linalg")
def pinv(x, rcond=None):
    """Moore-Penrose pseudo-inverse.

    Args:
        x: ``(..., M, N)``.
        rcond: singular values below ``rcond * largest`` count as zero.

    Returns:
        ``(..., N, M)``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.pinv([[2.0, 0.0], [0.0, 0.0]])
        tensor([[0.5000, 0.0000],
                [0.0000, 0.0000]])
    """
    return torch.linalg.pinv(_matrix(x, "ops.pinv", square=False), rtol=rcond)


@keras_op("linalg", keras_name="JVP", wrap_errors=False)
def jvp(fun, primals, tangents, has_aux=False):
    """Jacobian-vector product of ``fun`` at ``primals`` along ``tangents``
    (forward-mode differentiation, ``torch.func.jvp``).

    Args:
        fun: function of the primals.
        primals: tuple of tensors.
        tangents: tuple of tensors of the primals' shapes.
        has_aux: ``fun`` returns ``(output, aux)``; aux is returned untouched.

    Returns:
        ``(output, jvp)`` or ``(output, jvp, aux)``.

    Example:
        >>> import torch
        >>> from torch_keraslike import ops
        >>> ops.jvp(lambda x: x * x, (torch.tensor([3.0]),), (torch.tensor([1.0]),))
        (tensor([9.]), tensor([6.]))
    """
    if not callable(fun):
        raise TypeError(f"ops.jvp: fun must be a callable, received {fun!r}.")
    primals = tuple(tensors(*primals, op="ops.jvp"))
    tangents = tuple(tensors(*tangents, op="ops.jvp"))
    return torch.func.jvp(fun, primals, tangents, has_aux=has_aux)


__all__ = exported(globals())
