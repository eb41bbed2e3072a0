"""The attention family, as Keras's ``keras.layers`` has it: ``Attention``,
``AdditiveAttention``, ``MultiHeadAttention`` and ``GroupedQueryAttention``.

``from torch_keraslike.layers.attention import MultiHeadAttention`` keeps working (this
package replaced the former ``attention`` module).
"""

from .additive_attention import AdditiveAttention
from .attention import Attention
from .grouped_query_attention import GroupedQueryAttention
from .multi_head_attention import MultiHeadAttention

# Keras exports the class under this name too.
GroupQueryAttention = GroupedQueryAttention

__all__ = ["AdditiveAttention", "Attention", "GroupQueryAttention", "GroupedQueryAttention",
           "MultiHeadAttention"]
