"""Attention layers: ``MultiHeadAttention``.

Weights follow Keras's structure: four projection sub-layers ``query_dense``,
``key_dense``, ``value_dense`` and ``output_dense``, each holding a ``kernel`` and a
``bias`` in Keras's einsum layouts, so ``get_weights()``/``set_weights()`` exchange
arrays with a Keras ``MultiHeadAttention`` as they are.
"""

import math

import torch
import torch.nn.functional as F

from .. import constraints, initializers, regularizers
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import (
    KERNEL_BIAS_OPTIONS,
    add_weight_from_options,
    as_tuple,
    is_dropout_rate,
    is_positive_int,
    is_seed,
    options_of,
    seeded_generator,
    serialize_options,
)

__all__ = ["MultiHeadAttention"]


def _clone(initializer):
    # Each projection gets its own instance, as in Keras.
    return initializer.clone() if isinstance(initializer, initializers.Initializer) else initializer


def _check_input(spec, x, layer_name, index):
    """Checks one input against ``spec`` with Keras's messages (``Input {index} ...``)."""
    check = spec._checker
    if check is None:
        check = spec._checker = spec._make_checker()
    check(x, layer_name, index)


def _large_negative(dtype):
    # Keras adds this to masked scores before the softmax (-3e4 keeps float16 finite).
    return -3e4 if dtype == torch.float16 else -1e9


class _HeadDense(Layer):
    """Projection of Keras's ``EinsumDense`` family used inside ``MultiHeadAttention``.

    Contracts the last ``num_input_axes`` axes of the input with the leading axes of
    ``kernel`` (shape ``input_dims + output_dims``) and adds ``bias`` (shape
    ``output_dims``): e.g. ``"abc,cde->abde"`` for the query/key/value projections
    (kernel ``(dim, num_heads, key_dim)``) and ``"abcd,cde->abe"`` for the output one
    (kernel ``(num_heads, value_dim, out)``). It runs as a single matrix product.
    """

    cast_integer_inputs = True

    def __init__(
        self,
        output_dims,
        num_input_axes,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.output_dims = tuple(int(d) for d in output_dims)
        self.num_input_axes = int(num_input_axes)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._out_size = math.prod(self.output_dims)
        self._in_size = None

    def build(self, input_shape):
        input_dims = tuple(input_shape[-self.num_input_axes:])
        self._in_size = math.prod(input_dims)
        self.kernel = add_weight_from_options(self, "kernel", input_dims + self.output_dims)
        self.bias = add_weight_from_options(self, "bias", self.output_dims) if self.use_bias else None
        axes = {-1 - i: d for i, d in enumerate(reversed(input_dims))}
        self.input_spec = InputSpec(min_ndim=self.num_input_axes + 1, axes=axes)

    def call(self, inputs):
        lead = inputs.shape[: inputs.dim() - self.num_input_axes]
        if self.num_input_axes != 1:
            inputs = inputs.reshape(*lead, self._in_size)
        kernel = self.kernel.reshape(self._in_size, self._out_size)
        bias = None if self.bias is None else self.bias.reshape(self._out_size)
        outputs = F.linear(inputs, kernel.t(), bias)
        return outputs.reshape(*lead, *self.output_dims)

    def get_config(self):
        config = super().get_config()
        config.update(
            output_dims=list(self.output_dims),
            num_input_axes=self.num_input_axes,
            use_bias=self.use_bias,
        )
        return serialize_options(config, **options_of(self, KERNEL_BIAS_OPTIONS))


@register_serializable(package="keras")
class MultiHeadAttention(Layer):
    """Multi-head dot-product attention (Vaswani et al., 2017), as in Keras.

    ``query``, ``key`` and ``value`` are projected to ``num_heads`` heads; each head
    computes ``softmax(q k^T / sqrt(key_dim) + mask) v``; the heads are concatenated
    and projected to the output size. Runs on torch's fused
    ``F.scaled_dot_product_attention`` unless the attention scores are requested (or
    a seeded dropout is used in training); then the scores are computed explicitly.

    Masked positions get ``-1e9`` added to their score (``-3e4`` in float16), as in
    Keras, so a query whose positions are all masked attends uniformly (no NaN).

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default: ``key_dim``).
        dropout: dropout rate on the attention probabilities, in ``[0, 1)``.
        use_bias: whether the projections have biases.
        output_shape: size (int or tuple) of the output's trailing axes; default: the
            query's last axis.
        attention_axes: ``None`` (attend over the sequence axis of 3-D inputs). Other
            axes are not supported; ``(1,)``/``(-2,)``, the same for 3-D inputs, are
            accepted (configs of built Keras layers store it so).
        kernel_initializer, bias_initializer: initializers of the projections.
        kernel_regularizer, bias_regularizer: regularizers of the projections.
        activity_regularizer: regularizer of each projection's output (as in Keras).
        kernel_constraint, bias_constraint: constraints of the projections.
        seed: int; makes the dropout masks reproducible (then the explicit path runs
            in training).
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        query: ``(batch, T, query_dim)``.
        value: ``(batch, S, value_dim)``.
        key: optional ``(batch, S, key_dim)``; defaults to ``value``.
        attention_mask: boolean ``(batch, T, S)`` (``True`` = attend); ``(T, S)`` and
            per-head ``(batch, num_heads, T, S)`` masks broadcast.
        return_attention_scores: also return the attention probabilities
            ``(batch, num_heads, T, S)`` (before dropout).
        training: whether dropout is active.
        use_causal_mask: mask out future positions (``j > i``), combined with
            ``attention_mask``.

    Shapes:
        Output ``(batch, T, *output_shape)`` (``(batch, T, query_dim)`` by default).
        Weights (Keras order): query kernel ``(query_dim, num_heads, key_dim)`` and bias
        ``(num_heads, key_dim)``, key kernel/bias, value kernel
        ``(value_dim_in, num_heads, value_dim)`` and bias, output kernel
        ``(num_heads, value_dim, *output_shape)`` and bias ``output_shape``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> from torch_keraslike.layers.attention import MultiHeadAttention
        >>> mha = MultiHeadAttention(num_heads=2, key_dim=4)
        >>> query, value = torch.ones(3, 5, 8), torch.ones(3, 7, 6)
        >>> out, scores = mha(query, value, return_attention_scores=True)
        >>> out.shape, scores.shape
        (torch.Size([3, 5, 8]), torch.Size([3, 2, 5, 7]))
    """

    cast_integer_inputs = True

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        attention_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        seed=None,
        **kwargs,
    ):
        # Keras applies activity_regularizer to the projections, not to the output.
        super().__init__(**kwargs)
        where = f'Layer "{self.name}" (MultiHeadAttention)'
        for arg, value in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not is_positive_int(value):
                raise ValueError(
                    f"{where}: {arg} must be a positive integer, received {arg}={value!r}. "
                    "Fix: e.g. MultiHeadAttention(num_heads=8, key_dim=64)."
                )
        if value_dim is not None and not is_positive_int(value_dim):
            raise ValueError(
                f"{where}: value_dim must be a positive integer or None (= key_dim), "
                f"received value_dim={value_dim!r}."
            )
        if not is_dropout_rate(dropout):
            raise ValueError(
                f"{where}: dropout must be a float in [0, 1), received dropout={dropout!r}. "
                "Fix: e.g. dropout=0.1."
            )
        if not is_seed(seed):
            raise ValueError(f"{where}: seed must be an int or None, received seed={seed!r}.")
        self.num_heads = int(num_heads)
        self.key_dim = int(key_dim)
        self.value_dim = self.key_dim if value_dim is None else int(value_dim)
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self._output_shape = self._check_output_shape(output_shape, where)
        self.attention_axes = self._check_attention_axes(attention_axes, where)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = None if seed is None else int(seed)
        self._generator = None
        self._scale = 1.0 / math.sqrt(self.key_dim)
        self._build_shapes = None
        self.input_spec = InputSpec(ndim=3)
        self._value_spec = InputSpec(ndim=3)
        self._key_spec = InputSpec(ndim=3)

    @staticmethod
    def _check_output_shape(output_shape, where):
        if output_shape is None:
            return None
        shape = as_tuple(output_shape)
        if not shape or not all(is_positive_int(d) for d in shape):
            raise ValueError(
                f"{where}: output_shape must be None, a positive int or a tuple of positive "
                f"ints, received output_shape={output_shape!r}. Fix: e.g. output_shape=64."
            )
        return tuple(int(d) for d in shape)

    @staticmethod
    def _check_attention_axes(attention_axes, where):
        if attention_axes is None:
            return None
        axes = as_tuple(attention_axes)
        if axes in ((1,), (-2,)):
            return axes
        raise NotImplementedError(
            f"{where}: attention_axes={attention_axes!r} is not supported. Only attention "
            "over the sequence axis of 3-D inputs (batch, seq, features) is implemented: "
            "pass attention_axes=None. Fix: reshape higher-rank inputs to 3-D, e.g. merge "
            "the extra axes into the batch axis."
        )

    # ------------------------------------------------------------------ build
    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates the four projections.

        Args:
            query_shape: shape of ``query``, or a list ``[query_shape, value_shape]``
                / ``[query_shape, value_shape, key_shape]``.
            value_shape: shape of ``value`` (default: ``query_shape``).
            key_shape: shape of ``key`` (default: ``value_shape``).
        """
        if query_shape and isinstance(query_shape[0], (list, tuple, torch.Size)):
            shapes = list(query_shape) + [None, None]
            query_shape, value_shape, key_shape = shapes[0], value_shape or shapes[1], key_shape or shapes[2]
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        shapes = []
        for arg, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            shape = tuple(None if d is None else int(d) for d in shape)
            if len(shape) != 3 or shape[-1] is None:
                raise ValueError(
                    f'Layer "{self.name}" (MultiHeadAttention) needs 3-D inputs (batch, seq, '
                    f"features) with a known feature size, received {arg} shape {shape}."
                )
            shapes.append(shape)
        query_shape, value_shape, key_shape = shapes
        if None not in (value_shape[1], key_shape[1]) and value_shape[1] != key_shape[1]:
            raise ValueError(
                f'Layer "{self.name}" (MultiHeadAttention): all dimensions of `value` and '
                f"`key`, except the last one, must be equal. Received: value_shape="
                f"{value_shape} and key_shape={key_shape}."
            )
        output_dims = self._output_shape or (query_shape[-1],)
        common = dict(
            use_bias=self.use_bias,
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self._activity_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            dtype=self._tkl_dtype,
            trainable=self.trainable,
        )
        projections = (
            ("query_dense", "query", (self.num_heads, self.key_dim), 1, query_shape),
            ("key_dense", "key", (self.num_heads, self.key_dim), 1, key_shape),
            ("value_dense", "value", (self.num_heads, self.value_dim), 1, value_shape),
            ("output_dense", "attention_output", output_dims, 2,
             (None, query_shape[1], self.num_heads, self.value_dim)),
        )
        for attr, name, dims, num_axes, shape in projections:
            sublayer = _HeadDense(
                dims,
                num_axes,
                kernel_initializer=_clone(self.kernel_initializer),
                bias_initializer=_clone(self.bias_initializer),
                name=name,
                **common,
            )
            setattr(self, attr, sublayer)  # registered first, so it is placed like this layer
            sublayer.build(shape)
        self.input_spec = InputSpec(ndim=3, axes={-1: query_shape[-1]})
        self._value_spec = InputSpec(ndim=3, axes={-1: value_shape[-1]})
        self._key_spec = InputSpec(ndim=3, axes={-1: key_shape[-1]})
        self._build_shapes = [list(query_shape), list(value_shape), list(key_shape)]

    def get_build_config(self):
        if not self.built or self._build_shapes is None:
            return None
        return {"input_shape": [list(s) for s in self._build_shapes]}

    def _inputs_from_call(self, args, kwargs):
        query = args[0] if args else kwargs.get("query")
        value = args[1] if len(args) > 1 else kwargs.get("value")
        key = args[2] if len(args) > 2 else kwargs.get("key")
        if value is None and type(self).call is not MultiHeadAttention.call:
            value = query  # a subclass with its own call signature: build as self-attention
        if value is None:
            raise TypeError(
                f'Layer "{self.name}" (MultiHeadAttention) needs a `value` tensor. Fix: call '
                "it as mha(query, value) (self-attention: mha(x, x))."
            )
        return query, value, key

    def _build_from_inputs(self, args, kwargs):
        query, value, key = self._inputs_from_call(args, kwargs)
        if not self.built:
            self.input_spec._make_checker()(query, self.name)
            _check_input(self._value_spec, value, self.name, 1)
            if key is not None:
                _check_input(self._key_spec, key, self.name, 2)
        self._maybe_build([query, value] if key is None else [query, value, key])

    def initialize_parameters(self, *args, **kwargs):
        # torch's lazy-module entry point: build from the shapes of all three inputs.
        self._build_from_inputs(args, kwargs)

    def _symbolic_call(self, args, kwargs):
        # Functional API: the base builds from the first input only; build from all.
        self._build_from_inputs(args, kwargs)
        return super()._symbolic_call(args, kwargs)

    # ------------------------------------------------------------------- call
    def call(
        self,
        query,
        value,
        key=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        _check_input(self._value_spec, value, self.name, 1)
        if key is None:
            key = value
        else:
            _check_input(self._key_spec, key, self.name, 2)
        self._check_shapes(query, value, key, attention_mask)
        # (batch, seq, heads, head_dim) -> (batch, heads, seq, head_dim): views only.
        q = self._project(self.query_dense, query).transpose(1, 2)
        k = self._project(self.key_dense, key).transpose(1, 2)
        v = self._project(self.value_dense, value).transpose(1, 2)
        mask = self._mask(attention_mask, use_causal_mask and attention_mask is not None, q, k)
        dropout = self.dropout if training else 0.0
        scores = None
        if return_attention_scores or (dropout and self.seed is not None):
            attended, scores = self._explicit_attention(q, k, v, mask, use_causal_mask, dropout)
        else:
            attended = F.scaled_dot_product_attention(
                q,
                k,
                v,
                attn_mask=mask,
                dropout_p=dropout,
                is_causal=bool(use_causal_mask) and mask is None,
                scale=self._scale,
            )
        outputs = self._project(self.output_dense, attended.transpose(1, 2))
        if return_attention_scores:
            return outputs, scores
        return outputs

    def _check_shapes(self, query, value, key, attention_mask):
        """Keras-style errors for inputs that do not go together, before any kernel."""
        where = f'Layer "{self.name}" (MultiHeadAttention)'
        batches = {"query": query.shape[0], "value": value.shape[0], "key": key.shape[0]}
        if len(set(batches.values())) > 1:
            raise ValueError(
                f"{where}: query, value and key must have the same batch size, received "
                f"query shape {tuple(query.shape)}, value shape {tuple(value.shape)} and key shape "
                f"{tuple(key.shape)}. Fix: pass tensors from the same batch."
            )
        if value.shape[1] != key.shape[1]:
            raise ValueError(
                f"{where}: all dimensions of `value` and `key`, except the last one, must be "
                f"equal. Received: value_shape={tuple(value.shape)} and key_shape={tuple(key.shape)}. "
                "Fix: key and value must have one entry per source position."
            )
        if attention_mask is None:
            return
        target = (query.shape[0], self.num_heads, query.shape[1], value.shape[1])
        shape = tuple(attention_mask.shape)
        padded = (1,) * (4 - len(shape)) + shape if len(shape) <= 4 else shape
        if len(shape) < 2 or len(shape) > 4 or any(m not in (1, t) for m, t in zip(padded, target)):
            raise ValueError(
                f"{where}: attention_mask of shape {shape} does not match the attention scores "
                f"(batch, num_heads, T, S) = {target} of query shape {tuple(query.shape)} and value "
                f"shape {tuple(value.shape)}. Fix: pass a mask of shape (batch, T, S) = "
                f"{(target[0], target[2], target[3])} (or (batch, num_heads, T, S))."
            )

    def _project(self, sublayer, x):
        # Runs the projection's computation directly (no per-call Layer overhead).
        outputs = sublayer.call(x)
        if sublayer.activity_regularizer is not None:
            sublayer._add_activity_loss(outputs)
        return outputs

    def _mask(self, attention_mask, causal, q, k):
        """Keras's boolean mask (True = attend) as an additive float mask, or None."""
        if attention_mask is None:
            return None
        mask = attention_mask if attention_mask.dtype == torch.bool else attention_mask != 0
        while mask.dim() < 4:
            mask = mask.unsqueeze(-3)  # broadcast over the heads (and batch) axes
        if causal:
            mask = mask & self._causal(q, k)
        return (~mask).to(q.dtype) * _large_negative(q.dtype)

    @staticmethod
    def _causal(q, k):
        # Keras's causal mask: query i attends key j <= i (top-left aligned, as torch's).
        return torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool, device=q.device).tril()

    def _explicit_attention(self, q, k, v, mask, use_causal_mask, dropout):
        scores = torch.matmul(q * self._scale, k.transpose(-1, -2))
        if mask is not None:
            scores = scores + mask
        elif use_causal_mask:
            causal = self._causal(q, k)
            scores = scores.masked_fill(~causal, _large_negative(scores.dtype))
        probabilities = torch.softmax(scores, dim=-1)
        dropped = probabilities
        if dropout:
            if self.seed is None:
                dropped = F.dropout(probabilities, dropout, training=True)
            else:
                keep = torch.full_like(probabilities, 1 - dropout)
                dropped = probabilities * torch.bernoulli(keep, generator=seeded_generator(self, q.device))
                dropped = dropped / (1 - dropout)
        return torch.matmul(dropped, v), probabilities

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if query_shape and isinstance(query_shape[0], (list, tuple, torch.Size)):
            query_shape = query_shape[0]
        tail = self._output_shape or (query_shape[-1],)
        return tuple(query_shape[:-1]) + tuple(tail)

    def get_config(self):
        config = super().get_config()
        config.update(
            num_heads=self.num_heads,
            key_dim=self.key_dim,
            value_dim=self.value_dim,
            dropout=self.dropout,
            use_bias=self.use_bias,
            output_shape=None if self._output_shape is None else list(self._output_shape),
            attention_axes=None if self.attention_axes is None else list(self.attention_axes),
        )
        serialize_options(
            config,
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self._activity_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
        )
        config["seed"] = self.seed
        return config

    def extra_repr(self):
        return (
            f"name={self.name!r}, num_heads={self.num_heads}, key_dim={self.key_dim}, "
            f"value_dim={self.value_dim}"
        )
