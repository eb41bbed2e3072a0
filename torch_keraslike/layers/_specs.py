"""Symbolic output specs shared by layers whose output dtype is not the default one."""

from .. import symbolic


def floating_output_spec(layer, inputs):
    """``KerasTensor``(s) of ``layer.compute_output_shape(inputs.shape)`` in the layer's
    compute dtype: for layers that turn any input (integer images too) into floats."""
    return symbolic.map_shapes_to_keras(layer.compute_output_shape(tuple(inputs.shape)), layer._tkl_compute_dtype)


class SameShapeFloatingOutput:
    """Mixin of layers whose output has the input's shape, in the compute dtype (also
    for integer inputs)."""

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def compute_output_spec(self, inputs):
        return floating_output_spec(self, inputs)
