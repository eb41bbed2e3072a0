"""Tests for torch_keraslike.input_spec: fields, messages, hints and the fast checker."""

import copy
import json
import pickle

import numpy as np
import pytest
import torch

from torch_keraslike.input_spec import InputSpec, assert_input_compatibility


class Symbolic:
    """Stands in for a symbolic KerasTensor: a shape tuple that may hold None."""

    def __init__(self, shape, dtype="float32"):
        self.shape = tuple(shape)
        self.dtype = dtype


def error_of(fn, *args):
    """Returns str(ValueError) raised by fn(*args), or None when it passes."""
    try:
        fn(*args)
    except ValueError as err:
        return str(err)
    return None


def expect_error(spec, inputs, sentence, layer_name="dense"):
    with pytest.raises(ValueError) as info:
        assert_input_compatibility(spec, inputs, layer_name)
    message = str(info.value)
    assert sentence in message
    first, _, hint = message.partition("\n")
    assert first == sentence  # Keras's sentence verbatim, first line
    assert hint.startswith("Hint: ") and len(hint) > 20
    assert "torch.Size" not in message
    return hint


HEAD = 'Input 0 of layer "dense" is incompatible with the layer: '


# ----------------------------------------------------------------------------- constructor


@pytest.mark.parametrize("dtype", ["float32", torch.float32, np.float32, np.dtype("float32")])
def test_dtype_normalised(dtype):
    spec = InputSpec(dtype=dtype)
    assert spec.dtype is torch.float32
    assert repr(spec) == "InputSpec(dtype=float32)"
    assert spec.get_config()["dtype"] == "float32"


def test_shape_implies_ndim_and_is_a_tuple():
    spec = InputSpec(shape=[None, 4])
    assert spec.shape == (None, 4) and spec.ndim == 2
    assert InputSpec(shape=torch.Size([3, 4])).shape == (3, 4)
    assert InputSpec(shape=(None, 4), ndim=2).ndim == 2


def test_defaults():
    spec = InputSpec()
    assert (spec.dtype, spec.shape, spec.ndim, spec.max_ndim, spec.min_ndim) == (None,) * 5
    assert dict(spec.axes) == {} and spec.name is None
    assert spec.optional is False and spec.allow_last_axis_squeeze is False
    assert repr(spec) == "InputSpec()"


def test_axes_stored_with_negative_keys_and_read_only():
    spec = InputSpec(ndim=3, axes={-1: 5, 1: None, np.int64(0): 2})
    assert spec.axes == {-1: 5, 1: None, 0: 2}
    assert all(type(k) is int for k in spec.axes)
    with pytest.raises(TypeError):
        spec.axes[-1] = 6


@pytest.mark.parametrize("kwargs, sentence", [
    (dict(ndim=2, axes={2: 4}), "Axis 2 is greater than the maximum allowed value: 1"),
    (dict(shape=(None, 3), axes={5: 4}), "Axis 5 is greater than the maximum allowed value: 1"),
    (dict(max_ndim=3, axes={3: 4}), "Axis 3 is greater than the maximum allowed value: 2"),
    (dict(ndim=2, axes={-3: 4}), "Axis -3 is less than the minimum allowed value: -2"),
])
def test_axis_out_of_range_of_ndim(kwargs, sentence):
    with pytest.raises(ValueError) as info:
        InputSpec(**kwargs)
    assert str(info.value).startswith(sentence)
    assert "\nHint: " in str(info.value)


def test_axes_in_range_or_unbounded_are_accepted():
    InputSpec(ndim=2, axes={1: 4, -2: 3})
    InputSpec(min_ndim=2, axes={7: 4, -9: 1})  # no upper bound known: nothing to check


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(dtype="flot32"), ValueError, ["dtype", "flot32", "float32"]),
    (dict(dtype=3), ValueError, ["dtype", "3"]),
    (dict(shape=5), TypeError, ["`shape`", "shape=5", "int"]),
    (dict(shape="ab"), TypeError, ["`shape`", "'ab'", "str"]),
    (dict(shape=(2, 1.5)), TypeError, ["shape", "1.5", "float"]),
    (dict(shape=(2, -1)), ValueError, ["shape", "-1", "non-negative"]),
    (dict(shape=(2, 3), ndim=3), ValueError, ["shape=(2, 3)", "ndim=3"]),
    (dict(ndim="2"), TypeError, ["`ndim`", "ndim='2'", "str"]),
    (dict(ndim=True), TypeError, ["`ndim`", "bool"]),
    (dict(ndim=-1), ValueError, ["`ndim`", "ndim=-1"]),
    (dict(max_ndim=2.0), TypeError, ["`max_ndim`", "float"]),
    (dict(min_ndim=[2]), TypeError, ["`min_ndim`", "list"]),
    (dict(min_ndim=3, max_ndim=2), ValueError, ["min_ndim=3", "max_ndim=2"]),
    (dict(axes=[(-1, 4)]), TypeError, ["`axes`", "list", "dict"]),
    (dict(axes={"-1": 4}), TypeError, ["axes key", "'-1'", "str"]),
    (dict(axes={None: 4}), TypeError, ["axes key", "NoneType"]),
    (dict(axes={-1: 2.5}), TypeError, ["axes[-1]", "2.5"]),
    (dict(axes={-1: -4}), ValueError, ["axes[-1]", "-4"]),
    (dict(allow_last_axis_squeeze=1), TypeError, ["`allow_last_axis_squeeze`", "bool", "int"]),
    (dict(optional="yes"), TypeError, ["`optional`", "bool", "'yes'"]),
    (dict(name=3), TypeError, ["`name`", "str", "int"]),
])
def test_invalid_constructor_arguments(kwargs, error, words):
    with pytest.raises(error) as info:
        InputSpec(**kwargs)
    assert type(info.value) is error
    for word in words:
        assert word in str(info.value)


def test_repr_lists_set_fields():
    spec = InputSpec(dtype="float64", shape=(None, 4), axes={-1: 4}, name="x", optional=True,
                     allow_last_axis_squeeze=True)
    assert repr(spec) == ("InputSpec(dtype=float64, shape=(None, 4), ndim=2, axes={-1: 4}, "
                          "allow_last_axis_squeeze=True, name='x', optional=True)")
    assert repr(InputSpec(min_ndim=2, max_ndim=4)) == "InputSpec(max_ndim=4, min_ndim=2)"
    assert repr(InputSpec(ndim=0)) == "InputSpec(ndim=0)"


# ----------------------------------------------------------------------------- config


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(dtype="bfloat16", shape=(None, 3, 1), axes={-1: 1, 1: None}),
    dict(ndim=4, axes={1: 3, -1: 8}, name="image", optional=True),
    dict(min_ndim=2, max_ndim=5, allow_last_axis_squeeze=True),
])
def test_config_round_trip_through_json(kwargs):
    spec = InputSpec(**kwargs)
    config = spec.get_config()
    text = json.dumps(config)
    assert isinstance(config["shape"], (list, type(None)))
    rebuilt = InputSpec.from_config(json.loads(text))
    assert rebuilt.get_config() == config
    assert repr(rebuilt) == repr(spec)
    assert InputSpec.from_config(config).get_config() == config


def test_pickle_and_deepcopy_after_use():
    spec = InputSpec(ndim=2, axes={-1: 4})
    assert_input_compatibility(spec, torch.zeros(2, 4), "dense")  # caches a checker closure
    for clone in (pickle.loads(pickle.dumps(spec)), copy.deepcopy(spec)):
        assert clone.get_config() == spec.get_config()
        assert_input_compatibility(clone, torch.zeros(3, 4), "dense")
        assert error_of(assert_input_compatibility, clone, torch.zeros(3, 5), "dense")


# ----------------------------------------------------------------------------- messages


def test_ndim_message():
    hint = expect_error(InputSpec(ndim=2), torch.zeros(4),
                        HEAD + "expected ndim=2, found ndim=1. Full shape received: (4,)")
    assert "x[None]" in hint and "x.reshape(1, -1)" in hint
    expect_error(InputSpec(ndim=2), torch.zeros(10, 4, 3),
                 HEAD + "expected ndim=2, found ndim=3. Full shape received: (10, 4, 3)")


def test_max_ndim_message():
    expect_error(InputSpec(max_ndim=2), torch.zeros(10, 4, 3),
                 HEAD + "expected max_ndim=2, found ndim=3")


def test_min_ndim_message():
    hint = expect_error(InputSpec(min_ndim=2), torch.zeros(4),
                        HEAD + "expected min_ndim=2, found ndim=1. Full shape received: (4,)")
    assert "x[None]" in hint


def test_dtype_message():
    hint = expect_error(InputSpec(dtype="float32"), torch.zeros(10, 4, dtype=torch.float64),
                        HEAD + "expected dtype=float32, found dtype=float64")
    assert ".to(torch.float32)" in hint
    expect_error(InputSpec(dtype=torch.int64), torch.zeros(2, dtype=torch.int32),
                 HEAD + "expected dtype=int64, found dtype=int32")


def test_axes_message():
    hint = expect_error(InputSpec(min_ndim=2, axes={-1: 5}), torch.zeros(10, 4),
                        HEAD + "expected axis -1 of input shape to have value 5, "
                        "but received input with shape (10, 4)")
    assert hint == ("Hint: this layer was built for inputs whose axis -1 has size 5; "
                    "pass inputs of that size, or create a new layer for the new size.")
    expect_error(InputSpec(axes={1: 3}), torch.zeros(2, 4, 5),
                 HEAD + "expected axis 1 of input shape to have value 3, "
                 "but received input with shape (2, 4, 5)")


def test_axis_beyond_input_rank_is_a_mismatch():
    expect_error(InputSpec(axes={2: 3}), torch.zeros(2, 3),
                 HEAD + "expected axis 2 of input shape to have value 3, "
                 "but received input with shape (2, 3)")
    expect_error(InputSpec(axes={-3: 3}), torch.zeros(3),
                 HEAD + "expected axis -3 of input shape to have value 3, "
                 "but received input with shape (3,)")


def test_shape_message():
    hint = expect_error(InputSpec(shape=(None, 4)), torch.zeros(10, 5),
                        HEAD + "expected shape=(None, 4), found shape=(10, 5)")
    assert "(None, 4)" in hint


def test_not_a_tensor_message():
    with pytest.raises(ValueError) as info:
        assert_input_compatibility(InputSpec(ndim=1), [1, 2], "dense")
    assert ("Layer \"dense\" expects 1 input(s), but it received 2 input tensors."
            in str(info.value))
    expect_error(InputSpec(ndim=1), "abc",
                 "Inputs to a layer should be tensors. Got 'abc' (of type <class 'str'>) "
                 "as input for layer 'dense'.")
    expect_error(InputSpec(), 3.5,
                 "Inputs to a layer should be tensors. Got '3.5' (of type <class 'float'>) "
                 "as input for layer 'dense'.")


def test_checks_run_in_keras_order():
    spec = InputSpec(dtype="float32", shape=(None, 4), axes={-1: 4}, min_ndim=2, max_ndim=2)
    wrong_everything = torch.zeros(3, dtype=torch.int64)
    assert "expected ndim=2" in error_of(assert_input_compatibility, spec, wrong_everything, "d")
    spec = InputSpec(dtype="float32", min_ndim=2, max_ndim=3, axes={-1: 4})
    assert "expected max_ndim=3" in error_of(
        assert_input_compatibility, spec, torch.zeros(1, 1, 1, 1, dtype=torch.int64), "d")
    assert "expected min_ndim=2" in error_of(
        assert_input_compatibility, spec, torch.zeros(5, dtype=torch.int64), "d")
    assert "expected dtype=float32" in error_of(
        assert_input_compatibility, spec, torch.zeros(2, 5, dtype=torch.int64), "d")
    spec = InputSpec(shape=(None, 4), axes={-1: 4})
    assert "expected axis -1" in error_of(assert_input_compatibility, spec, torch.zeros(2, 5), "d")


def test_layer_name_and_index_in_messages():
    specs = [InputSpec(ndim=2), InputSpec(ndim=3)]
    message = error_of(assert_input_compatibility, specs, [torch.zeros(1, 2), torch.zeros(2)],
                       "my_layer")
    assert message.startswith('Input 1 of layer "my_layer" is incompatible with the layer: '
                              "expected ndim=3, found ndim=1. Full shape received: (2,)")


# ----------------------------------------------------------------------------- inputs


def test_compatible_inputs_pass():
    spec = InputSpec(dtype="float32", shape=(None, 4), axes={-1: 4})
    assert assert_input_compatibility(spec, torch.zeros(7, 4), "dense") is None
    assert_input_compatibility(spec, [torch.zeros(7, 4)], "dense")
    assert_input_compatibility(spec, (torch.zeros(7, 4),), "dense")
    assert_input_compatibility(spec, torch.nn.Parameter(torch.zeros(7, 4)), "dense")
    assert_input_compatibility(None, "anything", "dense")
    assert_input_compatibility([], "anything", "dense")


def test_none_dims_of_symbolic_inputs_are_compatible():
    spec = InputSpec(dtype="float32", shape=(None, 4), axes={-1: 4, 0: 8})
    assert_input_compatibility(spec, Symbolic((None, 4)), "dense")
    assert_input_compatibility(spec, Symbolic((8, None)), "dense")
    assert_input_compatibility(InputSpec(shape=(3, 4)), Symbolic((None, None)), "dense")
    expect_error(spec, Symbolic((None, 5)),
                 HEAD + "expected axis -1 of input shape to have value 4, "
                 "but received input with shape (None, 5)")
    expect_error(InputSpec(shape=(3, 4)), Symbolic((None, 5)),
                 HEAD + "expected shape=(3, 4), found shape=(None, 5)")
    expect_error(spec, Symbolic((None, 4), "int32"),
                 HEAD + "expected dtype=float32, found dtype=int32")


def test_numpy_inputs():
    spec = InputSpec(dtype="float32", ndim=2, axes={-1: 3})
    assert_input_compatibility(spec, np.zeros((5, 3), dtype=np.float32), "dense")
    expect_error(spec, np.zeros((5, 3)), HEAD + "expected dtype=float32, found dtype=float64")
    expect_error(spec, np.zeros((5, 2), dtype=np.float32),
                 HEAD + "expected axis -1 of input shape to have value 3, "
                 "but received input with shape (5, 2)")
    expect_error(spec, np.zeros((5, 3), dtype=np.uint16),
                 HEAD + "expected dtype=float32, found dtype=uint16")


def test_list_of_specs_against_list_of_inputs():
    specs = [InputSpec(ndim=2), None, InputSpec(dtype="int64")]
    inputs = [torch.zeros(2, 3), "not checked", torch.zeros(4, dtype=torch.int64)]
    assert_input_compatibility(specs, inputs, "merge")
    assert_input_compatibility(tuple(specs), [inputs[0], [inputs[1], inputs[2]]], "merge")
    message = error_of(assert_input_compatibility, specs,
                       [torch.zeros(2, 3), None, torch.zeros(4)], "merge")
    assert message.startswith('Input 2 of layer "merge" is incompatible with the layer: '
                              "expected dtype=int64, found dtype=float32")


def test_count_mismatch_message():
    specs = [InputSpec(ndim=2), InputSpec(ndim=2)]
    with pytest.raises(ValueError) as info:
        assert_input_compatibility(specs, [torch.zeros(2, 3)], "add")
    message = str(info.value)
    assert message.startswith('Layer "add" expects 2 input(s), but it received 1 input tensors. '
                              "Inputs received: [<Tensor shape=(2, 3), dtype=float32>]")
    assert "\nHint: " in message and "torch.Size" not in message and "tensor([" not in message
    message = error_of(assert_input_compatibility, InputSpec(), [torch.zeros(1), np.zeros(2)], "f")
    assert message.startswith('Layer "f" expects 1 input(s), but it received 2 input tensors. '
                              "Inputs received: [<Tensor shape=(1,), dtype=float32>, "
                              "<ndarray shape=(2,), dtype=float64>]")


def test_named_specs_pick_dict_inputs_by_name():
    specs = [InputSpec(name="a", ndim=1), InputSpec(name="b", ndim=2)]
    inputs = {"b": torch.zeros(2, 2), "a": torch.zeros(3), "extra": "ignored"}
    assert_input_compatibility(specs, inputs, "model")
    message = error_of(assert_input_compatibility, specs, {"a": torch.zeros(3, 3),
                                                           "b": torch.zeros(2, 2)}, "model")
    assert message.startswith('Input 0 of layer "model" is incompatible')


def test_named_specs_missing_key():
    specs = [InputSpec(name="a"), InputSpec(name="b")]
    with pytest.raises(ValueError) as info:
        assert_input_compatibility(specs, {"a": torch.zeros(1), "c": torch.zeros(1)}, "model")
    message = str(info.value)
    assert message.startswith('Missing data for input "b". You passed a data dictionary with '
                              "keys ['a', 'c']. Expected the following keys: ['a', 'b']")
    assert "\nHint: " in message


def test_unnamed_specs_take_dict_values_in_insertion_order():
    specs = [InputSpec(ndim=1), InputSpec(ndim=2)]
    assert_input_compatibility(specs, {"z": torch.zeros(3), "a": torch.zeros(2, 2)}, "m")
    assert error_of(assert_input_compatibility, specs,
                    {"a": torch.zeros(2, 2), "z": torch.zeros(3)}, "m")
    single = InputSpec(name="x", ndim=1)
    assert_input_compatibility(single, {"y": torch.zeros(2, 2), "x": torch.zeros(3)}, "m")


def test_optional_spec_accepts_none():
    specs = [InputSpec(ndim=2), InputSpec(ndim=2, optional=True)]
    assert_input_compatibility(specs, [torch.zeros(1, 2), None], "attention")
    assert_input_compatibility(InputSpec(ndim=2, optional=True), None, "attention")
    expect_error(InputSpec(ndim=2), None,
                 "Inputs to a layer should be tensors. Got 'None' (of type <class 'NoneType'>) "
                 "as input for layer 'dense'.")


def test_allow_last_axis_squeeze():
    spec = InputSpec(shape=(None, 1), allow_last_axis_squeeze=True)
    assert_input_compatibility(spec, torch.zeros(5), "loss")
    assert_input_compatibility(spec, torch.zeros(5, 1), "loss")
    spec = InputSpec(shape=(None,), allow_last_axis_squeeze=True)
    assert_input_compatibility(spec, torch.zeros(5, 1), "loss")
    assert_input_compatibility(InputSpec(ndim=2, allow_last_axis_squeeze=True), torch.zeros(5), "l")
    spec = InputSpec(shape=(None, 5, 1), allow_last_axis_squeeze=True)
    expect_error(spec, torch.zeros(2, 5, 3),
                 HEAD + "expected shape=(None, 5, 1), found shape=(2, 5, 3)")
    expect_error(spec, torch.zeros(2, 4),
                 HEAD + "expected shape=(None, 5, 1), found shape=(2, 4)")


# ----------------------------------------------------------------------------- fast checker


CHECKER_SPECS = [
    InputSpec(),
    InputSpec(ndim=2),
    InputSpec(min_ndim=2),
    InputSpec(max_ndim=2),
    InputSpec(min_ndim=1, max_ndim=3),
    InputSpec(dtype="float32"),
    InputSpec(min_ndim=2, axes={-1: 4}),
    InputSpec(ndim=3, axes={1: 4, -1: None}),
    InputSpec(axes={2: 4}),
    InputSpec(dtype="float32", shape=(None, 4)),
    InputSpec(shape=(2, 4), axes={0: 2}),
    InputSpec(shape=(None, 1), allow_last_axis_squeeze=True),
    InputSpec(ndim=2, allow_last_axis_squeeze=True, dtype="float32"),
    InputSpec(ndim=2, optional=True),
    InputSpec(ndim=2, min_ndim=3),
]
CHECKER_INPUTS = [
    torch.zeros(2, 4),
    torch.zeros(2, 5),
    torch.zeros(4),
    torch.zeros(2, 4, 4),
    torch.zeros(2, 4, 1),
    torch.zeros(2, 4, dtype=torch.float64),
    torch.zeros(()),
    np.zeros((2, 4), dtype=np.float32),
    np.zeros((2, 4)),
    Symbolic((None, 4)),
    Symbolic((None, None, 4)),
    Symbolic((2, 4), dtype="float16"),
    None,
    "text",
]


@pytest.mark.parametrize("spec", CHECKER_SPECS, ids=repr)
def test_checker_agrees_with_assert_and_reference(spec):
    check = spec._make_checker()
    for x in CHECKER_INPUTS:
        expected = error_of(spec._check, x, "layer")
        assert error_of(check, x, "layer") == expected, (spec, x)
        assert error_of(assert_input_compatibility, spec, x, "layer") == expected, (spec, x)
        assert error_of(assert_input_compatibility, [spec], [x], "layer") == expected, (spec, x)


def test_reference_check_table():
    outcomes = [[error_of(s._check, x, "l") is None for x in CHECKER_INPUTS[:4]]
                for s in CHECKER_SPECS[:4]]
    assert outcomes == [[True, True, True, True],
                        [True, True, False, False],
                        [True, True, False, True],
                        [True, True, True, False]]


def test_cached_checker_follows_field_changes():
    spec = InputSpec(ndim=2)
    assert_input_compatibility(spec, torch.zeros(2, 2), "dense")
    spec.ndim = 3
    assert "expected ndim=3" in error_of(assert_input_compatibility, spec, torch.zeros(2, 2), "d")
