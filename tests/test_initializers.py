import json
import math

import numpy as np
import pytest
import torch

from torch_keraslike import initializers as I

TRUNC_STD = 0.87962566103423978  # std of a unit normal truncated at +-2
BIG = (200, 500)  # 100k samples: sample mean/std errors well below the tolerances used


def stats(w):
    w = w.double()
    return float(w.mean()), float(w.std())


# --------------------------------------------------------------------------- fans

@pytest.mark.parametrize("shape, fans", [
    ((), (1, 1)),
    ((7,), (7, 7)),
    ((3, 5), (3, 5)),
    ((4, 3, 5), (12, 20)),
    ((2, 4, 3, 5), (24, 40)),
])
def test_compute_fans_ranks_0_to_4(shape, fans):
    assert I.compute_fans(shape) == fans
    assert I.compute_fans(list(shape)) == fans


def test_compute_fans_accepts_numpy_ints_and_torch_size():
    assert I.compute_fans((np.int64(3), np.int32(5))) == (3, 5)
    assert I.compute_fans(torch.Size([2, 3, 4])) == (6, 8)


@pytest.mark.parametrize("bad", [(2, -1), (2.5, 3), "ab", None, (True, 2)])
def test_bad_shapes_are_rejected(bad):
    with pytest.raises(ValueError, match="non-negative ints") as e:
        I.RandomNormal()(bad)
    assert "RandomNormal" in str(e.value) and repr(bad) in str(e.value)


# --------------------------------------------------------------------------- constants

@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "bool", "float16"])
def test_zeros_ones_any_dtype(dtype):
    z, o = I.Zeros()((2, 3), dtype=dtype), I.Ones()((2, 3), dtype=dtype)
    assert z.dtype == o.dtype == getattr(torch, dtype)
    assert z.shape == (2, 3) and not z.any() and o.all()


def test_constant_values_and_dtypes():
    assert I.Constant(2.5)((2, 2)).tolist() == [[2.5, 2.5], [2.5, 2.5]]
    assert I.Constant(7)((3,), dtype="int64").tolist() == [7, 7, 7]
    assert I.Constant(np.float32(1.5))((1,)).item() == 1.5
    assert I.Constant(torch.tensor(3.0))((1,)).item() == 3.0
    assert I.Constant()((2,)).tolist() == [0.0, 0.0]
    assert I.Constant(1.0)((), dtype=torch.float64).dtype == torch.float64
    assert I.Constant(4.0).get_config() == {"value": 4.0}


@pytest.mark.parametrize("bad", ["a", None, [1, 2], np.ones(3)])
def test_constant_rejects_non_scalars(bad):
    with pytest.raises(ValueError, match="Constant expected `value` to be a Python number"):
        I.Constant(bad)


def test_identity():
    assert torch.equal(I.Identity()((3, 3)), torch.eye(3))
    assert torch.equal(I.Identity(gain=2.0)((2, 3)), 2.0 * torch.eye(2, 3))
    assert I.Identity()((2, 2), dtype="int32").dtype == torch.int32
    with pytest.raises(ValueError, match=r"2-D.*shape=\(2, 2, 2\) of rank 3"):
        I.Identity()((2, 2, 2))
    with pytest.raises(ValueError, match="gain"):
        I.Identity(gain="big")


# --------------------------------------------------------------------------- statistics

def test_random_normal_statistics():
    m, s = stats(I.RandomNormal(mean=1.0, stddev=2.0, seed=1)(BIG))
    assert abs(m - 1.0) < 0.03 and abs(s - 2.0) < 0.03
    m, s = stats(I.RandomNormal()(BIG))  # defaults mean 0, stddev 0.05
    assert abs(m) < 1e-3 and abs(s - 0.05) < 1e-3


def test_random_uniform_statistics():
    w = I.RandomUniform(minval=-1.0, maxval=3.0, seed=2)(BIG)
    assert float(w.min()) >= -1.0 and float(w.max()) < 3.0
    assert float(w.min()) < -0.99 and float(w.max()) > 2.99
    m, s = stats(w)
    assert abs(m - 1.0) < 0.03 and abs(s - 4.0 / math.sqrt(12)) < 0.02
    w = I.RandomUniform()(BIG)
    assert float(w.abs().max()) <= 0.05


def test_truncated_normal_statistics():
    w = I.TruncatedNormal(mean=0.5, stddev=2.0, seed=3)(BIG)
    assert float(w.min()) >= 0.5 - 4.0 and float(w.max()) <= 0.5 + 4.0
    assert float(w.min()) < 0.5 - 3.9 and float(w.max()) > 0.5 + 3.9
    m, s = stats(w)
    assert abs(m - 0.5) < 0.03 and abs(s - 2.0 * TRUNC_STD) < 0.03


def expected_n(shape, mode):
    fan_in, fan_out = I.compute_fans(shape)
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_statistics(mode, distribution):
    shape = (5, 5, 40, 100)  # fan_in 1000, fan_out 2500
    scale = 3.0
    w = I.VarianceScaling(scale=scale, mode=mode, distribution=distribution, seed=4)(shape)
    assert w.shape == shape and w.dtype == torch.float32
    std = math.sqrt(scale / expected_n(shape, mode))
    m, s = stats(w)
    assert abs(m) < 0.01 * std * 5 and abs(s - std) < 0.02 * std
    if distribution == "uniform":
        limit = math.sqrt(3 * scale / expected_n(shape, mode))
        assert float(w.abs().max()) <= limit and float(w.abs().max()) > 0.99 * limit
    elif distribution == "truncated_normal":
        bound = 2 * std / TRUNC_STD
        assert float(w.abs().max()) <= bound * (1 + 1e-6) and float(w.abs().max()) > 0.98 * bound
    else:
        assert float(w.abs().max()) > 3.5 * std  # genuinely untruncated


def test_variance_scaling_fan_is_at_least_one():
    w = I.VarianceScaling(scale=1.0, distribution="uniform", seed=0)((0, 4))
    assert w.shape == (0, 4)
    w = I.VarianceScaling(scale=0.25, mode="fan_in", distribution="uniform")(())
    assert abs(float(w)) <= math.sqrt(0.75)


def test_variance_scaling_normal_alias_and_case():
    assert I.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    assert I.VarianceScaling(distribution="UNIFORM").distribution == "uniform"


PRESETS = {
    "GlorotUniform": (1.0, "fan_avg", "uniform"),
    "GlorotNormal": (1.0, "fan_avg", "truncated_normal"),
    "HeNormal": (2.0, "fan_in", "truncated_normal"),
    "HeUniform": (2.0, "fan_in", "uniform"),
    "LecunNormal": (1.0, "fan_in", "truncated_normal"),
    "LecunUniform": (1.0, "fan_in", "uniform"),
}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_match_variance_scaling(name):
    scale, mode, distribution = PRESETS[name]
    init = getattr(I, name)(seed=5)
    assert isinstance(init, I.VarianceScaling)
    assert (init.scale, init.mode, init.distribution) == (scale, mode, distribution)
    assert init.get_config() == {"seed": 5}
    ref = I.VarianceScaling(scale=scale, mode=mode, distribution=distribution, seed=5)
    shape = (300, 200)
    assert torch.equal(init(shape), ref(shape))
    std = math.sqrt(scale / expected_n(shape, mode))
    assert abs(stats(init(shape))[1] - std) < 0.02 * std


# --------------------------------------------------------------------------- orthogonal

@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (2, 3, 4), (3, 3, 2, 8)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal(shape, gain):
    w = I.Orthogonal(gain=gain, seed=6)(shape, dtype="float64")
    assert w.shape == shape and w.dtype == torch.float64
    m = w.reshape(-1, shape[-1])
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    assert torch.allclose(gram, gain ** 2 * torch.eye(gram.shape[0], dtype=torch.float64),
                          atol=1e-10)


def test_orthogonal_float32_half_and_errors():
    w = I.Orthogonal()((32, 32))
    assert torch.allclose(w.T @ w, torch.eye(32), atol=1e-5)
    assert I.Orthogonal(seed=1)((4, 4), dtype="bfloat16").dtype == torch.bfloat16
    assert I.Orthogonal()((0, 3)).shape == (0, 3)
    with pytest.raises(ValueError, match=r"rank >= 2.*shape=\(5,\) of rank 1"):
        I.Orthogonal()((5,))


# --------------------------------------------------------------------------- seeds

RANDOM = [
    lambda s: I.RandomNormal(seed=s), lambda s: I.RandomUniform(seed=s),
    lambda s: I.TruncatedNormal(seed=s), lambda s: I.VarianceScaling(seed=s),
    lambda s: I.GlorotUniform(seed=s), lambda s: I.HeNormal(seed=s),
    lambda s: I.Orthogonal(seed=s),
]


@pytest.mark.parametrize("make", RANDOM)
def test_seeded_initializers_are_deterministic(make):
    init = make(1234)
    a, b = init((8, 9)), init((8, 9))
    assert torch.equal(a, b)  # same values on every call, as in Keras 3
    assert torch.equal(a, make(1234)((8, 9)))
    assert not torch.equal(a, make(4321)((8, 9)))
    torch.manual_seed(0)
    before = torch.rand(3)
    make(1)((8, 9))  # a seeded draw leaves the global RNG alone
    torch.manual_seed(0)
    assert torch.equal(before, torch.rand(3))


@pytest.mark.parametrize("make", RANDOM)
def test_unseeded_use_global_rng(make):
    init = make(None)
    torch.manual_seed(7)
    a, b = init((8, 9)), init((8, 9))
    assert not torch.equal(a, b)
    torch.manual_seed(7)
    assert torch.equal(a, init((8, 9)))


@pytest.mark.parametrize("bad", [1.5, "3", True, 2 ** 64])
def test_bad_seed(bad):
    with pytest.raises(ValueError, match=r"seed.*Python int.*received seed="):
        I.RandomNormal(seed=bad)


# --------------------------------------------------------------------------- dtype / device

@pytest.mark.parametrize("dtype, expected", [
    ("float64", torch.float64), (torch.float16, torch.float16), ("bfloat16", torch.bfloat16),
    (np.dtype("float32"), torch.float32), (np.float64, torch.float64),
])
def test_dtypes(dtype, expected):
    for init in (I.RandomNormal(seed=1), I.TruncatedNormal(), I.HeUniform(), I.Orthogonal(),
                 I.Zeros(), I.Constant(1.0)):
        assert init((4, 4), dtype=dtype).dtype == expected


def test_half_precision_seeded_matches_float32():
    a = I.GlorotNormal(seed=9)((16, 16), dtype="float16")
    b = I.GlorotNormal(seed=9)((16, 16), dtype="float32")
    assert torch.allclose(a.float(), b, atol=1e-3)


def test_default_dtype_follows_torch():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        assert I.GlorotUniform()((2, 2)).dtype == torch.float64
        assert I.Zeros()((2,)).dtype == torch.float64
    finally:
        torch.set_default_dtype(old)


@pytest.mark.parametrize("name", ["RandomNormal", "RandomUniform", "TruncatedNormal",
                                  "VarianceScaling", "GlorotUniform", "HeNormal", "Orthogonal"])
@pytest.mark.parametrize("dtype", ["int32", torch.int64, "bool"])
def test_random_initializers_reject_non_float(name, dtype):
    with pytest.raises(ValueError) as e:
        getattr(I, name)()((3, 3), dtype=dtype)
    msg = str(e.value)
    assert name in msg and "floating-point" in msg and "'float32'" in msg
    assert str(dtype).replace("torch.", "") in msg


def test_unknown_dtype_name():
    with pytest.raises(ValueError, match="dtype for HeNormal"):
        I.HeNormal()((2, 2), dtype="float99")


# Orthogonal (QR) and Identity (eye) are left out: their meta kernels cost ~1-2 s of
# one-time torch set-up.
@pytest.mark.parametrize("make", RANDOM[:-1] + [lambda s: I.Zeros(), lambda s: I.Ones()])
def test_seeded_draws_move_to_device(make):
    w = make(3)((4, 5), device="meta")
    assert w.device.type == "meta" and w.shape == (4, 5)


@pytest.mark.parametrize("make", RANDOM)
def test_unseeded_draws_are_made_on_the_device(make, monkeypatch):
    # Spy on the allocation: without a seed the device must be passed straight through
    # (no CPU round trip). The real draw happens on CPU to keep the test cheap.
    seen = []
    real_empty = torch.empty

    def spy(*args, **kwargs):
        seen.append(kwargs.get("device"))
        return real_empty(*args, **{**kwargs, "device": "cpu"})
    monkeypatch.setattr(torch, "empty", spy)
    make(None)((4, 5), device=torch.device("meta"))
    assert seen == [torch.device("meta")]


def test_cpu_device_argument():
    for device in ("cpu", torch.device("cpu")):
        assert I.HeNormal(seed=2)((3, 3), device=device).device.type == "cpu"
        assert I.HeNormal()((3, 3), device=device).device.type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_device():
    a = I.HeNormal(seed=2)((3, 3), device="cuda")
    assert a.device.type == "cuda"
    assert torch.equal(a.cpu(), I.HeNormal(seed=2)((3, 3)))
    assert I.Orthogonal()((5, 5), device="cuda").device.type == "cuda"


# --------------------------------------------------------------------------- validation

@pytest.mark.parametrize("build, pattern", [
    (lambda: I.RandomNormal(stddev=-1.0), r"RandomNormal expected `stddev` >= 0.*stddev=-1.0"),
    (lambda: I.TruncatedNormal(stddev=-0.1), r"TruncatedNormal expected `stddev`"),
    (lambda: I.RandomNormal(mean="a"), r"`mean` to be a finite number.*mean='a'"),
    (lambda: I.RandomNormal(stddev=float("nan")), r"`stddev` to be a finite number"),
    (lambda: I.RandomUniform(minval=1.0, maxval=0.0), r"minval <= maxval.*minval=1.0.*Swap"),
    (lambda: I.VarianceScaling(scale=0.0), r"`scale` > 0.0.*scale=0.0.*positive"),
    (lambda: I.VarianceScaling(scale=-2), r"`scale` > 0.0.*scale=-2"),
    (lambda: I.VarianceScaling(mode="fan_max"), r"one of \['fan_in', 'fan_out', 'fan_avg'\]"),
    (lambda: I.VarianceScaling(distribution="cauchy"),
     r"truncated_normal.*untruncated_normal.*uniform.*distribution='cauchy'"),
    (lambda: I.Orthogonal(gain=None), r"Orthogonal expected `gain`.*gain=None"),
])
def test_constructor_validation(build, pattern):
    with pytest.raises(ValueError, match=pattern):
        build()


def test_random_uniform_equal_bounds_is_constant():
    assert torch.equal(I.RandomUniform(0.5, 0.5)((3,)), torch.full((3,), 0.5))


def test_base_initializer_is_abstract():
    with pytest.raises(NotImplementedError):
        I.Initializer()((2,))


# --------------------------------------------------------------------------- get / serialize

SNAKE = {
    "zeros": I.Zeros, "ones": I.Ones, "constant": I.Constant, "identity": I.Identity,
    "random_normal": I.RandomNormal, "random_uniform": I.RandomUniform,
    "truncated_normal": I.TruncatedNormal, "variance_scaling": I.VarianceScaling,
    "glorot_uniform": I.GlorotUniform, "glorot_normal": I.GlorotNormal,
    "he_normal": I.HeNormal, "he_uniform": I.HeUniform, "lecun_normal": I.LecunNormal,
    "lecun_uniform": I.LecunUniform, "orthogonal": I.Orthogonal,
}


@pytest.mark.parametrize("name", sorted(SNAKE))
def test_get_snake_and_camel_names(name):
    cls = SNAKE[name]
    a, b = I.get(name), I.get(name)
    assert type(a) is cls and a is not b  # a new default instance each time
    assert type(I.get(cls.__name__)) is cls
    assert I.ALL_OBJECTS_DICT[name] is cls and cls in I.ALL_OBJECTS


@pytest.mark.parametrize("init", [
    I.Zeros(), I.Ones(), I.Constant(0.3), I.Identity(gain=0.5),
    I.RandomNormal(1.0, 0.2, seed=1), I.RandomUniform(-2.0, 1.0, seed=2),
    I.TruncatedNormal(0.0, 1.0), I.VarianceScaling(2.0, "fan_out", "uniform", seed=3),
    I.GlorotUniform(seed=4), I.GlorotNormal(), I.HeNormal(seed=5), I.HeUniform(),
    I.LecunNormal(), I.LecunUniform(seed=6), I.Orthogonal(gain=1.5, seed=7),
])
def test_serialize_round_trip(init):
    config = I.serialize(init)
    assert config["class_name"] == type(init).__name__
    assert json.loads(json.dumps(config)) == config
    for again in (I.deserialize(config), I.get(config), I.get(json.loads(json.dumps(config))),
                  type(init).from_config(init.get_config()), init.clone()):
        assert type(again) is type(init) and again.get_config() == init.get_config()
        assert again == init and again is not init
    if getattr(init, "seed", None) is not None:
        assert torch.equal(I.deserialize(config)((3, 4)), init((3, 4)))


def test_get_passthrough_and_aliases():
    init = I.HeNormal()
    assert I.get(None) is None and I.get(init) is init

    def fn(shape, dtype=None):
        return torch.zeros(shape)
    assert I.get(fn) is fn
    assert type(I.get(I.Ones)) is I.Ones
    assert type(I.get("normal")) is I.RandomNormal and type(I.get("uniform")) is I.RandomUniform
    assert type(I.get("OrthogonalInitializer")) is I.Orthogonal
    assert I.get({"class_name": "Zeros"}) == I.Zeros()
    assert I.serialize(None) is None and I.deserialize("he_uniform") == I.HeUniform()


def test_get_errors_list_valid_names():
    with pytest.raises(ValueError) as e:
        I.get("glorot")
    msg = str(e.value)
    assert "Unknown initializer name 'glorot'" in msg and "Did you mean" in msg
    for name in SNAKE:
        assert f"'{name}'" in msg
    with pytest.raises(ValueError, match="Unknown initializer name 'initializer'"):
        I.get("initializer")
    with pytest.raises(ValueError, match="Could not interpret initializer identifier 5"):
        I.get(5)
    with pytest.raises(ValueError, match="Unknown initializer name 'Nope'"):
        I.get({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="deserialize expected a dict"):
        I.deserialize([1])
    with pytest.raises(ValueError, match=r"Could not build HeNormal from config.*scale"):
        I.deserialize({"class_name": "HeNormal", "config": {"scale": 3.0}})
    with pytest.raises(ValueError, match="Plain callables cannot be serialized"):
        I.serialize(lambda shape, dtype=None: None)
