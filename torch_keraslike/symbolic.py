"""Symbolic tensors (``KerasTensor``, ``Input``) and shape inference without compute.

Calling a layer on ``KerasTensor``s builds the layer (real weights) and infers the
output shapes and dtypes by running ``call`` under torch's ``FakeTensorMode``: fake
tensors carry shapes, dtypes and devices but no storage, so ``Input((4096, 4096, 3))``
through a ``Conv2D`` allocates no activation and computes nothing. Unknown dimensions
(``None``) are given two different placeholder sizes in two runs; an output dimension
that changes between them is unknown too.

Example:
    >>> import torch_keraslike as tkl
    >>> x = tkl.Input((32,))
    >>> y = tkl.layers.Dense(8)(x)
    >>> y.shape
    (None, 8)
"""

import contextlib
import numbers

import torch
from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode, unset_fake_temporarily

from ._dtypes import dtype_name, to_torch_dtype

__all__ = ["KerasTensor", "Node", "is_keras_tensor"]

# Sizes given to unknown dimensions in the two inference runs; primes, so an output
# dimension derived from an unknown input dimension is unlikely to coincide.
_PLACEHOLDERS = (83, 89)
PLACEHOLDER = _PLACEHOLDERS[0]  # the size of unknown dimensions in single fake runs

_OP_ERROR = """\
A KerasTensor (a symbolic placeholder with shape {shape}) was passed to {op}, which \
cannot take it: symbolic tensors have no values.
Wrap the computation in a layer instead:
Wrong:
    y = {op}(x)
Right:
    y = tkl.layers.Lambda(lambda t: {op}(t))(x)"""


class KerasTensor:
    """A symbolic tensor: a shape (``None`` for unknown sizes), a dtype and a name.

    It is what ``Input`` returns and what layers return when called on symbolic
    inputs; it records the layer call that produced it, from which ``Model`` builds
    its graph. It holds no values: pass real tensors to the model to compute.

    Args:
        shape: tuple of ints or ``None``s.
        dtype: ``torch.dtype`` or Keras name; default ``torch.get_default_dtype()``.
        name: optional name.
    """

    __slots__ = ("_shape", "_dtype", "_name", "_history", "_keras_mask")

    def __init__(self, shape, dtype=None, name=None):
        # NumPy integers (``np.int64(32)`` from array shapes) are ints too.
        shape = tuple(int(d) if isinstance(d, numbers.Integral) and not isinstance(d, bool) else d
                      for d in shape)
        for dim in shape:
            if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool) or dim < 0):
                raise ValueError(
                    f"KerasTensor shape entries must be non-negative ints or None, received "
                    f"shape={shape!r}. Fix: e.g. Input(shape=(28, 28, 1))."
                )
        self._shape = shape
        self._dtype = to_torch_dtype(dtype, context="KerasTensor dtype") or torch.get_default_dtype()
        self._name = name
        self._history = None  # (node, index of this tensor among the node's outputs)
        self._keras_mask = None  # a KerasTensor mask, set by layers that compute masks

    shape = property(lambda self: self._shape, doc="The shape, a tuple of ints/None.")
    dtype = property(lambda self: self._dtype, doc="The ``torch.dtype``.")
    name = property(lambda self: self._name, doc="The name, if any.")

    @property
    def ndim(self):
        return len(self._shape)

    def dim(self):
        return len(self._shape)

    def size(self, dim=None):
        return self._shape if dim is None else self._shape[dim]

    def __repr__(self):
        name = f", name={self._name}" if self._name else ""
        return f"<KerasTensor shape={self._shape}, dtype={dtype_name(self._dtype)}{name}>"

    def __len__(self):
        if not self._shape or self._shape[0] is None:
            raise TypeError(f"len() of a KerasTensor with unknown first dimension: {self!r}")
        return self._shape[0]

    def __bool__(self):
        raise TypeError(
            f"The truth value of a KerasTensor is unknown: {self!r} holds no values. "
            "Fix: data-dependent Python control flow belongs in a layer's call()."
        )

    def __iter__(self):
        raise TypeError(
            f"A KerasTensor cannot be iterated: {self!r}. Fix: index it (x[:, 0]) or "
            "split it with a layer."
        )

    def __array__(self, *args, **kwargs):
        raise TypeError(
            f"A KerasTensor cannot be converted to a NumPy array: {self!r} holds no values. "
            "Fix: build a Model from it and call the model on real data."
        )

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        from ._torch_ops import symbolic_torch_call

        return symbolic_torch_call(func, args, kwargs or {})

    # Python operators route through torch functions, so ``x + y`` joins the graph.
    def _binary(op, reverse=False):
        def method(self, other):
            return KerasTensor.__torch_function__(op, (KerasTensor,), (other, self) if reverse else (self, other))

        return method

    __add__ = _binary(torch.add)
    __radd__ = _binary(torch.add, reverse=True)
    __sub__ = _binary(torch.sub)
    __rsub__ = _binary(torch.sub, reverse=True)
    __mul__ = _binary(torch.mul)
    __rmul__ = _binary(torch.mul, reverse=True)
    __truediv__ = _binary(torch.div)
    __rtruediv__ = _binary(torch.div, reverse=True)
    __matmul__ = _binary(torch.matmul)
    __rmatmul__ = _binary(torch.matmul, reverse=True)
    __pow__ = _binary(torch.pow)
    del _binary

    def __neg__(self):
        return KerasTensor.__torch_function__(torch.neg, (KerasTensor,), (self,))

    def __getitem__(self, index):
        return KerasTensor.__torch_function__(torch.Tensor.__getitem__, (KerasTensor,), (self, index))

    def __getattr__(self, name):
        method = getattr(torch.Tensor, name, None)
        if method is None or name.startswith("_"):
            raise AttributeError(f"'KerasTensor' object has no attribute {name!r}")

        def bound(*args, **kwargs):
            return KerasTensor.__torch_function__(method, (KerasTensor,), (self,) + args, kwargs)

        return bound


def is_keras_tensor(value):
    """True for a :class:`KerasTensor`."""
    return isinstance(value, KerasTensor)


class Node:
    """One call of a layer in a functional graph: the layer, the arguments it was called
    with (``KerasTensor``s and constants, nested as in the call) and its outputs."""

    __slots__ = ("layer", "args", "kwargs", "outputs", "parents", "__weakref__")

    def __init__(self, layer, args, kwargs, outputs):
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.parents = [t for t in flatten((args, kwargs)) if isinstance(t, KerasTensor)]
        for index, tensor in enumerate(flatten(outputs)):
            tensor._history = (self, index)


def flatten(structure):
    """Leaves of a nested list/tuple/dict structure, in order."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in flatten(item)]
    return [structure]


def map_structure(fn, structure):
    """Applies ``fn`` to every leaf, keeping lists, tuples and dicts."""
    if isinstance(structure, torch.Tensor):
        return fn(structure)
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, item) for key, item in structure.items()}
    return fn(structure)


_symbolic_depth = [0]  # layer calls on KerasTensors in progress (nested ones count)


@contextlib.contextmanager
def symbolic_call_scope():
    """Marks a layer call on symbolic tensors (see :func:`in_symbolic_call`)."""
    _symbolic_depth[0] += 1
    try:
        yield
    finally:
        _symbolic_depth[0] -= 1


def in_symbolic_call():
    """Whether a layer is being called on symbolic tensors: real tensors seen meanwhile
    (weights built, sub-layers built on samples) are part of building, not real work."""
    return _symbolic_depth[0] > 0


def has_keras_tensor(args, kwargs):
    return any(isinstance(leaf, KerasTensor) for leaf in flatten((args, kwargs)))


def fake_mode():
    """The fake-tensor mode of shape inference: real tensors (weights) may take part."""
    return FakeTensorMode(allow_non_fake_inputs=True)


def to_fakes(structure, placeholder=PLACEHOLDER, device=None):
    """``structure`` with every KerasTensor replaced by an empty tensor of its shape and
    dtype (fake inside :func:`fake_mode`), the unknown sizes set to ``placeholder``."""

    def to_fake(value):
        if isinstance(value, KerasTensor):
            shape = [placeholder if d is None else d for d in value.shape]
            return torch.empty(shape, dtype=value.dtype, device=device)
        return value

    return map_structure(to_fake, structure)


def _fake_run(fn, args, kwargs, placeholder, device):
    """Runs ``fn`` with every KerasTensor replaced by a fake tensor of its shape, the
    unknown sizes set to ``placeholder``; returns the fake outputs."""
    with fake_mode():
        return fn(*to_fakes(args, placeholder, device), **to_fakes(kwargs, placeholder, device))


def infer_output_spec(fn, args, kwargs, device=None):
    """Output ``KerasTensor``s (shapes with ``None`` for unknowns) of ``fn`` on the
    symbolic ``args``/``kwargs``, computed on fake tensors placed on ``device``."""
    unknown = any(
        d is None for leaf in flatten((args, kwargs)) if isinstance(leaf, KerasTensor) for d in leaf.shape
    )
    first = _fake_run(fn, args, kwargs, _PLACEHOLDERS[0], device)
    second = _fake_run(fn, args, kwargs, _PLACEHOLDERS[1], device) if unknown else first
    leaves_second = iter(flatten(second))

    def to_keras(value):
        other = next(leaves_second)
        if not isinstance(value, torch.Tensor):
            return value
        shape = tuple(a if a == b else None for a, b in zip(value.shape, other.shape))
        return KerasTensor(shape, dtype=value.dtype)

    return map_structure(to_keras, first)


def map_shapes_to_keras(shapes, dtype):
    """A structure of shapes as ``KerasTensor``s of ``dtype``."""
    if isinstance(shapes, (tuple, torch.Size)) and all(d is None or isinstance(d, int) for d in shapes):
        return KerasTensor(tuple(shapes), dtype=dtype)
    if isinstance(shapes, dict):
        return {k: map_shapes_to_keras(v, dtype) for k, v in shapes.items()}
    return [map_shapes_to_keras(s, dtype) for s in shapes]


def real_mode():
    """Context in which tensors are real even inside shape inference (used by build)."""
    return unset_fake_temporarily()


def is_fake(tensor):
    return isinstance(tensor, FakeTensor)


def raise_op_error(op, tensor):
    raise TypeError(_OP_ERROR.format(shape=tensor.shape, op=op))
