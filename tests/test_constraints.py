import json

import numpy as np
import pytest
import torch

from torch_keraslike import constraints as C

EPS = 1e-7
W = np.random.default_rng(0).normal(size=(4, 3)) * 3
W3 = np.random.default_rng(1).normal(size=(2, 3, 4))


def norms(w, axis):
    return np.sqrt((w ** 2).sum(axis=tuple(np.atleast_1d(axis)), keepdims=True))


def max_norm_ref(w, max_value, axis):
    n = norms(w, axis)
    return w * (np.clip(n, 0, max_value) / (EPS + n))


def min_max_norm_ref(w, lo, hi, rate, axis):
    n = norms(w, axis)
    return w * ((rate * np.clip(n, lo, hi) + (1 - rate) * n) / (EPS + n))


@pytest.mark.parametrize("constraint, w, ref", [
    (C.MaxNorm(), W, max_norm_ref(W, 2, 0)),
    (C.MaxNorm(max_value=1.5, axis=1), W, max_norm_ref(W, 1.5, 1)),
    (C.MaxNorm(3.0, axis=[0, 1]), W3, max_norm_ref(W3, 3.0, [0, 1])),
    (C.MaxNorm(100.0), W, max_norm_ref(W, 100.0, 0)),
    (C.MinMaxNorm(), W, min_max_norm_ref(W, 0.0, 1.0, 1.0, 0)),
    (C.MinMaxNorm(2.0, 4.0, rate=0.5, axis=-1), W, min_max_norm_ref(W, 2.0, 4.0, 0.5, -1)),
    (C.MinMaxNorm(5.0, 6.0, axis=(1, 2)), W3, min_max_norm_ref(W3, 5.0, 6.0, 1.0, [1, 2])),
    (C.NonNeg(), W, W * (W >= 0)),
    (C.UnitNorm(), W, W / (EPS + norms(W, 0))),
    (C.UnitNorm(axis=1), W3, W3 / (EPS + norms(W3, 1))),
    (C.Constraint(), W, W),
])
def test_values_match_numpy(constraint, w, ref):
    t = torch.tensor(w)
    before = t.clone()
    out = constraint(t)
    assert out.shape == t.shape and out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-15)
    assert torch.equal(t, before)  # never modified in place
    out32 = constraint(t.float())
    assert out32.dtype == torch.float32
    np.testing.assert_allclose(out32.numpy(), ref, rtol=1e-5, atol=1e-6)


def test_projection_properties():
    w = torch.tensor(W)
    assert (torch.linalg.vector_norm(C.MaxNorm(1.0)(w), dim=0) <= 1.0 + 1e-9).all()
    assert torch.allclose(torch.linalg.vector_norm(C.UnitNorm()(w), dim=0),
                          torch.ones(3, dtype=torch.float64))
    n = torch.linalg.vector_norm(C.MinMaxNorm(2.0, 3.0)(w), dim=0)
    assert ((n >= 2.0 - 1e-6) & (n <= 3.0 + 1e-6)).all()
    assert (C.NonNeg()(w) >= 0).all()
    assert C.MaxNorm()(torch.zeros(3, 2)).abs().sum() == 0  # epsilon avoids 0/0


def test_works_under_no_grad_and_with_autograd():
    w = torch.tensor(W, requires_grad=True)
    with torch.no_grad():
        assert not C.UnitNorm()(w).requires_grad
    C.MaxNorm(1.0)(w).sum().backward()
    assert torch.isfinite(w.grad).all()


@pytest.mark.parametrize("build, pattern", [
    (lambda: C.MaxNorm(max_value=-1), r"MaxNorm expected `max_value`.*>= 0.*max_value=-1"),
    (lambda: C.MaxNorm(max_value="2"), r"`max_value` to be a finite number.*'2'"),
    (lambda: C.MinMaxNorm(min_value=2.0, max_value=1.0), r"`max_value`.*>= 2.0.*max_value=1.0"),
    (lambda: C.MinMaxNorm(rate=1.5), r"`rate`.*in \[0, 1\].*rate=1.5"),
    (lambda: C.MinMaxNorm(min_value=-0.5), r"`min_value`.*min_value=-0.5"),
    (lambda: C.UnitNorm(axis="0"), r"UnitNorm expected `axis`.*axis='0'"),
    (lambda: C.MaxNorm(axis=[]), r"non-empty list of ints"),
    (lambda: C.MaxNorm(axis=1.0), r"axis=1.0"),
])
def test_invalid_arguments(build, pattern):
    with pytest.raises(ValueError, match=pattern):
        build()


def test_axis_out_of_range():
    with pytest.raises(ValueError, match=r"MaxNorm has axis=2.*shape \(4, 3\).*\[-2, 1\]"):
        C.MaxNorm(axis=2)(torch.tensor(W))
    with pytest.raises(ValueError, match=r"UnitNorm has axis=\[0, 5\]"):
        C.UnitNorm(axis=(0, 5))(torch.tensor(W))


NAMES = {"max_norm": C.MaxNorm, "min_max_norm": C.MinMaxNorm, "non_neg": C.NonNeg,
         "unit_norm": C.UnitNorm, "MaxNorm": C.MaxNorm, "MinMaxNorm": C.MinMaxNorm,
         "NonNeg": C.NonNeg, "UnitNorm": C.UnitNorm}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_get_names(name):
    a, b = C.get(name), C.get(name)
    assert type(a) is NAMES[name] and a is not b and a == NAMES[name]()


@pytest.mark.parametrize("constraint", [C.MaxNorm(3, axis=1), C.MinMaxNorm(0.5, 2.0, 0.3, [0, 1]),
                                        C.NonNeg(), C.UnitNorm(axis=-1)])
def test_serialize_round_trip(constraint):
    config = C.serialize(constraint)
    assert config == {"class_name": type(constraint).__name__,
                      "config": constraint.get_config()}
    assert json.loads(json.dumps(config)) == config
    for again in (C.deserialize(config), C.get(config),
                  type(constraint).from_config(constraint.get_config())):
        assert again == constraint and again is not constraint
    t = torch.tensor(W3)
    assert torch.equal(C.get(config)(t), constraint(t))


def test_get_passthrough_and_errors():
    c = C.NonNeg()

    def custom(w):
        return w.clamp(-1, 1)
    assert C.get(None) is None and C.get(c) is c and C.get(custom) is custom
    assert type(C.get(C.UnitNorm)) is C.UnitNorm and C.serialize(None) is None
    with pytest.raises(ValueError) as e:
        C.get("maxnorm")
    msg = str(e.value)
    assert "Unknown constraint name 'maxnorm'" in msg and "Did you mean" in msg
    assert "'max_norm'" in msg and "'non_neg'" in msg
    with pytest.raises(ValueError, match="Could not interpret constraint identifier 2"):
        C.get(2)
    with pytest.raises(ValueError, match=r"Could not build NonNeg from config.*axis"):
        C.get({"class_name": "NonNeg", "config": {"axis": 0}})
    with pytest.raises(ValueError, match="deserialize expected a dict"):
        C.deserialize(["max_norm"])
    with pytest.raises(ValueError, match="Plain callables cannot be serialized"):
        C.serialize(custom)
