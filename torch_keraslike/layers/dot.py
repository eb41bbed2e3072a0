"""``Dot``: the per-sample dot product of two tensors along chosen axes (Keras's
``batch_dot``), optionally of L2-normalised inputs (cosine similarity); and its
functional form ``dot``.

The contraction is one batched ``matmul``: the first input's contracted axis is moved
last, the second's right after the batch axis, and the remaining axes are flattened
around them (views whenever the strides allow).
"""

import math

import torch

from ..layer import Layer
from ..saving import register_serializable
from ._common import is_int, layer_label

__all__ = ["Dot", "dot"]

# Keras's backend.epsilon(): the smallest norm the normalisation divides by.
_EPSILON = 1e-7


def _l2_normalize(x, axis):
    """Keras's ``normalize(x, axis)``: ``x * min(rsqrt(sum(x ** 2)), 1 / epsilon)``."""
    inverse_norm = torch.rsqrt(torch.sum(torch.square(x), dim=axis, keepdim=True))
    return x * torch.clamp(inverse_norm, max=1.0 / _EPSILON)


@register_serializable(package="keras")
class Dot(Layer):
    """Dot product of two inputs along ``axes``, sample by sample.

    For inputs ``x`` and ``y`` of shapes ``(batch, *a, n, *b)`` and ``(batch, *c, n,
    *d)`` contracted over their ``n`` axes, the output is ``(batch, *a, *b, *c, *d)``:
    ``out[i, ...] = sum_k x[i, ..., k, ...] * y[i, ..., k, ...]``. Two vectors
    ``(batch, n)`` give ``(batch, 1)``.

    Args:
        axes: an int (the same axis of both inputs) or a pair ``(axis_x, axis_y)``;
            negative values count from the end of each input; never the batch axis.
        normalize: L2-normalise both inputs along their contracted axes first, which
            makes the output the cosine similarity.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        A list of 2 tensors of rank >= 2 with the same batch size and the same size
        along the contracted axes; output as above.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> x = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])  # (1, 3, 2)
        >>> y = torch.tensor([[[1.0, 0.0, 2.0]]])  # (1, 1, 3)
        >>> tkl.layers.Dot(axes=(1, 2))([x, y])
        tensor([[[11.],
                 [14.]]])
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not is_int(axes):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(
                    f"{layer_label(self)}: Invalid type for argument `axes`: it should be a list "
                    f"or an int. Received: axes={axes!r}. Fix: e.g. Dot(axes=-1) or Dot(axes=(1, 2))."
                )
            if len(axes) != 2:
                raise ValueError(
                    f"{layer_label(self)}: Invalid format for argument `axes`: it should contain "
                    f"two elements. Received: axes={axes!r}. Fix: one axis per input, e.g. "
                    "axes=(1, 2)."
                )
            if not all(is_int(a) for a in axes):
                raise ValueError(
                    f"{layer_label(self)}: Invalid format for argument `axes`: list elements "
                    f"should be integers. Received: axes={axes!r}. Fix: e.g. axes=(1, 2)."
                )
        if not isinstance(normalize, bool):
            raise ValueError(
                f"{layer_label(self)}: normalize must be True or False, received "
                f"normalize={normalize!r}."
            )
        self.axes = int(axes) if is_int(axes) else tuple(int(a) for a in axes)
        self.normalize = normalize
        self.supports_masking = True

    def _resolved_axes(self, shapes):
        """The contracted axis of each input, non-negative; Keras's errors for ranks,
        the batch axis and mismatched sizes."""
        x_shape, y_shape = shapes
        if len(x_shape) < 2 or len(y_shape) < 2:
            raise ValueError(
                f"{layer_label(self)}: Cannot do batch_dot on inputs with rank < 2. Received "
                f"inputs with shapes {x_shape} and {y_shape}. Fix: give both inputs a batch axis "
                "and at least one more axis."
            )
        axes = (self.axes, self.axes) if is_int(self.axes) else self.axes
        resolved = []
        for axis, shape in zip(axes, shapes):
            if not -len(shape) <= axis < len(shape):
                raise ValueError(
                    f"{layer_label(self)}: axes={self.axes} is out of range for an input of shape "
                    f"{shape}. Fix: use an axis in [{-len(shape)}, {len(shape) - 1}]."
                )
            resolved.append(axis % len(shape))
        if 0 in resolved:
            raise ValueError(
                f"{layer_label(self)}: Cannot perform batch_dot over axis 0. If your inputs are not "
                "batched, add a dummy batch dimension to your inputs, e.g. x[None]. Received "
                f"axes={self.axes} for shapes {x_shape} and {y_shape}."
            )
        a, b = resolved
        if x_shape[a] is not None and y_shape[b] is not None and x_shape[a] != y_shape[b]:
            raise ValueError(
                f"{layer_label(self)}: Incompatible input shapes: axis values {x_shape[a]} (at axis "
                f"{a}) != {y_shape[b]} (at axis {b}). Full input shapes: {x_shape}, {y_shape}. "
                "Fix: contract axes of the same size."
            )
        if x_shape[0] is not None and y_shape[0] is not None and x_shape[0] != y_shape[0]:
            raise ValueError(
                f"{layer_label(self)}: Cannot do batch_dot on inputs with different batch sizes. "
                f"Received inputs with shapes {x_shape} and {y_shape}."
            )
        return a, b

    def _shapes(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or not all(
                isinstance(s, (list, tuple, torch.Size)) for s in input_shape):
            raise ValueError(
                f"{layer_label(self)}: A `Dot` layer should be called on a list of 2 inputs. "
                f"Received: input_shape={input_shape}. Fix: Dot(axes)([x, y])."
            )
        return [tuple(s) for s in input_shape]

    def build(self, input_shape):
        self._resolved_axes(self._shapes(input_shape))

    def call(self, inputs):
        if type(inputs) not in (list, tuple) or len(inputs) != 2:
            shapes = [tuple(x.shape) for x in inputs] if isinstance(inputs, (list, tuple)) else tuple(
                getattr(inputs, "shape", ()))
            raise ValueError(
                f"{layer_label(self)}: A `Dot` layer should be called on exactly 2 inputs. "
                f"Received: inputs with shapes {shapes}. Fix: Dot(axes)([x, y])."
            )
        x, y = inputs
        a, b = self._resolved_axes([tuple(x.shape), tuple(y.shape)])
        if self.normalize:
            x, y = _l2_normalize(x, a), _l2_normalize(y, b)
        x, y = torch.movedim(x, a, -1), torch.movedim(y, b, 1)
        batch, size = x.shape[0], x.shape[-1]
        x_rest, y_rest = tuple(x.shape[1:-1]), tuple(y.shape[2:])
        # Explicit sizes rather than -1: an empty batch leaves -1 ambiguous.
        rows, columns = math.prod(x_rest), math.prod(y_rest)
        out = torch.matmul(x.reshape(batch, rows, size), y.reshape(batch, size, columns))
        shape = (batch,) + x_rest + y_rest
        return out.reshape(shape if len(shape) > 1 else (batch, 1))

    def compute_output_shape(self, input_shape):
        shapes = self._shapes(input_shape)
        a, b = self._resolved_axes(shapes)
        x_shape, y_shape = shapes
        shape = x_shape[:a] + x_shape[a + 1:] + (y_shape[1:b] + y_shape[b + 1:])
        return shape if len(shape) > 1 else shape + (1,)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update(axes=self.axes, normalize=self.normalize)
        return config


def dot(inputs, axes=-1, **kwargs):
    """Functional form of :class:`Dot`: ``Dot(axes, **kwargs)(inputs)``.

    Args:
        inputs: a list of 2 tensors (or ``KerasTensor``s).
        axes: the contracted axis, or one per input (default -1).
        **kwargs: arguments of the layer (``normalize``, ``name``...).

    Returns:
        The per-sample dot product.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.dot([torch.ones(2, 3), torch.ones(2, 3)], axes=1)
        tensor([[3.],
                [3.]])
    """
    return Dot(axes=axes, **kwargs)(inputs)
