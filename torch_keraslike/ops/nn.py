"""``keras.ops.nn`` on torch: activations, convolutions and pooling, encodings,
losses, normalizations, attention and CTC.

Example:
    >>> from torch_keraslike import ops
    >>> ops.nn.relu([-1.0, 1.0])
    tensor([0., 1.])
"""

from ._nn_activations import *  # noqa: F401,F403
from ._nn_activations import __all__ as _activations
from ._nn_conv import *  # noqa: F401,F403
from ._nn_conv import __all__ as _conv
from ._nn_ctc import *  # noqa: F401,F403
from ._nn_ctc import __all__ as _ctc
from ._nn_functions import *  # noqa: F401,F403
from ._nn_functions import __all__ as _functions

__all__ = sorted(_activations + _conv + _ctc + _functions)
