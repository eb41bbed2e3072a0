import json

import numpy as np
import pytest
import torch

from torch_keraslike import regularizers as R

W = np.random.default_rng(0).normal(size=(5, 7))


def orthogonal_ref(w, factor, mode):
    v = w if mode == "rows" else w.T
    v = v / np.linalg.norm(v, axis=1, keepdims=True)
    products = [abs(v[i] @ v[j]) for i in range(len(v)) for j in range(i + 1, len(v))]
    return factor * np.mean(products)


@pytest.mark.parametrize("reg, ref", [
    (R.L1(), 0.01 * np.abs(W).sum()),
    (R.L1(0.3), 0.3 * np.abs(W).sum()),
    (R.L2(), 0.01 * (W ** 2).sum()),
    (R.L2(l2=0.7), 0.7 * (W ** 2).sum()),
    (R.L1L2(), 0.0),
    (R.L1L2(l1=0.2), 0.2 * np.abs(W).sum()),
    (R.L1L2(l2=0.4), 0.4 * (W ** 2).sum()),
    (R.L1L2(l1=0.2, l2=0.4), 0.2 * np.abs(W).sum() + 0.4 * (W ** 2).sum()),
    (R.OrthogonalRegularizer(), orthogonal_ref(W, 0.01, "rows")),
    (R.OrthogonalRegularizer(factor=2.0, mode="columns"), orthogonal_ref(W, 2.0, "columns")),
    (R.Regularizer(), 0.0),
])
def test_values_match_numpy(reg, ref):
    out = reg(torch.tensor(W))
    assert isinstance(out, torch.Tensor) and out.shape == () and out.dtype == torch.float64
    np.testing.assert_allclose(out.item(), ref, rtol=1e-12, atol=1e-15)
    out32 = reg(torch.tensor(W, dtype=torch.float32))
    assert out32.dtype == torch.float32
    np.testing.assert_allclose(out32.item(), ref, rtol=1e-5, atol=1e-7)


def test_penalties_are_differentiable():
    w = torch.tensor(W, requires_grad=True)
    R.L1L2(l1=0.5, l2=0.25)(w).backward()
    np.testing.assert_allclose(w.grad.numpy(), 0.5 * np.sign(W) + 0.5 * W, rtol=1e-12)
    w.grad = None
    R.OrthogonalRegularizer(1.0)(w).backward()
    assert torch.isfinite(w.grad).all()


def test_orthogonal_regularizer_special_cases():
    assert R.OrthogonalRegularizer(1.0)(torch.eye(4)).item() == 0.0
    same = torch.ones(3, 2)  # identical rows: every pair has |cos| = 1
    assert R.OrthogonalRegularizer(0.5)(same).item() == pytest.approx(0.5)
    assert R.OrthogonalRegularizer(1.0)(torch.ones(1, 3)).item() == 0.0  # no pairs
    with pytest.raises(ValueError, match=r"rank-2.*shape \(2, 3, 4\)"):
        R.OrthogonalRegularizer()(torch.ones(2, 3, 4))


def test_non_tensor_and_integer_inputs():
    assert R.L1(1.0)([1, -2]).item() == 3.0
    assert R.L2(1.0)(torch.tensor([1, 2])).dtype == torch.get_default_dtype()


def test_none_factors_use_keras_defaults():
    assert R.L1(None).l1 == 0.01 and R.L2(None).l2 == 0.01
    assert R.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}


@pytest.mark.parametrize("build, arg, value", [
    (lambda: R.L1(-0.1), "l1", "-0.1"), (lambda: R.L2("0.1"), "l2", "'0.1'"),
    (lambda: R.L1L2(l1=True), "l1", "True"), (lambda: R.L1L2(l2=float("nan")), "l2", "nan"),
    (lambda: R.OrthogonalRegularizer(factor=-1), "factor", "-1"),
    (lambda: R.L2([0.1]), "l2", "[0.1]"),
])
def test_invalid_factors(build, arg, value):
    with pytest.raises(ValueError) as e:
        build()
    msg = str(e.value)
    assert f"`{arg}`" in msg and "non-negative float" in msg and f"{arg}={value}" in msg


def test_invalid_mode():
    with pytest.raises(ValueError, match=r"\['rows', 'columns'\].*mode='cols'"):
        R.OrthogonalRegularizer(mode="cols")


NAMES = {"l1": R.L1, "l2": R.L2, "l1_l2": R.L1L2, "orthogonal_regularizer":
         R.OrthogonalRegularizer, "L1": R.L1, "L2": R.L2, "L1L2": R.L1L2,
         "OrthogonalRegularizer": R.OrthogonalRegularizer}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_get_names(name):
    a, b = R.get(name), R.get(name)
    assert type(a) is NAMES[name] and a is not b and a == NAMES[name]()


@pytest.mark.parametrize("reg", [R.L1(0.2), R.L2(0.3), R.L1L2(0.1, 0.2),
                                 R.OrthogonalRegularizer(0.5, "columns")])
def test_serialize_round_trip(reg):
    config = R.serialize(reg)
    assert config == {"class_name": type(reg).__name__, "config": reg.get_config()}
    assert json.loads(json.dumps(config)) == config
    for again in (R.deserialize(config), R.get(config), type(reg).from_config(reg.get_config())):
        assert again == reg and again is not reg
    assert R.get(config)(torch.tensor(W)).item() == reg(torch.tensor(W)).item()


def test_get_passthrough_and_errors():
    reg = R.L2()

    def custom(x):
        return x.sum()
    assert R.get(None) is None and R.get(reg) is reg and R.get(custom) is custom
    assert type(R.get(R.L1)) is R.L1 and R.serialize(None) is None
    with pytest.raises(ValueError) as e:
        R.get("l3")
    assert "Unknown regularizer name 'l3'" in str(e.value) and "'l1_l2'" in str(e.value)
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier 0.1"):
        R.get(0.1)
    with pytest.raises(ValueError, match=r"Could not build L1 from config.*l2"):
        R.get({"class_name": "L1", "config": {"l2": 0.1}})
    with pytest.raises(ValueError, match="deserialize expected a dict"):
        R.deserialize({"config": {}})
    with pytest.raises(ValueError, match="Plain callables cannot be serialized"):
        R.serialize(custom)
