"""``GroupedQueryAttention`` (Ainslie et al., 2023), as in Keras."""

from ...saving import register_serializable
from .._common import is_positive_int, layer_label, serialize_options
from ._multi_head import MultiHeadBase

__all__ = ["GroupedQueryAttention"]


@register_serializable(package="keras")
class GroupedQueryAttention(MultiHeadBase):
    """Grouped-query attention (Keras's ``GroupedQueryAttention``, exported also as
    ``GroupQueryAttention``).

    Like ``MultiHeadAttention`` on sequences, with fewer key/value heads than query heads:
    each of the ``num_key_value_heads`` key/value heads serves ``num_query_heads //
    num_key_value_heads`` consecutive query heads (one key/value head: multi-query
    attention). The attention runs on torch's fused ``scaled_dot_product_attention``
    (grouped heads without copies on torch >= 2.5) unless the scores are requested.

    Args:
        head_dim: size of each head.
        num_query_heads: number of query heads.
        num_key_value_heads: number of key and value heads; divides ``num_query_heads``.
        dropout: dropout rate on the attention probabilities, in ``[0, 1)``.
        use_bias: whether the projections have biases.
        sliding_window: int; a query attends only to keys less than this many positions
            away.
        flash_attention: None (torch chooses), True (flash attention only) or False.
        kernel_initializer, bias_initializer: initializers of the projections.
        kernel_regularizer, bias_regularizer: regularizers of the projections.
        activity_regularizer: regularizer of the projections' outputs and of the
            layer's output (as in Keras).
        kernel_constraint, bias_constraint: constraints of the projections.
        use_gate: sigmoid gate from the query on the attention output.
        seed: int; makes the dropout masks reproducible.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        query: ``(batch, T, dim)``; value: ``(batch, S, dim)``; key: optional
        ``(batch, S, dim_k)`` (default ``value``); query_mask, value_mask, key_mask,
        attention_mask, return_attention_scores, training, use_causal_mask: as for
        ``MultiHeadAttention``.

    Shapes:
        Output ``(batch, T, dim)``; scores ``(batch, num_query_heads, T, S)``. Weights:
        query kernel ``(dim, num_query_heads, head_dim)``, key and value kernels
        ``(dim, num_key_value_heads, head_dim)``, output kernel ``(num_query_heads,
        head_dim, dim)``, with biases.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> gqa = tkl.layers.GroupedQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
        >>> gqa(torch.ones(2, 5, 8), torch.ones(2, 7, 8)).shape
        torch.Size([2, 5, 8])
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True,
                 sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, use_gate=False,
                 seed=None, **kwargs):
        # Keras regularizes the projections' outputs and, through the base layer, the output.
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        where = layer_label(self)
        for arg, value in (("head_dim", head_dim), ("num_query_heads", num_query_heads),
                           ("num_key_value_heads", num_key_value_heads)):
            if not is_positive_int(value):
                raise ValueError(f"{where}: `{arg}` must be a positive integer, received {arg}={value!r}.")
        if num_query_heads % num_key_value_heads:
            raise ValueError(
                f"{where}: `num_query_heads` must be divisible by `num_key_value_heads`. Received: "
                f"num_query_heads={num_query_heads}, num_key_value_heads={num_key_value_heads}. Fix: "
                "e.g. num_key_value_heads=1 (multi-query) or a divisor of num_query_heads."
            )
        self._setup(num_query_heads, num_key_value_heads, head_dim, head_dim, dropout, use_bias, None,
                    None, sliding_window, flash_attention, kernel_initializer, bias_initializer,
                    kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
                    bias_constraint, use_gate, seed)
        self.num_repeats = num_query_heads // num_key_value_heads

    head_dim = property(lambda self: self._key_dim, doc="Size of each head.")
    num_query_heads = property(lambda self: self._num_heads, doc="Number of query heads.")
    num_key_value_heads = property(lambda self: self._kv_heads, doc="Number of key/value heads.")
    dropout = property(lambda self: self._dropout, doc="Dropout rate of the probabilities.")
    use_bias = property(lambda self: self._use_bias, doc="Whether the projections have biases.")
    use_gate = property(lambda self: self._use_gate, doc="Whether the output is gated.")
    sliding_window = property(lambda self: self._sliding_window, doc="The sliding window, or None.")

    _query_dense = property(lambda self: self.query_dense)
    _key_dense = property(lambda self: self.key_dense)
    _value_dense = property(lambda self: self.value_dense)
    _output_dense = property(lambda self: self.output_dense)
    _gate_dense = property(lambda self: self.gate_dense)

    def _check_build_shapes(self, query_shape, value_shape, key_shape):
        if len(query_shape) != 3:
            raise ValueError(
                f"{layer_label(self)} attends over sequences: inputs must be (batch, seq, features), "
                f"received query shape {query_shape}. Fix: use MultiHeadAttention(attention_axes=...) "
                "for inputs of higher rank."
            )
        super()._check_build_shapes(query_shape, value_shape, key_shape)

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if query_shape and isinstance(query_shape[0], (list, tuple)):
            query_shape, value_shape, key_shape = (list(query_shape) + [None, None])[:3]
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(
                f"{layer_label(self)}: The last dimension of `query_shape` and `value_shape` must be "
                f"equal, but are {query_shape[-1]}, {value_shape[-1]}. Received: "
                f"query_shape={query_shape}, value_shape={value_shape}"
            )
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"{layer_label(self)}: All dimensions of `value` and `key`, except the last one, must "
                f"be equal. Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        return query_shape

    def get_config(self):
        config = super().get_config()
        config.update(head_dim=self._key_dim, num_query_heads=self._num_heads,
                      num_key_value_heads=self._kv_heads, use_bias=self._use_bias, use_gate=self._use_gate,
                      sliding_window=self._sliding_window, dropout=self._dropout)
        serialize_options(
            config, kernel_initializer=self._kernel_initializer, bias_initializer=self._bias_initializer,
            kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
            activity_regularizer=self._activity_regularizer, kernel_constraint=self._kernel_constraint,
            bias_constraint=self._bias_constraint,
        )
        config["seed"] = self.seed
        return config

    def extra_repr(self):
        return (f"name={self.name!r}, head_dim={self._key_dim}, num_query_heads={self._num_heads}, "
                f"num_key_value_heads={self._kv_heads}")
