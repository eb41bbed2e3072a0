"""``IntegerLookup``: maps integer tokens to contiguous indices through a vocabulary
(given, or learned with ``adapt``), with out-of-vocabulary buckets, a mask token,
the inverse mapping and Keras's encodings (one-hot, multi-hot, counts, TF-IDF).

The lookup is a ``searchsorted`` in the sorted vocabulary, so it runs on any device
and under torch.compile. The vocabulary lives in the config (JSON), as Keras keeps a
given one; string vocabularies (``StringLookup``) have no tensor type on torch."""

import collections
import math

import numpy as np
import torch

from ... import symbolic
from ...layer import Layer
from ...saving import register_serializable
from .._common import is_int, layer_label
from . import _hashing
from .encoding import (
    _check_dense,
    _check_mode,
    _NumericInputs,
    _values_of,
    adapt_batches,
    encode_categorical,
    encoded_shape,
)

__all__ = ["IntegerLookup"]

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _as_int_list(values):
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return [int(v) for v in np.asarray(values).reshape(-1)]


@register_serializable(package="keras")
class IntegerLookup(_NumericInputs, Layer):
    """Maps integer tokens to indices in a vocabulary (or back, with ``invert``).

    Indices are laid out as Keras's: ``[mask] [OOV buckets] [vocabulary...]`` (the
    mask index only with ``mask_token`` and ``output_mode="int"``). A token not in
    the vocabulary goes to an OOV bucket (``floormod`` of the token, or its FarmHash
    with ``oov_method="farmhash"``, as Keras); with ``num_oov_indices=0`` it is an
    error. :meth:`adapt` learns the vocabulary from data: tokens by decreasing
    frequency (ties: larger tokens first), at most ``max_tokens`` indices in all.

    Args:
        max_tokens: the largest vocabulary size, special indices included, or None.
        num_oov_indices: the number of OOV buckets (default 1).
        mask_token: a token meaning "masked", mapped to index 0, or None.
        oov_token: the token returned for OOV indices by ``invert`` (default -1).
        vocabulary: a list (or array) of integer tokens, or None (then
            :meth:`adapt`).
        vocabulary_dtype: must be ``"int64"``.
        idf_weights: per-token weights for ``output_mode="tf_idf"``.
        invert: map indices back to tokens.
        output_mode: ``"int"`` (default), ``"one_hot"``, ``"multi_hot"``,
            ``"count"`` or ``"tf_idf"``.
        sparse: must be False (sparse outputs exist on TensorFlow only).
        pad_to_max_tokens: encode to ``max_tokens`` columns even if the vocabulary is
            smaller.
        oov_method: ``"floormod"`` (default) or ``"farmhash"``.
        salt: an int or pair of ints keying the ``"farmhash"`` OOV hash (SipHash).
        name: the layer's name.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        ``"int"``: the input's shape; otherwise as :class:`CategoryEncoding` with
        ``vocabulary_size()`` (or ``max_tokens``) columns.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer(torch.tensor([[12, 1138, 42], [42, 1000, 36]]))
        tensor([[1, 3, 4],
                [4, 0, 2]])
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, name=None, **kwargs):
        frozen_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("has_input_vocabulary", None)
        super().__init__(name=name, **kwargs)
        label = layer_label(self)
        if max_tokens is not None and not (is_int(max_tokens) and max_tokens > 1):
            raise ValueError(f"{label}: If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens!r}")
        if not (is_int(num_oov_indices) and num_oov_indices >= 0):
            raise ValueError(f"{label}: `num_oov_indices` must be greater than or equal to 0. Received: "
                             f"num_oov_indices={num_oov_indices!r}")
        if vocabulary_dtype != "int64":
            raise ValueError(
                f"{label}: Only `vocabulary_dtype='int64'` is supported. Received: vocabulary_dtype="
                f"{vocabulary_dtype!r}. String vocabularies (StringLookup) have no tensor type on torch."
            )
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        _check_mode(self, output_mode, _MODES)
        _check_dense(self, sparse)
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{label}: If pad_to_max_tokens is True, must set `max_tokens`. Received: max_tokens=None")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"{label}: `oov_method` must be 'floormod' or 'farmhash', received {oov_method!r}.")
        if salt is not None and oov_method != "farmhash":
            raise ValueError(f"{label}: `salt` can only be used when `oov_method='farmhash'`. Received: "
                             f"oov_method={oov_method!r}")
        if invert and output_mode != "int":
            raise ValueError(f"{label}: `output_mode` must be `'int'` when `invert` is true. Received: "
                             f"output_mode={output_mode!r}")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{label}: `idf_weights` should only be set if `output_mode` is `'tf_idf'`.")
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(f"{label}: When specifying the `vocabulary` argument, in TF-IDF output mode, the "
                             "`idf_weights` argument must also be provided.")
        for token_name, token in (("mask_token", mask_token), ("oov_token", oov_token)):
            if token is not None and not is_int(token):
                raise ValueError(f"{label}: `{token_name}` must be an integer or None, received {token!r}.")
        if isinstance(vocabulary, str):
            raise ValueError(
                f"{label}: vocabulary files are not supported; pass the tokens as a list. Fix: e.g. "
                "vocabulary=[int(line) for line in open(path)]."
            )
        self.max_tokens, self.num_oov_indices = max_tokens, int(num_oov_indices)
        self.mask_token, self.oov_token = mask_token, oov_token
        self.vocabulary_dtype, self.invert, self.output_mode = "int64", bool(invert), output_mode
        self.sparse, self.pad_to_max_tokens, self.oov_method = False, bool(pad_to_max_tokens), oov_method
        if salt is not None and not (is_int(salt) or (isinstance(salt, (tuple, list)) and len(salt) == 2
                                                        and all(is_int(s) for s in salt))):
            raise ValueError(f"{label}: The `salt` argument can only be a tuple of 2 integers, or a single "
                             f"integer. Received: salt={salt!r}.")
        self.salt = None if salt is None else ([int(salt)] * 2 if is_int(salt) else [int(s) for s in salt])
        self._has_input_vocabulary = vocabulary is not None
        self._frozen_vocab_size = frozen_size
        self._tokens, self._idf = [], None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ----------------------------------------------------------- vocabulary
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self):
        """The number of indices: special ones plus the vocabulary's tokens."""
        return self._token_start_index() + len(self._tokens)

    def get_vocabulary(self, include_special_tokens=True):
        """The token of each index (special tokens first unless excluded)."""
        start = self._token_start_index()
        vocabulary = [self.oov_token] * start + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocabulary[0] = self.mask_token
        return vocabulary if include_special_tokens else vocabulary[start:]

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and TF-IDF weights); the layer is left unchanged on
        error."""
        label = layer_label(self)
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{label}: `idf_weights` must be set if output_mode is 'tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"{label}: `idf_weights` should only be set if output_mode is `'tf_idf'`. "
                             f"Received: output_mode={self.output_mode!r}")
        try:
            vocabulary = _as_int_list(vocabulary)
        except (TypeError, ValueError):
            raise ValueError(f"{label}: the vocabulary must be a list of integer tokens, received "
                             f"{vocabulary!r}. String vocabularies have no tensor type on torch.") from None
        if not vocabulary:
            raise ValueError(f"{label}: Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices
        found_special = vocabulary[:start] == special
        tokens = vocabulary[start:] if found_special else vocabulary
        repeated = [token for token, count in collections.Counter(tokens).items() if count > 1]
        if repeated:
            raise ValueError(f"{label}: The passed vocabulary has at least one repeated term. Please uniquify "
                             f"your dataset. The repeated terms are: {repeated}")
        for token_name, token in (("mask_token", self.mask_token), ("oov_token", self.oov_token)):
            if token is not None and token in tokens and (token_name == "mask_token" or self.invert):
                raise ValueError(
                    f"{label}: Found reserved {token_name.split('_')[0]} token {token} at an unexpected location "
                    "in `vocabulary`. The vocabulary does not need to include the OOV and mask tokens: either "
                    f"remove them, or include them only at the start in precisely this order: {special}."
                )
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError(f"{label}: Attempted to set a vocabulary larger than the maximum vocab size. "
                             f"Received vocabulary size is {start + len(tokens)}; `max_tokens` is {self.max_tokens}.")
        idf = None
        if idf_weights is not None:
            idf = np.asarray(idf_weights.detach().cpu() if isinstance(idf_weights, torch.Tensor) else idf_weights,
                             dtype=np.float64)
            if idf.ndim != 1 or len(idf) != len(vocabulary):
                raise ValueError(f"{label}: `idf_weights` must be a 1-D list as long as the vocabulary "
                                 f"({len(vocabulary)}), received shape {idf.shape}.")
            front = 0 if found_special else start
            back = self.max_tokens - front - len(idf) if self.pad_to_max_tokens else 0
            idf = np.concatenate([np.full(front, np.average(idf)), idf, np.zeros(max(back, 0))])
        self._store(tokens, idf)
        if self.output_mode != "int" and not self.pad_to_max_tokens:
            self._frozen_vocab_size = self.vocabulary_size()

    def _store(self, tokens, idf):
        self._tokens = list(tokens)
        self._idf = None if idf is None else [float(w) for w in idf]
        device = self._tkl_device if self._tkl_device not in (None, torch.device("meta")) else None
        keys = torch.tensor(self._tokens, dtype=torch.int64, device=device)
        order = torch.argsort(keys)
        self.register_buffer("_sorted_tokens", keys[order], persistent=False)
        self.register_buffer("_sorted_indices", order + self._token_start_index(), persistent=False)
        self.register_buffer("_token_table", keys, persistent=False)
        if idf is not None:
            self.register_buffer("_idf_weights", torch.tensor(self._idf, dtype=self._tkl_dtype, device=device),
                                 persistent=False)

    # ---------------------------------------------------------------- adapt
    def adapt(self, data, steps=None):
        """Learns the vocabulary (and, for ``"tf_idf"``, the IDF weights) from
        ``data``: an array, tensor or list of tokens (one row per document), or an
        iterable of such batches (``steps`` limits how many are read)."""
        if self._has_input_vocabulary:
            raise ValueError(f"{layer_label(self)}: Cannot adapt layer '{self.name}' after setting a static "
                             "vocabulary via `vocabulary` argument or `set_vocabulary()` method.")
        counts, documents, num_documents = collections.Counter(), collections.Counter(), 0
        for array in adapt_batches(self, data, steps):
            if array.dtype.kind in "OUS":
                raise ValueError(f"{layer_label(self)}: adapt() received strings; IntegerLookup takes integer "
                                 "tokens (string tensors have no torch equivalent).")
            array = array.astype(np.int64)
            rows = array.reshape(1, -1) if array.ndim < 2 else array.reshape(array.shape[0], -1)
            counts.update(rows.reshape(-1).tolist())
            for row in rows:
                documents.update(set(row.tolist()))
            num_documents += rows.shape[0]
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        # Most frequent first; ties: larger tokens first (Keras's reversed lexsort).
        tokens = sorted(counts, key=lambda token: (counts[token], token), reverse=True)
        if self.max_tokens:
            tokens = tokens[:self.max_tokens - self._token_start_index()]
        idf = None
        if self.output_mode == "tf_idf":
            weights = np.array([math.log(1 + num_documents / (1 + documents[t])) for t in tokens])
            back = self.max_tokens - self._token_start_index() - len(tokens) if self.pad_to_max_tokens else 0
            front = np.full(self._token_start_index(), weights.mean() if len(weights) else 0.0)
            idf = np.concatenate([front, weights, np.zeros(max(back, 0))])
        self._store(tokens, idf)
        if self.output_mode != "int" and not self.pad_to_max_tokens:
            self._frozen_vocab_size = self.vocabulary_size()

    # ----------------------------------------------------------------- call
    def build(self, input_shape):
        if self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is None:
            raise RuntimeError(
                f"{layer_label(self)}: When using `output_mode={self.output_mode}` and "
                "`pad_to_max_tokens=False`, you must set the layer's vocabulary before calling it. Either "
                "pass a `vocabulary` argument to the layer, or call `adapt` with some sample data."
            )

    def _lookup(self, tokens):
        sorted_tokens = self._sorted_tokens.to(tokens.device)
        if sorted_tokens.numel() == 0:
            return torch.full_like(tokens, -1), torch.zeros_like(tokens, dtype=torch.bool)
        position = torch.searchsorted(sorted_tokens, tokens.contiguous()).clamp(max=sorted_tokens.numel() - 1)
        found = sorted_tokens[position] == tokens
        return self._sorted_indices.to(tokens.device)[position], found

    def _oov_indices(self, tokens):
        if self.num_oov_indices == 1:
            return torch.full_like(tokens, self._oov_start_index())
        if self.oov_method == "farmhash":
            buckets = _hashing.hash_integers(tokens, self.num_oov_indices, self.salt)
        else:
            buckets = torch.remainder(tokens, self.num_oov_indices)
        return buckets + self._oov_start_index()

    def call(self, inputs):
        tokens = inputs.to(torch.int64)
        if self.invert:
            return self._invert(tokens)
        indices, found = self._lookup(tokens)
        if self.num_oov_indices == 0:
            indices = torch.where(found, indices, -1)  # (unknown tokens were rejected before the call)
        else:
            indices = torch.where(found, indices, self._oov_indices(tokens))
        if self.mask_token is not None:
            # Masked tokens: index 0 in "int" mode; dropped from the encodings otherwise.
            masked = 0 if self.output_mode == "int" else torch.iinfo(torch.int64).max
            indices = torch.where(tokens == self.mask_token, masked, indices)
        if self.output_mode == "int":
            return indices
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if self.output_mode != "tf_idf":
            return encode_categorical(indices, self.output_mode, depth, self._tkl_dtype)
        counts = encode_categorical(indices, "count", depth, self._tkl_dtype)
        return counts * self._idf_weights.to(device=counts.device, dtype=counts.dtype)

    def _check_values(self, inputs):
        if self.num_oov_indices or self.invert:
            return
        tokens = _values_of(inputs)
        if tokens is None or tokens.numel() == 0:
            return
        tokens = tokens.to(torch.int64).to(self._sorted_tokens.device) if hasattr(self, "_sorted_tokens") else None
        if tokens is None:
            return
        _, found = self._lookup(tokens)
        outside = ~found if self.mask_token is None else ~found & (tokens != self.mask_token)
        unknown = tokens[outside]
        if unknown.numel():
            raise ValueError(
                f"{layer_label(self)}: When `num_oov_indices=0` all inputs should be in vocabulary, found OOV "
                f"values {unknown.unique().tolist()[:10]}, consider setting `num_oov_indices=1`."
            )

    def _invert(self, indices):
        table = self._token_table.to(indices.device)
        position = indices - self._token_start_index()
        valid = (position >= 0) & (position < table.numel())
        tokens = table[position.clamp(0, max(table.numel() - 1, 0))] if table.numel() else indices
        tokens = torch.where(valid, tokens, self.oov_token)
        if self.mask_token is not None:
            tokens = torch.where(indices == 0, self.mask_token, tokens)
        return tokens

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        return encoded_shape(input_shape, "one_hot" if self.output_mode == "one_hot" else "count", depth)

    def compute_output_spec(self, inputs):
        dtype = torch.int64 if self.output_mode == "int" else self._tkl_dtype
        return symbolic.KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    def get_config(self):
        config = super().get_config()
        # The vocabulary (given or adapted) travels in the config, so a clone maps alike.
        vocabulary = list(self._tokens) if self._tokens else None
        idf = self._idf
        if idf is not None and vocabulary is not None:
            idf = idf[self._token_start_index():self._token_start_index() + len(vocabulary)]
        config.update(
            invert=self.invert, max_tokens=self.max_tokens, num_oov_indices=self.num_oov_indices,
            oov_token=self.oov_token, mask_token=self.mask_token, output_mode=self.output_mode,
            sparse=self.sparse, pad_to_max_tokens=self.pad_to_max_tokens,
            vocabulary_dtype=self.vocabulary_dtype, idf_weights=idf, vocabulary=vocabulary,
            vocabulary_size=self._frozen_vocab_size, oov_method=self.oov_method, salt=self.salt)
        return config
