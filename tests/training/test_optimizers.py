"""``tkl.optimizers``: Keras's optimizers as torch optimizers, their options, schedules."""

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras
from torch_keraslike.optimizers import schedules


def weight(*values):
    return torch.nn.Parameter(torch.tensor(values, dtype=torch.float32))


def step(optimizer, param, grad):
    param.grad = torch.tensor(grad, dtype=torch.float32)
    optimizer.step()
    return param.detach().tolist()


# ------------------------------------------------------------ exact values
def test_clipnorm_clips_each_gradient_to_that_norm():
    w = weight(0.0, 0.0)
    opt = tkl.optimizers.SGD(learning_rate=1.0, clipnorm=1.0).create([w])
    assert step(opt, w, [3.0, 4.0]) == pytest.approx([-0.6, -0.8])  # norm 5 -> 1
    assert step(opt, w, [0.3, 0.4]) == pytest.approx([-0.9, -1.2])  # norm 0.5 unchanged


def test_global_clipnorm_clips_all_gradients_together():
    a, b = weight(0.0), weight(0.0)
    opt = tkl.optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0).create([a, b])
    a.grad, b.grad = torch.tensor([3.0]), torch.tensor([4.0])
    opt.step()
    assert a.item() == pytest.approx(-0.6) and b.item() == pytest.approx(-0.8)


def test_clipvalue_clips_each_value():
    w = weight(0.0, 0.0)
    opt = tkl.optimizers.SGD(learning_rate=1.0, clipvalue=0.5).create([w])
    assert step(opt, w, [3.0, -0.2]) == pytest.approx([-0.5, 0.2])


def test_gradient_accumulation_updates_every_n_steps_with_the_mean():
    w = weight(0.0)
    opt = tkl.optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=2).create([w])
    assert step(opt, w, [1.0]) == [0.0] and int(opt.iterations) == 0
    assert step(opt, w, [3.0]) == [-2.0] and int(opt.iterations) == 1  # mean of 1 and 3
    assert step(opt, w, [5.0]) == [-2.0]
    assert step(opt, w, [7.0]) == [-8.0] and int(opt.iterations) == 2


def test_accumulation_in_fit_gives_one_update_per_two_batches():
    model = tkl.Sequential([tkl.Input((1,)), tkl.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(tkl.optimizers.SGD(learning_rate=0.5, gradient_accumulation_steps=2), "mse")
    # Batches (x=1, y=1) and (x=1, y=3): gradients 2(w-1)=-2 and 2(w-3)=-6, mean -4.
    model.fit(np.array([[1.0], [1.0]]), np.array([[1.0], [3.0]]), batch_size=1, shuffle=False,
              epochs=1, verbose=0)
    assert model.layers[0].kernel.item() == pytest.approx(2.0)
    assert int(model.optimizer.iterations) == 1


def test_ema_averages_the_weights_and_fit_ends_on_the_average():
    w = weight(0.0)
    opt = tkl.optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5).create([w])
    step(opt, w, [1.0])  # w = -1, first average = w
    step(opt, w, [1.0])  # w = -2, average = 0.5 * -1 + 0.5 * -2
    assert w.item() == -2.0
    opt.finalize_variable_values()
    assert w.item() == -1.5
    overwrite = tkl.optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5,
                                   ema_overwrite_frequency=2).create([weight(0.0)])
    p = overwrite.param_groups[0]["params"][0]
    step(overwrite, p, [1.0])
    assert step(overwrite, p, [1.0]) == [-1.5]  # the second iteration copies the average in


def test_weight_decay_is_decoupled_as_in_keras():
    w = weight(1.0)
    opt = tkl.optimizers.SGD(learning_rate=0.1, weight_decay=0.5).create([w])
    assert step(opt, w, [0.0]) == pytest.approx([0.95])  # w - w * wd * lr
    bias = weight(1.0)
    excluded = tkl.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    excluded.exclude_from_weight_decay(var_list=[bias])
    excluded.create([bias])
    assert step(excluded, bias, [0.0]) == [1.0]


def test_loss_scale_factor_gives_the_same_training():
    def train(**kwargs):
        torch.manual_seed(0)
        model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(2)])
        model.compile(tkl.optimizers.SGD(learning_rate=0.1, **kwargs), "mse")
        model.fit(np.ones((8, 3)), np.ones((8, 2)), batch_size=4, epochs=2, verbose=0)
        return model.get_weights()

    for a, b in zip(train(), train(loss_scale_factor=128.0)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


# -------------------------------------------------------------- schedules
def test_schedules_compute_keras_values():
    assert schedules.ExponentialDecay(0.1, 10, 0.5)(20) == pytest.approx(0.025)
    assert schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)(19) == pytest.approx(0.05)
    assert schedules.CosineDecay(1.0, 10)(5) == pytest.approx(0.5)
    assert schedules.CosineDecay(1.0, 10, alpha=0.1)(10) == pytest.approx(0.1)
    assert schedules.CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=4)(2) == pytest.approx(0.5)
    decay = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [decay(s) for s in (0, 10, 11, 20, 21)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    with pytest.raises(ValueError, match="The length of boundaries should be 1 less than the length of values"):
        schedules.PiecewiseConstantDecay([10], [1.0])
    with pytest.raises(ValueError, match="Argument `decay_steps` must be > 0"):
        schedules.CosineDecay(1.0, 0)


def test_schedule_drives_param_groups_and_learning_rate_stays_assignable():
    w = weight(0.0)
    opt = tkl.optimizers.SGD(learning_rate=schedules.PiecewiseConstantDecay([1], [1.0, 0.1])).create([w])
    assert step(opt, w, [1.0]) == [-1.0]  # iteration 0: 1.0
    assert step(opt, w, [1.0]) == [-2.0]  # iteration 1 <= boundary 1: 1.0
    assert step(opt, w, [1.0]) == pytest.approx([-2.1])
    assert opt.learning_rate == pytest.approx(0.1) and opt.param_groups[0]["lr"] == pytest.approx(0.1)
    opt.learning_rate = 0.5  # a number replaces the schedule
    assert opt.learning_rate == 0.5 and opt.param_groups[0]["lr"] == 0.5
    assert step(opt, w, [1.0]) == pytest.approx([-2.6])


@pytest.mark.parametrize("name, kwargs", [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.3}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 30, "alpha": 0.2,
                     "warmup_target": 0.5, "warmup_steps": 5}),
    ("PiecewiseConstantDecay", {"boundaries": [3, 9], "values": [0.3, 0.2, 0.1]}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 9, "cycle": True}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 4}),
])
def test_schedules_match_keras(name, kwargs):
    keras = import_keras()
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    ours = getattr(schedules, name)(**kwargs)
    for s in range(0, 40, 3):
        assert ours(s) == pytest.approx(float(theirs(s)), rel=1e-5)
    assert schedules.deserialize(keras.optimizers.schedules.serialize(theirs)).get_config() == ours.get_config()


# ---------------------------------------------------------- Keras parity
@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {}), ("AdamW", {}), ("RMSprop", {"momentum": 0.5, "centered": True}), ("Adagrad", {}),
    ("Adadelta", {"learning_rate": 1.0}), ("Adamax", {}), ("Nadam", {}), ("Lion", {}), ("Adafactor", {}),
    ("SGD", {"learning_rate": 0.1, "weight_decay": 0.1, "clipnorm": 0.5}),
    ("Adam", {"global_clipnorm": 0.3, "weight_decay": 0.2, "use_ema": True, "ema_momentum": 0.5}),
    ("SGD", {"learning_rate": 0.5, "gradient_accumulation_steps": 2, "clipvalue": 0.3}),
])
def test_updates_match_keras(name, kwargs):
    keras = import_keras()
    rng = np.random.default_rng(0)
    start = rng.normal(size=(3, 4)).astype("float32")
    grads = [rng.normal(size=(3, 4)).astype("float32") for _ in range(5)]
    theirs, variable = getattr(keras.optimizers, name)(**kwargs), keras.Variable(start.copy())
    ours, param = getattr(tkl.optimizers, name)(**kwargs), torch.nn.Parameter(torch.tensor(start))
    for grad in grads:
        with warnings.catch_warnings():  # Keras 3.15's accumulation path trips a NumPy 2 deprecation
            warnings.simplefilter("ignore", DeprecationWarning)
            theirs.apply_gradients([(torch.tensor(grad), variable)])
        ours.apply_gradients([(torch.tensor(grad), param)])
    theirs.finalize_variable_values([variable])
    ours.finalize_variable_values()
    np.testing.assert_allclose(param.detach().numpy(), variable.value.detach().cpu().numpy(),
                               rtol=1e-5, atol=1e-6)
    iterations = theirs.iterations
    assert int(ours.iterations) == int(getattr(iterations, "value", iterations))


# ---------------------------------------------------------- the namespace
def test_model_optimizer_is_the_given_object_and_a_torch_optimizer():
    opt = tkl.optimizers.Adam(learning_rate=0.01, clipnorm=1.0)
    model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    model.compile(optimizer=opt, loss="mse")
    assert model.optimizer is opt and isinstance(opt, torch.optim.Adam)
    model.fit(np.ones((8, 3)), np.ones((8, 1)), batch_size=4, epochs=1, verbose=0)
    assert int(opt.iterations) == 2 and opt.learning_rate == 0.01
    opt.learning_rate = 0.005
    assert opt.param_groups[0]["lr"] == 0.005
    state = opt.state_dict()
    restored = tkl.optimizers.Adam(learning_rate=0.01, clipnorm=1.0).create(list(model.parameters()))
    restored.load_state_dict(state)
    assert int(restored.iterations) == 2 and restored.learning_rate == 0.005
    for obj in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        assert int(obj.iterations) == 2 and obj.clipnorm == 1.0


def test_apply_and_apply_gradients_are_keras_custom_training():
    model = tkl.Sequential([tkl.Input((2,)), tkl.layers.Dense(1, kernel_initializer="ones")])
    opt = tkl.optimizers.SGD(learning_rate=0.1)
    loss = model(torch.ones(4, 2)).square().mean()
    grads = torch.autograd.grad(loss, model.trainable_weights)
    assert int(opt.apply_gradients(zip(grads, model.trainable_weights))) == 1  # builds it first
    assert model.layers[0].kernel.detach().flatten().tolist() == pytest.approx([0.6, 0.6])
    opt.apply([torch.ones(2, 1), None], model.trainable_weights)  # None: that weight stays
    assert model.layers[0].kernel.detach().flatten().tolist() == pytest.approx([0.5, 0.5])
    with pytest.raises(ValueError, match=r"received 1 gradients for 2 variables"):
        opt.apply([torch.ones(2, 1)], model.trainable_weights)
    with pytest.raises(ValueError, match=r"are not among the variables it was built with"):
        opt.apply([torch.ones(3)], [torch.nn.Parameter(torch.zeros(3))])


def test_unbuilt_optimizers_and_bad_arguments_say_what_to_do():
    opt = tkl.optimizers.Adam()
    with pytest.raises(ValueError, match=r'Optimizer "adam" \(Adam\) is not built yet[\s\S]*'
                                         r"optimizer.build\(model.trainable_weights\)"):
        opt.step()
    with pytest.raises(ValueError, match="Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set"):
        tkl.optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="`gradient_accumulation_steps` must be an integer >= 2"):
        tkl.optimizers.SGD(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match=r"`ema_momentum` must be in the range \[0, 1\]"):
        tkl.optimizers.SGD(use_ema=True, ema_momentum=1.5)
    with pytest.raises(AttributeError, match="tkl.optimizers.Ftrl is not provided: torch has no FTRL optimizer"):
        tkl.optimizers.Ftrl  # noqa: B018
    assert not opt.built and opt.learning_rate == 0.001  # nothing changed


def test_get_serialize_deserialize_round_trip_and_keras_configs():
    sgd = tkl.optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.5), momentum=0.9,
                             clipnorm=2.0)
    config = tkl.optimizers.serialize(sgd)
    assert config["class_name"] == "SGD" and config["config"]["learning_rate"]["class_name"] == "ExponentialDecay"
    again = tkl.optimizers.deserialize(config)
    assert again.get_config() == sgd.get_config()
    assert isinstance(tkl.optimizers.get("rmsprop"), torch.optim.RMSprop)
    with pytest.raises(ValueError, match=r"Unknown optimizer class 'Ftrl' \(torch has no FTRL optimizer\)"):
        tkl.optimizers.deserialize({"class_name": "Ftrl", "config": {}})
    keras = import_keras()
    with warnings.catch_warnings():  # Keras 3.15 reads its learning rate through a NumPy 2 deprecation
        warnings.simplefilter("ignore", DeprecationWarning)
        theirs = keras.optimizers.serialize(keras.optimizers.Adam(learning_rate=0.02, beta_1=0.8, amsgrad=True))
    ours = tkl.optimizers.deserialize(theirs)
    assert (ours.learning_rate, ours.beta_1, ours.amsgrad) == (pytest.approx(0.02), 0.8, True)
