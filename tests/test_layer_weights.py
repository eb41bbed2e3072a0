"""Weights of a Layer: add_weight, placement, weight lists, losses, state dicts."""

import io

import numpy as np
import pytest
import torch
from torch import nn

import torch_keraslike as tkl
from torch_keraslike import layers

from test_layer import SimpleDense, _snapshot, assert_unchanged


class Block(tkl.Layer):
    """The second seed's UnetResBlockWithBuild pattern, with Dense for brevity:
    the residual projection exists only when the channel count changes."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.main = layers.Dense(units, activation="relu")
        self.res = None

    def build(self, input_shape):
        if input_shape[-1] != self.units:
            self.res = layers.Dense(self.units, use_bias=False)
        super().build(input_shape)

    def call(self, x):
        shortcut = x if self.res is None else self.res(x)
        return self.main(x) + shortcut


# ------------------------------------------------------------------ add_weight
def test_add_weight_kinds_and_state_dict_keys():
    class Stateful(tkl.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], 2), name="k")
            self.count = self.add_weight(shape=(), dtype="int64", trainable=False, name="count")
            self.add_weight(shape=(2,), initializer="ones", name="unassigned")

        def call(self, x):
            return x @ self.kernel

    layer = Stateful()
    layer(torch.ones(1, 3))
    assert isinstance(layer.kernel, nn.Parameter) and layer.kernel.requires_grad
    # Non-trainable state is a buffer: never in parameters(), never requires grad.
    assert not layer.count.requires_grad and layer.count.dtype == torch.int64
    assert "count" in dict(layer.named_buffers()) and "count" not in dict(layer.named_parameters())
    assert list(layer.state_dict()) == ["kernel", "unassigned", "count", "_extra_state"]
    # Keras order: trainable then non-trainable.
    assert [tuple(w.shape) for w in layer.weights] == [(3, 2), (2,), ()]
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 1


def test_add_weight_initializers_regularizer_and_callable():
    class Init(tkl.Layer):
        def build(self, input_shape):
            self.a = self.add_weight(shape=(2, 2), initializer="ones")
            self.b = self.add_weight(shape=(3,), initializer=tkl.initializers.Constant(2.0))
            self.c = self.add_weight(shape=(2,), initializer=lambda shape, dtype: torch.full(shape, 5.0, dtype=dtype))
            self.d = self.add_weight(shape=(2, 2), regularizer="l2")

        def call(self, x):
            return x

    layer = Init()
    layer(torch.ones(1))
    assert layer.a.sum().item() == 4 and layer.b.tolist() == [2.0] * 3 and layer.c.tolist() == [5.0, 5.0]
    (loss,) = layer.losses
    torch.testing.assert_close(loss, 0.01 * (layer.d ** 2).sum())


def test_default_initializers_follow_keras():
    class Defaults(tkl.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(200, 300))
            self.i = self.add_weight(shape=(4,), dtype="int32", trainable=False)

        def call(self, x):
            return x

    layer = Defaults()
    layer(torch.ones(1))
    limit = (6 / (200 + 300)) ** 0.5  # glorot_uniform
    assert layer.w.abs().max() <= limit and layer.w.abs().max() > 0.9 * limit
    assert layer.i.tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"shape": (None, 3)}, "needs a fully defined shape"),
        ({"shape": (2,), "dtype": "int32"}, "only floating weights can be trained"),
        ({"shape": (2,), "initializer": "no_such_init"}, "no_such_init"),
        ({"shape": (2,), "initializer": lambda s, d: torch.zeros(3)}, "returned shape (3,), expected (2,)"),
    ],
)
def test_add_weight_bad_arguments(kwargs, message):
    class Bad(tkl.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(**kwargs)

        def call(self, x):
            return x

    layer = Bad()
    before = _snapshot(layer)
    with pytest.raises(ValueError) as info:
        layer(torch.ones(1, 2))
    assert message in str(info.value)
    assert_unchanged(layer, before)


def test_add_weight_and_sub_layer_after_build_are_rejected():
    class Late(tkl.Layer):
        def call(self, x):
            self.w = self.add_weight(shape=(2,))
            return x

    layer = Late()
    with pytest.raises(ValueError, match=r"all state must be created in __init__\(\) or build\(\)"):
        layer(torch.ones(2))
    assert layer.built and layer.weights == []

    dense = layers.Dense(2)
    dense(torch.ones(1, 2))
    before = _snapshot(dense)
    with pytest.raises(ValueError, match=r"creating sub-layer 'extra'.*all state must be created"):
        dense.extra = layers.Dense(3)
    with pytest.raises(ValueError, match="adding weight 'late'"):
        dense.add_weight(shape=(1,), name="late")
    assert_unchanged(dense, before)


def test_add_weight_in_init_is_allowed():
    class Eager(tkl.Layer):
        def __init__(self):
            super().__init__()
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

        def call(self, x):
            return x * self.scale

    layer = Eager()
    assert list(layer.state_dict()) == ["scale", "_extra_state"]
    assert layer(torch.full((2,), 3.0)).tolist() == [3.0, 3.0]


# ------------------------------------------------------------ sub-layers
def test_sub_layers_created_in_build_are_tracked():
    block = Block(4)
    assert block.res is None
    block(torch.ones(2, 3))
    assert isinstance(block.res, layers.Dense)
    keys = [k for k in block.state_dict() if not k.endswith("_extra_state")]
    assert keys == ["main.kernel", "main.bias", "res.kernel"]
    assert {n for n, _ in block.named_parameters()} == set(keys)
    same = Block(3)
    same(torch.ones(2, 3))
    assert same.res is None


def test_placement_before_build_applies_to_weights_and_sub_layers():
    block = Block(4).double()
    assert block.dtype == "float64"
    out = block(torch.ones(2, 3))  # float32 input, cast to the layer's dtype
    assert out.dtype == torch.float64
    assert all(w.dtype == torch.float64 for w in block.weights)
    assert block.res.dtype == "float64"

    meta = Block(4).to("meta")
    meta(torch.ones(2, 3, device="meta"))
    assert all(w.device.type == "meta" for w in meta.weights)


def test_symbolic_builds_are_real_and_meta_inputs_build_shape_only_layers():
    # Builds from configs and shape inference (fake tensors) create real weights.
    layer = layers.Dense(2)
    layer.build_from_config({"input_shape": [None, 3]})
    assert layer.kernel.device.type == "cpu"
    symbolic = layers.Dense(2)
    symbolic(tkl.Input((3,)))
    assert symbolic.kernel.device.type == "cpu" and symbolic._tkl_device is None
    # A real meta input builds a shape-only layer (torch's meta-device workflow).
    unplaced = layers.Dense(2)
    out = unplaced(torch.ones(1, 3, device="meta"))
    assert out.device.type == "meta" and out.shape == (1, 2)
    assert unplaced.kernel.device.type == "meta"


def test_dtype_after_build_changes_compute_dtype():
    layer = layers.Dense(2)
    layer(torch.ones(1, 3))
    layer.to(torch.float64)
    assert layer.kernel.dtype == torch.float64 and layer(torch.ones(1, 3)).dtype == torch.float64
    layer.half()
    assert layer.dtype == "float16" and layer.kernel.dtype == torch.float16


def test_layer_dtype_argument():
    layer = layers.Dense(2, dtype="float64")
    assert layer(np.ones((1, 3), dtype=np.float32)).dtype == torch.float64
    with pytest.raises(ValueError, match="Invalid dtype of Dense"):
        layers.Dense(2, dtype="float99")


# ------------------------------------------------------------ trainable
def test_trainable_freezes_recursively():
    block = Block(4)
    block(torch.ones(1, 3))
    block.trainable = False
    assert block.trainable_weights == [] and len(block.non_trainable_weights) == 3
    assert not block.main.trainable and not any(p.requires_grad for p in block.parameters())
    block.trainable = True
    assert len(block.trainable_weights) == 3
    frozen = layers.Dense(2, trainable=False)
    frozen(torch.ones(1, 3))
    assert frozen.trainable_weights == [] and not frozen.kernel.requires_grad


def test_count_params():
    layer = layers.Dense(3)
    before = _snapshot(layer)
    with pytest.raises(ValueError, match=r'count_params\(\) on layer "dense", but the layer is not built'):
        layer.count_params()
    assert_unchanged(layer, before)
    layer(torch.ones(1, 4))
    assert layer.count_params() == 4 * 3 + 3


def test_unbuilt_parameters_warn():
    layer = layers.Dense(3)
    with pytest.warns(tkl.UnbuiltLayerWarning, match=r'Layer "dense" is not built yet.*layer.build\(input_shape\)'):
        params = list(layer.parameters())
    assert params == []
    layer.build((None, 2))
    assert len(list(layer.parameters())) == 2  # no warning once built (warnings are errors)


# ------------------------------------------------------------ get/set weights
def test_get_and_set_weights_in_keras_order():
    block = Block(4)
    block(torch.randn(2, 3))
    arrays = block.get_weights()
    assert [a.shape for a in arrays] == [(3, 4), (4,), (3, 4)]
    other = Block(4)
    other(torch.randn(2, 3))
    other.set_weights(arrays)
    x = torch.randn(5, 3)
    torch.testing.assert_close(other(x), block(x))


def test_set_weights_errors_leave_layer_unchanged():
    layer = layers.Dense(2)
    layer(torch.ones(1, 3))
    before = _snapshot(layer)
    with pytest.raises(ValueError, match=r'set_weights\(weights\)` on layer "dense" with a weight list of '
                       r"length 1, but the layer was expecting 2 weights"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"Layer dense weight shape \(2,\) is not compatible with provided "
                       r"weight shape \(3,\)"):
        layer.set_weights([np.zeros((3, 2)), np.zeros(3)])
    assert_unchanged(layer, before)


# ----------------------------------------------------------------- losses
def test_activity_regularizer_and_add_loss_follow_latest_call():
    class Penalized(tkl.Layer):
        def call(self, x):
            self.add_loss(x.sum())
            return x

    layer = layers.Dense(2, activity_regularizer="l1", kernel_regularizer="l2")
    x = torch.ones(4, 3)
    out = layer(x)
    activity, = [loss for loss in layer.losses if loss.ndim == 0][:1]
    torch.testing.assert_close(activity, 0.01 * out.abs().sum() / 4)
    assert len(layer.losses) == 2
    layer(x)
    assert len(layer.losses) == 2  # the previous call's activity loss is gone

    penalized = Penalized()
    penalized(torch.ones(2))
    penalized(torch.ones(3))
    assert [loss.item() for loss in penalized.losses] == [3.0]


def test_constraints_apply_after_optimizer_steps():
    layer = layers.Dense(2, kernel_constraint="non_neg")
    layer(torch.ones(1, 3))
    optimizer = torch.optim.SGD(layer.parameters(), lr=10.0)
    layer(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    assert (layer.kernel >= 0).all() and layer.bias.min() < 0


# ------------------------------------------------------------ config
def test_config_round_trips():
    layer = layers.Dense(5, activation="relu", use_bias=False, kernel_regularizer="l2", name="d")
    clone = layers.Dense.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    custom = SimpleDense(7, name="s")
    assert custom.get_config() == {"name": "s", "trainable": True, "dtype": "float32", "units": 7}
    assert SimpleDense.from_config(custom.get_config()).units == 7


def test_config_of_unserializable_arguments_says_what_to_do():
    class Holder(tkl.Layer):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

    with pytest.raises(NotImplementedError, match=r"override get_config\(\)"):
        Holder(lambda x: x).get_config()


def test_build_config_round_trip():
    layer = layers.Dense(3)
    layer(torch.ones(2, 4))
    fresh = layers.Dense.from_config(layer.get_config())
    fresh.build_from_config(layer.get_build_config())
    assert fresh.built and fresh.kernel.shape == (4, 3)


# ------------------------------------------------------------ state dicts
def test_unbuilt_layer_loads_checkpoint_and_builds():
    block = Block(4)
    x = torch.randn(3, 6)
    expected = block(x)
    fresh = Block(4)
    assert not fresh.built
    fresh.load_state_dict(block.state_dict())
    assert fresh.built and fresh.res is not None
    torch.testing.assert_close(fresh(x), expected)


def test_checkpoint_through_torch_save_weights_only(tmp_path):
    model = nn.Sequential(Block(4), layers.Dense(2))
    x = torch.randn(3, 5)
    expected = model(x)
    path = tmp_path / "ckpt.pt"
    torch.save(model.state_dict(), path)
    state = torch.load(path, weights_only=True)
    fresh = nn.Sequential(Block(4), layers.Dense(2))  # a plain torch container
    fresh.load_state_dict(state)
    torch.testing.assert_close(fresh(x), expected)


def test_checkpoint_with_mismatched_shapes_names_key_and_changes_nothing():
    source = layers.Dense(4)
    source(torch.ones(1, 5))
    built = layers.Dense(3)
    built(torch.ones(1, 5))
    before = _snapshot(built)
    with pytest.raises(tkl.StateDictMismatchError) as info:
        built.load_state_dict(source.state_dict())
    message = str(info.value)
    assert "size mismatch for 'kernel': expected shape (5, 3), received shape (5, 4)" in message
    assert "size mismatch for 'bias': expected shape (3,), received shape (4,)" in message
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, ValueError)
    assert_unchanged(built, before)

    unbuilt = layers.Dense(3)
    before = _snapshot(unbuilt)
    with pytest.raises(ValueError, match="size mismatch for 'kernel'"):
        unbuilt.load_state_dict(source.state_dict())
    assert_unchanged(unbuilt, before)


def test_missing_and_unexpected_keys_change_nothing():
    layer = layers.Dense(2)
    layer(torch.ones(1, 3))
    before = _snapshot(layer)
    state = layer.state_dict()
    del state["bias"]
    state["extra"] = torch.zeros(1)
    with pytest.raises(ValueError, match=r"missing key 'bias'[\s\S]*unexpected key 'extra'"):
        layer.load_state_dict(state)
    assert_unchanged(layer, before)
    layer.load_state_dict({"kernel": torch.zeros(3, 2)}, strict=False)
    assert layer.kernel.abs().sum() == 0


def test_state_dict_serializes_before_build():
    buffer = io.BytesIO()
    torch.save(layers.Dense(2).state_dict(), buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    assert list(loaded) == ["_extra_state"] and loaded["_extra_state"].numel() == 0


# --------------------------------------------------------- hardening (issue 9)
def test_load_state_dict_failing_on_the_last_key_changes_nothing():
    model = tkl.Sequential([tkl.Input((3,)), layers.Dense(4), layers.Dense(2)])
    before = {k: v.clone() for k, v in model.state_dict().items() if not k.endswith("_extra_state")}
    checkpoint = {k: v if k.endswith("_extra_state") else torch.full_like(v, 7.0)
                  for k, v in model.state_dict().items()}
    last = list(before)[-1]
    for bad in (torch.empty(checkpoint[last].shape, device="meta"),
                torch.ones(checkpoint[last].shape, dtype=torch.complex64)):
        state = dict(checkpoint, **{last: bad})
        with pytest.raises(tkl.StateDictMismatchError, match=repr(last)):
            model.load_state_dict(state)
        for key, value in before.items():
            torch.testing.assert_close(model.state_dict()[key], value)
    model.load_state_dict(checkpoint)  # the good one still loads
    assert float(model.layers[1].bias.detach()[0]) == 7.0


def test_load_state_dict_converts_dtypes_before_copying():
    layer = layers.Dense(2)
    layer(torch.ones(1, 3))
    state = {k: v.double() if isinstance(v, torch.Tensor) else v for k, v in layer.state_dict().items()}
    layer.load_state_dict(state)
    assert layer.kernel.dtype == torch.float32


def test_failed_build_leaves_no_regularizer_or_constraint_behind():
    class Flaky(tkl.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.fail = True

        def build(self, input_shape):
            if self.fail:
                self.kernel = self.add_weight(shape=(input_shape[-1], 2), regularizer="l2",
                                              constraint="non_neg")
                raise RuntimeError("build failed half way")
            self.kernel = self.add_weight(shape=(input_shape[-1], 2), initializer="ones")

        def call(self, x):
            return x @ self.kernel

    layer = Flaky()
    with pytest.raises(RuntimeError, match="half way"):
        layer(torch.ones(1, 3))
    assert not layer.built and layer._tkl_weight_meta == {} and layer._tkl_weight_ids == {}
    layer.fail = False
    layer(torch.ones(1, 3))
    assert layer.losses == []  # no L2 penalty inherited from the failed build
    with torch.no_grad():
        layer.kernel.fill_(-1.0)
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.0)
    layer(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    assert float(layer.kernel.detach().min()) == -1.0  # no non_neg constraint inherited either


def test_set_weights_refuses_complex_values():
    layer = layers.Dense(2)
    layer(torch.ones(1, 3))
    before = layer.get_weights()
    weights = [w.astype("complex64") for w in before]
    with pytest.raises(ValueError, match=r"complex array .* for weight 'kernel'.*imaginary part"):
        layer.set_weights(weights)
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_weights_have_keras_variable_api_and_stay_plain_torch_weights():
    bn = layers.BatchNormalization(name="bn")
    bn(torch.randn(4, 3))
    owner = tkl.Sequential([tkl.Input((3,)), layers.Dense(2, name="proj")])
    kernel = owner.layers[0].kernel
    assert type(kernel) is nn.Parameter and type(bn.moving_mean) is torch.Tensor  # no subclass
    assert [w.path for w in bn.weights] == ["bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance"]
    assert kernel.path == "proj/kernel"
    # assign / assign_add / assign_sub: in place, no gradient, shape-checked; numpy().
    assert kernel.assign(np.zeros((3, 2))) is kernel and kernel.grad_fn is None
    kernel.assign_add(torch.ones(3, 2))
    bn.moving_mean.assign_sub([1.0, 1.0, 1.0])
    np.testing.assert_array_equal(kernel.numpy(), np.ones((3, 2), "float32"))
    assert kernel.requires_grad
    with pytest.raises(ValueError, match=r"variable.assign\(value\)` must match. variable.shape=\(3, 2\), "
                                         r"Received: value.shape=\(2, 2\). Target variable: proj/kernel"):
        kernel.assign(np.zeros((2, 2)))
    np.testing.assert_array_equal(kernel.numpy(), np.ones((3, 2), "float32"))  # unchanged
    # Moves, copies, pickles and reassignments keep the API bound to the new tensors.
    bn.to(torch.float64)
    assert bn.moving_mean.path == "bn/moving_mean"
    np.testing.assert_array_equal(bn.moving_mean.assign([2.0, 2.0, 2.0]).numpy(), [2.0, 2.0, 2.0])
    import copy

    clone = copy.deepcopy(owner)
    clone.layers[0].kernel.assign(np.zeros((3, 2)))
    assert clone.layers[0].kernel.path == "proj/kernel" and float(kernel.detach().sum()) == 6.0
    buffer = io.BytesIO()
    torch.save(owner, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False).layers[0].kernel
    assert loaded.path == "proj/kernel" and loaded.assign_sub(np.ones((3, 2))).numpy().sum() == 0
    bn.load_state_dict(dict(bn.state_dict()), assign=True)
    assert bn.moving_mean.path == "bn/moving_mean" and bn.moving_mean.numpy().tolist() == [2.0, 2.0, 2.0]
    assert "moving_mean" in dict(bn.named_buffers()) and "moving_mean" not in dict(bn.named_parameters())
    # state_dict values are plain tensors: weights_only loading is unaffected.
    buffer = io.BytesIO()
    torch.save(owner.state_dict(), buffer)
    buffer.seek(0)
    assert set(torch.load(buffer, weights_only=True)) == set(owner.state_dict())
