"""Merge layers: ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``,
``Minimum`` and ``Concatenate``. Each is called on a list of tensors.

Shape rules (Keras's):

* The element-wise layers take at least 2 inputs (``Subtract`` exactly 2). Their batch
  sizes must be equal; the other axes broadcast like NumPy, right-aligned: equal sizes,
  or size 1 against any size. An input of lower rank gets size-1 axes inserted right
  after its batch axis, so ``(batch, 3)`` merges with ``(batch, 4, 3)`` (torch's own
  broadcasting would align the batch axis with the 4 instead). Anything else raises
  Keras's "Inputs have incompatible shapes" ``ValueError`` before any torch kernel runs.
* ``Concatenate`` takes at least 1 input; all sizes must match except along ``axis``
  (no broadcasting).

The checks run in ``build`` (Keras's messages) and again on every call (a shape tuple
comparison, nothing else, when all inputs have the same shape). The layers have no
``input_spec``: they accept any number of inputs of any rank, as in Keras.

Masks (Keras's rules): every merge layer supports masking. The output mask is the
logical OR of the input masks, or ``None`` when any input has none (``Concatenate``
concatenates the masks, an unmasked input counting as all True). ``Maximum`` and
``Minimum`` take a masked-out value from the other inputs, and ``Multiply`` treats it
as 1 (and zeroes the positions that no input keeps); ``Add``, ``Subtract`` and
``Average`` compute on every value.

Each layer has a functional form that creates the layer and calls it, as in Keras 3:
``add([a, b])`` is ``Add()([a, b])``.
"""

import operator

import torch

from ..layer import Layer
from ..saving import register_serializable
from ._common import is_int, layer_label

__all__ = [
    "Add",
    "Average",
    "Concatenate",
    "Maximum",
    "Minimum",
    "Multiply",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]


def _is_shape(value):
    return isinstance(value, (tuple, list, torch.Size)) and all(
        d is None or isinstance(d, int) for d in value
    )


def _raise_not_list(layer, received):
    if isinstance(layer, Concatenate):
        raise ValueError(
            f"A `Concatenate` layer should be called on a list of at least 1 input. "
            f"Received: input_shape={received}. Fix: call it on a list of tensors, e.g. "
            f'Concatenate()([x1, x2]) (layer "{layer.name}").'
        )
    raise ValueError(
        f"A merge layer should be called on a list of inputs. Received: "
        f"input_shape={received} (not a list of shapes). Fix: call it on a list of "
        f'tensors, e.g. {type(layer).__name__}()([x1, x2]) (layer "{layer.name}").'
    )


def _raise_too_few(layer, count, minimum):
    if isinstance(layer, Concatenate):
        _raise_not_list(layer, [])
    raise ValueError(
        f"A merge layer should be called on a list of at least {minimum} inputs. Got "
        f"{count} inputs. Fix: pass a list of {minimum} or more tensors "
        f'(layer "{layer.name}").'
    )


def _as_shapes(layer, input_shape, minimum):
    """The shapes given to build (one per input), checked to be a list of >= minimum."""
    if not isinstance(input_shape, (list, tuple)) or (
        input_shape and (_is_shape(input_shape) or not all(_is_shape(s) for s in input_shape))
    ):
        _raise_not_list(layer, input_shape)
    if len(input_shape) < minimum:
        _raise_too_few(layer, len(input_shape), minimum)
    return [tuple(s) for s in input_shape]


def _check_call_inputs(layer, inputs, minimum):
    """The cheap check of every call: a list (or tuple) of at least ``minimum`` tensors."""
    if type(inputs) not in (list, tuple):
        shape = getattr(inputs, "shape", None)
        _raise_not_list(layer, inputs if shape is None else tuple(shape))
    if len(inputs) < minimum:
        _raise_too_few(layer, len(inputs), minimum)


def _shapes_of(inputs):
    return [tuple(x.shape) for x in inputs]


def _insert_axes(x, rank):
    """``x`` with size-1 axes inserted after its batch axis up to ``rank`` axes."""
    if x is None or x.dim() >= rank:
        return x
    return x.reshape((x.shape[0],) + (1,) * (rank - x.dim()) + tuple(x.shape[1:]))


def _fold(op, inputs):
    """``op(...op(op(inputs[0], inputs[1]), inputs[2])..., inputs[-1])``, left to right."""
    output = inputs[0]
    for x in inputs[1:]:
        output = op(output, x)
    return output


def _shapes_text(values):
    """Shapes of a list of tensors (or the value itself) for error messages."""
    if isinstance(values, (list, tuple)):
        return [None if v is None else tuple(getattr(v, "shape", ())) for v in values]
    return tuple(getattr(values, "shape", ())) if hasattr(values, "shape") else values


def _check_masks(layer, inputs, mask):
    """Keras's checks of a merge layer's ``mask`` argument: a list with one entry
    (a boolean tensor or None) per input."""
    if not isinstance(mask, (list, tuple)):
        raise ValueError(
            f"{layer_label(layer)}: `mask` should be a list. Received: mask with shape "
            f"{_shapes_text(mask)}. Fix: pass one mask (or None) per input."
        )
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(
            f"{layer_label(layer)}: `inputs` should be a list. Received: inputs with shape "
            f"{_shapes_text(inputs)}. Fix: pass the list of tensors the layer merges."
        )
    if len(mask) != len(inputs):
        raise ValueError(
            f"{layer_label(layer)}: The lists `inputs` and `mask` should have the same length. "
            f"Received: inputs of length {len(inputs)} (shapes {_shapes_text(inputs)}), and mask "
            f"of length {len(mask)}. Fix: pass one mask (or None) per input."
        )


def _bool(mask):
    return mask if mask.dtype == torch.bool else mask != 0


def _expanded_masks(layer, inputs, mask):
    """Each input's mask as a boolean tensor of the input's shape (a mask of lower rank
    gets a trailing axis, as Keras's ``expand_dims(mask, -1)``), or None."""
    masks = []
    for index, (x, m) in enumerate(zip(inputs, mask)):
        if m is not None:
            m = _bool(m)
            if m.dim() < x.dim():
                m = m.unsqueeze(-1)
            try:
                m = m.expand(x.shape)
            except RuntimeError:
                raise ValueError(
                    f"{layer_label(layer)}: mask {index} of shape {tuple(mask[index].shape)} does "
                    f"not fit input {index} of shape {tuple(x.shape)}. Fix: give each input a "
                    "mask of its shape without the last axis, e.g. (batch, steps) for "
                    "(batch, steps, features)."
                ) from None
        masks.append(m)
    return masks


def _masked_fold(op, inputs, masks):
    """Keras's masked element-wise merge: a masked-out value is replaced by the running
    result (or replaces it), so only kept values meet ``op``."""
    output, output_mask = inputs[0], masks[0]
    for x, mask in zip(inputs[1:], masks[1:]):
        if mask is not None:
            x = torch.where(mask, x, output)
        if output_mask is not None:
            output = torch.where(output_mask, output, x)
        output_mask = None if mask is None or output_mask is None else output_mask | mask
        output = op(output, x)
    return output


def _merged_dim(a, b):
    """Size of one broadcast axis (``None`` when unknown); -1 when incompatible."""
    if a is None:
        return None if b in (None, 1) else b
    if b is None:
        return None if a == 1 else a
    if a == 1 or a == b:
        return b
    return a if b == 1 else -1


def _elementwise_output_shape(layer, shapes):
    """Keras's output shape of an element-wise merge; raises on incompatible shapes."""
    if any(len(s) == 0 for s in shapes):
        raise ValueError(
            f"{layer_label(layer)} needs inputs with a batch axis, "
            f"received shapes {shapes}. Fix: add a batch axis, e.g. x[None]."
        )
    batch_sizes = {s[0] for s in shapes} - {None}
    if len(batch_sizes) > 1:
        raise ValueError(
            f"Cannot merge tensors with different batch sizes. Received tensors with "
            f'shapes {shapes} (layer "{layer.name}"). Fix: merge batches of the same size.'
        )
    batch = batch_sizes.pop() if batch_sizes else None
    merged = shapes[0][1:]
    for shape in shapes[1:]:
        rest = shape[1:]
        width = max(len(merged), len(rest))
        dims = tuple(
            _merged_dim(a, b)
            for a, b in zip((1,) * (width - len(merged)) + merged, (1,) * (width - len(rest)) + rest)
        )
        if -1 in dims:
            raise ValueError(
                f"Inputs have incompatible shapes. Received shapes {(batch,) + merged} and "
                f"{shape}. Fix: give every non-batch axis the same size (or size 1 to "
                f'broadcast); an input of lower rank is aligned to the right (layer "{layer.name}").'
            )
        merged = dims
    return (batch,) + merged


class _Merge(Layer):
    """Shared implementation of the element-wise merge layers."""

    _min_inputs = 2

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        shapes = _as_shapes(self, input_shape, self._min_inputs)
        _elementwise_output_shape(self, shapes)

    def call(self, inputs):
        if type(inputs) not in (list, tuple) or len(inputs) < self._min_inputs:
            _check_call_inputs(self, inputs, self._min_inputs)
        first = inputs[0].shape
        for x in inputs[1:]:
            if x.shape != first:
                inputs = self._aligned(inputs)
                break
        return self._merge(inputs)

    def _aligned(self, inputs):
        """Checks broadcastable shapes, and inserts axes after the batch axis of the
        inputs of lower rank (Keras's rule)."""
        _elementwise_output_shape(self, _shapes_of(inputs))
        rank = max(x.dim() for x in inputs)
        return [_insert_axes(x, rank) for x in inputs]

    def compute_mask(self, inputs, mask=None):
        """The OR of the input masks; None when ``mask`` is None or has a None."""
        if mask is None:
            return None
        _check_masks(self, inputs, mask)
        if any(m is None for m in mask):
            return None
        masks = [_bool(m) for m in mask]
        rank = max(m.dim() for m in masks)  # lower-rank masks broadcast as their inputs do
        return _fold(torch.logical_or, [_insert_axes(m, rank) for m in masks])

    def _merge(self, inputs):
        raise NotImplementedError

    def _masked_call(self, inputs, mask):
        """The call of the layers whose values depend on masks: ``_merge_masked`` on
        the aligned inputs and their masks (expanded to the inputs' shapes)."""
        if type(inputs) not in (list, tuple) or len(inputs) < self._min_inputs:
            _check_call_inputs(self, inputs, self._min_inputs)
        _check_masks(self, inputs, mask)
        if all(m is None for m in mask):
            return _Merge.call(self, inputs)
        masks = _expanded_masks(self, inputs, mask)
        if any(x.shape != inputs[0].shape for x in inputs[1:]):
            inputs = self._aligned(inputs)
            masks = [_insert_axes(m, inputs[0].dim()) for m in masks]
        return self._merge_masked(inputs, masks)

    def compute_output_shape(self, input_shape):
        return _elementwise_output_shape(self, _as_shapes(self, input_shape, self._min_inputs))

    def get_config(self):
        return super().get_config()


@register_serializable(package="keras")
class Add(_Merge):
    """Element-wise sum of a list of inputs.

    Shapes:
        A list of at least 2 tensors ``(batch, ...)`` of equal or broadcastable
        shapes (see the module docstring); output: the broadcast shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Add()([torch.ones(2, 3), torch.ones(2, 3)])
        tensor([[2., 2., 2.],
                [2., 2., 2.]])
    """

    def _merge(self, inputs):
        return _fold(operator.add, inputs)


@register_serializable(package="keras")
class Subtract(_Merge):
    """Difference of exactly two inputs: ``inputs[0] - inputs[1]``.

    Shapes:
        A list of 2 tensors of equal or broadcastable shapes; output: the broadcast
        shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Subtract()([torch.ones(1, 2), torch.full((1, 2), 3.0)])
        tensor([[-2., -2.]])
    """

    def build(self, input_shape):
        shapes = _as_shapes(self, input_shape, 2)
        self._check_two(shapes)
        _elementwise_output_shape(self, shapes)

    def call(self, inputs):
        if type(inputs) in (list, tuple) and len(inputs) > 2:
            self._check_two(_shapes_of(inputs))
        return super().call(inputs)

    def _check_two(self, shapes):
        if len(shapes) != 2:
            raise ValueError(
                f"A `Subtract` layer should be called on exactly 2 inputs. Received: "
                f"input_shape={shapes}. Fix: pass [x1, x2] to compute x1 - x2 "
                f'(layer "{self.name}").'
            )

    def _merge(self, inputs):
        if inputs[0].dtype == torch.bool and inputs[1].dtype == torch.bool:
            raise TypeError(
                f'Layer "{self.name}" (Subtract) received two bool inputs, and the difference '
                "of booleans is not defined. Fix: cast them first (x.int()), or use "
                "torch.logical_xor for an exclusive or."
            )
        return inputs[0] - inputs[1]


@register_serializable(package="keras")
class Multiply(_Merge):
    """Element-wise product of a list of inputs.

    Shapes:
        As :class:`Add`.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Multiply()([torch.full((1, 2), 2.0), torch.full((1, 2), 3.0)])
        tensor([[6., 6.]])
    """

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        return self._masked_call(inputs, mask)

    def _merge(self, inputs):
        return _fold(operator.mul, inputs)

    def _merge_masked(self, inputs, masks):
        # A masked-out factor counts as 1; positions no input keeps become 0 (only
        # when every input has a mask, as in Keras).
        output = _fold(operator.mul, [x if m is None else torch.where(m, x, 1) for x, m in zip(inputs, masks)])
        if all(m is not None for m in masks):
            output = torch.where(_fold(torch.logical_or, masks), output, 0)
        return output


@register_serializable(package="keras")
class Average(_Merge):
    """Element-wise mean of a list of inputs.

    Shapes:
        As :class:`Add`.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Average()([torch.zeros(1, 2), torch.full((1, 2), 3.0)])
        tensor([[1.5000, 1.5000]])
    """

    def _merge(self, inputs):
        return _fold(operator.add, inputs) / len(inputs)


@register_serializable(package="keras")
class Maximum(_Merge):
    """Element-wise maximum of a list of inputs.

    Shapes:
        As :class:`Add`.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Maximum()([torch.tensor([[1.0, 5.0]]), torch.tensor([[3.0, 2.0]])])
        tensor([[3., 5.]])
    """

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        return self._masked_call(inputs, mask)

    def _merge(self, inputs):
        return _fold(torch.maximum, inputs)

    def _merge_masked(self, inputs, masks):
        return _masked_fold(torch.maximum, inputs, masks)


@register_serializable(package="keras")
class Minimum(_Merge):
    """Element-wise minimum of a list of inputs.

    Shapes:
        As :class:`Add`.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Minimum()([torch.tensor([[1.0, 5.0]]), torch.tensor([[3.0, 2.0]])])
        tensor([[1., 2.]])
    """

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        return self._masked_call(inputs, mask)

    def _merge(self, inputs):
        return _fold(torch.minimum, inputs)

    def _merge_masked(self, inputs, masks):
        return _masked_fold(torch.minimum, inputs, masks)


@register_serializable(package="keras")
class Concatenate(Layer):
    """Concatenates a list of inputs along ``axis``.

    Args:
        axis: the axis to concatenate along (default -1, the last); counts the batch
            axis as 0, negative values count from the end.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        A list of at least 1 tensor of the same rank whose sizes match on every axis
        except ``axis``; output: the common shape with the sum of the sizes on ``axis``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.Concatenate()([torch.ones(2, 3), torch.zeros(2, 4)]).shape
        torch.Size([2, 7])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not is_int(axis):
            raise ValueError(
                f'Layer "{self.name}" (Concatenate): axis must be an int, received '
                f"axis={axis!r}. Fix: e.g. Concatenate(axis=-1)."
            )
        self.axis = int(axis)
        self.supports_masking = True

    def build(self, input_shape):
        self._check_shapes(_as_shapes(self, input_shape, 1))

    def call(self, inputs):
        if type(inputs) not in (list, tuple) or not inputs:
            _check_call_inputs(self, inputs, 1)
        first = inputs[0].shape
        rank = len(first)
        if rank == 0 or not -rank <= self.axis < rank:
            self._check_shapes(_shapes_of(inputs))
        axis = self.axis % rank
        for x in inputs[1:]:
            shape = x.shape
            if len(shape) != rank or shape[:axis] != first[:axis] or shape[axis + 1:] != first[axis + 1:]:
                self._check_shapes(_shapes_of(inputs))
        return torch.cat(inputs, dim=axis)

    def _check_shapes(self, shapes):
        """Returns the output shape; raises Keras's errors for mismatched inputs."""
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes) or rank == 0:
            self._raise_mismatch(shapes)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f'Layer "{self.name}" (Concatenate): axis={self.axis} is out of range for '
                f"inputs of rank {rank} (shapes {shapes}). Fix: use an axis in "
                f"[{-rank}, {rank - 1}]."
            )
        axis = self.axis % rank
        output = list(shapes[0])
        for shape in shapes[1:]:
            for i, (a, b) in enumerate(zip(output, shape)):
                if i == axis:
                    output[i] = None if a is None or b is None else a + b
                elif a is None:
                    output[i] = b
                elif b is not None and a != b:
                    self._raise_mismatch(shapes)
        return tuple(output)

    def _raise_mismatch(self, shapes):
        raise ValueError(
            "A `Concatenate` layer requires inputs with matching shapes except for the "
            f"concatenation axis. Received: input_shape={shapes}. Fix: make every axis but "
            f'axis={self.axis} the same size (layer "{self.name}").'
        )

    def compute_output_shape(self, input_shape):
        return self._check_shapes(_as_shapes(self, input_shape, 1))

    def compute_mask(self, inputs, mask=None):
        """Keras's rule: the masks (all True for an unmasked input, a lower-rank mask
        broadcast over the input's last axis) concatenated along ``axis``, then
        reduced with ``any`` over the last axis."""
        if mask is None:
            return None
        _check_masks(self, inputs, mask)
        if all(m is None for m in mask):
            return None
        masks = [torch.ones_like(x, dtype=torch.bool) if m is None else m
                 for x, m in zip(inputs, _expanded_masks(self, inputs, mask))]
        return torch.any(torch.cat(masks, dim=self.axis), dim=-1)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


# ------------------------------------------------------------ functional forms
def add(inputs, **kwargs):
    """Functional form of :class:`Add`: ``Add(**kwargs)(inputs)``.

    Args:
        inputs: the list of tensors (or ``KerasTensor``s) to merge.
        **kwargs: arguments of the layer (``name``, ``dtype``...).

    Returns:
        The merged tensor.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.add([torch.ones(1, 2), torch.ones(1, 2)])
        tensor([[2., 2.]])
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of :class:`Subtract`: ``Subtract(**kwargs)(inputs)``.

    Args:
        inputs: the list of tensors (or ``KerasTensor``s) to merge.
        **kwargs: arguments of the layer (``name``, ``dtype``...).

    Returns:
        The merged tensor.
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of :class:`Multiply`: ``Multiply(**kwargs)(inputs)``.

    Args:
        inputs: the list of tensors (or ``KerasTensor``s) to merge.
        **kwargs: arguments of the layer (``name``, ``dtype``...).

    Returns:
        The merged tensor.
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of :class:`Average`: ``Average(**kwargs)(inputs)``.

    Args:
        inputs: the list of tensors (or ``KerasTensor``s) to merge.
        **kwargs: arguments of the layer (``name``, ``dtype``...).

    Returns:
        The merged tensor.
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of :class:`Maximum`: ``Maximum(**kwargs)(inputs)``.

    Args:
        inputs: the list of tensors (or ``KerasTensor``s) to merge.
        **kwargs: arguments of the layer (``name``, ``dtype``...).

    Returns:
        The merged tensor.
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of :class:`Minimum`: ``Minimum(**kwargs)(inputs)``.

    Args:
        inputs: the list of tensors (or ``KerasTensor``s) to merge.
        **kwargs: arguments of the layer (``name``, ``dtype``...).

    Returns:
        The merged tensor.
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of :class:`Concatenate`: ``Concatenate(axis, **kwargs)(inputs)``.

    Args:
        inputs: the list of tensors (or ``KerasTensor``s) to concatenate.
        axis: the concatenation axis (default -1).
        **kwargs: arguments of the layer (``name``, ``dtype``...).

    Returns:
        The concatenated tensor.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> tkl.layers.concatenate([torch.ones(2, 3), torch.zeros(2, 1)], axis=1).shape
        torch.Size([2, 4])
    """
    return Concatenate(axis=axis, **kwargs)(inputs)
