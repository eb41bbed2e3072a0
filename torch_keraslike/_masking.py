"""Keras's masking protocol on ``Layer``.

A mask marks which steps of a sequence are real (``True``) and which are padding. It
travels with the tensor it describes, as that tensor's ``_keras_mask`` attribute (Keras
does the same on its torch backend), so it passes through plain torch code, functional
graphs, ``Sequential`` and ``torch.compile`` alike:

- a layer whose ``call`` takes a ``mask`` argument receives the mask of its input
  automatically (and ``<name>_mask`` for each other tensor argument ``<name>``, e.g.
  ``query_mask``), unless the caller passes one;
- after the call, a layer that ``supports_masking`` attaches ``compute_mask(inputs,
  previous_mask)`` to its outputs: by default the input's mask, unchanged; a layer that
  overrides ``compute_mask`` (``Embedding(mask_zero=True)``, ``Masking``) supports masking
  automatically;
- a layer that does not support masking and receives a masked input warns that the mask
  stops there, as Keras does.

Unmasked calls pay one attribute lookup on the input tensor.

Example:
    >>> import torch, torch_keraslike as tkl
    >>> ids = torch.tensor([[3, 1, 0, 0]])
    >>> x = tkl.layers.Embedding(5, 2, mask_zero=True)(ids)
    >>> x._keras_mask
    tensor([[ True,  True, False, False]])
"""

import inspect
import warnings

import torch

__all__ = ["MaskingMixin", "get_mask", "mask_of", "set_mask"]

_DESTROYED = (
    "Layer '{name}' (of type {cls}) was passed an input with a mask attached to it. However, "
    "this layer does not support masking and will therefore destroy the mask information. "
    "Downstream layers will not see the mask."
)


def get_mask(value):
    """The mask attached to a tensor (or ``KerasTensor``), or None."""
    return getattr(value, "_keras_mask", None)


def set_mask(tensor, mask):
    """Attaches ``mask`` to ``tensor`` (None removes it)."""
    try:
        tensor._keras_mask = mask
    except (AttributeError, TypeError):  # objects that cannot carry attributes
        pass


def mask_of(structure):
    """Masks of a tensor or a list/tuple/dict of tensors, in the same structure; None
    when no tensor in it carries a mask."""
    if isinstance(structure, (list, tuple)):
        masks = [mask_of(item) for item in structure]
        return masks if any(m is not None for m in masks) else None
    if isinstance(structure, dict):
        masks = {key: mask_of(item) for key, item in structure.items()}
        return masks if any(m is not None for m in masks.values()) else None
    return getattr(structure, "_keras_mask", None)


def _flatten(structure):
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in _flatten(item)]
    return [structure]


def call_mask_arguments(cls):
    """``(takes mask, other mask arguments)`` of a class's ``call``: each other mask
    argument ``<name>_mask`` as ``(its name, "<name>", the position of <name> in the
    call's arguments or None)``, read once per class (a signature costs ~50 us)."""
    try:
        parameters = inspect.signature(cls.call).parameters
    except (TypeError, ValueError):
        return False, ()
    names = list(parameters)[1:]  # (without self)
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    named = []
    for name in parameters:
        source = name[: -len("_mask")]
        if name != "mask" and name.endswith("_mask") and source in parameters:
            named.append((name, source, names.index(source) if parameters[source].kind in positional else None))
    return "mask" in parameters, tuple(named)


class MaskingMixin:
    """The masking side of :class:`torch_keraslike.Layer` (see the module docstring).

    Attributes:
        supports_masking: whether the layer attaches ``compute_mask``'s result to its
            outputs. Defaults to True for classes that override :meth:`compute_mask`;
            set it (on the class or in ``__init__``) for pass-through layers.
    """

    supports_masking = False

    def compute_mask(self, inputs, previous_mask=None):
        """The mask of the outputs, given the inputs and their mask (default: the
        input's mask, for layers that ``supports_masking``)."""
        return previous_mask

    # -------------------------------------------------------------- the call
    def _tkl_fill_masks(self, first, args, kwargs, previous_mask):
        """Fills ``mask``/``<name>_mask`` arguments of ``call`` that the caller left out;
        returns the mask that describes the first input."""
        if self._tkl_call_takes_mask:
            given = kwargs.get("mask")
            if given is not None:
                return given
            if previous_mask is None and type(first) is not torch.Tensor:
                previous_mask = mask_of(first)
            if previous_mask is not None:
                kwargs["mask"] = previous_mask
            return previous_mask
        for name, source, position in self._tkl_named_mask_args:
            if kwargs.get(name) is None:
                if source in kwargs:
                    value = kwargs[source]
                else:
                    value = args[position] if position is not None and position < len(args) else None
                mask = None if value is None else mask_of(value)
                if mask is not None:
                    kwargs[name] = mask
        return previous_mask if previous_mask is not None or type(first) is torch.Tensor else mask_of(first)

    def _tkl_output_masks(self, first, outputs, previous_mask, masks=None):
        """Attaches ``compute_mask``'s result (or the given ``masks``) to the outputs, or
        warns that an input mask is dropped by a layer that does not support masking."""
        if not self.supports_masking:
            if previous_mask is not None and any(m is not None for m in _flatten(previous_mask)):
                warnings.warn(_DESTROYED.format(name=self.name, cls=type(self).__name__), stacklevel=3)
            return
        flat_outputs = _flatten(outputs)
        if all(get_mask(t) is not None for t in flat_outputs):
            return  # the call attached its own masks
        if masks is None:
            masks = self.compute_mask(first, previous_mask)
        if masks is None:
            return
        for tensor, mask in zip(flat_outputs, _flatten(masks)):
            if mask is not None and get_mask(tensor) is None:
                set_mask(tensor, mask)

