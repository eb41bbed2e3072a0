"""Keras's variable API on the weights of our layers.

The weights ``add_weight`` creates stay what torch expects: trainable weights are plain
``torch.nn.Parameter`` objects, non-trainable state plain tensors registered as
buffers. So optimizers, ``state_dict``, DDP and ``torch.compile`` treat them exactly as
before (no subclass: a Parameter subclass would add a type guard per weight to every
compiled call). Keras code finds on each of them, as attributes of the tensor object:

- ``w.path``: ``"<layer>/<weight>"``, with the names of the layers being built or
  called around it (``"multi_head_attention/query/kernel"``), as Keras 3 names it;
- ``w.assign(value)``, ``w.assign_add(value)``, ``w.assign_sub(value)``: in place,
  without recording gradients, the value's shape checked (the weight is returned);
- ``w.numpy()``: a NumPy copy, also for a weight that requires grad (torch's own
  ``Tensor.numpy`` refuses those); ``w.value``: the weight itself (``v.value.grad``).

The layer re-attaches them when torch replaces a weight object (``.to()`` of buffers,
``to_empty``, ``load_state_dict(assign=True)``, ``copy.deepcopy``, ``pickle``).

Example:
    >>> import torch, torch_keraslike as tkl
    >>> dense = tkl.layers.Dense(2, name="dense")
    >>> _ = dense(torch.ones(1, 3))
    >>> dense.kernel.path
    'dense/kernel'
    >>> dense.bias.assign_add([1.0, 2.0]).numpy()
    array([1., 2.], dtype=float32)
"""

import weakref

import numpy as np
import torch

__all__ = ["annotate", "is_annotated"]

_SHAPE_MISMATCH = (
    "The shape of the target variable and the shape of the target value in "
    "`variable.{method}(value)` must match. variable.shape={shape}, Received: value.shape="
    "{received}. Target variable: {path}. Fix: pass a value of shape {shape}."
)


def _converted(tensor, value, method):
    if isinstance(value, torch.Tensor):
        value = value.detach()
    else:
        value = torch.as_tensor(np.asarray(value))
    if tuple(value.shape) != tuple(tensor.shape):
        raise ValueError(_SHAPE_MISMATCH.format(
            method=method, shape=tuple(tensor.shape), received=tuple(value.shape),
            path=tensor.__dict__.get("path")))
    return value.to(dtype=tensor.dtype, device=tensor.device)


def _assign(tensor, value):
    value = _converted(tensor, value, "assign")
    with torch.no_grad():
        tensor.copy_(value)
    return tensor


def _assign_add(tensor, value):
    value = _converted(tensor, value, "assign_add")
    with torch.no_grad():
        tensor.add_(value)
    return tensor


def _assign_sub(tensor, value):
    value = _converted(tensor, value, "assign_sub")
    with torch.no_grad():
        tensor.sub_(value)
    return tensor


def _numpy(tensor):
    return tensor.detach().cpu().numpy()


_METHODS = {"assign": _assign, "assign_add": _assign_add, "assign_sub": _assign_sub, "numpy": _numpy}


class _Method:
    """A Keras variable method bound to its weight by a weak reference (no reference
    cycle through the tensor's attributes). Copies and pickles drop the binding; the
    owning layer binds the copy again."""

    __slots__ = ("_owner", "_function")

    def __init__(self, owner, name):
        self._owner = None if owner is None else weakref.ref(owner)
        self._function = name

    def __call__(self, *args, **kwargs):
        owner = None if self._owner is None else self._owner()
        if owner is None:
            raise RuntimeError(
                f"This weight's {self._function}() was copied without its layer. Fix: call it "
                "on the weight of a layer (layer.kernel.assign(...)), or use torch in-place ops."
            )
        return _METHODS[self._function](owner, *args, **kwargs)

    def __reduce__(self):
        return (_Method, (None, self._function))

    def __deepcopy__(self, memo):
        return _Method(None, self._function)


class _State:
    """The weight's pickled attributes: its path, without the bound API (torch pickles a
    tensor's attributes through ``__getstate__``, found on the tensor itself first)."""

    __slots__ = ("_owner",)

    def __init__(self, owner):
        self._owner = weakref.ref(owner)

    def __call__(self):
        owner = self._owner()
        attributes = {} if owner is None else owner.__dict__
        return {key: value for key, value in attributes.items() if key not in _BOUND}

    def __deepcopy__(self, memo):
        return None  # the owning layer binds the copy again


_BOUND = frozenset([*_METHODS, "value", "__getstate__"])


def annotate(tensor, path):
    """Gives a weight its Keras path and variable API (in its own attributes)."""
    attributes = tensor.__dict__
    attributes["path"] = path
    attributes["value"] = tensor  # Keras's ``variable.value`` (``v.value.grad``)
    for name in _METHODS:
        attributes[name] = _Method(tensor, name)
    attributes["__getstate__"] = _State(tensor)
    return tensor


def is_annotated(tensor):
    """Whether ``tensor`` carries the Keras variable API bound to itself."""
    method = tensor.__dict__.get("assign") if isinstance(tensor, torch.Tensor) else None
    return isinstance(method, _Method) and method._owner is not None and method._owner() is tensor
