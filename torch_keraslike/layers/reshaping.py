"""Reshaping layers: ``Flatten``, ``Reshape``, ``Permute`` and ``RepeatVector``.

Cropping, zero-padding and upsampling live in ``cropping``, ``padding`` and
``upsampling``; ``UpSampling2D`` and ``ZeroPadding2D`` are re-exported here for code
importing them from this module.
"""

import math

from .. import config as _config
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import as_tuple, is_int, layer_label

# Re-exported: these classes lived in this module before the family was split.
from .padding import ZeroPadding2D
from .upsampling import UpSampling2D

__all__ = ["Flatten", "Permute", "RepeatVector", "Reshape", "UpSampling2D", "ZeroPadding2D"]


@register_serializable(package="keras")
class Flatten(Layer):
    """Flattens every axis but the batch axis.

    With ``data_format="channels_first"`` the channels are first moved last, so the
    flattened order matches the ``channels_last`` layout (as in Keras).

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Shapes:
        Input ``(batch, d1, ..., dn)``; output ``(batch, d1 * ... * dn)``; a 1-D input
        ``(batch,)`` gives ``(batch, 1)``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Flatten()(torch.ones(2, 3, 4)).shape
        torch.Size([2, 12])
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _config.standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.dim() > 2:
            inputs = inputs.movedim(1, -1)
        # ``flatten`` rather than ``reshape(batch, -1)``: an empty batch has no size to infer.
        return inputs.flatten(1) if inputs.dim() > 1 else inputs.unsqueeze(1)

    def compute_output_shape(self, input_shape):
        size = 1
        for dim in input_shape[1:]:
            if dim is None:
                return (input_shape[0], None)
            size *= dim
        return (input_shape[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


@register_serializable(package="keras")
class Reshape(Layer):
    """Reshapes every sample to ``target_shape`` (the batch axis is kept).

    Elements keep their row-major (C) order, as in ``torch.reshape`` and Keras; the
    result is a view of the input whenever its strides allow.

    Args:
        target_shape: shape of one output sample, without the batch axis: a tuple of
            positive ints, of which one may be ``-1`` (inferred from the input's size).
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Input ``(batch, ...)`` with as many elements per sample as ``target_shape``
        holds; output ``(batch,) + target_shape``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Reshape((3, 4))(torch.ones(2, 12)).shape
        torch.Size([2, 3, 4])
        >>> tkl.layers.Reshape((-1, 2))(torch.ones(2, 12)).shape
        torch.Size([2, 6, 2])
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        shape = as_tuple(target_shape)
        if shape is None or not all(is_int(d) and (d > 0 or d == -1) for d in shape):
            raise ValueError(
                f'Layer "{self.name}" (Reshape): target_shape must be a tuple of positive ints '
                f"(one of them may be -1), without the batch axis, received "
                f"target_shape={target_shape!r}. Fix: e.g. Reshape((3, 4)) or Reshape((-1, 4))."
            )
        if shape.count(-1) > 1:
            raise ValueError(
                f"There must be at most one unknown dimension (-1) in target_shape. Received: "
                f"target_shape={shape}. Fix: give all sizes but one "
                f'(layer "{self.name}").'
            )
        self.target_shape = tuple(int(d) for d in shape)
        self._unknown = self.target_shape.index(-1) if -1 in self.target_shape else None
        self._known = math.prod(d for d in self.target_shape if d != -1)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        shape = inputs.shape
        return inputs.reshape((shape[0],) + self._resolved(shape[1:]))

    def _resolved(self, sample_shape):
        """``target_shape`` with its -1 filled in; raises Keras's error on a size mismatch."""
        size = math.prod(sample_shape)
        if self._unknown is None:
            if size != self._known:
                self._raise_size(sample_shape)
            return self.target_shape
        if size % self._known:
            self._raise_size(sample_shape)
        shape = list(self.target_shape)
        shape[self._unknown] = size // self._known
        return tuple(shape)

    def _raise_size(self, sample_shape):
        raise ValueError(
            f"The total size of the tensor must be unchanged. Received: "
            f"input_shape={tuple(sample_shape)}, target_shape={self.target_shape}. Fix: a "
            f"sample of {math.prod(sample_shape)} elements cannot become target_shape "
            f"{self.target_shape}; change target_shape (one entry may be -1) "
            f'(layer "{self.name}").'
        )

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        sample = input_shape[1:]
        if any(d is None for d in sample):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        return (input_shape[0],) + self._resolved(sample)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


@register_serializable(package="keras")
class Permute(Layer):
    """Permutes the axes of every sample (the batch axis stays first).

    Args:
        dims: permutation of the sample axes, 1-based as in Keras (the batch axis
            is 0 and never moves): ``(2, 1)`` swaps the two axes after the batch.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Input ``(batch, d1, ..., dn)`` with ``n == len(dims)``; output axes
        ``(batch, d[dims[0]], ..., d[dims[n-1]])``. The result is a view (no copy).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Permute((2, 1))(torch.ones(4, 10, 64)).shape
        torch.Size([4, 64, 10])
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims_tuple = tuple(dims)
        except TypeError:
            dims_tuple = None
        if (
            not dims_tuple
            or not all(is_int(d) for d in dims_tuple)
            or sorted(dims_tuple) != list(range(1, len(dims_tuple) + 1))
        ):
            raise ValueError(
                f"Invalid permutation argument `dims` for Permute Layer. The set of indices in "
                f"`dims` must be consecutive and start from 1. Received dims={dims!r}. Fix: "
                f'e.g. Permute((2, 1)); axis 0 (the batch) is left out (layer "{self.name}").'
            )
        self.dims = tuple(int(d) for d in dims_tuple)
        self._permutation = (0,) + self.dims
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return inputs.permute(self._permutation)

    def compute_output_shape(self, input_shape):
        return tuple(tuple(input_shape)[i] for i in self._permutation)

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config


@register_serializable(package="keras")
class RepeatVector(Layer):
    """Repeats a batch of vectors ``n`` times along a new axis 1.

    Args:
        n: the number of repetitions, a positive int.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Input ``(batch, features)``; output ``(batch, n, features)`` (a new tensor,
        safe to modify in place).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.RepeatVector(3)(torch.tensor([[1, 2]]))
        tensor([[[1, 2],
                 [1, 2],
                 [1, 2]]])
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not is_int(n):
            raise TypeError(
                f"{layer_label(self)}: Expected an integer value for `n`, got {type(n)}. Fix: "
                "e.g. RepeatVector(3)."
            )
        if n <= 0:
            raise ValueError(
                f"{layer_label(self)}: Argument `n` should be a positive integer. Received: "
                f"n={n}. Fix: e.g. RepeatVector(3)."
            )
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        # One copy, as Keras: an expanded view would share memory between the copies.
        return inputs.unsqueeze(1).expand(-1, self.n, -1).contiguous()

    def compute_output_shape(self, input_shape):
        batch, features = tuple(input_shape)
        return (batch, self.n, features)

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config
