"""``EinsumDense``: a dense layer written as an einsum equation."""

import re

import torch

from .. import activations, constraints, initializers, regularizers
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ._common import (
    KERNEL_BIAS_OPTIONS,
    add_weight_from_options,
    as_tuple,
    is_positive_int,
    options_of,
    serialize_options,
)

__all__ = ["EinsumDense"]

_EQUATION = re.compile(
    r"^(?P<lead>\.\.\.)?(?P<inp>[a-zA-Z]+)(?P<trail>\.\.\.)?,(?P<ker>[a-zA-Z]+)->"
    r"(?P<out_lead>\.\.\.)?(?P<out>[a-zA-Z]+)(?P<out_trail>\.\.\.)?$"
)


def _parse_equation(layer, equation):
    """Splits ``equation`` into (input, kernel, output letters, ellipsis side)."""
    match = _EQUATION.match(equation.replace(" ", "")) if isinstance(equation, str) else None
    if match is not None:
        lead, trail = bool(match["lead"]), bool(match["trail"])
        out_lead, out_trail = bool(match["out_lead"]), bool(match["out_trail"])
        if (lead, trail) == (out_lead, out_trail) and not (lead and trail):
            side = "left" if lead else "right" if trail else None
            parts = match["inp"], match["ker"], match["out"]
            for part in parts:
                if len(set(part)) != len(part):
                    raise ValueError(
                        f'Layer "{layer.name}" (EinsumDense): equation {equation!r} repeats a '
                        f"letter in {part!r}. Fix: give every axis of an operand its own letter."
                    )
            return parts + (side,)
    raise ValueError(
        f"Invalid einsum equation {equation!r}. Equations must be in the form [X],[Y]->[Z], "
        "...[X],[Y]->...[Z], or [X]...,[Y]->[Z]... (letters only). Fix: e.g. "
        f'EinsumDense("ab,bc->ac", output_shape=64) (layer "{layer.name}").'
    )


def _analyze(layer, input_shape, output_shape):
    """Keras's shape analysis: (kernel shape, bias shape or None, full output shape).

    The output shape given to the layer leaves out the batch axis and the axes of the
    ellipsis; the full one has them, with ``None`` entries of axes shared with the
    input filled in from the input.
    """
    inp, ker, out, side = layer._letters
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(inp)
    if side == "left":
        full = list(input_shape[:elided]) + list(output_shape)
        in_pos = {c: elided + i for i, c in enumerate(inp)}
        out_pos = {c: elided + i for i, c in enumerate(out)}
    else:
        full = [input_shape[0]] + list(output_shape)
        if side == "right":
            full += list(input_shape[len(inp):])
        in_pos = {c: i for i, c in enumerate(inp)}
        out_pos = {c: i for i, c in enumerate(out)}
    for c, i in in_pos.items():
        if c in out_pos:
            size, want = input_shape[i], full[out_pos[c]]
            if want is None:
                full[out_pos[c]] = size
            elif size is not None and size != want:
                raise ValueError(
                    f"Input shape and output shape do not match at shared dimension '{c}'. "
                    f"Input shape is {size}, and output shape is {want}. Fix: set that entry "
                    f'of output_shape to {size} or None (layer "{layer.name}", input shape '
                    f"{input_shape})."
                )
    kernel_shape = []
    for c in ker:
        size = input_shape[in_pos[c]] if c in in_pos else full[out_pos[c]]
        if size is None:
            source = "input" if c in in_pos else "output_shape"
            raise ValueError(
                f'Layer "{layer.name}" (EinsumDense): the size of weight dimension {c!r} comes '
                f"from the {source}, where it is unknown (None): input shape {input_shape}, "
                f"output_shape={tuple(output_shape)}. Fix: give that axis a fixed size."
            )
        kernel_shape.append(size)
    bias_shape = None
    if layer.bias_axes:
        first = min(out.index(c) for c in layer.bias_axes)
        bias_shape = [full[out_pos[c]] if c in layer.bias_axes else 1 for c in out[first:]]
        if side == "right":
            bias_shape += [1] * elided
        if any(size is None for size in bias_shape):
            raise ValueError(
                f'Layer "{layer.name}" (EinsumDense): bias_axes={layer.bias_axes!r} includes an '
                f"axis of unknown size (output shape {tuple(full)}). Fix: give that axis a "
                "fixed size in output_shape."
            )
    return tuple(kernel_shape), None if bias_shape is None else tuple(bias_shape), tuple(full)


@register_serializable(package="keras")
class EinsumDense(Layer):
    """A dense layer of any rank: ``activation(einsum(equation, inputs, kernel) + bias)``.

    The equation names the input's axes, the kernel's axes and the output's axes with
    letters, as in ``torch.einsum``; the kernel gets its shape from them: a kernel letter
    shared with the input takes the input's size, one shared with the output takes the
    size from ``output_shape``. An ellipsis stands for any number of leading
    (``"...b,bc->...c"``) or trailing (``"ab...,bc->ac..."``) axes passed through.

    Args:
        equation: ``"[X],[Y]->[Z]"``, ``"...[X],[Y]->...[Z]"`` or ``"[X]...,[Y]->[Z]..."``
            with letters for axes, e.g. ``"ab,bc->ac"`` (a ``Dense``),
            ``"abc,cd->abd"`` (a ``Dense`` on the last axis of a sequence),
            ``"abc,cde->abde"`` (project to several heads).
        output_shape: expected output shape without the batch axis and without the
            axes of the ellipsis: an int or a tuple; ``None`` entries stand for sizes
            taken from the input (only on axes the input has).
        activation: activation name or callable (default: none).
        bias_axes: letters of the output axes that get a bias (e.g. ``"d"``), or
            ``None`` for no bias. The bias spans the output axes from the first bias
            letter to the last axis, with size 1 on the axes not named.
        kernel_initializer, bias_initializer: initializers (Keras names accepted).
        kernel_regularizer, bias_regularizer: regularizers of the weights.
        activity_regularizer: regularizer of the output.
        kernel_constraint, bias_constraint: constraints applied after optimizer steps.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Shapes:
        Input: the rank the equation's input letters give (plus any number of axes
        for an ellipsis); output ``(batch,) + output_shape`` with the ellipsis axes
        where the equation puts them.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")
        >>> layer(torch.ones(2, 32, 128)).shape
        torch.Size([2, 32, 64])
        >>> layer.kernel.shape, layer.bias.shape
        (torch.Size([128, 64]), torch.Size([64]))
    """

    cast_integer_inputs = True

    def __init__(
        self,
        equation,
        output_shape,
        activation=None,
        bias_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._letters = _parse_equation(self, equation)
        inp, ker, out, side = self._letters
        self.equation = equation
        self._torch_equation = equation.replace(" ", "")
        self.partial_output_shape = self._check_output_shape(output_shape)
        if bias_axes is not None:
            if not isinstance(bias_axes, str) or not bias_axes:
                raise ValueError(
                    f'Layer "{self.name}" (EinsumDense): bias_axes must be a string of output '
                    f"letters or None, received bias_axes={bias_axes!r}. Fix: e.g. "
                    f"bias_axes={out[-1]!r}."
                )
            for c in bias_axes:
                if c not in out:
                    raise ValueError(
                        f"Bias dimension '{c}' was requested, but is not part of the output "
                        f"spec '{out}'. Fix: choose bias_axes among the letters of {out!r} "
                        f'(layer "{self.name}").'
                    )
        for c in out:
            if c not in inp and c not in ker:
                raise ValueError(
                    f"Dimension '{c}' was specified in the output '{out}' but has no "
                    f"corresponding dim in the input spec '{inp}' or weight spec '{ker}'. "
                    f'Fix: check the equation {equation!r} (layer "{self.name}").'
                )
        for c in ker:
            if c not in inp and c not in out:
                raise ValueError(
                    f"Weight dimension '{c}' did not have a match in either the input spec "
                    f"'{inp}' or the output spec '{out}'. For this layer, the weight must be "
                    f'fully specified. Fix: check the equation {equation!r} (layer "{self.name}").'
                )
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self._activation_fn = activations.fused(self.activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        if side is None:
            self.input_spec = InputSpec(ndim=len(inp))
        else:  # the ellipsis holds the batch axis on the left, may be empty on the right
            self.input_spec = InputSpec(min_ndim=len(inp) + (side == "left"))

    def _check_output_shape(self, output_shape):
        inp, ker, out, side = self._letters
        shape = as_tuple(output_shape)
        valid = shape is not None and all(d is None or is_positive_int(d) for d in shape)
        expected = len(out) if side == "left" else len(out) - 1
        if not valid or len(shape) != expected:
            raise ValueError(
                f'Layer "{self.name}" (EinsumDense): output_shape must give the {expected} '
                f"output axes of equation {self.equation!r} after the batch axis (and "
                f"without the ellipsis) as positive ints or None, received "
                f"output_shape={output_shape!r}. Fix: e.g. output_shape="
                f"{(None,) * (expected - 1) + (64,) if expected > 1 else 64}."
            )
        return tuple(None if d is None else int(d) for d in shape)

    def build(self, input_shape):
        kernel_shape, bias_shape, self.full_output_shape = _analyze(
            self, input_shape, self.partial_output_shape
        )
        self.kernel = add_weight_from_options(self, "kernel", kernel_shape)
        self.bias = None if bias_shape is None else add_weight_from_options(self, "bias", bias_shape)
        inp, ker, _, side = self._letters
        offset = -len(inp) if side == "left" else 0
        axes = {offset + i: input_shape[offset + i] for i, c in enumerate(inp) if c in ker}
        if side is None:
            self.input_spec = InputSpec(ndim=len(inp), axes=axes)
        else:
            self.input_spec = InputSpec(min_ndim=len(inp) + (side == "left"), axes=axes)

    def call(self, inputs):
        if inputs.is_meta != self.kernel.is_meta:
            # torch.einsum would answer on the kernel's device, silently.
            self._raise_placement_error((inputs,), {}, None)
        outputs = torch.einsum(self._torch_equation, inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        if self._activation_fn is not None:
            outputs = self._activation_fn(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return _analyze(self, input_shape, self.partial_output_shape)[2]

    def get_config(self):
        config = super().get_config()
        config.update(
            output_shape=self.partial_output_shape,
            equation=self.equation,
            activation=activations.serialize(self.activation),
            bias_axes=self.bias_axes,
        )
        return serialize_options(config, **options_of(self, KERNEL_BIAS_OPTIONS))

    def extra_repr(self):
        return f"name={self.name!r}, equation={self.equation!r}, output_shape={self.partial_output_shape}"
