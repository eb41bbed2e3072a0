"""``tkl.ops``: Keras 3's ``keras.ops`` on torch tensors.

The flat namespace holds the same names as ``keras.ops`` (the NumPy, NN, core and
math ops, ``rearrange``), with the submodules ``tkl.ops.numpy``, ``tkl.ops.nn``,
``tkl.ops.image`` and ``tkl.ops.linalg`` (plus ``core`` and ``math``). Arguments,
defaults and result dtypes are Keras's (its torch backend's); inputs may be tensors,
NumPy arrays or Python numbers and lists; results are tensors on the inputs' device.
On ``KerasTensor``s each op joins the functional graph as one layer (``OpLayer``).

Example:
    >>> import torch, torch_keraslike as tkl
    >>> from torch_keraslike import ops
    >>> ops.mean(ops.arange(6).reshape(2, 3), axis=1)
    tensor([1., 4.])
    >>> x = tkl.Input((3, 4))
    >>> tkl.Model(x, ops.mean(x, axis=1))(torch.ones(2, 3, 4)).shape
    torch.Size([2, 4])
"""

from . import core, einops, image, linalg, math, nn, numpy
from ._symbolic import OpLayer, get_op, get_op_by_keras_name, registered_ops
from .core import *  # noqa: F401,F403
from .einops import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .math import *  # noqa: F401,F403
from .nn import *  # noqa: F401,F403
from .numpy import *  # noqa: F401,F403

__all__ = sorted(
    set(core.__all__ + einops.__all__ + linalg.__all__ + math.__all__ + nn.__all__ + numpy.__all__)
    | {"image", "linalg", "nn", "numpy", "OpLayer", "get_op", "get_op_by_keras_name", "registered_ops"}
)
