"""Tensor creation and matrix-structure ops of ``keras.ops.numpy``: ranges, constant
tensors, identity and triangular matrices, diagonals, grids and window functions.

Created tensors default to ``floatx`` (``torch.get_default_dtype()``) and to torch's
default device; ``*_like`` ops follow their input's dtype and device.
"""

import math

import torch

from ._base import canonical_axis, check_int, convert, device_of, floatx, result_type, shape_str
from ._base import tensors, to_torch_dtype
from ._symbolic import exported, keras_op


def _dtype(dtype, op, default=None):
    return to_torch_dtype(dtype, op) if dtype is not None else (default or floatx())


def _shape(shape, op):
    if isinstance(shape, torch.Tensor):
        shape = shape.tolist()
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise ValueError(f"{op}: shape must be a tuple of non-negative ints, received {shape!r}.")
    return shape


def _dtype_of(value):
    """Keras's view of a range argument in promotion: its dtype, or its Python type."""
    return getattr(value, "dtype", None) or type(value)


@keras_op("numpy")
def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)``.

    Args:
        start: first value (or the stop, with ``start=0``, when ``stop`` is None).
        stop: end, excluded.
        step: spacing (default 1).
        dtype: result dtype; default Keras's promotion of the arguments (``int32`` for
            ints, ``float32`` for floats).

    Returns:
        A 1-D tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.arange(1, 7, 2)
        tensor([1, 3, 5], dtype=torch.int32)
    """
    if dtype is None:
        dtype = result_type(*(_dtype_of(v) for v in (start, stop, step) if v is not None))
    dtype = to_torch_dtype(dtype, "ops.arange")
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if step == 0:
        raise ValueError("ops.arange: step must not be 0.")
    return torch.arange(start, stop, step, dtype=dtype, device=device_of(start, stop, step))


def _linear_steps(start, stop, num, endpoint, dtype, device):
    """``num`` points from ``start`` toward ``stop`` (tensors broadcast: new axis 0)."""
    start, stop = convert(start, dtype, device), convert(stop, dtype, device)
    divisor = (num - 1) if endpoint else num
    steps = torch.arange(num, dtype=dtype, device=device) / max(divisor, 1)
    steps = steps.reshape((num,) + (1,) * max(start.ndim, stop.ndim))
    return start + steps * (stop - start), (stop - start) / divisor if divisor else torch.full_like(start, math.nan)


def _check_space(num, axis, op):
    num = check_int(num, op, "num", minimum=0)
    if axis != 0:
        raise ValueError(f"{op}: only axis=0 is supported (the new axis comes first), received axis={axis!r}.")
    return num


@keras_op("numpy")
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop``.

    Args:
        start: first value (number or tensor).
        stop: last value (included when ``endpoint``).
        num: number of values.
        endpoint: include ``stop``.
        retstep: also return the spacing.
        dtype: result dtype; default Keras's promotion with float.
        axis: position of the new axis; must be 0.

    Returns:
        The values, or ``(values, step)``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.linspace(0, 1, 5)
        tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    num = _check_space(num, axis, "ops.linspace")
    dtype = _dtype(dtype, "ops.linspace", result_type(_dtype_of(start), _dtype_of(stop), float))
    device = device_of(start, stop)
    if not hasattr(start, "__len__") and not hasattr(stop, "__len__") and not isinstance(
            start, torch.Tensor) and not isinstance(stop, torch.Tensor):
        values = torch.linspace(start, stop if endpoint or num == 0 else stop - (stop - start) / num,
                                num, dtype=dtype, device=device)
        divisor = (num - 1) if endpoint else num
        step = torch.tensor((stop - start) / divisor if divisor else math.nan, dtype=dtype, device=device)
    else:
        values, step = _linear_steps(start, stop, num, endpoint, dtype, device)
        values = values.to(dtype)
    return (values, step) if retstep else values


@keras_op("numpy")
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``num`` values spaced evenly on a log scale, from ``base**start`` to ``base**stop``.

    Args:
        start: exponent of the first value.
        stop: exponent of the last value.
        num: number of values.
        endpoint: include ``base**stop``.
        base: the base of the exponents.
        dtype: result dtype; default Keras's promotion with float.
        axis: position of the new axis; must be 0.

    Returns:
        A tensor of ``num`` values (broadcast with tensor ``start``/``stop``).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.logspace(0, 2, 3)
        tensor([  1.,  10., 100.])
    """
    num = _check_space(num, axis, "ops.logspace")
    dtype = _dtype(dtype, "ops.logspace", result_type(_dtype_of(start), _dtype_of(stop), float))
    device = device_of(start, stop)
    compute = torch.float32 if dtype == torch.float16 else dtype
    exponents, _ = _linear_steps(start, stop, num, endpoint, compute, device)
    return (torch.as_tensor(base, dtype=compute, device=exponents.device) ** exponents).to(dtype)


@keras_op("numpy")
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` values in geometric progression from ``start`` to ``stop``.

    Args:
        start: first value (non-zero).
        stop: last value (same sign as ``start``).
        num: number of values.
        endpoint: include ``stop``.
        dtype: result dtype; default Keras's promotion with float.
        axis: position of the new axis; must be 0.

    Returns:
        A tensor of ``num`` values.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.geomspace(1, 1000, 4)
        tensor([   1.,   10.,  100., 1000.])
    """
    num = _check_space(num, axis, "ops.geomspace")
    dtype = _dtype(dtype, "ops.geomspace", result_type(_dtype_of(start), _dtype_of(stop), float))
    device = device_of(start, stop)
    start, stop = convert(start, dtype, device), convert(stop, dtype, device)
    values = logspace._tkl_op_impl(torch.log10(torch.abs(start)), torch.log10(torch.abs(stop)), num,
                                   endpoint, 10, dtype)
    return values * torch.sign(start)


def _filled(name, value, doc, call, result):
    def op(shape, dtype=None):
        return torch.full(_shape(shape, f"ops.{name}"), value, dtype=_dtype(dtype, f"ops.{name}"))

    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    op.__doc__ = (f"{doc}\n\nArgs:\n    shape: an int or a tuple of ints.\n    dtype: dtype (default "
                  "floatx).\n\nReturns:\n    A new tensor.\n\nExample:\n    >>> from torch_keraslike "
                  f"import ops\n    >>> ops.{call}\n    {result}\n")
    return keras_op("numpy")(op)


zeros = _filled("zeros", 0, "A tensor of zeros.", "zeros((2,), dtype='int32')",
                "tensor([0, 0], dtype=torch.int32)")
ones = _filled("ones", 1, "A tensor of ones.", "ones(2)", "tensor([1., 1.])")


@keras_op("numpy")
def empty(shape, dtype=None):
    """An uninitialised tensor (its values are arbitrary).

    Args:
        shape: an int or a tuple of ints.
        dtype: dtype (default floatx).

    Returns:
        A new tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.empty((2, 3)).shape
        torch.Size([2, 3])
    """
    return torch.empty(_shape(shape, "ops.empty"), dtype=_dtype(dtype, "ops.empty"))


@keras_op("numpy")
def full(shape, fill_value, dtype=None):
    """A tensor filled with ``fill_value`` (a tensor value is broadcast).

    Args:
        shape: an int or a tuple of ints.
        fill_value: the value (number or tensor broadcastable to ``shape``).
        dtype: dtype (default floatx, also for integer values, as in Keras).

    Returns:
        A new tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.full((2,), 7)
        tensor([7., 7.])
    """
    shape = _shape(shape, "ops.full")
    dtype = _dtype(dtype, "ops.full")
    if isinstance(fill_value, (bool, int, float, complex)):
        return torch.full(shape, fill_value, dtype=dtype)
    return torch.broadcast_to(convert(fill_value, dtype, op="ops.full"), shape).clone()


def _like(name, make, doc, call, result):
    def op(x, dtype=None):
        x = convert(x, op=f"ops.{name}")
        return make(x, dtype=_dtype(dtype, f"ops.{name}", x.dtype))

    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    op.__doc__ = (f"{doc}\n\nArgs:\n    x: tensor giving the shape, device and default dtype.\n    "
                  "dtype: dtype (default ``x``'s).\n\nReturns:\n    A new tensor.\n\nExample:\n    "
                  f">>> from torch_keraslike import ops\n    >>> ops.{call}\n    {result}\n")
    return keras_op("numpy")(op)


zeros_like = _like("zeros_like", torch.zeros_like, "Zeros of the shape of ``x``.", "zeros_like([1, 2])",
                   "tensor([0, 0], dtype=torch.int32)")
ones_like = _like("ones_like", torch.ones_like, "Ones of the shape of ``x``.", "ones_like([1.5])",
                  "tensor([1.])")
empty_like = _like("empty_like", torch.empty_like, "An uninitialised tensor of the shape of ``x``.",
                   "empty_like([1.5]).shape", "torch.Size([1])")


@keras_op("numpy")
def full_like(x, fill_value, dtype=None):
    """A tensor of the shape of ``x`` filled with ``fill_value``.

    Args:
        x: tensor giving the shape and device.
        fill_value: the value (number or broadcastable tensor).
        dtype: dtype (default ``x``'s).

    Returns:
        A new tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.full_like([1, 2], 5)
        tensor([5, 5], dtype=torch.int32)
    """
    x = convert(x, op="ops.full_like")
    dtype = _dtype(dtype, "ops.full_like", x.dtype)
    if isinstance(fill_value, (bool, int, float, complex)):
        return torch.full_like(x, fill_value, dtype=dtype)
    return torch.broadcast_to(convert(fill_value, dtype, x.device, op="ops.full_like"), x.shape).clone()


@keras_op("numpy")
def array(x, dtype=None):
    """``x`` as a tensor (Keras's conversion rules: Python ints give ``int32``).

    Args:
        x: array-like or tensor.
        dtype: dtype to cast to.

    Returns:
        A tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.array([1, 2])
        tensor([1, 2], dtype=torch.int32)
    """
    return convert(x, dtype, op="ops.array")


@keras_op("numpy")
def eye(N, M=None, k=0, dtype=None):
    """A 2-D tensor with ones on the ``k``-th diagonal and zeros elsewhere.

    Args:
        N: number of rows.
        M: number of columns (default ``N``).
        k: diagonal offset (positive above the main diagonal).
        dtype: dtype (default floatx).

    Returns:
        A ``(N, M)`` tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.eye(2, 3, k=1)
        tensor([[0., 1., 0.],
                [0., 0., 1.]])
    """
    for value, name in ((N, "N"), (M, "M")):
        if isinstance(value, float) or getattr(value, "is_floating_point", lambda: False)():
            raise TypeError(f"ops.eye: {name} must be an integer, received {value!r}.")
    N = check_int(N, "ops.eye", "N", minimum=0)
    M = N if M is None else check_int(M, "ops.eye", "M", minimum=0)
    k = 0 if k is None else check_int(k, "ops.eye", "k")
    dtype = _dtype(dtype, "ops.eye")
    if k == 0:
        return torch.eye(N, M, dtype=dtype)
    return torch.diag(torch.ones(max(N, M), dtype=dtype), diagonal=k)[:N, :M]


@keras_op("numpy")
def identity(n, dtype=None):
    """The ``n x n`` identity matrix.

    Args:
        n: size.
        dtype: dtype (default floatx).

    Returns:
        A ``(n, n)`` tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.identity(2, dtype="int32")
        tensor([[1, 0],
                [0, 1]], dtype=torch.int32)
    """
    return torch.eye(check_int(n, "ops.identity", "n", minimum=0), dtype=_dtype(dtype, "ops.identity"))


@keras_op("numpy")
def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the ``k``-th diagonal, zeros above.

    Args:
        N: number of rows.
        M: number of columns (default ``N``).
        k: diagonal offset.
        dtype: dtype (default floatx).

    Returns:
        A ``(N, M)`` tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.tri(2, dtype="int32")
        tensor([[1, 0],
                [1, 1]], dtype=torch.int32)
    """
    M = N if M is None else M
    return torch.tril(torch.ones((N, M), dtype=_dtype(dtype, "ops.tri")), diagonal=k)


def _triangle(name, torch_fn, doc, call, result):
    def op(x, k=0):
        x = convert(x, op=f"ops.{name}")
        if x.ndim < 2:
            raise ValueError(f"ops.{name} needs a tensor of rank >= 2, received shape {shape_str(x.shape)}.")
        return torch_fn(x, diagonal=check_int(k, f"ops.{name}", "k"))

    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    op.__doc__ = (f"{doc}\n\nArgs:\n    x: tensor of rank >= 2 (the last two axes are the matrix).\n"
                  "    k: diagonal offset.\n\nReturns:\n    A tensor of ``x``'s shape.\n\nExample:\n    "
                  f">>> from torch_keraslike import ops\n    >>> ops.{call}\n    {result}\n")
    return keras_op("numpy")(op)


tril = _triangle("tril", torch.tril, "Keeps the lower triangle (at and below diagonal ``k``), zeros above.",
                 "tril([[1, 2], [3, 4]])", "tensor([[1, 0],\n            [3, 4]], dtype=torch.int32)")
triu = _triangle("triu", torch.triu, "Keeps the upper triangle (at and above diagonal ``k``), zeros below.",
                 "triu([[1, 2], [3, 4]])", "tensor([[1, 2],\n            [0, 4]], dtype=torch.int32)")


@keras_op("numpy")
def diag(x, k=0):
    """The ``k``-th diagonal of a 2-D tensor, or a 2-D tensor with a 1-D ``x`` on it.

    Args:
        x: 1-D or 2-D tensor.
        k: diagonal offset.

    Returns:
        A 1-D or 2-D tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.diag([[1, 2], [3, 4]])
        tensor([1, 4], dtype=torch.int32)
    """
    x = convert(x, op="ops.diag")
    if x.ndim not in (1, 2):
        raise ValueError(f"ops.diag needs a 1-D or 2-D tensor, received shape {shape_str(x.shape)}.")
    return torch.diag(x, diagonal=check_int(k, "ops.diag", "k"))


@keras_op("numpy")
def diagflat(x, k=0):
    """A 2-D tensor with the flattened ``x`` on the ``k``-th diagonal.

    Args:
        x: input tensor (flattened).
        k: diagonal offset.

    Returns:
        A square 2-D tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.diagflat([1, 2])
        tensor([[1, 0],
                [0, 2]], dtype=torch.int32)
    """
    return torch.diagflat(convert(x, op="ops.diagflat"), offset=check_int(k, "ops.diagflat", "k"))


@keras_op("numpy")
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal of the matrices spanned by ``axis1`` and ``axis2``; it becomes the
    last axis of the result.

    Args:
        x: tensor of rank >= 2.
        offset: diagonal offset.
        axis1: first axis of the matrices.
        axis2: second axis (different from ``axis1``).

    Returns:
        A view holding the diagonals.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.diagonal([[1, 2], [3, 4]], offset=1)
        tensor([2], dtype=torch.int32)
    """
    x = convert(x, op="ops.diagonal")
    if x.ndim < 2:
        raise ValueError(f"ops.diagonal needs a tensor of rank >= 2, received shape {shape_str(x.shape)}.")
    a = canonical_axis(axis1, x.ndim, "ops.diagonal", "axis1")
    b = canonical_axis(axis2, x.ndim, "ops.diagonal", "axis2")
    if a == b:
        raise ValueError(f"ops.diagonal: axis1 and axis2 must differ, received axis1={axis1}, axis2={axis2}.")
    return torch.diagonal(x, offset=offset, dim1=a, dim2=b)


@keras_op("numpy")
def trace(x, offset=0, axis1=0, axis2=1):
    """Sum of the diagonal of the matrices spanned by ``axis1`` and ``axis2``.

    Args:
        x: tensor of rank >= 2.
        offset: diagonal offset.
        axis1: first axis of the matrices.
        axis2: second axis.

    Returns:
        The traces; bool and 8/16-bit integers sum into ``int32``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.trace([[1, 2], [3, 4]])
        tensor(5, dtype=torch.int32)
    """
    diagonals = diagonal._tkl_op_impl(x, offset, axis1, axis2)
    dtype = diagonals.dtype
    if dtype in (torch.bool, torch.int8, torch.int16, torch.uint8):
        dtype = torch.int32
    return torch.sum(diagonals, dim=-1, dtype=dtype)


@keras_op("numpy")
def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D coordinate vectors.

    Args:
        *x: 1-D tensors.
        indexing: ``"xy"`` (Cartesian: the first two outputs' axes swapped) or ``"ij"``
            (matrix indexing).

    Returns:
        A tuple of tensors, one per input.

    Example:
        >>> from torch_keraslike import ops
        >>> [g.shape for g in ops.meshgrid([1, 2, 3], [4, 5])]
        [torch.Size([2, 3]), torch.Size([2, 3])]
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"ops.meshgrid: indexing must be 'xy' or 'ij', received {indexing!r}.")
    return torch.meshgrid(*tensors(*x, op="ops.meshgrid"), indexing=indexing)


@keras_op("numpy")
def vander(x, N=None, increasing=False):
    """Vandermonde matrix: columns are powers of the 1-D ``x``.

    Args:
        x: 1-D tensor.
        N: number of columns (default ``len(x)``).
        increasing: powers increase from left to right (default: decrease).

    Returns:
        A ``(len(x), N)`` tensor (64-bit inputs give their 32-bit dtype, as in Keras).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.vander([2, 3], 3)
        tensor([[4, 2, 1],
                [9, 3, 1]], dtype=torch.int32)
    """
    x = convert(x, op="ops.vander")
    if x.ndim != 1:
        raise ValueError(f"ops.vander needs a 1-D tensor, received shape {shape_str(x.shape)}.")
    if N is not None:
        N = check_int(N, "ops.vander", "N", minimum=0)
    if not isinstance(increasing, bool):
        raise TypeError(f"ops.vander: increasing must be a bool, received {increasing!r}.")
    return torch.vander(x, N=N, increasing=increasing).to(result_type(x.dtype))


def _window(name, make, doc, result, beta=False):
    def op(x):
        return make(check_int(x, f"ops.{name}", "x", minimum=0), sym=True, dtype=floatx())

    def op_beta(x, beta):
        return make(check_int(x, f"ops.{name}", "x", minimum=0), sym=True, beta=float(beta), dtype=floatx())

    function = op_beta if beta else op
    function.__name__ = function.__qualname__ = name
    function.__module__ = __name__
    args = "    x: number of points (an int).\n" + ("    beta: shape parameter.\n" if beta else "")
    call = f"{name}(3, 0.0)" if beta else f"{name}(3)"
    function.__doc__ = (f"{doc}\n\nArgs:\n{args}\nReturns:\n    A 1-D floatx tensor of ``x`` points.\n\n"
                        f"Example:\n    >>> from torch_keraslike import ops\n    >>> ops.{call}\n    {result}\n")
    return keras_op("numpy", symbolic=False)(function)


bartlett = _window("bartlett", torch.signal.windows.bartlett, "The Bartlett (triangular) window.",
                   "tensor([0., 1., 0.])")
blackman = _window("blackman", torch.signal.windows.blackman, "The Blackman window.",
                   "tensor([-1.4901e-08,  1.0000e+00, -1.4901e-08])")
hamming = _window("hamming", torch.signal.windows.hamming, "The Hamming window.",
                  "tensor([0.0800, 1.0000, 0.0800])")
hanning = _window("hanning", torch.signal.windows.hann, "The Hann window.", "tensor([0., 1., 0.])")
kaiser = _window("kaiser", torch.signal.windows.kaiser, "The Kaiser window.", "tensor([1., 1., 1.])",
                 beta=True)


__all__ = exported(globals())
