"""``MultiHeadAttention`` (Vaswani et al., 2017), as in Keras."""

from ...saving import register_serializable
from .._common import as_tuple, is_int, is_positive_int, layer_label, serialize_options
from ._multi_head import MultiHeadBase

__all__ = ["MultiHeadAttention"]


@register_serializable(package="keras")
class MultiHeadAttention(MultiHeadBase):
    """Multi-head dot-product attention (Vaswani et al., 2017), as in Keras.

    ``query``, ``key`` and ``value`` are projected to ``num_heads`` heads; each head
    computes ``softmax(q k^T / sqrt(key_dim) + mask) v`` over the attention axes; the
    heads are projected back to the output size. The attention runs on torch's fused
    ``F.scaled_dot_product_attention`` unless the scores are requested (or a seeded
    dropout is used in training).

    Masks follow Keras: the masks carried by ``query``, ``value`` and ``key`` (e.g. from
    ``Embedding(mask_zero=True)``), ``use_causal_mask`` and ``sliding_window`` are
    combined with ``attention_mask``; the output carries the query's mask. A query whose
    keys are all masked averages the values uniformly (Keras's fused path) or, when
    Keras computes the scores explicitly (``dropout > 0``, scores returned, several
    attention axes), gives zeros.

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default: ``key_dim``).
        dropout: dropout rate on the attention probabilities, in ``[0, 1)``.
        use_bias: whether the projections have biases.
        output_shape: size (int or tuple) of the output's trailing axes; default: the
            query's last axis.
        attention_axes: axes attention runs over (ints, negative allowed), e.g. ``(2,)``
            or ``(1, 2)`` for 4-D inputs; default: every axis between the batch and the
            feature axes. Several axes are flattened into one sequence (a causal mask
            then follows their row-major order).
        sliding_window: int; a query attends only to keys less than this many positions
            away (combined with ``use_causal_mask``: the previous ones).
        flash_attention: None (torch chooses the kernel), True (flash attention only;
            no dropout, no scores) or False (never flash attention).
        kernel_initializer, bias_initializer: initializers of the projections (each
            projection gets its own copy, so values differ).
        kernel_regularizer, bias_regularizer: regularizers of the projections.
        activity_regularizer: regularizer of each projection's output (as in Keras).
        kernel_constraint, bias_constraint: constraints of the projections.
        use_gate: multiply the attention output by a sigmoid gate computed from the
            query (a ``gate`` projection), before the output projection.
        seed: int; makes the dropout masks reproducible.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        query: ``(batch, T, dim)`` (or ``(batch, *inner, dim)``).
        value: ``(batch, S, dim_v)``.
        key: optional ``(batch, S, dim_k)``; defaults to ``value``.
        query_mask, value_mask, key_mask: boolean ``(batch, T)`` / ``(batch, S)`` masks;
            filled from the tensors' masks when not given.
        attention_mask: boolean ``(batch, T, S)`` (True = attend); ``(T, S)`` and per-head
            ``(batch, num_heads, T, S)`` masks broadcast.
        return_attention_scores: also return the attention probabilities
            ``(batch, num_heads, T, S)`` (before dropout).
        training: whether dropout is active.
        use_causal_mask: mask out future positions (key ``j > i`` for query ``i``).

    Shapes:
        Output ``(batch, T, *output_shape)`` (``(batch, T, dim)`` by default). Weights
        (Keras's order): query kernel ``(dim, num_heads, key_dim)`` and bias
        ``(num_heads, key_dim)``, key kernel/bias, [gate kernel/bias], value kernel
        ``(dim_v, num_heads, value_dim)`` and bias, output kernel ``(num_heads, value_dim,
        *output_shape)`` and bias ``output_shape``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> mha = tkl.layers.MultiHeadAttention(num_heads=2, key_dim=4)
        >>> query, value = torch.ones(3, 5, 8), torch.ones(3, 7, 6)
        >>> out, scores = mha(query, value, return_attention_scores=True)
        >>> out.shape, scores.shape
        (torch.Size([3, 5, 8]), torch.Size([3, 2, 5, 7]))
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, use_gate=False, seed=None, **kwargs):
        # Keras applies activity_regularizer to the projections, not to the output.
        super().__init__(**kwargs)
        where = layer_label(self)
        for arg, value in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not is_positive_int(value):
                raise ValueError(
                    f"{where}: Received an invalid value for argument `{arg}`, expected a positive "
                    f"integer. Received: {arg}={value!r}. Fix: e.g. MultiHeadAttention(num_heads=8, "
                    "key_dim=64)."
                )
        if value_dim is not None and not is_positive_int(value_dim):
            raise ValueError(
                f"{where}: Received an invalid value for argument `value_dim`, expected a positive "
                f"integer or `None`. Received: value_dim={value_dim!r}. Fix: pass None (= key_dim) "
                "or a positive int."
            )
        shape = None
        if output_shape is not None:
            shape = as_tuple(output_shape)
            if not shape or not all(is_positive_int(d) for d in shape):
                raise ValueError(
                    f"{where}: Invalid `output_shape`: {output_shape!r}. When specified, the "
                    "`output_shape` should be of type tuple, list, or int (of positive sizes). "
                    "Fix: e.g. output_shape=64."
                )
            shape = tuple(int(d) for d in shape)
        axes = None
        if attention_axes is not None:
            axes = (attention_axes,) if is_int(attention_axes) else attention_axes
            if not isinstance(axes, (list, tuple)) or not axes or not all(is_int(a) for a in axes):
                raise ValueError(
                    f"{where}: `attention_axes` must be an int, list, or tuple. Received: "
                    f"attention_axes={attention_axes!r}. Fix: e.g. attention_axes=(1, 2)."
                )
            axes = tuple(int(a) for a in axes)
        self._setup(num_heads, num_heads, key_dim, key_dim if value_dim is None else value_dim, dropout,
                    use_bias, shape, axes, sliding_window, flash_attention, kernel_initializer,
                    bias_initializer, kernel_regularizer, bias_regularizer, activity_regularizer,
                    kernel_constraint, bias_constraint, use_gate, seed)

    num_heads = property(lambda self: self._num_heads, doc="Number of attention heads.")
    key_dim = property(lambda self: self._key_dim, doc="Size of each query/key head.")
    value_dim = property(lambda self: self._value_dim, doc="Size of each value head.")
    dropout = property(lambda self: self._dropout, doc="Dropout rate of the probabilities.")
    use_bias = property(lambda self: self._use_bias, doc="Whether the projections have biases.")

    @property
    def attention_axes(self):
        """The attention axes (resolved once built)."""
        return self._attention_axes if self._axes is None else self._axes

    # Keras's private names of the projections, for code written against Keras.
    _query_dense = property(lambda self: self.query_dense)
    _key_dense = property(lambda self: self.key_dense)
    _value_dense = property(lambda self: self.value_dense)
    _output_dense = property(lambda self: self.output_dense)
    _gate_dense = property(lambda self: self.gate_dense)

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if query_shape and isinstance(query_shape[0], (list, tuple)):
            query_shape, value_shape, key_shape = (list(query_shape) + [None, None])[:3]
        query_shape = tuple(query_shape)
        if value_shape is not None:
            value_shape = tuple(value_shape)
            key_shape = value_shape if key_shape is None else tuple(key_shape)
            if value_shape[1:-1] != key_shape[1:-1]:
                raise ValueError(
                    f"{layer_label(self)}: All dimensions of `value` and `key`, except the last one, "
                    f"must be equal. Received: value_shape={value_shape} and key_shape={key_shape}."
                )
        if self._output_shape:
            return query_shape[:-1] + self._output_shape
        return query_shape

    def get_config(self):
        config = super().get_config()
        axes = self.attention_axes
        config.update(
            num_heads=self._num_heads, key_dim=self._key_dim, value_dim=self._value_dim,
            dropout=self._dropout, use_bias=self._use_bias, use_gate=self._use_gate,
            output_shape=None if self._output_shape is None else list(self._output_shape),
            attention_axes=None if axes is None else list(axes), sliding_window=self._sliding_window,
        )
        serialize_options(
            config, kernel_initializer=self._kernel_initializer, bias_initializer=self._bias_initializer,
            kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
            activity_regularizer=self._activity_regularizer, kernel_constraint=self._kernel_constraint,
            bias_constraint=self._bias_constraint,
        )
        config["seed"] = self.seed
        return config

    def extra_repr(self):
        return (f"name={self.name!r}, num_heads={self._num_heads}, key_dim={self._key_dim}, "
                f"value_dim={self._value_dim}")
