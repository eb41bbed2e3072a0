"""``Normalization``: feature-wise ``(x - mean) / sqrt(variance)``, with the statistics
given at construction or learned by :meth:`Normalization.adapt` from arrays, tensors
or batches (``DataLoader``s)."""

import itertools
import math

import numpy as np
import torch

from ... import _module_state
from ...input_spec import InputSpec
from ...layer import Layer
from ...saving import register_serializable
from .._common import is_int, layer_label
from .._specs import SameShapeFloatingOutput

__all__ = ["Normalization"]

_EPSILON = 1e-7  # Keras's backend epsilon: the floor of the standard deviation


def _first_of_batch(batch):
    # DataLoaders give (x, y) samples as [x, y] lists, Python iterables as tuples.
    return batch[0] if isinstance(batch, (tuple, list)) else batch


@register_serializable(package="keras")
class Normalization(SameShapeFloatingOutput, Layer):
    """Shifts and scales inputs to zero mean and unit variance per feature:
    ``(x - mean) / max(sqrt(variance), 1e-7)`` (with ``invert=True``:
    ``mean + x * max(sqrt(variance), 1e-7)``), in training and inference.

    The statistics are either given (``mean=``, ``variance=``: constants broadcast to
    the kept axes, not weights) or learned with :meth:`adapt`, which stores them in
    the non-trainable weights ``mean``, ``variance`` (shape: the sizes of the kept
    axes) and ``count`` (int32 scalar, kept at 0 for compatibility with Keras files,
    as Keras does), in that order, as Keras's ``Normalization`` does (EfficientNet's
    first layers). Integer inputs give floats. The mask, if any, passes through.

    Args:
        axis: the axis or axes that keep separate statistics (default -1: one mean
            and variance per feature of the last axis); ``None`` for one scalar mean
            and variance over everything.
        mean, variance: optional values, given together, broadcast to the shape of
            the kept axes (right-aligned).
        invert: apply the inverse transform (de-normalize).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Output has the input's shape.

    Example:
        >>> import numpy as np, torch_keraslike as tkl
        >>> layer = tkl.layers.Normalization(axis=-1)
        >>> layer.adapt(np.array([[0.0, 7.0], [2.0, 9.0]], dtype="float32"))
        >>> layer(np.array([[0.0, 7.0]], dtype="float32"))
        tensor([[-1., -1.]])
    """

    supports_masking = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        axes = () if axis is None else (axis,) if is_int(axis) else axis
        try:
            axes = tuple(axes)
        except TypeError:
            axes = None
        if axes is None or not all(is_int(a) for a in axes):
            raise TypeError(
                f"{layer_label(self)}: axis must be an int, a tuple of ints or None, received "
                f"axis={axis!r}. Fix: e.g. axis=-1 (per feature) or axis=None (one scalar)."
            )
        self.axis = tuple(int(a) for a in axes)
        if (mean is None) != (variance is None):
            raise ValueError(
                f"{layer_label(self)}: when setting values directly, both `mean` and `variance` "
                f"must be set. Received: mean={mean!r} and variance={variance!r}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    f"{layer_label(self)}: when setting values directly, `mean` and `variance` "
                    f"must have the same shape. Received: mean shape {np.shape(mean)} and "
                    f"variance shape {np.shape(variance)}"
                )
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(
                    f"{layer_label(self)}: the rank of `mean` must be less than or equal to the "
                    f"number of axes ({len(self.axis)}). Received: mean shape {np.shape(mean)} "
                    f"for axis {self.axis}"
                )
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)

    # ---------------------------------------------------------------- build
    def build(self, input_shape):
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(
                f"{layer_label(self)}: all `axis` values must be in the range [-ndim, ndim). "
                f"Received inputs with ndim={ndim}, while axis={self.axis}"
            )
        keep = tuple(sorted(a % ndim for a in self.axis))
        for d in keep:
            if input_shape[d] is None:
                raise ValueError(
                    f"{layer_label(self)}: all `axis` values to be kept must have a known shape. "
                    f"Received axis={self.axis}, inputs.shape={tuple(input_shape)}, with unknown "
                    f"axis at index {d}"
                )
        shape = tuple(input_shape[d] for d in keep)
        self._keep_axis = keep
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast_shape = tuple(input_shape[d] if d in keep else 1 for d in range(ndim))
        self._build_input_shape = tuple(input_shape)
        if self.input_mean is None:
            self.mean = self.add_weight(shape=shape, initializer="zeros", trainable=False, name="mean")
            self.variance = self.add_weight(shape=shape, initializer="ones", trainable=False, name="variance")
            self.count = self.add_weight(
                shape=(), initializer="zeros", dtype=torch.int32, trainable=False, name="count")
        else:
            for name, value in (("mean", self.input_mean), ("variance", self.input_variance)):
                self.register_buffer(name, self._broadcast_given(value, name, shape), persistent=False)
        if keep:
            self.input_spec = InputSpec(ndim=ndim, axes={d: input_shape[d] for d in keep})

    def _broadcast_given(self, value, name, shape):
        # Keras's rule: a scalar fills every position; otherwise the value's axes are
        # matched to the kept axes from the right.
        array = np.asarray(value, dtype=np.float64)
        aligned = (1,) * (len(shape) - array.ndim) + array.shape
        try:
            array = np.broadcast_to(array.reshape(aligned), shape)
        except ValueError:
            raise ValueError(
                f"{layer_label(self)}: `{name}` of shape {np.shape(value)} cannot be broadcast to "
                f"the kept axes {self.axis} of the input, of sizes {shape}. Fix: give one value "
                "per position of the kept axes, or a scalar."
            ) from None
        return torch.tensor(array, dtype=self._tkl_dtype, device=self._tkl_device)

    # ---------------------------------------------------------------- adapt
    def adapt(self, data):
        """Computes the mean and variance of ``data`` and stores them in the weights.

        Args:
            data: a NumPy array or tensor (one batch of samples), or an iterable of
                batches: a ``torch.utils.data.DataLoader`` (of ``x`` or ``(x, y)``
                samples), a list or a generator of arrays/tensors. Statistics are
                taken over all axes but ``axis``, over all batches, in float64.

        Raises:
            ValueError: for data whose kept axes do not match the layer's build
                shape, an empty iterable, or a layer given ``mean``/``variance``.
            TypeError: for data that is neither an array nor an iterable of arrays.

        A failed ``adapt`` leaves the layer as it was.
        """
        if self.input_mean is not None:
            raise ValueError(
                f"{layer_label(self)}: adapt() cannot be used on a layer constructed with `mean` "
                "and `variance`: its statistics are fixed. Fix: create the layer without them."
            )
        with _module_state.restored_on_error(self):
            if isinstance(data, (np.ndarray, torch.Tensor)):
                self._prepare(tuple(data.shape))
                mean, variance = self._moments(data)
            elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
                mean, variance = self._streamed_moments(iter(data))
            else:
                raise TypeError(
                    f"{layer_label(self)}: unsupported data type {type(data).__name__} for adapt(). "
                    "It supports NumPy arrays, tensors, and iterables of batches (a DataLoader, "
                    "a list or a generator of arrays)."
                )
            with torch.no_grad():
                self.mean.copy_(mean.reshape(self.mean.shape))
                self.variance.copy_(variance.reshape(self.variance.shape))

    def _prepare(self, shape):
        """Builds the layer for data of ``shape``, or checks the data fits it."""
        if not self.built:
            self.build(shape)
            return
        expected = self._build_input_shape
        if len(shape) != len(expected) or any(shape[d] != expected[d] for d in self._keep_axis):
            raise ValueError(
                f"{layer_label(self)}: the layer was built with input_shape={expected}, but "
                f"adapt() is being called with data with an incompatible shape, data.shape={shape}"
            )

    def _moments(self, batch):
        """Mean and (biased) variance over the reduced axes, as float64 tensors."""
        if isinstance(batch, np.ndarray):
            mean = np.mean(batch, axis=self._reduce_axis, dtype=np.float64)
            variance = np.var(batch, axis=self._reduce_axis, dtype=np.float64)
            return torch.from_numpy(np.asarray(mean)), torch.from_numpy(np.asarray(variance))
        variance, mean = torch.var_mean(batch.detach().to(torch.float64), dim=self._reduce_axis, correction=0)
        return mean.cpu(), variance.cpu()

    def _streamed_moments(self, batches):
        first = next(batches, None)
        if first is None:
            raise ValueError(
                f"{layer_label(self)}: adapt() received an empty iterable (no batches). Expected "
                "at least one batch, e.g. layer.adapt([x]) or layer.adapt(data_loader)."
            )
        mean = variance = None
        total = 0
        for batch in itertools.chain([first], batches):
            batch = _first_of_batch(batch)
            if not isinstance(batch, (np.ndarray, torch.Tensor)):
                raise TypeError(
                    f"{layer_label(self)}: adapt() expects an iterable that yields arrays or "
                    f"tensors (or (x, y) pairs of them). Got an element of type "
                    f"{type(batch).__name__}."
                )
            self._prepare(tuple(batch.shape))
            batch_mean, batch_variance = self._moments(batch)
            count = math.prod(batch.shape[d] for d in self._reduce_axis)
            if count == 0:
                continue
            total += count
            if mean is None:
                mean, variance = batch_mean, batch_variance
                continue
            # Merge of two (mean, variance, count) summaries (the lack-of-fit sum of
            # squares formula Keras uses), in float64.
            weight = count / total
            new_mean = mean * (1 - weight) + batch_mean * weight
            variance = ((variance + (mean - new_mean) ** 2) * (1 - weight)
                        + (batch_variance + (batch_mean - new_mean) ** 2) * weight)
            mean = new_mean
        if mean is None:
            raise ValueError(f"{layer_label(self)}: adapt() received only empty batches.")
        return mean, variance

    # ----------------------------------------------------------------- call
    def call(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.to(self._tkl_dtype)
        mean = self.mean.reshape(self._broadcast_shape).to(x.dtype)
        std = torch.sqrt(self.variance.reshape(self._broadcast_shape).to(x.dtype)).clamp(min=_EPSILON)
        return mean + x * std if self.invert else (x - mean) / std

    def get_config(self):
        config = super().get_config()
        config.update(
            axis=self.axis,
            invert=self.invert,
            mean=None if self.input_mean is None else np.array(self.input_mean).tolist(),
            variance=None if self.input_variance is None else np.array(self.input_variance).tolist(),
        )
        return config
