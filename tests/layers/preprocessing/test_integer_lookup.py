"""IntegerLookup: lookups, OOV buckets, masks, inversion, encodings and adapt,
against Keras 3's recorded outputs (its IntegerLookup runs on TensorFlow tables)."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from layer_testing import run_layer_test
from lookup_reference import GOLDEN
from torch_keraslike.layers.preprocessing.integer_lookup import IntegerLookup

VOCAB = [12, 36, 1138, 42]


@pytest.mark.parametrize("case", sorted(GOLDEN["lookup"]))
def test_lookup_matches_keras(case):
    expected = GOLDEN["lookup"][case]
    tokens = torch.tensor(GOLDEN["lookup_tokens"])
    layer = IntegerLookup(**expected["kwargs"])
    out = layer(tokens[:, :1] if case == "one_hot" else tokens)
    np.testing.assert_allclose(out.numpy(), np.array(expected["output"]), rtol=1e-6)
    assert tuple(out.shape) == np.shape(expected["output"])
    assert layer.get_vocabulary() == expected["vocabulary"]


def test_invert_matches_keras():
    layer = IntegerLookup(vocabulary=VOCAB, invert=True, mask_token=0)
    assert layer(torch.tensor([[0, 1, 2, 3], [4, 5, 9, 2]])).tolist() == GOLDEN["lookup_invert"]


@pytest.mark.parametrize("case", sorted(GOLDEN["lookup_adapt"]["cases"]))
def test_adapt_matches_keras(case):
    expected = GOLDEN["lookup_adapt"]["cases"][case]
    data = np.array(GOLDEN["lookup_adapt"]["data"])
    layer = IntegerLookup(**expected["kwargs"])
    layer.adapt(data)
    assert layer.get_vocabulary() == expected["vocabulary"]
    np.testing.assert_allclose(layer(data).numpy(), np.array(expected["output"]), rtol=1e-6)
    if "idf_weights" in expected:
        np.testing.assert_allclose(layer._idf, expected["idf_weights"], rtol=1e-6)


@pytest.mark.parametrize("kwargs, out_shape, dtype", [
    ({"vocabulary": VOCAB}, (3, 4), torch.int64),
    ({"vocabulary": VOCAB, "output_mode": "multi_hot"}, (3, 5), torch.float32),
    ({"vocabulary": VOCAB, "output_mode": "tf_idf", "idf_weights": [1.0, 2.0, 3.0, 4.0]}, (3, 5), torch.float32),
])
def test_lookup_common(kwargs, out_shape, dtype):
    x = torch.tensor([[12, 36, 7, 42], [1138, 1138, 12, 0], [5, 6, 7, 8]])
    run_layer_test(IntegerLookup, kwargs, (3, 4), out_shape, input_data=x, input_dtype=torch.int64,
                   expected_output_dtype=dtype)


def test_adapted_layers_round_trip_through_json_configs():
    layer = IntegerLookup(output_mode="tf_idf", max_tokens=6, pad_to_max_tokens=True)
    layer.adapt([np.array([[1, 2, 2], [3, 3, 3]]), np.array([[2, 4, 4]])])
    config = json.loads(json.dumps(layer.get_config()))
    clone = IntegerLookup.from_config(config)
    x = torch.tensor([[2, 3, 9], [4, 4, 1]])
    torch.testing.assert_close(clone(x), layer(x))
    assert clone.get_vocabulary() == layer.get_vocabulary() == [-1, 3, 2, 4, 1]
    assert layer(x).shape == (2, 6)


def test_lookup_runs_compiled_and_symbolic():
    layer = IntegerLookup(vocabulary=VOCAB, num_oov_indices=2, mask_token=0)
    compiled = torch.compile(layer, backend="eager", fullgraph=True)
    x = torch.tensor([[12, 0, 99, 42]])
    assert torch.equal(compiled(x), layer(x))
    torch._dynamo.reset()
    spec = IntegerLookup(vocabulary=VOCAB, output_mode="count")(tkl.Input((3,), dtype="int64"))
    assert spec.shape == (None, 5) and spec.dtype == torch.float32


def test_vocabulary_accessors_and_special_tokens_in_the_vocabulary():
    layer = IntegerLookup(vocabulary=[0, -1, 5, 7], mask_token=0)  # special tokens given first are skipped
    assert layer.get_vocabulary() == [0, -1, 5, 7] and layer.vocabulary_size() == 4
    assert layer.get_vocabulary(include_special_tokens=False) == [5, 7]
    assert layer(torch.tensor([0, 5, 8])).tolist() == [0, 2, 1]


def test_zero_oov_indices_reject_unknown_tokens_before_building():
    layer = IntegerLookup(vocabulary=VOCAB, num_oov_indices=0)
    assert layer(torch.tensor([12, 42])).tolist() == [0, 3]
    fresh = IntegerLookup(vocabulary=VOCAB, num_oov_indices=0)
    with pytest.raises(ValueError, match=r"When `num_oov_indices=0` all inputs should be in vocabulary, found "
                                         r"OOV values \[7\]"):
        fresh(torch.tensor([12, 7]))
    assert not fresh.built


def test_adapt_and_set_vocabulary_errors_leave_the_layer_unchanged():
    layer = IntegerLookup(vocabulary=VOCAB)
    with pytest.raises(ValueError, match="Cannot adapt layer .* after setting a static vocabulary"):
        layer.adapt(np.array([1, 2]))
    with pytest.raises(ValueError, match="repeated term"):
        layer.set_vocabulary([1, 2, 2])
    with pytest.raises(ValueError, match="Found reserved mask token 0"):
        IntegerLookup(vocabulary=[5, 0, 6], mask_token=0)
    with pytest.raises(ValueError, match="larger than the maximum vocab size"):
        IntegerLookup(vocabulary=[1, 2, 3], max_tokens=3)
    assert layer.get_vocabulary() == [-1] + VOCAB
    unadapted = IntegerLookup(output_mode="multi_hot")
    with pytest.raises(RuntimeError, match="you must set the layer's vocabulary before calling it"):
        unadapted(torch.tensor([[1]]))
    assert not unadapted.built
    with pytest.raises(ValueError, match="string inputs are not supported"):
        IntegerLookup(vocabulary=VOCAB)(np.array(["a"]))
    with pytest.raises(ValueError, match="adapt\\(\\) received strings"):
        IntegerLookup().adapt(np.array(["a", "b"]))


@pytest.mark.parametrize("kwargs, message", [
    ({"max_tokens": 1}, "`max_tokens` must be greater than 1"),
    ({"num_oov_indices": -1}, "`num_oov_indices` must be greater than or equal to 0"),
    ({"vocabulary_dtype": "string"}, "Only `vocabulary_dtype='int64'` is supported"),
    ({"pad_to_max_tokens": True}, "must set `max_tokens`"),
    ({"salt": 3}, "`salt` can only be used when `oov_method='farmhash'`"),
    ({"invert": True, "output_mode": "count"}, "`output_mode` must be `'int'` when `invert` is true"),
    ({"idf_weights": [1.0]}, "`idf_weights` should only be set if `output_mode` is `'tf_idf'`"),
    ({"vocabulary": [1], "output_mode": "tf_idf"}, "the `idf_weights` argument must also be provided"),
    ({"vocabulary": "vocab.txt"}, "vocabulary files are not supported"),
    ({"oov_method": "murmur"}, "`oov_method` must be 'floormod' or 'farmhash'"),
    ({"output_mode": "hashed"}, "Expected one of"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        IntegerLookup(**kwargs)
