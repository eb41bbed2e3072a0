"""Categorical encodings of integer features: ``CategoryEncoding`` (one-hot, multi-hot,
counts), ``Discretization`` (bucketing, with ``adapt``), ``Hashing`` and
``HashedCrossing`` (TensorFlow's hashes, so the bins are Keras's).

String features have no tensor type on torch: these layers take integer (or
floating) tensors and say so clearly when given strings."""

import numpy as np
import torch

from ... import symbolic
from ...layer import Layer
from ...saving import register_serializable
from .._common import is_int, is_positive_int, layer_label
from . import _hashing

__all__ = ["CategoryEncoding", "Discretization", "HashedCrossing", "Hashing", "encode_categorical"]

_ENCODINGS = ("one_hot", "multi_hot", "count")


def encoded_shape(input_shape, output_mode, depth):
    """The shape :func:`encode_categorical` gives for ``input_shape``."""
    shape = tuple(input_shape)
    if output_mode == "int":
        return shape
    if not shape:
        return (depth,)
    if output_mode == "one_hot":
        return (shape[:-1] if len(shape) > 1 and shape[-1] == 1 else shape) + (depth,)
    # multi_hot and count reduce the axis after the batch (axis 0 of rank-1 inputs).
    return (shape[0],) + shape[2:] + (depth,) if len(shape) > 1 else (depth,)


def encode_categorical(indices, output_mode, depth, dtype, count_weights=None):
    """Keras's encodings of integer ``indices`` in ``[0, depth)``: ``"int"`` (a cast),
    ``"one_hot"`` (a trailing axis of 1 is replaced), ``"multi_hot"`` and ``"count"``
    (over axis 1, or 0 for rank-1 inputs), optionally weighted counts."""
    if output_mode == "int":
        return indices.to(dtype)
    indices = indices.reshape(1) if indices.dim() == 0 else indices
    if output_mode == "one_hot" and indices.dim() > 1 and indices.shape[-1] == 1:
        indices = indices.squeeze(-1)
    classes = torch.arange(depth, device=indices.device)
    one_hot = (indices.unsqueeze(-1) == classes).to(dtype if count_weights is None else count_weights.dtype)
    if output_mode == "one_hot":
        return one_hot
    axis = 1 if indices.dim() > 1 else 0
    if output_mode == "multi_hot":
        return one_hot.amax(dim=axis) if one_hot.numel() else one_hot.sum(dim=axis)
    if count_weights is not None:
        one_hot = one_hot * count_weights.unsqueeze(-1)
    return one_hot.sum(dim=axis)


def _is_checkable(tensor):
    return not torch.compiler.is_compiling() and not symbolic.is_fake(tensor) and tensor.device.type != "meta"


def _values_of(inputs):
    """``inputs`` as a tensor to check, or None (strings, symbolic, not array-like)."""
    if isinstance(inputs, torch.Tensor):
        return inputs if _is_checkable(inputs) else None
    try:
        array = np.asarray(inputs)
    except (TypeError, ValueError):
        return None
    return torch.from_numpy(array) if array.dtype.kind in "biuf" else None


def check_indices(layer, indices, depth, what):
    """Raises when an index is outside ``[0, depth)`` (skipped while compiling, where
    out-of-range values encode as zeros)."""
    indices = _values_of(indices)
    if indices is None or indices.numel() == 0:
        return
    indices = indices.to(torch.int64)
    low, high = int(indices.min()), int(indices.max())
    if low < 0 or high >= depth:
        raise ValueError(
            f"{layer_label(layer)}: input values must be in the range 0 <= values < {what}={depth}, "
            f"received values from {low} to {high}. Fix: increase {what}, or map the values into the "
            "range first (e.g. with IntegerLookup or Hashing)."
        )


class _NumericInputs:
    """Mixin: string arrays (which torch cannot hold) get a clear error, and
    ``_check_values`` (data-dependent checks) runs before the layer builds, so a
    rejected call leaves it as it was."""

    def __call__(self, *args, **kwargs):
        if args and not symbolic.has_keras_tensor(args, kwargs):
            self._check_values(args[0])
        return super().__call__(*args, **kwargs)

    def _check_values(self, inputs):
        """Checks the values of real inputs (tensors, arrays); default: none."""

    def _array_to_tensor(self, value):
        if np.asarray(value).dtype.kind in "OUS":
            raise ValueError(
                f"{layer_label(self)}: string inputs are not supported: torch has no string tensors. "
                "Fix: pass integer ids (hash or look up the strings before the model), or use an "
                "integer vocabulary."
            )
        return super()._array_to_tensor(value)


def _check_mode(layer, output_mode, allowed):
    if output_mode not in allowed:
        raise ValueError(
            f"{layer_label(layer)}: Invalid value for argument `output_mode`. Expected one of "
            f"{allowed}. Received: output_mode={output_mode!r}"
        )


def _check_dense(layer, sparse):
    if sparse:
        raise ValueError(
            f"{layer_label(layer)}: `sparse=True` is not supported: Keras's sparse outputs exist on the "
            "TensorFlow backend only. Fix: use sparse=False (dense outputs)."
        )


@register_serializable(package="keras")
class CategoryEncoding(_NumericInputs, Layer):
    """Encodes integer category ids as one-hot, multi-hot or count vectors.

    Inputs are ids in ``[0, num_tokens)`` (an id out of range raises a
    ``ValueError``, except under ``torch.compile`` where it encodes as zeros).
    ``"one_hot"`` adds an axis of ``num_tokens`` (replacing a trailing axis of 1);
    ``"multi_hot"`` and ``"count"`` summarise the ids of each sample (axis 1, or the
    whole input when it has rank 1). Outputs are in the layer's floating dtype.

    Args:
        num_tokens: the number of categories.
        output_mode: ``"multi_hot"`` (default; ``"binary"`` is the same),
            ``"one_hot"`` or ``"count"``.
        sparse: must be False (sparse outputs exist on TensorFlow only).
        **kwargs: base ``Layer`` arguments.

    Call arguments:
        inputs: integer ids (floats are truncated).
        count_weights: optional weights of the ids, same shape (``"count"`` only).

    Shapes:
        ``(batch, k)`` -> ``(batch, num_tokens)`` (``"one_hot"``: ``(batch, k,
        num_tokens)``, or ``(batch, num_tokens)`` when ``k == 1``).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.CategoryEncoding(num_tokens=4, output_mode="count")
        >>> layer(torch.tensor([[0, 1, 1], [3, 3, 2]]))
        tensor([[1., 2., 0., 0.],
                [0., 0., 1., 2.]])
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        output_mode = "multi_hot" if output_mode == "binary" else output_mode
        _check_mode(self, output_mode, _ENCODINGS)
        if num_tokens is None:
            raise ValueError(
                f"{layer_label(self)}: num_tokens must be set to use this layer. If the number of "
                "tokens is not known beforehand, use the IntegerLookup layer instead."
            )
        if not is_positive_int(num_tokens):
            raise ValueError(f"{layer_label(self)}: `num_tokens` must be >= 1. Received: num_tokens={num_tokens!r}.")
        _check_dense(self, sparse)
        self.num_tokens, self.output_mode, self.sparse = int(num_tokens), output_mode, False

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    f"{layer_label(self)}: `count_weights` is not used when `output_mode` is not "
                    f"'count'. Received output_mode={self.output_mode!r}. Fix: use output_mode='count' "
                    "or drop count_weights."
                )
            count_weights = torch.as_tensor(count_weights, device=inputs.device).to(self._tkl_dtype)
            if count_weights.shape != inputs.shape:
                raise ValueError(
                    f"{layer_label(self)}: `count_weights` must have the inputs' shape {tuple(inputs.shape)}, "
                    f"received {tuple(count_weights.shape)}."
                )
        indices = inputs.to(torch.int64)
        return encode_categorical(indices, self.output_mode, self.num_tokens, self._tkl_dtype, count_weights)

    def _check_values(self, inputs):
        check_indices(self, inputs, self.num_tokens, "num_tokens")

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def compute_output_spec(self, inputs, count_weights=None):
        return symbolic.KerasTensor(self.compute_output_shape(inputs.shape), self._tkl_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(num_tokens=self.num_tokens, output_mode=self.output_mode, sparse=self.sparse)
        return config


# ----------------------------------------------------------- Discretization
def _summarize(values, epsilon):
    """A weighted summary ``[[values], [weights]]`` of sorted samples: every
    ``step``-th value (``step = max(n * epsilon, 1)``) standing for ``step`` samples."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size * epsilon, 1)
    kept = values[int(step - 1)::int(step)]
    return np.stack([kept, np.full_like(kept, step)])


def _compress(summary, epsilon):
    """``summary`` reduced to ``1 / epsilon`` points by interpolating its weighted
    cumulative distribution (unchanged when already that small)."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    fractions = cumulative / cumulative[-1]
    points = np.interp(percents, fractions, summary[0])
    cumulative = np.interp(percents, fractions, cumulative)
    weights = cumulative - np.concatenate((np.array([0]), cumulative[:-1]))
    return np.stack((points, weights)).astype("float32")


def _merge(first, second, epsilon):
    merged = np.concatenate((first, second), axis=1)
    return _compress(merged[:, np.argsort(merged[0], kind="stable")], epsilon)


@register_serializable(package="keras")
class Discretization(_NumericInputs, Layer):
    """Buckets continuous values: the output is the index of the bin of each value.

    With boundaries ``[b0, b1, ...]`` the bins are ``(-inf, b0)``, ``[b0, b1)``, ...,
    ``[b_last, inf)``. Boundaries are given, or learned by :meth:`adapt` as the
    approximate ``num_bins`` quantiles of data (Keras's streaming summary with
    precision ``epsilon``). The indices can be encoded (``output_mode``) as with
    :class:`CategoryEncoding`.

    Args:
        bin_boundaries: sorted boundaries, or None (then ``num_bins`` and
            :meth:`adapt`).
        num_bins: the number of bins to learn with :meth:`adapt`.
        epsilon: the precision of the learned quantiles (default 0.01).
        output_mode: ``"int"`` (default: int32 indices), ``"one_hot"``,
            ``"multi_hot"`` or ``"count"`` (floats).
        sparse: must be False (sparse outputs exist on TensorFlow only).
        dtype: the floating dtype of the encoded outputs.
        name: the layer's name.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        ``"int"``: the input's shape; otherwise as :class:`CategoryEncoding`.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
        >>> layer(torch.tensor([[-1.5, 1.0, 3.4, 0.5]]))
        tensor([[0, 2, 3, 1]], dtype=torch.int32)
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 dtype=None, name=None, **kwargs):
        super().__init__(dtype=dtype, name=name, **kwargs)
        _check_mode(self, output_mode, ("int",) + _ENCODINGS)
        _check_dense(self, sparse)
        if num_bins is not None and not (is_int(num_bins) and num_bins >= 0):
            raise ValueError(
                f"{layer_label(self)}: `num_bins` must be an integer >= 0. Received: num_bins={num_bins!r}"
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                f"{layer_label(self)}: Both `num_bins` and `bin_boundaries` should not be set. Received: "
                f"num_bins={num_bins!r} and bin_boundaries={bin_boundaries!r}"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"{layer_label(self)}: You need to set either `num_bins` or `bin_boundaries`.")
        if not (isinstance(epsilon, (int, float)) and 0 < epsilon < 1):
            raise ValueError(f"{layer_label(self)}: `epsilon` must be in (0, 1), received epsilon={epsilon!r}.")
        self.num_bins, self.epsilon, self.output_mode, self.sparse = num_bins, epsilon, output_mode, False
        self.bin_boundaries = None
        if bin_boundaries is not None:
            self._set_boundaries(bin_boundaries)
        self._summary = np.array([[], []], dtype="float32")

    def _set_boundaries(self, boundaries):
        values = [float(b) for b in np.asarray(boundaries, dtype=np.float64).reshape(-1)]
        if any(b > a for a, b in zip(values[1:], values)):
            raise ValueError(
                f"{layer_label(self)}: `bin_boundaries` must be sorted in increasing order, received "
                f"{values}."
            )
        self.bin_boundaries = values
        device = self._tkl_device if self._tkl_device not in (None, torch.device("meta")) else None
        self.register_buffer("_boundaries", torch.tensor(values, dtype=torch.float64, device=device),
                             persistent=False)

    def build(self, input_shape):
        if self.bin_boundaries is None:
            raise ValueError(
                f"{layer_label(self)}: You need to either pass the `bin_boundaries` argument at "
                "construction time or call `adapt(dataset)` before you can start using the "
                "`Discretization` layer."
            )

    def adapt(self, data, steps=None):
        """Learns ``num_bins`` boundaries from ``data``: an array or tensor, or an
        iterable of batches (a ``DataLoader``, a list or generator of arrays;
        ``steps`` limits how many are read)."""
        if self.num_bins is None:
            raise ValueError(
                f"{layer_label(self)}: Cannot adapt a Discretization layer that has been initialized "
                "with `bin_boundaries`, use `num_bins` instead."
            )
        summary = np.array([[], []], dtype="float32")
        for batch in adapt_batches(self, data, steps):
            summary = _merge(_summarize(batch.astype("float32"), self.epsilon), summary, self.epsilon)
        if summary.shape[1] == 0:
            raise ValueError(f"{layer_label(self)}: adapt() received no data.")
        self._summary = summary
        self._set_boundaries(_compress(summary, 1.0 / self.num_bins)[0, :-1].tolist())

    def call(self, inputs):
        # Integer values are compared as floats, as Keras reads them.
        values = inputs if inputs.is_floating_point() else inputs.to(self._tkl_dtype)
        boundaries = self._boundaries.to(device=values.device, dtype=values.dtype)
        indices = torch.bucketize(values, boundaries, right=True).to(torch.int32)
        if self.output_mode == "int":
            return indices
        return encode_categorical(indices, self.output_mode, len(self.bin_boundaries) + 1, self._tkl_dtype)

    def compute_output_shape(self, input_shape):
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        return encoded_shape(input_shape, self.output_mode, depth)

    def compute_output_spec(self, inputs):
        dtype = torch.int32 if self.output_mode == "int" else self._tkl_dtype
        return symbolic.KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    def get_config(self):
        config = super().get_config()
        config.update(bin_boundaries=self.bin_boundaries, num_bins=self.num_bins, epsilon=self.epsilon,
                      output_mode=self.output_mode, sparse=self.sparse)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            # An adapted layer: both are set; the boundaries are applied after creation.
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer._set_boundaries(boundaries)
            return layer
        return cls(**config)


def adapt_batches(layer, data, steps=None):
    """The NumPy batches of ``adapt``'s ``data``: one array, tensor or list of
    numbers, or an iterable of them (a ``DataLoader``'s ``(x, y)`` gives ``x``), at
    most ``steps`` of them."""
    if isinstance(data, (np.ndarray, torch.Tensor)) or (isinstance(data, list) and not (
            data and isinstance(data[0], (np.ndarray, torch.Tensor)))):
        batches = [data]
    elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
        batches = data
    else:
        raise TypeError(
            f"{layer_label(layer)}: unsupported data type {type(data).__name__} for adapt(): pass an "
            "array, a tensor, a list of values, or an iterable of them."
        )
    for index, batch in enumerate(batches):
        if steps is not None and index >= steps:
            break
        batch = batch[0] if isinstance(batch, (tuple, list)) and not isinstance(data, list) else batch
        if isinstance(batch, torch.Tensor):
            batch = batch.detach().cpu().numpy()
        yield np.asarray(batch)


# ------------------------------------------------------------------ hashing
def _salt_pair(layer, salt):
    if salt is None:
        return None
    if isinstance(salt, (tuple, list)) and len(salt) == 2 and all(is_int(s) for s in salt):
        return [int(s) for s in salt]
    if is_int(salt):
        return [int(salt), int(salt)]
    raise ValueError(
        f"{layer_label(layer)}: The `salt` argument can only be a tuple of size 2 integers, or a single "
        f"integer. Received: salt={salt!r}."
    )


def _check_int_mode_dtype(layer, output_mode):
    if output_mode == "int" and layer._tkl_dtype not in (torch.int32, torch.int64):
        raise ValueError(
            f"{layer_label(layer)}: When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' "
            f"or 'int64'. Received: dtype={layer.dtype!r}"
        )


@register_serializable(package="keras")
class Hashing(_NumericInputs, Layer):
    """Hashes integer features into ``num_bins`` bins, as Keras 3 (TensorFlow's
    hashes of the values' decimal strings, so the same bins).

    Without ``salt`` the hash is FarmHash64; with one it is SipHash-2-4 keyed by
    the salt. With ``mask_value``, that value goes to bin 0 and the others to
    ``[1, num_bins)``. Floating inputs are truncated to integers first, as Keras
    does. The bins can be encoded (``output_mode``) as with
    :class:`CategoryEncoding`.

    Args:
        num_bins: the number of bins (including the mask bin).
        mask_value: a value that always goes to bin 0, or None.
        salt: an int or a pair of ints keying a stronger hash, or None.
        output_mode: ``"int"`` (default), ``"one_hot"``, ``"multi_hot"`` or
            ``"count"``.
        sparse: must be False (sparse outputs exist on TensorFlow only).
        **kwargs: base ``Layer`` arguments; ``dtype`` defaults to int64 for
            ``"int"`` outputs and float32 otherwise.

    Shapes:
        ``"int"``: the input's shape; otherwise as :class:`CategoryEncoding`.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.Hashing(num_bins=3)
        >>> layer(torch.tensor([[0], [1], [2], [3], [4]])).flatten()
        tensor([1, 0, 1, 0, 2])
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else None
        super().__init__(**kwargs)
        if not is_positive_int(num_bins):
            raise ValueError(
                f"{layer_label(self)}: The `num_bins` for `Hashing` cannot be `None` or non-positive "
                f"values. Received: num_bins={num_bins!r}."
            )
        _check_mode(self, output_mode, ("int",) + _ENCODINGS)
        _check_int_mode_dtype(self, output_mode)
        _check_dense(self, sparse)
        if mask_value is not None and not is_int(mask_value):
            raise ValueError(f"{layer_label(self)}: `mask_value` must be an integer or None, received {mask_value!r}.")
        self.num_bins, self.mask_value, self.output_mode, self.sparse = int(num_bins), mask_value, output_mode, False
        self.salt = _salt_pair(self, salt)
        self.strong_hash = self.salt is not None

    def call(self, inputs):
        values = inputs.to(torch.int64)
        if self.output_mode == "one_hot" and values.dim() and values.shape[-1] == 1:
            values = values.squeeze(-1)
        bins = self.num_bins
        masked = self.mask_value is not None and bins > 1
        hashed = _hashing.hash_integers(values, bins - 1 if masked else bins, self.salt)
        if masked:
            hashed = torch.where(values == self.mask_value, 0, hashed + 1)
        return encode_categorical(hashed, self.output_mode, self.num_bins, self._tkl_dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        shape = tuple(input_shape)
        if self.output_mode == "one_hot" and shape and shape[-1] == 1:
            shape = shape[:-1]
        return encoded_shape(shape, self.output_mode, self.num_bins)

    def compute_output_spec(self, inputs):
        return symbolic.KerasTensor(self.compute_output_shape(inputs.shape), self._tkl_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(num_bins=self.num_bins, salt=self.salt, mask_value=self.mask_value,
                      output_mode=self.output_mode, sparse=self.sparse)
        return config


@register_serializable(package="keras")
class HashedCrossing(_NumericInputs, Layer):
    """Crosses integer features and hashes each combination into ``num_bins`` bins,
    as Keras 3 (TensorFlow's ``sparse.cross_hashed``, so the same bins).

    The layer takes a list of at least two integer tensors of equal shape ``()``,
    ``(batch,)`` or ``(batch, 1)``; each sample's combination of values gets one
    bin.

    Args:
        num_bins: the number of bins.
        output_mode: ``"int"`` (default: int64 bins) or ``"one_hot"``.
        sparse: must be False (sparse outputs exist on TensorFlow only).
        name: the layer's name.
        dtype: the output dtype (default int64 for ``"int"``, float32 otherwise).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        The shape of one input (``"one_hot"``: ``(batch, num_bins)``).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.HashedCrossing(num_bins=5)
        >>> layer([torch.tensor([1, 2, 1]), torch.tensor([7, 7, 7])])
        tensor([4, 2, 4])
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if not is_positive_int(num_bins):
            raise ValueError(f"{layer_label(self)}: `num_bins` must be a positive integer, received {num_bins!r}.")
        _check_mode(self, output_mode, ("int", "one_hot"))
        _check_int_mode_dtype(self, output_mode)
        _check_dense(self, sparse)
        self.num_bins, self.output_mode, self.sparse = int(num_bins), output_mode, False
        # Features are not cast to the (integer) output dtype: floats are rejected, as Keras.
        self._tkl_autocast = False

    def _check_values(self, inputs):
        if isinstance(inputs, (list, tuple)) and all(isinstance(x, torch.Tensor) for x in inputs):
            self._check_inputs(inputs)

    def _check_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(
                f"{layer_label(self)}: `HashedCrossing` should be called on a list or tuple of at least two "
                f"inputs. Received: {type(inputs).__name__}. Fix: layer([feature_a, feature_b])."
            )
        shapes = [tuple(x.shape) for x in inputs]
        first = shapes[0]
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError(
                f"{layer_label(self)}: All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or "
                f"`(batch_size, 1)`. Received shapes: {shapes}"
            )
        if any(shape != first for shape in shapes[1:]):
            raise ValueError(f"{layer_label(self)}: All `HashedCrossing` inputs should have equal shape. "
                             f"Received shapes: {shapes}")
        if any(x.dtype.is_floating_point or x.dtype.is_complex for x in inputs):
            raise ValueError(
                f"{layer_label(self)}: All `HashedCrossing` inputs should have an integer dtype. Received "
                f"dtypes: {[str(x.dtype).replace('torch.', '') for x in inputs]}. Fix: cast the features "
                "to integers."
            )

    def build(self, input_shape):
        # Checked here too, so a rejected first call leaves the layer unbuilt.
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not isinstance(input_shape[0], (list, tuple)):
            raise ValueError(
                f"{layer_label(self)}: `HashedCrossing` should be called on a list or tuple of at least two "
                f"inputs. Received input_shape={input_shape!r}."
            )

    def call(self, inputs):
        self._check_inputs(inputs)
        shape = inputs[0].shape
        crossed = _hashing.cross_integers([x.to(torch.int64).reshape(-1) for x in inputs], self.num_bins)
        crossed = crossed.reshape(shape)
        return encode_categorical(crossed, self.output_mode, self.num_bins, self._tkl_dtype)

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        return encoded_shape(first, "one_hot", self.num_bins)

    def compute_output_spec(self, inputs):
        self._check_inputs(inputs)
        return symbolic.KerasTensor(self.compute_output_shape([x.shape for x in inputs]), self._tkl_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(num_bins=self.num_bins, output_mode=self.output_mode, sparse=self.sparse)
        return config
