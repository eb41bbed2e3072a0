"""``keras.ops.numpy`` on torch: NumPy's functions with Keras's argument names,
conversion and dtype promotion rules.

Example:
    >>> from torch_keraslike import ops
    >>> ops.numpy.mean([[1, 2], [3, 4]], axis=0)
    tensor([2., 3.])
"""

from ._control_flow import vectorize  # noqa: F401
from ._np_creation import *  # noqa: F401,F403
from ._np_creation import __all__ as _creation
from ._np_elementwise import *  # noqa: F401,F403
from ._np_elementwise import __all__ as _elementwise
from ._np_join import *  # noqa: F401,F403
from ._np_join import __all__ as _join
from ._np_linear import *  # noqa: F401,F403
from ._np_linear import __all__ as _linear
from ._np_reduce import *  # noqa: F401,F403
from ._np_reduce import __all__ as _reduce
from ._np_select import *  # noqa: F401,F403
from ._np_select import __all__ as _select
from ._np_shape import *  # noqa: F401,F403
from ._np_shape import __all__ as _shape
from ._np_sort import *  # noqa: F401,F403
from ._np_sort import __all__ as _sort
from ._np_stats import *  # noqa: F401,F403
from ._np_stats import __all__ as _stats

__all__ = sorted(_creation + _elementwise + _join + _linear + _reduce + _select + _shape + _sort + _stats
                 + ["vectorize"])
