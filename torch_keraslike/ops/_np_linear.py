"""Products and other linear-algebra flavoured ops of ``keras.ops.numpy``: ``matmul``,
``dot``, ``tensordot``, ``einsum``, ``inner``, ``outer``, ``vdot``, ``kron``,
``cross``, ``correlate``, ``corrcoef``, ``trapezoid``, ``diff`` and ``slogdet``.

Result dtypes follow Keras's torch backend: the promotion of the inputs, computed in
a floating dtype where torch has no integer kernel (``int8 @ int8`` gives ``int32``;
on the torch backend Keras's promotion never returns a 64-bit dtype).
"""

import torch

from ._base import canonical_axis, cast, convert, floatx, is_int, result_type, shape_str, tensors
from ._symbolic import exported, keras_op


def _compute_dtype(dtype, device, floating=False):
    """A dtype torch can multiply matrices in on ``device`` for a result of ``dtype``."""
    if dtype == torch.bool or (floating and not dtype.is_floating_point and not dtype.is_complex):
        dtype = result_type(dtype, float) if floating else floatx()
    if dtype == torch.float16 and device.type == "cpu":
        return torch.float32
    if device.type != "cpu" and is_int(dtype):
        return floatx()  # integer matmul kernels exist on the CPU only
    return dtype


def _matmul_shapes_ok(a, b):
    if a.ndim == 0 or b.ndim == 0:
        return False
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        return False
    # Leading (batch) axes broadcast: equal or 1, counted from the end.
    return all(m == n or m == 1 or n == 1 for m, n in zip(reversed(a.shape[:-2]), reversed(b.shape[:-2])))


@keras_op("numpy")
def matmul(x1, x2):
    """Matrix product with NumPy's rules (1-D operands are vectors, leading axes
    broadcast as batches).

    Args:
        x1: tensor of rank >= 1, shape ``(..., n, k)``.
        x2: tensor of rank >= 1, shape ``(..., k, m)``.

    Returns:
        The product, shape ``(..., n, m)``; ``int8 @ int8`` gives ``int32``, other
        dtypes Keras's promotion of both.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.matmul(ops.ones((2, 3)), ops.ones((3, 4))).shape
        torch.Size([2, 4])
    """
    a, b = tensors(x1, x2, op="ops.matmul")
    if not _matmul_shapes_ok(a, b):
        raise ValueError(
            f"ops.matmul: cannot multiply shapes {shape_str(a.shape)} and {shape_str(b.shape)}: "
            "the last axis of x1 must match the second-to-last of x2 (the only one for 1-D), and "
            "leading axes must broadcast."
        )
    if a.dtype == torch.int8 and b.dtype == torch.int8:
        result = torch.int32
    else:
        result = result_type(a.dtype, b.dtype)
    compute = _compute_dtype(result, a.device)
    return cast(torch.matmul(cast(a, compute), cast(b, compute)), result)


def _float_product(x1, x2, op, fn):
    a, b = tensors(x1, x2, op=op)
    result = result_type(a.dtype, b.dtype)
    compute = _compute_dtype(result, a.device, floating=True)
    return cast(fn(cast(a, compute), cast(b, compute)), result)


@keras_op("numpy")
def dot(x1, x2):
    """Dot product: a product with a scalar, else ``matmul`` (as Keras's torch backend).

    Args:
        x1: first tensor.
        x2: second tensor.

    Returns:
        The product, in Keras's promotion of both dtypes.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.dot([1.0, 2.0], [3.0, 4.0])
        tensor(11.)
    """
    def product(a, b):
        if a.ndim == 0 or b.ndim == 0:
            return a * b
        if not _matmul_shapes_ok(a, b):
            raise ValueError(
                f"ops.dot: shapes {shape_str(a.shape)} and {shape_str(b.shape)} are not aligned: "
                "the last axis of x1 must match the second-to-last of x2."
            )
        return torch.matmul(a, b)

    return _float_product(x1, x2, "ops.dot", product)


@keras_op("numpy")
def tensordot(x1, x2, axes=2):
    """Sum of products over the given axes.

    Args:
        x1: first tensor.
        x2: second tensor.
        axes: an int ``N`` (last ``N`` axes of ``x1`` with the first ``N`` of ``x2``),
            or a pair of axis lists ``(axes_1, axes_2)``.

    Returns:
        The contraction, in Keras's promotion of both dtypes.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.tensordot(ops.ones((2, 3)), ops.ones((3, 4)), axes=1).shape
        torch.Size([2, 4])
    """
    if isinstance(axes, (list, tuple)):
        if len(axes) != 2:
            raise ValueError(f"ops.tensordot: axes must be an int or a pair of axis lists, received {axes!r}.")
        axes = tuple(tuple(a) if isinstance(a, (list, tuple)) else (a,) for a in axes)

    def contract(a, b):
        if isinstance(axes, tuple):
            sizes = ([a.shape[i] for i in axes[0]], [b.shape[i] for i in axes[1]])
        else:
            sizes = (list(a.shape[a.ndim - axes:]) if axes else [], list(b.shape[:axes]))
        if sizes[0] != sizes[1]:
            raise ValueError(
                f"ops.tensordot: the contracted axes have sizes {sizes[0]} in x1 (shape "
                f"{shape_str(a.shape)}) and {sizes[1]} in x2 (shape {shape_str(b.shape)}); they must match."
            )
        return torch.tensordot(a, b, dims=axes)

    return _float_product(x1, x2, "ops.tensordot", contract)


@keras_op("numpy")
def inner(x1, x2):
    """Inner product over the last axes.

    Args:
        x1: first tensor.
        x2: second tensor (same last axis size).

    Returns:
        The products, in Keras's promotion of both dtypes.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.inner([1, 2], [3, 4])
        tensor(11, dtype=torch.int32)
    """
    return _float_product(x1, x2, "ops.inner", torch.inner)


@keras_op("numpy")
def vdot(x1, x2):
    """Dot product of the flattened inputs, conjugating the first.

    Args:
        x1: first tensor.
        x2: second tensor with as many elements.

    Returns:
        A 0-d tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.vdot([[1.0, 2.0]], [3.0, 4.0])
        tensor(11.)
    """
    return _float_product(x1, x2, "ops.vdot", lambda a, b: torch.vdot(a.reshape(-1), b.reshape(-1)))


@keras_op("numpy")
def outer(x1, x2):
    """Outer product of the flattened inputs.

    Args:
        x1: first tensor (flattened to ``M`` elements).
        x2: second tensor (flattened to ``N`` elements).

    Returns:
        An ``(M, N)`` tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.outer([1, 2], [1, 10])
        tensor([[ 1, 10],
                [ 2, 20]], dtype=torch.int32)
    """
    a, b = tensors(x1, x2, op="ops.outer")
    return a.reshape(-1, 1) * b.reshape(1, -1)


@keras_op("numpy")
def kron(x1, x2):
    """Kronecker product: blocks of ``x2`` scaled by each element of ``x1``.

    Args:
        x1: first tensor.
        x2: second tensor.

    Returns:
        The product.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.kron([1, 2], [1, 1])
        tensor([1, 1, 2, 2], dtype=torch.int32)
    """
    a, b = tensors(x1, x2, op="ops.kron")
    return torch.kron(a, b)


@keras_op("numpy")
def einsum(subscripts, *operands, **kwargs):
    """Einstein summation over the operands (``"ij,jk->ik"``).

    Args:
        subscripts: the summation in Einstein notation.
        *operands: the tensors.
        **kwargs: accepted for NumPy compatibility and ignored (torch chooses the order
            of contraction itself).

    Returns:
        The result; all-``int8`` operands give ``int32``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.einsum("ij,jk->ik", ops.ones((2, 3)), ops.ones((3, 4))).shape
        torch.Size([2, 4])
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"ops.einsum: subscripts must be a string such as 'ij,jk->ik', received {subscripts!r}.")
    operands = tensors(*operands, op="ops.einsum")
    dtypes = {t.dtype for t in operands}
    if dtypes == {torch.int8}:
        compute = _compute_dtype(torch.int32, operands[0].device)
        return torch.einsum(subscripts, *(t.to(compute) for t in operands)).to(torch.int32)
    if len(dtypes) > 1:
        common = result_type(*dtypes)
        operands = [t.to(common) for t in operands]
    return torch.einsum(subscripts, *operands)


@keras_op("numpy")
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-element (or 2-element) vectors.

    Args:
        x1: tensor whose ``axisa`` holds the first vectors.
        x2: tensor whose ``axisb`` holds the second vectors (other axes broadcast).
        axisa: the vector axis of ``x1``.
        axisb: the vector axis of ``x2``.
        axisc: the vector axis of the result.
        axis: if given, overrides all three.

    Returns:
        The cross products (for 2-element vectors: the scalar z components).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
        tensor([0., 0., 1.])
    """
    a, b = tensors(x1, x2, op="ops.cross")
    if axis is not None:
        axisa = axisb = axisc = axis
    a = torch.movedim(a, canonical_axis(axisa, a.ndim, "ops.cross", "axisa"), -1)
    b = torch.movedim(b, canonical_axis(axisb, b.ndim, "ops.cross", "axisb"), -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(
            f"ops.cross: the vector axes must have 2 or 3 elements, received {a.shape[-1]} and {b.shape[-1]}."
        )
    result = result_type(a.dtype, b.dtype)
    compute = torch.float32 if result == torch.float16 and a.device.type == "cpu" else result
    a, b = a.to(compute), b.to(compute)
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return cast(a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0], result)
    if a.shape[-1] == 2:
        a = torch.nn.functional.pad(a, (0, 1))
    if b.shape[-1] == 2:
        b = torch.nn.functional.pad(b, (0, 1))
    shape = torch.broadcast_shapes(a.shape, b.shape)
    c = torch.linalg.cross(a.expand(shape), b.expand(shape), dim=-1)
    return cast(torch.movedim(c, -1, canonical_axis(axisc, c.ndim, "ops.cross", "axisc")), result)


@keras_op("numpy")
def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D sequences: ``c[k] = sum_n x1[n + k] * x2[n]``.

    Args:
        x1: 1-D tensor (leading axes broadcast as batches of signals).
        x2: 1-D tensor.
        mode: ``"valid"`` (full overlap only), ``"same"`` (length of ``x1``) or
            ``"full"`` (every overlap).

    Returns:
        The correlation, ``float32`` (``float64`` for 64-bit inputs, half precisions kept).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.correlate([1.0, 2.0, 3.0], [0.0, 1.0], mode="full")
        tensor([1., 2., 3., 0.])
    """
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"ops.correlate: mode must be 'valid', 'same' or 'full', received {mode!r}.")
    a, b = tensors(x1, x2, op="ops.correlate")
    dtype = result_type(a.dtype, b.dtype)
    if a.dtype == torch.int64 or b.dtype == torch.int64 or dtype == torch.float64:
        dtype = torch.float64
    elif dtype not in (torch.bfloat16, torch.float16):
        dtype = torch.float32
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] == 0 or b.shape[-1] == 0:
        raise ValueError(
            f"ops.correlate needs non-empty sequences, received shapes {shape_str(a.shape)} and {shape_str(b.shape)}."
        )
    batch = torch.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    a = a.to(dtype).expand(*batch, a.shape[-1]).reshape(1, -1, a.shape[-1])
    b = b.to(dtype).expand(*batch, b.shape[-1]).reshape(-1, 1, b.shape[-1])
    full = torch.nn.functional.conv1d(a, b, groups=a.shape[1], padding=b.shape[-1] - 1)[0]
    n1, n2 = a.shape[-1], b.shape[-1]
    length = {"valid": max(n1, n2) - min(n1, n2) + 1, "same": n1, "full": n1 + n2 - 1}[mode]
    start = (full.shape[-1] - length) // 2
    return full[:, start:start + length].reshape(*batch, length)


@keras_op("numpy")
def corrcoef(x):
    """Pearson correlation coefficients of the rows of ``x`` (variables) over its
    columns (observations).

    Args:
        x: 1-D or 2-D tensor.

    Returns:
        The correlation matrix (a 0-d 1.0 for a single variable).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.corrcoef([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
        tensor([[1., 1.],
                [1., 1.]])
    """
    x = convert(x, op="ops.corrcoef")
    if x.ndim > 2:
        raise ValueError(f"ops.corrcoef needs a 1-D or 2-D tensor, received shape {shape_str(x.shape)}.")
    if x.dtype == torch.int64:
        x = x.to(torch.float64)
    elif not x.is_floating_point() and not x.is_complex():
        x = x.to(floatx())
    return torch.corrcoef(x)


@keras_op("numpy")
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule.

    Args:
        y: values to integrate.
        x: sample points (default: spaced ``dx`` apart).
        dx: spacing when ``x`` is None.
        axis: the axis to integrate along.

    Returns:
        The integrals (``y``'s rank minus one).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.trapezoid([1.0, 2.0, 3.0])
        tensor(4.)
    """
    y = convert(y, op="ops.trapezoid")
    if y.dtype == torch.bool:
        y = y.to(floatx())
    axis = canonical_axis(axis, y.ndim, "ops.trapezoid")
    if x is not None:
        return torch.trapezoid(y, convert(x, device=y.device), dim=axis)
    if not y.is_floating_point():
        y = y.to(result_type(y.dtype, type(dx) if isinstance(dx, (int, float)) else convert(dx).dtype))
    return torch.trapezoid(y, dx=float(dx), dim=axis)


@keras_op("numpy")
def diff(a, n=1, axis=-1):
    """The ``n``-th discrete difference along ``axis``.

    Args:
        a: input tensor.
        n: number of times to difference.
        axis: the axis.

    Returns:
        A tensor with ``n`` fewer elements along ``axis``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.diff([1, 4, 9, 16])
        tensor([3, 5, 7], dtype=torch.int32)
    """
    a = convert(a, op="ops.diff")
    if n < 0:
        raise ValueError(f"ops.diff: n must be >= 0, received n={n}.")
    return torch.diff(a, n=n, dim=canonical_axis(axis, a.ndim, "ops.diff"))


@keras_op("numpy")
def slogdet(x):
    """Sign and natural log of the absolute determinant of square matrices.

    Args:
        x: tensor of shape ``(..., M, M)``.

    Returns:
        ``(sign, logabsdet)``.

    Example:
        >>> from torch_keraslike import ops
        >>> sign, logdet = ops.slogdet([[2.0, 0.0], [0.0, 3.0]])
        >>> float(sign), round(float(logdet), 4)
        (1.0, 1.7918)
    """
    x = convert(x, op="ops.slogdet")
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"ops.slogdet needs square matrices (..., M, M), received shape {shape_str(x.shape)}.")
    return tuple(torch.linalg.slogdet(x))


__all__ = exported(globals())
