"""The Layer call/build pipeline: lazy build, InputSpec checks, conversion, training."""

import copy
import pickle
import threading
import time

import numpy as np
import pytest
import torch
from torch import nn

import torch_keraslike as tkl
from torch_keraslike import layers


class SimpleDense(tkl.Layer):
    """The first seed's example, verbatim apart from torch ops."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return torch.matmul(inputs, self.w) + self.b


def _snapshot(layer):
    return {
        "built": layer.built,
        "state": {k: v.clone() if isinstance(v, torch.Tensor) else copy.deepcopy(v)
                  for k, v in layer.state_dict().items()},
        "spec": repr(layer.input_spec),
        "modules": [name for name, _ in layer.named_modules()],
    }


def assert_unchanged(layer, before):
    after = _snapshot(layer)
    assert after["built"] == before["built"]
    assert after["spec"] == before["spec"]
    assert after["modules"] == before["modules"]
    assert after["state"].keys() == before["state"].keys()
    for key, value in before["state"].items():
        if isinstance(value, torch.Tensor):
            torch.testing.assert_close(after["state"][key], value, rtol=0, atol=0)
        else:
            assert after["state"][key] == value


# ------------------------------------------------------------------ lazy build
def test_seed_simple_dense_builds_lazily_on_first_call():
    layer = SimpleDense(4)
    assert not layer.built and list(layer.state_dict()) == ["_extra_state"]
    out = layer(torch.ones(2, 2))
    assert out.shape == (2, 4) and layer.built
    assert [k for k in layer.state_dict()] == ["w", "b", "_extra_state"]
    assert isinstance(layer.w, nn.Parameter) and layer.w.shape == (2, 4)
    torch.testing.assert_close(layer.b, torch.zeros(4))
    # Two identical rows: the output is a function of the input only.
    torch.testing.assert_close(out[0], out[1])


def test_build_receives_tuple_of_ints_and_runs_once():
    seen = []

    class Probe(tkl.Layer):
        def build(self, input_shape):
            seen.append(input_shape)

        def call(self, x):
            return x

    layer = Probe()
    layer(torch.ones(3, 5))
    layer(torch.ones(3, 5))
    assert seen == [(3, 5)] and all(type(d) is int for d in seen[0])


def test_nested_inputs_give_nested_shapes():
    seen = []

    class Pair(tkl.Layer):
        def build(self, input_shape):
            seen.append(input_shape)

        def call(self, inputs):
            return inputs[0] + inputs[1]

    Pair()([torch.ones(2, 3), torch.ones(2, 3)])
    assert seen == [[(2, 3), (2, 3)]]


def test_layer_without_build_is_built_with_no_weights():
    class Double(tkl.Layer):
        def call(self, x):
            return 2 * x

    layer = Double()
    assert layer(torch.ones(2)).tolist() == [2.0, 2.0]
    assert layer.built and layer.weights == []


def test_input_shape_argument_builds_at_construction():
    layer = layers.Dense(input_shape=(10,), units=15)
    assert layer.built and layer.kernel.shape == (10, 15)
    torch.optim.SGD(layer.parameters(), lr=0.1)  # an optimizer right away
    out = layer(np.random.rand(20, 10))
    assert isinstance(out, torch.Tensor) and out.shape == (20, 15) and out.dtype == torch.float32
    assert layer.get_build_config() == {"input_shape": [None, 10]}


def test_build_may_be_called_directly():
    layer = SimpleDense(3)
    layer.build((None, 7))
    assert layer.built and layer.w.shape == (7, 3)
    assert layer(torch.ones(1, 7)).shape == (1, 3)


def test_forward_override_is_call_too():
    class Torchy(tkl.Layer):
        def forward(self, x):
            return x + 1

    layer = Torchy()
    assert layer(torch.zeros(1)).item() == 1.0 and layer.call(torch.zeros(1)).item() == 1.0


# -------------------------------------------------------------- input checking
def test_seed_incompatible_input_error_and_layer_unchanged():
    layer = layers.Dense(3)
    layer(np.random.rand(10, 5))
    before = _snapshot(layer)
    with pytest.raises(ValueError) as info:
        layer(np.random.rand(10, 4))
    assert (
        'Input 0 of layer "dense" is incompatible with the layer: expected axis -1 of input '
        "shape to have value 5, but received input with shape (10, 4)" in str(info.value)
    )
    assert "Hint:" in str(info.value)
    assert_unchanged(layer, before)


def test_wrong_rank_before_build_leaves_layer_unbuilt():
    layer = layers.Dense(3, name="dense_1")
    before = _snapshot(layer)
    with pytest.raises(ValueError, match=r'layer "dense_1" is incompatible with the layer: '
                       r"expected min_ndim=2, found ndim=1. Full shape received: \(5,\)"):
        layer(torch.ones(5))
    assert_unchanged(layer, before)
    assert layer(torch.ones(2, 5)).shape == (2, 3)


def test_wrong_dtype_is_rejected_and_layer_unchanged():
    class IntOnly(tkl.Layer):
        def __init__(self):
            super().__init__()
            self.input_spec = tkl.InputSpec(dtype="float32")

        def call(self, x):
            return x

    layer = IntOnly()
    before = _snapshot(layer)
    with pytest.raises(ValueError, match="expected dtype=float32, found dtype=int64"):
        layer(torch.ones(2, 2, dtype=torch.int64))
    assert_unchanged(layer, before)


def test_wrong_number_of_inputs():
    class Add2(tkl.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = [tkl.InputSpec(ndim=2), tkl.InputSpec(ndim=2)]

        def call(self, inputs):
            return inputs[0] + inputs[1]

    layer = Add2(name="add")
    before = _snapshot(layer)
    with pytest.raises(ValueError, match=r'Layer "add" expects 2 input\(s\), but it received 1 '
                       r"input tensors. Inputs received: \["):
        layer([torch.ones(2, 2)])
    assert_unchanged(layer, before)
    assert layer([torch.ones(2, 2), torch.ones(2, 2)]).shape == (2, 2)


@pytest.mark.parametrize("bad", [True, "relu", object()])
def test_non_tensor_positional_arguments_are_rejected(bad):
    layer = layers.Dense(2)
    before = _snapshot(layer)
    with pytest.raises(ValueError) as info:
        layer(torch.ones(1, 3), bad)
    message = str(info.value)
    assert 'Layer "dense"' in message and "should be passed as a keyword argument" in message
    assert "layer(x, training=True)" in message
    assert_unchanged(layer, before)


def test_input_spec_set_in_build_is_enforced_from_then_on():
    layer = layers.Dense(2)
    assert layer.input_spec.min_ndim == 2 and not layer.input_spec.axes
    layer(torch.ones(1, 3))
    assert dict(layer.input_spec.axes) == {-1: 3}


def test_input_spec_must_be_an_input_spec():
    layer = layers.Identity()
    with pytest.raises(TypeError, match="input_spec must be an InputSpec"):
        layer.input_spec = "ndim=2"
    assert layer.input_spec is None


# ------------------------------------------------------------ build atomicity
class Flaky(tkl.Layer):
    """Creates a weight and a sub-layer, then fails for inputs wider than 4."""

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2))
        self.inner = layers.Dense(2)
        self.input_spec = tkl.InputSpec(ndim=2)
        if input_shape[-1] > 4:
            raise ValueError("too wide")

    def call(self, x):
        return self.inner(x @ self.kernel)


def test_build_that_raises_leaves_no_trace():
    layer = Flaky()
    before = _snapshot(layer)
    with pytest.raises(ValueError, match="too wide"):
        layer(torch.ones(2, 9))
    assert_unchanged(layer, before)
    assert not hasattr(layer, "kernel") and not hasattr(layer, "inner")
    assert layer.input_spec is None and dict(layer._parameters) == {}
    out = layer(torch.ones(2, 3))
    assert out.shape == (2, 2) and layer.kernel.shape == (3, 2)
    assert [k for k in layer.state_dict() if not k.endswith("_extra_state")] == [
        "kernel", "inner.kernel", "inner.bias"]


def test_concurrent_first_calls_build_exactly_once():
    builds = []

    class Slow(tkl.Layer):
        def build(self, input_shape):
            builds.append(input_shape)
            time.sleep(0.05)
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

    layer = Slow()
    barrier = threading.Barrier(6)
    results, errors = [], []

    def worker():
        barrier.wait()
        try:
            results.append(layer(torch.ones(2, 3)))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(builds) == 1 and len(results) == 6
    assert [k for k in layer.state_dict()] == ["w", "_extra_state"]


def test_racing_first_call_with_other_shape_gets_the_input_spec_error():
    entered, release = threading.Event(), threading.Event()

    class SlowSpec(tkl.Layer):
        def build(self, input_shape):
            entered.set()
            assert release.wait(10)
            self.w = self.add_weight(shape=(input_shape[-1], 2))
            self.input_spec = tkl.InputSpec(axes={-1: input_shape[-1]})

        def call(self, x):
            return x @ self.w

    layer = SlowSpec(name="slow")
    errors = []
    first = threading.Thread(target=lambda: layer(torch.ones(2, 3)))
    first.start()
    assert entered.wait(10)  # the first call holds the build lock

    def loser():
        try:
            layer(torch.ones(2, 5))
        except Exception as error:
            errors.append(error)

    second = threading.Thread(target=loser)
    second.start()
    time.sleep(0.1)  # the second call is now waiting for the build
    release.set()
    first.join(10)
    second.join(10)
    assert len(errors) == 1 and isinstance(errors[0], ValueError)
    assert 'Input 0 of layer "slow" is incompatible with the layer: expected axis -1 of input shape to have ' \
           "value 3, but received input with shape (2, 5)" in str(errors[0])


# ------------------------------------------------------------- conversion
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool, torch.uint8])
@pytest.mark.parametrize("make, shape", [
    (lambda: layers.Dense(3), (2, 4)),
    (lambda: layers.EinsumDense("ab,bc->ac", output_shape=3), (2, 4)),
    (lambda: layers.BatchNormalization(), (2, 4)),
    (lambda: layers.LayerNormalization(), (2, 4)),
    (lambda: layers.LSTM(3), (2, 5, 4)),
    (lambda: layers.GRU(3), (2, 5, 4)),
    (lambda: layers.Dropout(0.5), (2, 4)),
])
def test_integer_bool_and_unsigned_inputs_to_floating_layers_are_cast(make, shape, dtype):
    layer = make()
    x = torch.ones(shape, dtype=dtype)
    out = layer(x, training=False)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, layer(x.float(), training=False))


def test_shape_layers_keep_integer_dtypes():
    for layer in (layers.Flatten(), layers.Reshape((6,)), layers.Identity()):
        assert layer(torch.ones(2, 2, 3, dtype=torch.int64)).dtype == torch.int64


def test_fit_with_integer_inputs_trains():
    model = tkl.Sequential([tkl.Input((3,), dtype="int64"), layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).integers(0, 5, size=(16, 3))
    history = model.fit(x, np.ones((16, 1), "float32"), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_complex_inputs_to_floating_layers_are_a_clear_error():
    layer = layers.Dense(3, name="proj")
    with pytest.raises(ValueError, match=r'Layer "proj" \(Dense\) received a complex input of dtype '
                                         r"complex64, but it computes in float32.*x\.real"):
        layer(torch.ones(2, 4, dtype=torch.complex64))
    assert not layer.built


def test_inputs_on_another_device_than_the_weights_name_the_layer_and_fix():
    layer = layers.Dense(3, name="proj")
    layer(torch.ones(2, 4))
    with pytest.raises(RuntimeError, match=r'(?s)Layer "proj" \(Dense\) received an input on device meta, '
                                           r"but its weights are on cpu.*Fix:"):
        layer(torch.ones(2, 4, device="meta"))
    shape_only = layers.Dense(3, name="shapes")
    assert shape_only(torch.ones(2, 4, device="meta")).shape == (2, 3)
    with pytest.raises(RuntimeError, match=r"(?s)weights are on meta.*to_empty"):
        shape_only(torch.ones(2, 4))


def test_numpy_input_is_autocast_and_gives_tensor():
    layer = layers.Identity()
    out = layer(np.ones((2, 3), dtype=np.float64))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32


def test_python_scalars_and_lists_are_converted():
    layer = layers.Identity()
    assert layer([[1.0, 2.0], [3.0, 4.0]]).dtype == torch.float32
    assert layer(3.0).dtype == torch.float32 and layer(3.0).item() == 3.0
    assert layer([1, 2]).dtype == torch.int64  # integer inputs keep their dtype


def test_integer_inputs_keep_their_dtype_and_float_tensors_are_cast():
    layer = layers.Identity(dtype="float64")
    assert layer(torch.ones(2, dtype=torch.int32)).dtype == torch.int32
    assert layer(torch.ones(2, dtype=torch.float32)).dtype == torch.float64


class _Pair(tkl.Layer):
    """Returns its two inputs, as the layer received them."""

    def call(self, a, b, scale=None):
        return a, b, scale


@pytest.mark.parametrize("a, b, scale", [
    (torch.ones(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64), None),  # fast path
    (torch.ones(2), torch.ones(2, dtype=torch.float64), None),
    (torch.ones(2, dtype=torch.float64), torch.ones(2), None),
    (torch.ones(2), np.ones(2), None),
    (torch.ones(2), torch.ones(2), np.ones(2)),  # a keyword argument is converted too
])
def test_two_inputs_are_cast_and_converted_like_one(a, b, scale):
    out_a, out_b, out_scale = _Pair()(a, b, **({} if scale is None else {"scale": scale}))
    assert out_a.dtype == out_b.dtype == torch.float32 and isinstance(out_b, torch.Tensor)
    assert scale is None or (isinstance(out_scale, torch.Tensor) and out_scale.dtype == torch.float32)


def test_autocast_false_keeps_input_dtype():
    layer = layers.Identity(dtype="float64", autocast=False)
    assert layer(torch.ones(2)).dtype == torch.float32


def test_unconvertible_array_is_a_clear_error():
    layer = layers.Identity()
    with pytest.raises(ValueError, match='Layer "identity" could not convert an input'):
        layer(np.array(["a", "b"]))


# --------------------------------------------------------------- training
class TrainingProbe(tkl.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, x, training=None):
        self.seen.append(training)
        return x


class Outer(tkl.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = TrainingProbe()

    def call(self, x):  # does not take training: inner layers still inherit it
        return self.inner(x)


def test_training_resolution_order():
    probe = TrainingProbe()
    x = torch.ones(1)
    probe(x)
    probe.eval()
    probe(x)
    probe(x, training=True)
    assert probe.seen == [True, False, True]

    outer = Outer()
    outer.inner.eval()  # its own flag loses to the enclosing call's value
    outer(x, training=True)
    outer.train()
    outer.eval()
    outer(x)
    outer(x, training=False)
    assert outer.inner.seen == [True, False, False]


def test_training_not_passed_to_call_without_it():
    class NoTraining(tkl.Layer):
        def call(self, x):
            return x

    assert NoTraining()(torch.ones(1), training=True).item() == 1.0


def test_torch_hooks_still_run():
    layer = layers.Dense(2)
    calls = []
    layer.register_forward_hook(lambda module, args, output: calls.append(output.shape))
    layer(torch.ones(1, 3))
    with pytest.raises(ValueError, match="expected axis -1"):
        layer(torch.ones(1, 4))  # the spec pre-hook runs on the hooked path too
    assert calls == [(1, 2)]


# ------------------------------------------------------ construction errors
def test_unknown_keyword_arguments_name_class_and_arguments():
    with pytest.raises(TypeError, match=r"Dense.__init__\(\) got unexpected keyword argument\(s\) "
                       r"\['colour', 'size'\]"):
        layers.Dense(2, colour="red", size=3)


def test_forgetting_super_init_says_how_to_fix():
    class Forgetful(tkl.Layer):
        def __init__(self, units):
            self.units = units

    with pytest.raises(TypeError, match=r"Forgetful.__init__\(\) did not call super\(\).__init__\(\)"):
        Forgetful(3)

    class ForgetfulWithChild(tkl.Layer):
        def __init__(self):
            self.child = layers.Dense(2)

    with pytest.raises(TypeError, match=r"super\(\).__init__\(\*\*kwargs\)   # <- add this line"):
        ForgetfulWithChild()


def test_bad_name_and_input_shape():
    with pytest.raises(TypeError, match="name must be a string"):
        layers.Dense(2, name=3)
    with pytest.raises(ValueError, match="input_shape must be a tuple of ints"):
        layers.Dense(2, input_shape=10)


# ------------------------------------------------------------------ names
def test_auto_names_and_clear_session():
    assert [layers.Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert SimpleDense().name == "simple_dense"
    assert layers.Dense(1, name="mine").name == "mine"
    tkl.clear_session()
    assert layers.Dense(1).name == "dense"


def test_public_aliases():
    assert tkl.layers.Layer is tkl.Layer and tkl.layers.InputSpec is tkl.InputSpec


# --------------------------------------------------------- torch interplay
def test_works_inside_plain_torch_containers():
    model = nn.Sequential(layers.Dense(8, activation="relu"), nn.Linear(8, 2))
    assert model(torch.ones(4, 3)).shape == (4, 2)
    stack = nn.ModuleList([layers.Dense(2), layers.Dense(2)])
    assert stack[1](stack[0](torch.ones(1, 5))).shape == (1, 2)


def test_plain_torch_module_as_sub_layer():
    class Wrapper(tkl.Layer):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(3, 2)

        def call(self, x):
            return self.linear(x)

    layer = Wrapper()
    layer(torch.ones(1, 3))
    assert len(layer.weights) == 2 and layer.count_params() == 8
    layer.trainable = False
    assert not layer.linear.weight.requires_grad and layer.trainable_weights == []


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))])
def test_deepcopy_and_pickle_before_and_after_build(clone):
    layer = layers.Dense(3, activation="relu")
    unbuilt = clone(layer)
    assert not unbuilt.built and unbuilt(torch.ones(1, 2)).shape == (1, 3)
    x = torch.randn(4, 5)
    layer(x)
    copied = clone(layer)
    torch.testing.assert_close(copied(x), layer(x))
    with pytest.raises(ValueError, match="expected axis -1"):
        copied(torch.ones(1, 4))


def test_torch_save_whole_model(tmp_path):
    model = nn.Sequential(layers.Dense(4), layers.Dropout(0.1))
    x = torch.randn(2, 3)
    model.eval()
    expected = model(x)
    torch.save(model, tmp_path / "model.pt")
    loaded = torch.load(tmp_path / "model.pt", weights_only=False)
    torch.testing.assert_close(loaded(x), expected)


def test_layers_without_state_are_built_at_construction_as_in_keras():
    for layer in (layers.MaxPooling2D(), layers.Dropout(0.5), layers.ReLU(), layers.Activation("relu"),
                  layers.GlobalAveragePooling1D(), layers.Identity(), layers.GaussianNoise(0.1)):
        assert layer.built, type(layer).__name__
        assert layer.get_build_config() is None
    for layer in (layers.Dense(2), layers.Conv2D(2, 3), layers.Flatten(), layers.BatchNormalization()):
        assert not layer.built, type(layer).__name__

    class CustomBuild(layers.Dropout):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    assert not CustomBuild(0.5).built  # a subclass with its own build() builds lazily
