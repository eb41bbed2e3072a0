"""Cells for the RNN tests, written the way a user writes them (Keras's test cells),
and helpers shared by the recurrent tests."""

import numpy as np

import torch_keraslike as tkl
from sequence_testing import data, numpy_of, randomize  # noqa: F401 (re-exported for the tests)


@tkl.saving.register_serializable(package="tests")
class OneStateCell(tkl.Layer):
    """``h' = x @ kernel + h @ recurrent_kernel`` with weights of ones."""

    def __init__(self, units, state_size=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = state_size if state_size else units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="ones",
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@tkl.saving.register_serializable(package="tests")
class TwoStatesCell(tkl.Layer):
    """Two states; the output is their sum (Keras's ``TwoStatesRNNCell``)."""

    def __init__(self, units, state_size=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = state_size if state_size else [units, units]
        self.output_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones", name="kernel")
        self.recurrent_kernel_1 = self.add_weight(shape=(self.units, self.units), initializer="ones",
                                                  name="recurrent_kernel_1")
        self.recurrent_kernel_2 = self.add_weight(shape=(self.units, self.units), initializer="ones",
                                                  name="recurrent_kernel_2")

    def call(self, inputs, states):
        h = inputs @ self.kernel
        output_1 = h + states[0] @ self.recurrent_kernel_1
        output_2 = h + states[0] @ self.recurrent_kernel_2
        return output_1 + output_2, [output_1, output_2]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def constant_initializers():
    """Keras's tests' initializers: constant 0.01 / 0.02 / 0.03."""
    c = tkl.initializers.Constant
    return dict(kernel_initializer=c(0.01), recurrent_initializer=c(0.02), bias_initializer=c(0.03))


# Masks of every kind the fused kernels treat differently: right padding (as
# pad_sequences(padding="post") makes, also with an empty row), left padding (its default),
# a run in the middle, an empty row, and holes (only the step loop handles those).
MASKS = {
    "right": np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0]], bool),
    "right_empty_row": np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0]], bool),
    "left": np.array([[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 1]], bool),
    "middle": np.array([[0, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]], bool),
    "holes": np.array([[1, 0, 1, 1, 0, 1], [1, 1, 0, 1, 1, 1], [0, 0, 1, 0, 0, 0]], bool),
}
