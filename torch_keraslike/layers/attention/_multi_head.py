"""The machinery ``MultiHeadAttention`` and ``GroupedQueryAttention`` share.

Both project ``query``, ``key`` and ``value`` with ``EinsumDense`` sub-layers (Keras's
structure, names, weight layouts and order: query, key, [gate], value, output),
combine the automatic masks (the tensors' masks, ``use_causal_mask``,
``sliding_window``) with ``attention_mask`` as Keras does, attend on torch's fused
``scaled_dot_product_attention`` over any attention axes (they are flattened into one),
and project the heads back.

Sub-layers are called through ``__call__`` (so their hooks fire and FSDP2 can shard them
one by one); in eager mode, when none of them has hooks or an activity regularizer,
their computation runs directly (same results, without ~10 us of Python per call), and
self-attention projects query, key and value in one matrix product.
"""

import inspect
import math

import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import is_in_torch_dispatch_mode

from ... import constraints, initializers, regularizers
from ...input_spec import InputSpec
from ...layer import Layer
from .._common import is_dropout_rate, is_positive_int, is_seed, layer_label, serialize_options
from .._direct_call import direct_call_ok
from ._core import ProjectionDense, attend, projection_equation, window_mask

__all__ = ["MultiHeadBase"]


def _clone(initializer):
    # Each projection gets its own instance, as in Keras (same config, other values).
    return initializer.clone() if isinstance(initializer, initializers.Initializer) else initializer


def _check_input(spec, x, layer_name, index):
    """Checks one input against ``spec`` with Keras's messages (``Input {index} ...``)."""
    spec._checker(x, layer_name, index)


def _checked(spec):
    # The checker made now, not lazily inside a (possibly compiled) call.
    object.__setattr__(spec, "_checker", spec._make_checker())
    return spec


def _unmasked(x):
    # A view without the ``_keras_mask`` attribute: the masks are handled here, not by
    # the projections (Keras drops them from the inputs for the same reason).
    return x.view_as(x) if getattr(x, "_keras_mask", None) is not None else x


class MultiHeadBase(Layer):
    """Shared implementation; subclasses set the arguments (see ``_setup``) and the
    config."""

    cast_integer_inputs = True

    def _setup(self, num_heads, kv_heads, key_dim, value_dim, dropout, use_bias, output_shape,
               attention_axes, sliding_window, flash_attention, kernel_initializer, bias_initializer,
               kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
               bias_constraint, use_gate, seed):
        where = layer_label(self)
        if not is_dropout_rate(dropout):
            raise ValueError(f"{where}: dropout must be a float in [0, 1), received dropout={dropout!r}. "
                             "Fix: e.g. dropout=0.1.")
        if sliding_window is not None and not is_positive_int(sliding_window):
            raise ValueError(f"{where}: `sliding_window` must be `None` or a positive integer. Received: "
                             f"sliding_window={sliding_window!r}. Fix: e.g. sliding_window=256.")
        if not is_seed(seed):
            raise ValueError(f"{where}: seed must be an int or None, received seed={seed!r}.")
        if flash_attention not in (None, True, False):
            raise ValueError(f"{where}: flash_attention must be None, True or False, received "
                             f"flash_attention={flash_attention!r}.")
        if flash_attention and dropout > 0:
            raise ValueError(f"{where}: Dropout is not supported when flash attention is enabled. "
                             "Please set dropout to 0.0 to use flash attention.")
        self._num_heads, self._kv_heads = int(num_heads), int(kv_heads)
        self._key_dim, self._value_dim = int(key_dim), int(value_dim)
        self._dropout = float(dropout)
        self._use_bias = bool(use_bias)
        self._use_gate = bool(use_gate)
        self._output_shape = output_shape
        self._attention_axes = attention_axes
        self._sliding_window = None if sliding_window is None else int(sliding_window)
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = None if seed is None else int(seed)
        self._generator = None
        self._scale = 1.0 / math.sqrt(self._key_dim)
        self._build_shapes = None
        self._axes = None  # resolved attention axes (query axis numbers), set by build
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        self._value_spec = _checked(InputSpec(min_ndim=3))
        self._key_spec = _checked(InputSpec(min_ndim=3))

    # ------------------------------------------------------------------ build
    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates the projections.

        Args:
            query_shape: shape of ``query``, or a list ``[query_shape, value_shape]`` /
                ``[query_shape, value_shape, key_shape]``.
            value_shape: shape of ``value`` (default: ``query_shape``).
            key_shape: shape of ``key`` (default: ``value_shape``).
        """
        if query_shape and isinstance(query_shape[0], (list, tuple, torch.Size)):
            shapes = list(query_shape) + [None, None]
            query_shape, value_shape, key_shape = shapes[0], value_shape or shapes[1], key_shape or shapes[2]
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        query_shape, value_shape, key_shape = (
            tuple(None if d is None else int(d) for d in s) for s in (query_shape, value_shape, key_shape))
        self._check_build_shapes(query_shape, value_shape, key_shape)
        rank = len(query_shape)
        self._axes = self._resolve_axes(rank)
        common = self._sublayer_options()
        free = [None] * (rank - 2)
        heads = ((self._num_heads, self._key_dim), (self._kv_heads, self._key_dim),
                 (self._num_heads, self._value_dim), (self._kv_heads, self._value_dim))
        projections = [("query_dense", "query", heads[0], query_shape, None),
                       ("key_dense", "key", heads[1], key_shape, None)]
        if self._use_gate:
            projections.append(("gate_dense", "gate", heads[2], query_shape, "sigmoid"))
        projections.append(("value_dense", "value", heads[3], value_shape, None))
        for attr, name, dims, shape, activation in projections:
            equation, bias_axes, _ = projection_equation(rank - 1, 1, 2)
            self._add_projection(attr, equation, free + list(dims), bias_axes, name, activation, shape,
                                 common)
        output_dims = list(self._output_shape or (query_shape[-1],))
        equation, bias_axes, _ = projection_equation(rank - 1, 2, len(output_dims))
        self._add_projection("output_dense", equation, free + output_dims, bias_axes, "attention_output",
                             None, query_shape[:-1] + (self._num_heads, self._value_dim), common)
        self.input_spec = InputSpec(ndim=rank, axes={-1: query_shape[-1]})
        self._value_spec = _checked(InputSpec(ndim=rank, axes={-1: value_shape[-1]}))
        self._key_spec = _checked(InputSpec(ndim=rank, axes={-1: key_shape[-1]}))
        self._build_shapes = [list(query_shape), list(value_shape), list(key_shape)]
        # The common case gets a path of its own (see _self_attention).
        self._plain_self_attention = (
            rank == 3 and not self._use_gate and self._sliding_window is None and self._flash_attention is None
            and self._key_dim == self._value_dim and self._kv_heads == self._num_heads
            and type(self)._compute_attention is MultiHeadBase._compute_attention)

    def _check_build_shapes(self, query_shape, value_shape, key_shape):
        for arg, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) < 3 or shape[-1] is None:
                raise ValueError(
                    f"{layer_label(self)} needs inputs of shape (batch, ..., features) with at least "
                    f"3 axes and a known feature size, received {arg} shape {shape}."
                )
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"{layer_label(self)}: All dimensions of `value` and `key`, except the last one, must "
                f"be equal. Received: value_shape={value_shape} and key_shape={key_shape}. Fix: key "
                "and value must have one entry per source position."
            )
        if len(value_shape) != len(query_shape):
            raise ValueError(
                f"{layer_label(self)}: query and value must have the same rank, received query shape "
                f"{query_shape} and value shape {value_shape}."
            )

    def _resolve_axes(self, rank):
        axes = tuple(range(1, rank - 1)) if self._attention_axes is None else tuple(
            a if a >= 0 else rank + a for a in self._attention_axes)
        if not axes or any(a < 1 or a > rank - 2 for a in axes) or len(set(axes)) != len(axes):
            raise ValueError(
                f"{layer_label(self)}: attention_axes={self._attention_axes!r} must name distinct axes "
                f"between the batch axis and the feature axis of the rank-{rank} inputs, i.e. among "
                f"{tuple(range(1, rank - 1))} (or their negative indices)."
            )
        return tuple(sorted(axes))

    def _sublayer_options(self):
        return dict(kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
                    activity_regularizer=self._activity_regularizer,
                    kernel_constraint=self._kernel_constraint, bias_constraint=self._bias_constraint,
                    dtype=self._tkl_dtype, trainable=self.trainable)

    def _add_projection(self, attr, equation, output_shape, bias_axes, name, activation, input_shape,
                        common):
        sublayer = ProjectionDense(
            equation, output_shape=output_shape, bias_axes=bias_axes if self._use_bias else None,
            activation=activation, kernel_initializer=_clone(self._kernel_initializer),
            bias_initializer=_clone(self._bias_initializer), name=name, **common)
        setattr(self, attr, sublayer)  # registered first, so it is placed like this layer
        sublayer.build(input_shape)

    def get_build_config(self):
        if not self.built or self._build_shapes is None:
            return None
        return {"input_shape": [list(s) for s in self._build_shapes]}

    def _inputs_from_call(self, args, kwargs):
        query = args[0] if args else kwargs.get("query")
        value = args[1] if len(args) > 1 else kwargs.get("value")
        key = args[2] if len(args) > 2 else kwargs.get("key")
        if value is None and "value" not in inspect.signature(type(self).call).parameters:
            value = query  # a subclass with its own call signature: build as self-attention
        if value is None:
            raise TypeError(
                f"{layer_label(self)} needs a `value` tensor. Fix: call it as layer(query, value) "
                "(self-attention: layer(x, x))."
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
        # torch's lazy-module entry point: build from the shapes of all the inputs.
        self._build_from_inputs(args, kwargs)

    def _symbolic_call(self, args, kwargs):
        # Functional API: the base builds from the first input only; build from all.
        self._build_from_inputs(args, kwargs)
        return super()._symbolic_call(args, kwargs)

    # ------------------------------------------------------------------- call
    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False):
        # When the causal mask is the only mask, torch's causal kernel runs without a
        # mask tensor.
        causal_only = (use_causal_mask and query_mask is None and value_mask is None and key_mask is None
                       and attention_mask is None and self._sliding_window is None
                       and type(self)._compute_attention is MultiHeadBase._compute_attention)
        if (query is value and (key is None or key is value) and self._plain_self_attention
                and attention_mask is None and query_mask is None and value_mask is None and key_mask is None
                and not return_attention_scores and not (training and self._dropout)
                and direct_call_ok(*self._projections())):
            return self._self_attention(query, use_causal_mask)
        _check_input(self._value_spec, value, self.name, 1)
        if key is None:
            key = value
        else:
            _check_input(self._key_spec, key, self.name, 2)
        self._check_shapes(query, value, key, attention_mask)
        if causal_only:
            attention_mask = None
        else:
            attention_mask = self._compute_attention_mask(
                query, value, query_mask=query_mask, value_mask=value_mask, key_mask=key_mask,
                attention_mask=attention_mask, use_causal_mask=use_causal_mask)
        sublayers = [self.query_dense, self.key_dense, self.value_dense, self.output_dense]
        if self._use_gate:
            sublayers.append(self.gate_dense)
        direct = direct_call_ok(*sublayers)
        gate = self._project(self.gate_dense, query, direct) if self._use_gate else None
        if direct and query is value and key is value:
            q, k, v = self._project_together(query)
        else:
            q = self._project(self.query_dense, query, direct)
            k = self._project(self.key_dense, key, direct)
            v = self._project(self.value_dense, value, direct)
        extra = {"use_causal_mask": True} if causal_only else {}
        output, scores = self._compute_attention(q, k, v, attention_mask, training, return_attention_scores,
                                                 **extra)
        if gate is not None:
            output = output * gate
        output = self._project(self.output_dense, output, direct)
        return (output, scores) if return_attention_scores else output

    @staticmethod
    def _project(sublayer, x, direct):
        return sublayer.call(x) if direct else sublayer(_unmasked(x))

    def _project_together(self, x):
        """Self-attention: query, key and value projections in one matrix product."""
        layers = (self.query_dense, self.key_dense, self.value_dense)
        kernels = [layer.kernel.reshape(layer.kernel.shape[0], -1) for layer in layers]
        bias = torch.cat([layer.bias.reshape(-1) for layer in layers]) if self._use_bias else None
        joint = F.linear(x, torch.cat(kernels, dim=1).t(), bias)
        sizes = [k.shape[1] for k in kernels]
        return [part.reshape(*x.shape[:-1], *layer.kernel.shape[1:])
                for part, layer in zip(joint.split(sizes, dim=-1), layers)]

    def _projections(self):
        # Read from ``_modules`` directly: nn.Module's attribute fallback costs ~0.5 us each.
        modules = self._modules
        return modules["query_dense"], modules["key_dense"], modules["value_dense"], modules["output_dense"]

    def _self_attention(self, x, causal):
        """Unmasked self-attention of sequences, with nothing attached to the
        projections: one product for query, key and value, the fused attention, the
        output product (what the general path computes, with a fraction of its Python)."""
        batch, steps, dim = x.shape
        heads, size = self._num_heads, self._key_dim
        kernel, bias, out_kernel, out_bias = self._fast_weights(dim, heads * size)
        q, k, v = F.linear(x, kernel, bias).view(batch, steps, 3, heads, size).permute(2, 0, 3, 1, 4).unbind(0)
        attended = F.scaled_dot_product_attention(q, k, v, is_causal=bool(causal), scale=self._scale)
        outputs = F.linear(attended.transpose(1, 2).reshape(batch, steps, heads * size), out_kernel, out_bias)
        return outputs if self._output_shape is None else outputs.view(batch, steps, *self._output_shape)

    def _fast_weights(self, dim, width):
        """The weights of ``_self_attention`` as ``F.linear`` takes them: the query, key
        and value kernels side by side with their biases, then the output kernel and bias.

        Without autograd (inference) they are kept until a weight changes (another
        tensor, or written in place), as ``nn.MultiheadAttention`` keeps its
        ``in_proj_weight``.
        """
        params = [layer._parameters.get(name) for layer in self._projections() for name in ("kernel", "bias")]
        reuse = not (torch.is_grad_enabled() or torch.compiler.is_compiling() or is_in_torch_dispatch_mode())
        if reuse:
            # The cache holds the parameters, so their ids cannot pass to new tensors;
            # versions count in-place writes, data pointers catch ``.data =``.
            signature = tuple((id(p), p._version, p.data_ptr()) for p in params if p is not None)
            cached = self.__dict__.get("_fast_weights_cache")
            if cached is not None and cached[0] == signature:
                return cached[2]
        kernel = torch.cat([p.view(dim, width) for p in params[0:6:2]], dim=1).t()
        bias = torch.cat([p.view(-1) for p in params[1:6:2]]) if self._use_bias else None
        out_bias = params[7]
        weights = (kernel, bias, params[6].view(width, -1).t(), None if out_bias is None else out_bias.view(-1))
        if reuse:
            self.__dict__["_fast_weights_cache"] = (signature, params, weights)
        return weights

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_fast_weights_cache", None)  # a copy of weights the state already holds
        return state

    def _check_shapes(self, query, value, key, attention_mask):
        """Keras-style errors for inputs that do not go together, before any kernel."""
        where = layer_label(self)
        if len({query.shape[0], value.shape[0], key.shape[0]}) > 1:
            raise ValueError(
                f"{where}: query, value and key must have the same batch size, received query shape "
                f"{tuple(query.shape)}, value shape {tuple(value.shape)} and key shape {tuple(key.shape)}. "
                "Fix: pass tensors from the same batch."
            )
        if tuple(value.shape[1:-1]) != tuple(key.shape[1:-1]):
            raise ValueError(
                f"{where}: All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={tuple(value.shape)} and key_shape={tuple(key.shape)}. "
                "Fix: key and value must have one entry per source position."
            )
        others = [a for a in range(1, query.dim() - 1) if a not in self._axes]
        if any(query.shape[a] != value.shape[a] for a in others):
            raise ValueError(
                f"{where}: query and value must have the same sizes on the axes that are not "
                f"attention axes {self._axes}, received query shape {tuple(query.shape)} and value "
                f"shape {tuple(value.shape)}."
            )
        if attention_mask is None:
            return
        target = self._score_shape(query, value)
        shape = tuple(attention_mask.shape)
        expanded = self._keras_expand_shape(shape, len(target))
        if expanded is None or any(m not in (1, t) for m, t in zip(expanded, target)):
            heads_axis = 1 + len(others)
            plain = target[:heads_axis] + target[heads_axis + 1:]
            raise ValueError(
                f"{where}: attention_mask of shape {shape} does not match the attention scores "
                f"(batch, num_heads, T, S) = {target} of query shape {tuple(query.shape)} and value "
                f"shape {tuple(value.shape)}. Fix: pass a mask of shape {plain} (True = attend), or "
                "one that broadcasts to it."
            )

    def _score_shape(self, query, value):
        """Shape of the attention scores: ``(batch, other axes..., heads, T..., S...)``."""
        others = [a for a in range(1, query.dim() - 1) if a not in self._axes]
        return ((query.shape[0],) + tuple(query.shape[a] for a in others) + (self._num_heads,)
                + tuple(query.shape[a] for a in self._axes) + tuple(value.shape[a] for a in self._axes))

    def _keras_expand_shape(self, shape, rank):
        """Keras's broadcasting of a mask to the scores: axes of size 1 inserted before
        the attention axes (at the heads axis) until the ranks match."""
        if len(shape) > rank:
            return None
        position = len(shape) - 2 * len(self._axes)
        if position < 0:
            return None
        return shape[:position] + (1,) * (rank - len(shape)) + shape[position:]

    def _compute_attention_mask(self, query, value, query_mask=None, value_mask=None, key_mask=None,
                                attention_mask=None, use_causal_mask=False):
        """Keras's combination of the masks, as a boolean mask in the layout of the scores
        without the heads axis (``(batch, T, S)`` for sequences), or None."""
        n = len(self._axes)
        auto = None

        def merge(current, mask):
            return mask if current is None else current & mask

        if query_mask is not None:
            mask = self._in_score_layout(query_mask.bool(), query)
            auto = merge(auto, mask.reshape(*mask.shape, *([1] * n)))
        for mask in (value_mask, key_mask):
            if mask is not None:
                mask = self._in_score_layout(mask.bool(), value)
                split = mask.dim() - n
                auto = merge(auto, mask.reshape(*mask.shape[:split], *([1] * n), *mask.shape[split:]))
        if use_causal_mask or self._sliding_window is not None:
            t = math.prod([query.shape[a] for a in self._axes])
            s = math.prod([value.shape[a] for a in self._axes])
            window = window_mask(t, s, query.device, causal=use_causal_mask, window=self._sliding_window)
            auto = merge(auto, window.reshape(*(query.shape[a] for a in self._axes),
                                              *(value.shape[a] for a in self._axes)))
        if attention_mask is not None:
            attention_mask = attention_mask.bool()
            if auto is not None:
                rank = max(attention_mask.dim(), auto.dim())
                attention_mask = (attention_mask.reshape(self._keras_expand_shape(tuple(attention_mask.shape), rank))
                                  & auto.reshape(self._keras_expand_shape(tuple(auto.shape), rank)))
            return attention_mask
        return auto

    def _in_score_layout(self, mask, reference):
        """A ``(batch, *inner axes)`` mask with the axes in the scores' order: the other
        axes first, then the attention axes."""
        others = [a for a in range(1, reference.dim() - 1) if a not in self._axes]
        order = [0] + others + list(self._axes)
        return mask if order == list(range(len(order))) else mask.permute(order)

    # ------------------------------------------------------------- attention
    def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                           return_attention_scores=False, use_causal_mask=False):
        """Attention of projected ``query (batch, *inner, heads, key_dim)`` over ``key``
        and ``value``; returns ``(output (batch, *inner, heads, value_dim), scores or
        None)``. Keras's override point."""
        if self._flash_attention and return_attention_scores:
            raise ValueError(
                f"{layer_label(self)}: Returning attention scores is not supported when flash "
                "attention is enabled. Please disable flash attention to access attention scores."
            )
        rank = query.dim()
        others = [a for a in range(1, rank - 2) if a not in self._axes]
        order = [0] + others + [rank - 2] + list(self._axes) + [rank - 1]
        n = len(self._axes)
        q, q_sizes = _heads_first(query, order, n)
        k, k_sizes = _heads_first(key, order, n)
        v, _ = _heads_first(value, order, n)
        mask = None
        if attention_mask is not None:
            mask = _flat_mask(self._keras_expand_shape, attention_mask.bool(), len(q.shape) - 2 + 2 * n,
                              q_sizes + k_sizes)
        dropout = self._dropout if training else 0.0
        # Keras's explicit path (dropout configured, scores wanted, several attention
        # axes) zeroes queries whose keys are all masked; its fused path averages them.
        keras_explicit = self._dropout > 0 or return_attention_scores or rank != 4
        output, scores = attend(q, k, v, mask, scale=self._scale, causal=use_causal_mask, dropout=dropout,
                                layer=self, want_scores=return_attention_scores,
                                zero_masked_rows=keras_explicit, flash=self._flash_attention)
        output = output.reshape(*output.shape[:-2], *q_sizes, output.shape[-1])
        inverse = [order.index(i) for i in range(rank)]
        output = output.permute(inverse)
        if scores is not None:
            scores = scores.reshape(*scores.shape[:-2], *q_sizes, *k_sizes)
        return output, scores



def _flat_mask(expand_shape, mask, rank, sizes):
    """A mask in the scores' layout (Keras's broadcasting), its attention axes
    flattened into one query and one key axis like the scores'."""
    mask = mask.reshape(expand_shape(tuple(mask.shape), rank))
    n = len(sizes) // 2
    if n == 1:
        return mask
    lead = mask.dim() - 2 * n
    mask = mask.expand(*mask.shape[:lead], *sizes)
    return mask.reshape(*mask.shape[:lead], math.prod(sizes[:n]), math.prod(sizes[n:]))


def _heads_first(x, order, n):
    """``(batch, *inner, heads, d)`` -> ``(batch, others..., heads, T, d)`` with the ``n``
    attention axes flattened into ``T``; also returns their sizes."""
    x = x.permute(order)
    sizes = tuple(x.shape[-1 - n:-1])
    if n == 1:
        return x, sizes
    return x.reshape(*x.shape[:-1 - n], math.prod(sizes), x.shape[-1]), sizes
