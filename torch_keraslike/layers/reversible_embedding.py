"""``ReversibleEmbedding``: an ``Embedding`` that also projects vectors back to
vocabulary logits (the tied input/output embedding of language models)."""

import numbers

import torch
import torch.nn.functional as F

from .. import symbolic
from .._dtypes import dtype_name, to_torch_dtype
from ..saving import register_serializable
from ._common import add_weight_from_options, layer_label
from .embedding import Embedding

__all__ = ["ReversibleEmbedding"]


@register_serializable(package="keras")
class ReversibleEmbedding(Embedding):
    """An ``Embedding`` that can also be called with ``reverse=True`` to project
    ``(..., output_dim)`` vectors to ``(..., input_dim)`` logits.

    With ``tie_weights=True`` (default) the reverse projection is
    ``inputs @ embeddings.T`` (no extra weight); otherwise a separate trainable
    ``reverse_embeddings`` of shape ``(output_dim, input_dim)`` is used. There is no
    bias. Keras's quantization modes (``int8``/``int4``) are not provided.

    Args:
        input_dim: vocabulary size (largest index + 1).
        output_dim: size of the embedding vectors.
        tie_weights: whether the reverse projection reuses ``embeddings``.
        embeddings_initializer, embeddings_regularizer, embeddings_constraint,
            mask_zero: as in :class:`Embedding` (the initializer also initializes
            ``reverse_embeddings``).
        reverse_dtype: dtype of the reverse projection (e.g. ``"float32"`` for a
            ``bfloat16`` layer); defaults to the layer's dtype.
        logit_soft_cap: if set, reverse logits become
            ``tanh(logits / logit_soft_cap) * logit_soft_cap``.
        quantization_config: accepted for Keras configs; only ``None`` (quantization
            is not provided).
        **kwargs: other ``Embedding``/``Layer`` arguments (``weights``, ``name``...).

    Call arguments:
        inputs: integer indices, or vectors ``(..., output_dim)`` with ``reverse=True``.
        reverse: whether to project back to logits.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.ReversibleEmbedding(100, 16)
        >>> hidden = layer(torch.randint(0, 100, (2, 5)))
        >>> layer(hidden, reverse=True).shape
        torch.Size([2, 5, 100])
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        tie_weights=True,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        reverse_dtype=None,
        logit_soft_cap=None,
        quantization_config=None,
        **kwargs,
    ):
        # Checked first: ``weights=`` builds the layer inside Embedding's constructor.
        self.__dict__["tie_weights"] = bool(tie_weights)
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        dtype = to_torch_dtype(reverse_dtype, context=f"reverse_dtype of {layer_label(self)}")
        if dtype is not None and not dtype.is_floating_point:
            raise ValueError(
                f"{layer_label(self)}: reverse_dtype must be a floating dtype, received "
                f"reverse_dtype={reverse_dtype!r}. Fix: e.g. reverse_dtype='float32'."
            )
        self._reverse_dtype = dtype
        self.reverse_dtype = None if dtype is None else dtype_name(dtype)
        if logit_soft_cap is not None and (
            isinstance(logit_soft_cap, bool) or not isinstance(logit_soft_cap, numbers.Real)
            or not logit_soft_cap > 0
        ):
            raise ValueError(
                f"{layer_label(self)}: logit_soft_cap must be a positive number or None, "
                f"received logit_soft_cap={logit_soft_cap!r}. Fix: e.g. logit_soft_cap=30.0."
            )
        self.logit_soft_cap = None if logit_soft_cap is None else float(logit_soft_cap)
        if quantization_config is not None:
            raise ValueError(
                f"{layer_label(self)}: quantized embeddings (Keras's int8/int4 modes) are not "
                f"supported, received quantization_config={quantization_config!r}. Fix: load "
                "the float weights, or pass quantization_config=None."
            )

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = add_weight_from_options(
                self, "reverse_embeddings", (self.output_dim, self.input_dim), options="embeddings")

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        if inputs.shape[-1] != self.output_dim:
            raise ValueError(
                f"{layer_label(self)}: a reverse call projects vectors of size output_dim="
                f"{self.output_dim}, but the input has shape {tuple(inputs.shape)}. Fix: pass "
                "the hidden states (..., output_dim), or call without reverse=True for indices."
            )
        # F.linear takes the (out, in) matrix: the table itself when tied.
        weight = self.embeddings if self.tie_weights else self.reverse_embeddings.T
        if self._reverse_dtype is not None:
            inputs, weight = inputs.to(self._reverse_dtype), weight.to(self._reverse_dtype)
        logits = F.linear(inputs, weight)
        if self.logit_soft_cap is not None:
            logits = torch.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs, mask=None, reverse=False):
        """``inputs != 0`` for an embedding call when ``mask_zero=True``; ``None`` for
        reverse calls (logits are not masked) and when ``mask_zero=False``."""
        return None if reverse else super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return tuple(input_shape)[:-1] + (self.input_dim,)
        return tuple(input_shape) + (self.output_dim,)

    def compute_output_spec(self, inputs, reverse=False):
        dtype = self._reverse_dtype if reverse and self._reverse_dtype is not None else self._tkl_dtype
        return symbolic.KerasTensor(self.compute_output_shape(inputs.shape, reverse=reverse), dtype=dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            tie_weights=self.tie_weights,
            reverse_dtype=self.reverse_dtype,
            logit_soft_cap=self.logit_soft_cap,
            quantization_config=None,
        )
        return config
