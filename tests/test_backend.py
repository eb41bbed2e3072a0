"""tkl.backend: Keras's keras.backend names, one source of truth with tkl.config."""

import itertools
import subprocess
import sys

import numpy as np
import pytest
import torch
from keras_reference import import_keras

import torch_keraslike as tkl
from torch_keraslike import backend as B


@pytest.fixture
def restore_settings():
    dtype, eps, fmt = torch.get_default_dtype(), tkl.config.epsilon(), tkl.config.image_data_format()
    yield
    torch.set_default_dtype(dtype)
    tkl.config.set_epsilon(eps)
    tkl.config.set_image_data_format(fmt)


def test_backend_name_and_defaults():
    assert B.backend() == "torch"
    assert B.floatx() == "float32" and B.epsilon() == 1e-7
    assert B.image_data_format() == "channels_last"


def test_floatx_is_torchs_default_dtype(restore_settings):
    B.set_floatx("float64")
    assert torch.get_default_dtype() == torch.float64 and tkl.config.floatx() == "float64"
    layer = tkl.layers.Dense(2)
    layer(torch.ones(1, 3, dtype=torch.float64))
    assert layer.kernel.dtype == torch.float64
    torch.set_default_dtype(torch.bfloat16)
    assert B.floatx() == "bfloat16"
    B.set_floatx(torch.float16)
    assert B.floatx() == "float16"


@pytest.mark.parametrize("bad", ["int32", "float", "mixed_float16", None, torch.int64])
def test_set_floatx_rejects_other_values_and_changes_nothing(bad, restore_settings):
    with pytest.raises(ValueError, match=r"Unknown `floatx` value: .*Expected one of \['bfloat16', 'float16', "
                                         r"'float32', 'float64'\]"):
        B.set_floatx(bad)
    assert torch.get_default_dtype() == torch.float32


def test_epsilon_setting(restore_settings):
    B.set_epsilon(1e-5)
    assert B.epsilon() == tkl.config.epsilon() == 1e-5
    for bad in (0, -1e-3, float("inf"), "1e-7", True):
        with pytest.raises(ValueError, match="set_epsilon expects a positive finite float"):
            B.set_epsilon(bad)
    assert B.epsilon() == 1e-5


def test_image_data_format_is_configs(restore_settings):
    B.set_image_data_format("channels_first")
    assert tkl.config.image_data_format() == "channels_first"
    tkl.config.set_image_data_format("channels_last")
    assert B.image_data_format() == "channels_last"
    with pytest.raises(ValueError, match="Invalid data_format"):
        B.set_image_data_format("NHWC")
    assert B.image_data_format() == "channels_last"


def test_clear_session_and_get_uid():
    assert (B.get_uid("x"), B.get_uid("x"), B.get_uid("y"), B.get_uid()) == (1, 2, 1, 1)
    tkl.layers.Dense(1)
    B.clear_session()
    assert B.get_uid("x") == 1 and tkl.layers.Dense(1).name == "dense"
    B.clear_session(free_memory=False)
    assert tkl.layers.Dense(1).name == "dense"
    tkl.clear_session()  # the top-level function resets the uids too
    assert B.get_uid("x") == 1


def test_is_keras_tensor():
    assert B.is_keras_tensor(tkl.Input((2,)))
    assert not B.is_keras_tensor(torch.ones(2)) and not B.is_keras_tensor(np.ones(2))


@pytest.mark.parametrize("value,expected", [
    (None, "float32"), (int, "int32"), (float, "float32"), (bool, "bool"), (complex, "complex64"),
    (str, "string"), ("int", "int32"), ("uint16", "uint16"), (torch.float16, "float16"),
    (torch.bfloat16, "bfloat16"), (torch.uint8, "uint8"), (torch.float8_e4m3fn, "float8_e4m3fn"),
    (np.float64, "float64"), (np.dtype("int16"), "int16"), (np.bool_, "bool"),
])
def test_standardize_dtype(value, expected):
    assert B.standardize_dtype(value) == expected


@pytest.mark.parametrize("bad", ["float", "double", "foo", np.dtype("<U3"), 3, object])
def test_standardize_dtype_rejects_what_keras_rejects(bad):
    with pytest.raises(ValueError, match=r"Invalid dtype: .*Expected a Keras dtype name"):
        B.standardize_dtype(bad)


def test_is_float_and_is_int_dtype():
    assert B.is_float_dtype("bfloat16") and B.is_float_dtype(torch.float64) and B.is_float_dtype(float)
    assert not B.is_float_dtype("int8") and not B.is_float_dtype("complex64")
    assert B.is_int_dtype("uint32") and B.is_int_dtype(int) and B.is_int_dtype(torch.int16)
    assert not B.is_int_dtype("bool") and not B.is_int_dtype("float16")


def test_result_type_examples():
    assert B.result_type() == "float32"
    assert B.result_type("int32", "float32") == "float32"
    assert B.result_type("bfloat16", int) == "bfloat16"
    assert B.result_type("uint8", "int8") == "int16"
    assert B.result_type("float64") == "float32"  # Keras reports 64-bit types as 32-bit
    assert B.result_type(None, "float16") == "float32"
    with pytest.raises(ValueError, match="no implicit conversion from float8"):
        B.result_type("float8_e4m3fn", "float32")
    with pytest.raises(ValueError, match="takes no part in Keras's type promotion"):
        B.result_type("string", "float32")


def test_lazy_submodules_keep_import_cheap():
    code = ("import sys, torch_keraslike as tkl; "
            "print([m in sys.modules for m in ('torch_keraslike.utils', 'torch_keraslike.random', "
            "'torch_keraslike.backend')]); print(tkl.utils.__name__, tkl.random.__name__, "
            "tkl.backend.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == [
        "[False, False, False]", "torch_keraslike.utils torch_keraslike.random torch_keraslike.backend"]
    assert {"utils", "random", "backend"} <= set(tkl.__all__)


# ------------------------------------------------------------------ Keras reference
_DTYPES = ["bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
           "bfloat16", "float16", "float32", "float64", "complex64", "complex128", int, float, None]


def _keras_or_error(fn, *args):
    try:
        return fn(*args)
    except ValueError:
        return ValueError


def test_result_type_matches_keras_on_every_pair():
    keras = import_keras()
    mismatches = []
    for a, b in itertools.combinations_with_replacement(_DTYPES, 2):
        theirs = _keras_or_error(keras.backend.result_type, a, b)
        ours = _keras_or_error(B.result_type, a, b)
        if ours != theirs:
            mismatches.append((a, b, ours, theirs))
    for single in _DTYPES:
        if B.result_type(single) != keras.backend.result_type(single):
            mismatches.append((single, B.result_type(single), keras.backend.result_type(single)))
    assert not mismatches


def test_result_type_follows_floatx_like_keras(restore_settings):
    keras = import_keras()
    B.set_floatx("float16")
    keras.config.set_floatx("float16")
    try:
        for args in ((int,), (float,), (int, float), ("int8", float), (None,), ()):
            assert B.result_type(*args) == keras.backend.result_type(*args)
    finally:
        keras.config.set_floatx("float32")


def test_standardize_and_dtype_predicates_match_keras():
    keras = import_keras()
    values = [None, int, float, bool, "int", "uint64", "float8_e5m2", "string", torch.float32,
              torch.int8, np.float16, np.dtype("uint8"), "float", "half", "bogus"]
    for value in values:
        for name in ("standardize_dtype", "is_float_dtype", "is_int_dtype"):
            theirs = _keras_or_error(getattr(keras.backend, name), value)
            assert _keras_or_error(getattr(B, name), value) == theirs, (name, value)


def test_public_names_match_keras_backend():
    keras = import_keras()
    theirs = {n for n in dir(keras.backend) if not n.startswith("_")}
    assert theirs <= set(B.__all__)
