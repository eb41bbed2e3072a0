"""``Attention``: dot-product (Luong-style) attention over a list of inputs, as Keras."""

import torch
import torch.nn.functional as F

from ...layer import Layer
from ...saving import register_serializable
from .._common import is_dropout_rate, is_seed, layer_label, seeded_generator
from ._core import window_mask

__all__ = ["Attention"]


def _is_shape(value):
    return isinstance(value, (tuple, list, torch.Size)) and all(d is None or isinstance(d, int) for d in value)


@register_serializable(package="keras")
class Attention(Layer):
    """Dot-product attention layer, a.k.a. Luong-style attention (Keras's layer).

    Called on ``[query, value]`` or ``[query, value, key]`` (``key`` defaults to
    ``value``): ``scores = query @ key^T`` (``score_mode="dot"``, times the ``scale``
    weight with ``use_scale``) or ``concat_score_weight * sum(tanh(scale * (q + k)))``
    (``score_mode="concat"``); the softmax of the scores weights the values.

    Masks (``mask=[query_mask, value_mask]``, or the inputs' own masks): masked value
    positions get ``-1e9`` added to their scores (a query with all of them masked
    averages the values uniformly), masked query positions output zeros, and the output
    carries the query's mask.

    Args:
        use_scale: learn a scalar ``scale`` weight multiplying the scores.
        score_mode: ``"dot"`` or ``"concat"``.
        dropout: dropout rate on the attention weights while training, in ``[0, 1)``.
        seed: int; makes the dropout reproducible.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs: ``[query (batch, Tq, dim), value (batch, Tv, dim_v)]`` and optionally
            ``key (batch, Tv, dim)``; any number of leading batch axes.
        mask: ``[query_mask (batch, Tq), value_mask (batch, Tv)]`` (either may be None).
        training: whether dropout is active.
        return_attention_scores: also return the attention weights ``(batch, Tq, Tv)``.
        use_causal_mask: query ``i`` attends only to values ``j <= i``.

    Shapes:
        Output ``(batch, Tq, dim_v)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> query, value = torch.ones(2, 3, 4), torch.ones(2, 5, 4)
        >>> out, scores = tkl.layers.Attention()([query, value], return_attention_scores=True)
        >>> out.shape, scores.shape
        (torch.Size([2, 3, 4]), torch.Size([2, 3, 5]))
    """

    cast_integer_inputs = True

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"{layer_label(self)}: Invalid value for argument score_mode. Expected one of "
                f"{{'dot', 'concat'}}. Received: score_mode={score_mode!r}."
            )
        if not is_dropout_rate(dropout):
            raise ValueError(f"{layer_label(self)}: dropout must be a float in [0, 1), received "
                             f"dropout={dropout!r}. Fix: e.g. dropout=0.1.")
        if not is_seed(seed):
            raise ValueError(f"{layer_label(self)}: seed must be an int or None, received seed={seed!r}.")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = None if seed is None else int(seed)
        self._generator = None

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale") if self.use_scale else None
        self.concat_score_weight = None
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(shape=(), initializer="ones", name="concat_score_weight")

    # ------------------------------------------------------------------ call
    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = torch.matmul(query, key.transpose(-2, -1))
            return scores if self.scale is None else scores * self.scale
        summed = query.unsqueeze(-2) + key.unsqueeze(-3)
        if self.scale is not None:
            summed = self.scale * summed
        return self.concat_score_weight * torch.tanh(summed).sum(-1)

    def _score_mask(self, query, key, value_mask, use_causal_mask):
        """Boolean mask of the scores (True = attend), or None."""
        mask = None if value_mask is None else value_mask.bool().unsqueeze(-2)
        if use_causal_mask:
            causal = window_mask(query.shape[-2], key.shape[-2], query.device, causal=True)
            mask = causal if mask is None else mask & causal
        return mask

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        self._check_shapes(query, value, key)
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        dropout = self.dropout if training else 0.0
        if self.score_mode == "dot" and not return_attention_scores and not (dropout and self.seed is not None):
            output = self._fused(query, key, value, value_mask, use_causal_mask, dropout)
            scores = None
        else:
            output, scores = self._explicit(query, key, value, value_mask, use_causal_mask, dropout)
        if query_mask is not None:
            output = torch.where(query_mask.bool().unsqueeze(-1), output,
                                 torch.zeros((), dtype=output.dtype, device=output.device))
        return (output, scores) if return_attention_scores else output

    def _explicit(self, query, key, value, value_mask, use_causal_mask, dropout):
        scores = self._calculate_scores(query, key)
        mask = self._score_mask(query, key, value_mask, use_causal_mask)
        if mask is not None:
            # Keras subtracts 1e9 (65504 in float16) from the masked scores.
            large = 65504.0 if scores.dtype == torch.float16 else 1.0e9
            scores = torch.where(mask, scores, scores - large)
        weights = torch.softmax(scores, dim=-1)
        dropped = weights
        if dropout:
            keep = torch.full_like(weights, 1.0 - dropout)
            generator = None if self.seed is None else seeded_generator(self, weights.device)
            dropped = weights * torch.bernoulli(keep, generator=generator) / (1.0 - dropout)
        return torch.matmul(dropped, value), weights

    def _fused(self, query, key, value, value_mask, use_causal_mask, dropout):
        """The dot-product case on ``F.scaled_dot_product_attention`` (same formula)."""
        if self.scale is not None:
            query = query * self.scale
        if value_mask is None:
            return F.scaled_dot_product_attention(query, key, value, dropout_p=dropout,
                                                  is_causal=bool(use_causal_mask), scale=1.0)
        mask = self._score_mask(query, key, value_mask, use_causal_mask)
        large = 65504.0 if query.dtype == torch.float16 else 1.0e9
        additive = torch.where(mask, torch.zeros((), dtype=query.dtype, device=query.device),
                               torch.full((), -large, dtype=query.dtype, device=query.device))
        return F.scaled_dot_product_attention(query, key, value, attn_mask=additive, dropout_p=dropout,
                                              scale=1.0)

    # ---------------------------------------------------------------- checks
    def _validate_inputs(self, inputs, mask=None):
        name = type(self).__name__
        items = inputs if isinstance(inputs, (list, tuple)) and not _is_shape(inputs) else None
        if items is None:
            raise ValueError(
                f"{layer_label(self)}: {name} layer must be called on a list of inputs, namely "
                f"[query, value] or [query, value, key]. Received: inputs={_describe(inputs)}. "
                f"Fix: call it as layer([query, value])."
            )
        if len(items) < 2 or len(items) > 3:
            raise ValueError(
                f"{layer_label(self)}: {name} layer accepts inputs list of length 2 or 3, namely "
                f"[query, value] or [query, value, key]. Received length: {len(items)}."
            )
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(
                    f"{layer_label(self)}: {name} layer mask must be a list, namely [query_mask, "
                    f"value_mask]. Received: mask={_describe(mask)}."
                )
            if len(mask) < 2 or len(mask) > 3:
                raise ValueError(
                    f"{layer_label(self)}: {name} layer accepts mask list of length 2 or 3. Received: "
                    f"inputs={_describe(inputs)}, mask={_describe(mask)}."
                )

    def _check_shapes(self, query, value, key):
        where = layer_label(self)
        if query.shape[-1] != key.shape[-1]:
            raise ValueError(
                f"{where}: the query and the key must have the same last axis to be compared, received "
                f"query shape {tuple(query.shape)} and key shape {tuple(key.shape)}. Fix: project them "
                "to one size (e.g. with Dense), or pass a key of the query's size."
            )
        if key.shape[-2] != value.shape[-2] or tuple(query.shape[:-2]) != tuple(value.shape[:-2]):
            raise ValueError(
                f"{where}: query (batch, Tq, dim), value (batch, Tv, dim_v) and key (batch, Tv, dim) "
                f"do not go together: received query shape {tuple(query.shape)}, value shape "
                f"{tuple(value.shape)} and key shape {tuple(key.shape)}."
            )

    # --------------------------------------------------------------- shapes
    def compute_mask(self, inputs, mask=None):
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return torch.as_tensor(mask[0])

    def compute_output_shape(self, input_shape):
        self._validate_inputs(input_shape)
        return (*tuple(input_shape[0])[:-1], tuple(input_shape[1])[-1])

    def get_config(self):
        config = super().get_config()
        config.update(use_scale=self.use_scale, score_mode=self.score_mode, dropout=self.dropout,
                      seed=self.seed)
        return config


def _describe(value):
    if isinstance(value, torch.Tensor):
        return f"tensor of shape {tuple(value.shape)}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_describe(v) for v in value) + "]"
    return repr(value)
