"""CategoryEncoding, Discretization, Hashing and HashedCrossing."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras, to_numpy
from layer_testing import run_layer_test
from lookup_reference import GOLDEN
from torch_keraslike.layers.preprocessing.encoding import CategoryEncoding, Discretization, HashedCrossing, Hashing

INTS = np.array([[0, 1, 1, 3], [2, 2, 0, 1]])


# --------------------------------------------------------- CategoryEncoding
@pytest.mark.parametrize("mode, shape, out", [
    ("multi_hot", (4, 3), (4, 6)), ("count", (4, 3), (4, 6)), ("one_hot", (4, 1), (4, 6)), ("one_hot", (4, 3), (4, 3, 6)),
])
def test_category_encoding_common(mode, shape, out):
    x = torch.randint(0, 6, shape)
    run_layer_test(CategoryEncoding, {"num_tokens": 6, "output_mode": mode}, shape, out, input_data=x,
                   input_dtype=torch.int64, expected_output_dtype=torch.float32)


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("inputs", [INTS, INTS[:, :1], INTS[0], np.array(2)], ids=["2d", "column", "1d", "scalar"])
def test_category_encoding_matches_keras(mode, inputs):
    keras = import_keras()
    ours = CategoryEncoding(4, output_mode=mode)
    theirs = keras.layers.CategoryEncoding(4, output_mode=mode)
    np.testing.assert_array_equal(to_numpy(ours(inputs)), to_numpy(theirs(inputs)))
    assert tuple(ours.compute_output_shape(inputs.shape)) == tuple(theirs.compute_output_shape(inputs.shape))


def test_category_encoding_count_weights_and_errors():
    weights = np.array([[0.5, 1.0, 2.0, 1.0], [1.0, 1.0, 1.0, 3.0]], dtype="float32")
    out = CategoryEncoding(4, output_mode="count")(INTS, count_weights=weights)
    np.testing.assert_allclose(out.numpy(), [[0.5, 3.0, 0.0, 1.0], [1.0, 3.0, 2.0, 0.0]])
    layer = CategoryEncoding(3, output_mode="multi_hot")
    with pytest.raises(ValueError, match=r'Layer "category_encoding.*input values must be in the range '
                                         r"0 <= values < num_tokens=3, received values from 0 to 3"):
        layer(INTS)
    assert not layer.built
    with pytest.raises(ValueError, match="`count_weights` is not used when `output_mode` is not 'count'"):
        CategoryEncoding(4)(INTS, count_weights=weights)
    with pytest.raises(ValueError, match="string inputs are not supported: torch has no string tensors"):
        CategoryEncoding(4)(np.array(["a", "b"]))
    for kwargs, message in [({}, "num_tokens must be set"), ({"num_tokens": 0}, "`num_tokens` must be >= 1"),
                            ({"num_tokens": 3, "output_mode": "tf_idf"}, "Expected one of"),
                            ({"num_tokens": 3, "sparse": True}, "`sparse=True` is not supported")]:
        with pytest.raises(ValueError, match=message):
            CategoryEncoding(**kwargs)
    assert CategoryEncoding(3, output_mode="binary").output_mode == "multi_hot"


def test_category_encoding_compiles_and_symbolic():
    layer = CategoryEncoding(5, output_mode="count")
    compiled = torch.compile(layer, backend="eager", fullgraph=True)
    x = torch.randint(0, 5, (3, 4))
    torch.testing.assert_close(compiled(x), layer(x))
    torch._dynamo.reset()
    spec = CategoryEncoding(5)(tkl.Input((4,), dtype="int64"))
    assert spec.shape == (None, 5) and spec.dtype == torch.float32


# ----------------------------------------------------------- Discretization
@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_matches_keras(mode):
    keras = import_keras()
    values = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
    ours = Discretization(bin_boundaries=[-1.0, 0.0, 0.5], output_mode=mode)
    theirs = keras.layers.Discretization(bin_boundaries=[-1.0, 0.0, 0.5], output_mode=mode)
    got, expected = ours(values), theirs(values)
    assert got.dtype == (torch.int32 if mode == "int" else torch.float32)
    np.testing.assert_array_equal(to_numpy(got), to_numpy(expected))
    assert tuple(ours.compute_output_shape(values.shape)) == tuple(theirs.compute_output_shape(values.shape))


def test_discretization_common():
    run_layer_test(Discretization, {"bin_boundaries": [0.0, 1.0]}, (4, 3), (4, 3), expected_output_dtype=torch.int32)
    run_layer_test(Discretization, {"bin_boundaries": [0.0, 1.0], "output_mode": "count"}, (4, 3), (4, 3))


def test_discretization_adapt_matches_keras_quantiles():
    keras = import_keras()
    rng = np.random.default_rng(1)
    small, big = rng.normal(size=(50, 3)).astype("float32"), rng.random(3000).astype("float32")
    for data, batches, kwargs in [(small, [small], dict(num_bins=5)),
                                  (big, [big[:1000], big[1000:]], dict(num_bins=7, epsilon=0.001))]:
        theirs = keras.layers.Discretization(**kwargs)
        for batch in batches:  # Keras's adapt needs TensorFlow; its update_state does not
            theirs.update_state(batch)
        theirs.finalize_state()
        ours = Discretization(**kwargs)
        ours.adapt(batches if len(batches) > 1 else data)
        np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)
        np.testing.assert_array_equal(to_numpy(ours(data)), to_numpy(theirs(data)))


def test_discretization_adapt_inputs_and_config_round_trip():
    layer = Discretization(num_bins=4)
    layer.adapt(torch.utils.data.DataLoader(torch.arange(100.0), batch_size=10), steps=5)
    assert len(layer.bin_boundaries) == 3 and max(layer.bin_boundaries) < 50  # only 5 batches read
    clone = Discretization.from_config(layer.get_config())
    assert clone.bin_boundaries == layer.bin_boundaries and clone.num_bins == 4
    torch.testing.assert_close(clone(torch.arange(60.0)), layer(torch.arange(60.0)))
    assert layer(torch.tensor([1, 30, 45])).tolist() == layer(torch.tensor([1.0, 30.0, 45.0])).tolist()


def test_discretization_errors_leave_the_layer_unchanged():
    layer = Discretization(num_bins=3)
    with pytest.raises(ValueError, match="call `adapt\\(dataset\\)` before you can start using"):
        layer(np.zeros((2, 2), dtype="float32"))
    assert not layer.built
    with pytest.raises(ValueError, match="Cannot adapt a Discretization layer that has been initialized with"):
        Discretization(bin_boundaries=[0.0]).adapt(np.zeros(3))
    with pytest.raises(TypeError, match="unsupported data type int for adapt"):
        layer.adapt(3)
    assert layer.bin_boundaries is None
    for kwargs, message in [({}, "set either `num_bins` or `bin_boundaries`"),
                            ({"num_bins": 2, "bin_boundaries": [0.0]}, "should not be set"),
                            ({"num_bins": -1}, "`num_bins` must be an integer >= 0"),
                            ({"bin_boundaries": [1.0, 0.0]}, "must be sorted in increasing order"),
                            ({"num_bins": 2, "epsilon": 0}, "`epsilon` must be in \\(0, 1\\)"),
                            ({"num_bins": 2, "output_mode": "bins"}, "Expected one of")]:
        with pytest.raises(ValueError, match=message):
            Discretization(**kwargs)


# ----------------------------------------------------------------- Hashing
@pytest.mark.parametrize("case, kwargs", [
    ("fast_3", dict(num_bins=3)), ("fast_1000003", dict(num_bins=1000003)),
    ("salt_pair", dict(num_bins=1000003, salt=[133, 7**20])), ("salt_int", dict(num_bins=97, salt=42)),
    ("mask", dict(num_bins=5, mask_value=0)),
])
def test_hashing_matches_keras(case, kwargs):
    values = torch.tensor(GOLDEN["values"]).reshape(-1, 1)
    assert Hashing(**kwargs)(values).reshape(-1).tolist() == GOLDEN["hashing"][case]


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_hashing_modes_match_keras(mode):
    out = Hashing(num_bins=4, output_mode=mode)(torch.tensor([[1, 2, 2], [7, 0, 3]]))
    assert out.dtype == torch.float32 and out.tolist() == GOLDEN["hashing_modes"][mode]


def test_hashing_common_floats_and_devices():
    x = torch.randint(-100, 100, (5, 3))
    run_layer_test(Hashing, {"num_bins": 11}, (5, 3), (5, 3), input_data=x, input_dtype=torch.int64,
                   expected_output_dtype=torch.int64)
    run_layer_test(Hashing, {"num_bins": 11, "output_mode": "multi_hot"}, (5, 3), (5, 11), input_data=x,
                   input_dtype=torch.int64)
    layer = Hashing(num_bins=97)
    assert layer(torch.tensor([3.7, -2.2])).tolist() == layer(torch.tensor([3, -2])).tolist()  # truncated
    assert layer.get_config()["dtype"] == "int64" and Hashing(3, output_mode="count").dtype == "float32"
    spec = layer(tkl.Input((3,), dtype="int64"))
    assert spec.shape == (None, 3) and spec.dtype == torch.int64


def test_hashing_errors():
    with pytest.raises(ValueError, match='Layer "hashing.*string inputs are not supported'):
        Hashing(3)(np.array([["a"], ["b"]]))
    for kwargs, message in [({"num_bins": 0}, "cannot be `None` or non-positive"),
                            ({"num_bins": 3, "salt": "x"}, "`salt` argument can only be"),
                            ({"num_bins": 3, "output_mode": "int", "dtype": "float32"}, "should be an integer type"),
                            ({"num_bins": 3, "mask_value": 1.5}, "`mask_value` must be an integer"),
                            ({"num_bins": 3, "output_mode": "one_hot", "sparse": True}, "`sparse=True`")]:
        with pytest.raises(ValueError, match=message):
            Hashing(**kwargs)


def test_hashing_config_matches_keras():
    keras = import_keras()
    ours, theirs = Hashing(7, salt=3, mask_value=0), keras.layers.Hashing.__new__(keras.layers.Hashing)
    assert set(ours.get_config()) >= {"num_bins", "salt", "mask_value", "output_mode", "sparse"}
    assert ours.get_config()["salt"] == [3, 3]
    assert Hashing.from_config(ours.get_config()).get_config() == ours.get_config()
    del theirs  # Keras's Hashing needs TensorFlow to be constructed


# ----------------------------------------------------------- HashedCrossing
def test_hashed_crossing_matches_keras():
    values = torch.tensor(GOLDEN["values"])
    a, b, c = values[:80], values[80:160], values[120:200]
    crossing = GOLDEN["crossing"]
    assert HashedCrossing(1000003)([a, b]).tolist() == crossing["pair"]
    assert HashedCrossing(1000003)([a, b, c]).tolist() == crossing["triple"]
    assert HashedCrossing(7)([a[:5, None], b[:5, None]]).tolist() == crossing["pair_2d"]
    one_hot = HashedCrossing(5, output_mode="one_hot")([a[:4], b[:4]])
    assert one_hot.dtype == torch.float32 and one_hot.tolist() == crossing["one_hot"]


def test_hashed_crossing_shapes_symbolic_and_compile():
    layer = HashedCrossing(5)
    assert layer([torch.tensor(3), torch.tensor(4)]).shape == ()
    spec = HashedCrossing(5, output_mode="one_hot")([tkl.Input((1,), dtype="int64"), tkl.Input((1,), dtype="int64")])
    assert spec.shape == (None, 5)
    compiled = torch.compile(layer, backend="eager", fullgraph=True)
    x = [torch.tensor([1, 2, 3]), torch.tensor([4, 5, 6])]
    assert torch.equal(compiled(x), layer(x))
    torch._dynamo.reset()
    clone = HashedCrossing.from_config(layer.get_config())
    assert torch.equal(clone(x), layer(x))


@pytest.mark.parametrize("inputs, message", [
    ([torch.tensor([1, 2])], "at least two inputs"),
    ([torch.ones(2, 2, dtype=torch.int64), torch.ones(2, 2, dtype=torch.int64)], "should have shape"),
    ([torch.ones(2, dtype=torch.int64), torch.ones(3, dtype=torch.int64)], "should have equal shape"),
    ([torch.ones(2), torch.ones(2)], "should have an integer dtype"),
])
def test_hashed_crossing_input_errors(inputs, message):
    layer = HashedCrossing(5)
    with pytest.raises(ValueError, match=message):
        layer(inputs)
    with pytest.raises(ValueError, match="Expected one of"):
        HashedCrossing(5, output_mode="count")
