"""``AdditiveAttention``: Bahdanau-style attention over a list of inputs, as Keras."""

import torch

from ...saving import register_serializable
from .._common import layer_label
from .attention import Attention

__all__ = ["AdditiveAttention"]


@register_serializable(package="keras")
class AdditiveAttention(Attention):
    """Additive attention layer, a.k.a. Bahdanau-style attention (Keras's layer).

    Like :class:`Attention`, with the scores ``sum(scale * tanh(query_i + key_j))`` over
    the feature axis (``scale`` a learned vector of the feature size with
    ``use_scale=True``, else 1). Query and key must have the same feature size.

    Args:
        use_scale: learn the ``scale`` vector (default True).
        dropout: dropout rate on the attention weights while training, in ``[0, 1)``.
        **kwargs: ``seed`` and base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        inputs, mask, training, return_attention_scores, use_causal_mask: as for
        :class:`Attention`.

    Shapes:
        Output ``(batch, Tq, dim_v)``; weight ``scale (dim,)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.AdditiveAttention()
        >>> layer([torch.ones(2, 3, 4), torch.ones(2, 5, 4)]).shape
        torch.Size([2, 3, 4])
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        if "score_mode" in kwargs:
            raise TypeError(
                f"AdditiveAttention.__init__() got an unexpected keyword argument 'score_mode': its "
                "scores are always additive. Fix: remove score_mode, or use Attention(score_mode=...)."
            )
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        dim = tuple(input_shape[0])[-1]
        if dim is None:
            raise ValueError(
                f"{layer_label(self)} needs the feature size of the query to be known, received "
                f"input shapes {input_shape}."
            )
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(shape=(dim,), initializer="glorot_uniform", name="scale")
        self.concat_score_weight = None

    def _calculate_scores(self, query, key):
        summed = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
        if self.scale is not None:
            summed = self.scale * summed
        return summed.sum(-1)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        # Always the explicit scores (no fused kernel computes additive attention).
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        self._check_shapes(query, value, key)
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        output, scores = self._explicit(query, key, value, value_mask, use_causal_mask,
                                        self.dropout if training else 0.0)
        if query_mask is not None:
            output = torch.where(query_mask.bool().unsqueeze(-1), output,
                                 torch.zeros((), dtype=output.dtype, device=output.device))
        return (output, scores) if return_attention_scores else output

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
