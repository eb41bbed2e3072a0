"""What the attention layers share: Keras's masked softmax, causal and sliding-window
masks, the attention computation on torch's fused ``scaled_dot_product_attention``,
and the projection sub-layers of the multi-head layers."""

import math

import torch
import torch.nn.functional as F

from .._common import seeded_generator
from ..einsum_dense import EinsumDense

__all__ = ["ProjectionDense", "attend", "large_negative", "masked_softmax", "projection_equation",
           "window_mask"]

_LETTERS = "abcdefghijklmnopqrstuvwxyz"

try:  # torch >= 2.5 runs grouped heads without copying the key/value heads
    F.scaled_dot_product_attention(*[torch.zeros(1, 2, 1, 1)] + [torch.zeros(1, 1, 1, 1)] * 2,
                                   enable_gqa=True)
    _SDPA_GROUPS = True
except (TypeError, RuntimeError):
    _SDPA_GROUPS = False


def large_negative(dtype):
    """What Keras puts in place of masked scores (``-3e4`` keeps float16 finite)."""
    return -3e4 if dtype == torch.float16 else -1e9


def masked_softmax(scores, mask=None):
    """Keras's ``Softmax(mask)`` over the last axis: masked scores replaced by a large
    negative number, and masked probabilities set to zero afterwards (a row with every
    position masked gives zeros)."""
    if mask is None:
        return torch.softmax(scores, dim=-1)
    filled = torch.where(mask, scores, torch.full((), large_negative(scores.dtype), dtype=scores.dtype,
                                                  device=scores.device))
    return torch.where(mask, torch.softmax(filled, dim=-1), torch.zeros((), dtype=scores.dtype,
                                                                        device=scores.device))


def window_mask(t, s, device, causal=False, window=None):
    """``(t, s)`` boolean mask: query ``i`` sees key ``j <= i`` (``causal``, aligned at
    the start as Keras and torch do) and ``|i - j| < window``."""
    rows = torch.arange(t, device=device)[:, None]
    cols = torch.arange(s, device=device)[None, :]
    keep = torch.ones(t, s, dtype=torch.bool, device=device)
    if causal:
        keep = keep & (rows >= cols)
    if window is not None:
        keep = keep & ((rows - cols).abs() < window)
    return keep


def _sdpa_backends(flash):
    if flash is None:
        return None
    from torch.nn.attention import SDPBackend

    if flash:
        return [SDPBackend.FLASH_ATTENTION]
    return [b for b in (SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH, getattr(SDPBackend, "CUDNN_ATTENTION", None))
            if b is not None]


def attend(query, key, value, mask=None, *, scale, causal=False, dropout=0.0, layer=None,
           want_scores=False, zero_masked_rows=False, flash=None):
    """Scaled dot-product attention with Keras's semantics.

    Args:
        query: ``(..., heads, T, d)``; key, value: ``(..., kv_heads, S, d)`` where
            ``heads`` is a multiple of ``kv_heads`` (grouped-query attention).
        mask: boolean, broadcastable to ``(..., heads, T, S)`` (True = attend), or None.
        scale: factor of the scores.
        causal: also mask keys after the query's position (``mask`` None or not).
        dropout: dropout rate on the probabilities (0 outside training).
        layer: the layer owning the dropout seed (``layer.seed``).
        want_scores: also return the probabilities (before dropout).
        zero_masked_rows: a query whose keys are all masked gets zeros (Keras's masked
            softmax) instead of a uniform average (its fused kernel's additive mask).
        flash: None (torch decides), True (flash kernel only), False (any other).

    Returns:
        ``(output (..., heads, T, d), probabilities or None)``.

    The fused ``F.scaled_dot_product_attention`` runs unless the probabilities are
    wanted or a seeded dropout has to draw from the layer's generator.
    """
    if causal and mask is not None:
        mask = mask & window_mask(query.shape[-2], key.shape[-2], query.device, causal=True)
        causal = False
    seeded = dropout and layer is not None and layer.seed is not None
    groups = query.shape[-3] // key.shape[-3]
    if want_scores or seeded:
        if groups > 1:
            key, value = key.repeat_interleave(groups, dim=-3), value.repeat_interleave(groups, dim=-3)
        scores = torch.matmul(query * scale, key.transpose(-1, -2))
        if causal:
            mask = window_mask(query.shape[-2], key.shape[-2], query.device, causal=True)
        probabilities = masked_softmax(scores, mask)
        dropped = probabilities
        if dropout:
            keep = torch.full_like(probabilities, 1.0 - dropout)
            generator = seeded_generator(layer, query.device) if seeded else None
            dropped = probabilities * torch.bernoulli(keep, generator=generator) / (1.0 - dropout)
        return torch.matmul(dropped, value), (probabilities if want_scores else None)
    additive = None
    if mask is not None:
        additive = torch.where(mask, torch.zeros((), dtype=query.dtype, device=query.device),
                               torch.full((), large_negative(query.dtype), dtype=query.dtype,
                                          device=query.device))
    kwargs = {}
    if groups > 1:
        if _SDPA_GROUPS:
            kwargs["enable_gqa"] = True
        else:
            key, value = key.repeat_interleave(groups, dim=-3), value.repeat_interleave(groups, dim=-3)
    backends = _sdpa_backends(flash)
    if backends is None:
        output = F.scaled_dot_product_attention(query, key, value, attn_mask=additive, dropout_p=dropout,
                                                is_causal=causal, scale=scale, **kwargs)
    else:
        from torch.nn.attention import sdpa_kernel

        with sdpa_kernel(backends):
            output = F.scaled_dot_product_attention(query, key, value, attn_mask=additive,
                                                    dropout_p=dropout, is_causal=causal, scale=scale,
                                                    **kwargs)
    if zero_masked_rows and mask is not None:
        output = output * mask.any(dim=-1, keepdim=True).to(output.dtype)
    return output, None


def projection_equation(free_dims, bound_dims, output_dims):
    """Keras's projection einsum of the multi-head layers: ``free_dims`` input axes kept,
    the last ``bound_dims`` contracted with the kernel, ``output_dims`` kernel axes
    added. Returns ``(equation, bias_axes, output_rank)``."""
    letters = iter(_LETTERS)
    free = "".join(next(letters) for _ in range(free_dims))
    bound = "".join(next(letters) for _ in range(bound_dims))
    out = "".join(next(letters) for _ in range(output_dims))
    return f"{free}{bound},{bound}{out}->{free}{out}", out, free_dims + output_dims


class ProjectionDense(EinsumDense):
    """The ``EinsumDense`` projections of the multi-head layers (Keras's sub-layers),
    which contract the input's last axes with the kernel's first ones: run as one
    matrix product (``F.linear``) instead of a general einsum."""

    def build(self, input_shape):
        super().build(input_shape)
        inp, ker, _, _ = self._letters
        contracted = [c for c in ker if c in inp]
        self._bound = len(contracted)
        self._in_size = math.prod(self.kernel.shape[: self._bound])
        self._out_dims = tuple(self.kernel.shape[self._bound:])
        self._out_size = math.prod(self._out_dims)

    def call(self, inputs):
        lead = inputs.shape[: inputs.dim() - self._bound]
        if self._bound != 1:
            inputs = inputs.reshape(*lead, self._in_size)
        bias = None if self.bias is None else self.bias.reshape(self._out_size)
        outputs = F.linear(inputs, self.kernel.reshape(self._in_size, self._out_size).t(), bias)
        outputs = outputs.reshape(*lead, *self._out_dims)
        if self._activation_fn is not None:
            outputs = self._activation_fn(outputs)
        return outputs
