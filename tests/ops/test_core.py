"""``tkl.ops`` core: conversion, casts, control flow, gradients, scatter and slice
updates; errors."""

import numpy as np
import pytest
import torch

from torch_keraslike import ops


def test_conversion_and_inspection():
    assert ops.convert_to_tensor(np.float64(1.5)).dtype == torch.float32  # a Python float, as in Keras
    assert ops.convert_to_tensor(np.array(1.5)).dtype == torch.float64
    assert ops.convert_to_tensor([[1, 2]], dtype="float16").dtype == torch.float16
    x = torch.ones(2)
    assert ops.convert_to_tensor(x) is x  # no copy, same device
    assert ops.convert_to_tensor([torch.ones(2), torch.zeros(2)]).shape == (2, 2)
    array = ops.convert_to_numpy(torch.ones(2, requires_grad=True) * 2)
    assert isinstance(array, np.ndarray) and array.tolist() == [2.0, 2.0]
    assert ops.convert_to_numpy(torch.ones(1, dtype=torch.bfloat16)).astype("float32").tolist() == [1.0]
    assert ops.convert_to_numpy([torch.ones(2), torch.zeros(2)]).shape == (2, 2)
    assert ops.shape(np.zeros((2, 3))) == (2, 3) and ops.dtype(np.zeros(2, "int16")) == "int16"
    assert ops.dtype([1.0]) == "float32" and ops.is_tensor(x) and not ops.is_tensor(np.ones(2))


def test_cast_and_saturate_cast():
    assert ops.cast([1.9, -1.9], "int32").tolist() == [1, -1]
    assert ops.cast(np.ones(2), torch.bfloat16).dtype == torch.bfloat16
    assert ops.cast(np.ones(2), np.int8).dtype == torch.int8
    assert ops.saturate_cast([-1.0, 300.0, 1e10], "uint8").tolist() == [0, 255, 255]
    assert ops.saturate_cast([3e9, -3e9], "int32").tolist() == [2147483520, -2147483648]
    assert ops.saturate_cast(np.array([1e6], "float64"), "float16").tolist() == [65504.0]
    assert ops.saturate_cast([-5, 200], "int8").tolist() == [-5, 127]


def test_cond_and_switch():
    assert ops.cond(True, lambda: "yes", lambda: "no") == "yes"
    assert ops.cond(torch.tensor(0), lambda: "yes", lambda: "no") == "no"
    assert ops.switch(7, [lambda v: v, lambda v: v * 10], 3) == 30  # the index is clamped
    assert ops.switch(torch.tensor(-2), [lambda v: v + 1, lambda v: v], 3) == 4

    def branchy(x):
        return ops.cond(x.sum() > 0, lambda: x * 2, lambda: x - 1)

    compiled = torch.compile(branchy, fullgraph=True, backend="eager")
    for x in (torch.ones(3), -torch.ones(3)):
        assert torch.equal(compiled(x), branchy(x))


def test_loops():
    assert ops.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i), (0, 0)) == (5, 10)
    assert ops.while_loop(lambda v: v < 100, lambda v: v * 2, torch.tensor(1), maximum_iterations=3).item() == 8
    assert ops.fori_loop(1, 4, lambda i, acc: acc * i, torch.tensor(1)).item() == 6
    carry, ys = ops.scan(lambda c, x: (c + x, c), torch.tensor(0), torch.arange(1, 5))
    assert carry.item() == 10 and ys.tolist() == [0, 1, 3, 6]
    carry, ys = ops.scan(lambda c, x: (c + x, c), torch.tensor(0), torch.arange(1, 5), reverse=True)
    assert carry.item() == 10 and ys.tolist() == [9, 7, 4, 0]
    counter, ys = ops.scan(lambda c, _: (c + 1, c * c), torch.tensor(0), length=4)
    assert counter.item() == 4 and ys.tolist() == [0, 1, 4, 9]
    nested, outputs = ops.scan(lambda c, x: ({"a": c["a"] + x[0]}, (x[1], x[0])), {"a": torch.tensor(0.0)},
                               (torch.ones(3), torch.arange(3.0)))
    assert nested["a"].item() == 3.0 and outputs[0].tolist() == [0.0, 1.0, 2.0]
    assert ops.map(lambda v: v.sum(), torch.ones(4, 3)).tolist() == [3.0] * 4


def test_associative_scan_matches_sequential_scans():
    x = torch.arange(1.0, 12.0)
    assert torch.allclose(ops.associative_scan(torch.add, x), torch.cumsum(x, 0))
    assert torch.allclose(ops.associative_scan(torch.add, x, reverse=True), torch.cumsum(x.flip(0), 0).flip(0))
    matrix = torch.rand(3, 7)
    assert torch.allclose(ops.associative_scan(torch.maximum, matrix, axis=1), torch.cummax(matrix, 1).values)
    pairs = ops.associative_scan(lambda a, b: (a[0] + b[0], a[1] * b[1]), (x, torch.full_like(x, 2.0)))
    assert torch.allclose(pairs[0], torch.cumsum(x, 0)) and torch.allclose(pairs[1], 2.0 ** torch.arange(1.0, 12.0))


def test_vectorized_map_and_vectorize():
    x = torch.randn(5, 3)
    assert torch.allclose(ops.vectorized_map(lambda row: row @ row, x), (x * x).sum(1))
    summed = ops.vectorized_map(lambda pair: pair[0] + pair[1], (x, x))
    assert torch.allclose(summed, 2 * x)
    outer = ops.vectorize(lambda a, b: a * b)
    assert outer(torch.arange(3.0)[:, None], torch.arange(4.0)).shape == (3, 4)


def test_gradients():
    x = torch.ones(3, requires_grad=True)
    (ops.stop_gradient(x) * x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]

    @ops.custom_gradient
    def log1pexp(v):
        e = torch.exp(v)

        def grad(*args, upstream):
            return upstream * (1.0 - 1.0 / (1.0 + e))

        return torch.log1p(e), grad

    y = torch.tensor([100.0, 0.0], requires_grad=True)
    log1pexp(y).sum().backward()
    assert y.grad.tolist() == [1.0, 0.5]


def test_scatter_and_slice_updates():
    assert ops.scatter([[1], [1], [3]], [1.0, 2.0, 4.0], (5,)).tolist() == [0, 3, 0, 4, 0]
    assert ops.scatter([[0, 1]], [[7.0]], (2, 2, 1)).tolist() == [[[0.0], [7.0]], [[0.0], [0.0]]]
    base = torch.zeros(2, 3)
    updated = ops.scatter_update(base, [[0, 1], [1, 2]], [5.0, 6.0])
    assert updated.tolist() == [[0, 5, 0], [0, 0, 6]] and base.sum() == 0  # the input is unchanged
    rows = ops.scatter_update(torch.ones(3, 2), [[0], [2], [0]], torch.full((3, 2), 3.0), reduction="add")
    assert rows.tolist() == [[7, 7], [1, 1], [4, 4]]
    values = torch.tensor([1.0, 5.0, 2.0])
    assert ops.scatter_update(values, [[0], [0], [2]], [4.0, 3.0, 1.0], reduction="max").tolist() == [4, 5, 2]
    assert ops.scatter_update(values, [[1], [1]], [2.0, 3.0], reduction="MUL").tolist() == [1, 30, 2]
    assert ops.scatter_update(values, [[2]], [0.5], reduction="min").tolist() == [1, 5, 0.5]
    grid = torch.arange(12).reshape(3, 4)
    assert ops.slice(grid, (1, 1), (2, 2)).tolist() == [[5, 6], [9, 10]]
    assert ops.slice(grid, torch.tensor([0, 2]), (1, 2)).tolist() == [[2, 3]]
    assert ops.slice_update(grid, (2, 0), torch.zeros(1, 2, dtype=torch.int64)).tolist()[2] == [0, 0, 10, 11]
    assert [t.tolist() for t in ops.unstack(grid[:2], axis=1)] == [[0, 4], [1, 5], [2, 6], [3, 7]]


@pytest.mark.parametrize("call, error, message", [
    (lambda: ops.convert_to_tensor([1], sparse=True), ValueError, r"sparse=True is not supported"),
    (lambda: ops.cast([1], "complex256"), ValueError, r"ops.cast: invalid dtype 'complex256'"),
    (lambda: ops.cond(torch.ones(2), lambda: 1, lambda: 2), ValueError, r"ops.cond: pred must be a single value"),
    (lambda: ops.cond(True, 1, lambda: 2), TypeError, r"ops.cond: true_fn must be a callable"),
    (lambda: ops.switch(0, []), ValueError, r"ops.switch: branches must be a non-empty list"),
    (lambda: ops.scan(lambda c, x: (c, x), 0), ValueError, r"ops.scan: pass the sequences xs, or the number of steps"),
    (lambda: ops.scan(lambda c, x: (c, x), 0, [torch.ones(2), torch.ones(3)]), ValueError,
     r"every sequence in xs needs a first axis of 2 steps"),
    (lambda: ops.scan(lambda c, x: (c, x), 0, length=2, unroll=0), ValueError, r"unroll must be a positive int"),
    (lambda: ops.associative_scan(torch.add, (torch.ones(2), torch.ones(3))), ValueError,
     r"all elems need the same size along axis 0"),
    (lambda: ops.scatter_update(torch.ones(2), [[0]], [1.0], reduction="avg"), ValueError, r"invalid reduction='avg'"),
    (lambda: ops.scatter([[0, 0, 0]], [1.0], (2, 2)), ValueError, r"indices address 3 axes but shape \(2, 2\) has 2"),
    (lambda: ops.slice(torch.ones(2, 2), (1, 1), (2, 2)), ValueError,
     r"ops.slice: a block of shape \(2, 2\) at \(1, 1\) does not fit in a tensor of shape \(2, 2\)"),
    (lambda: ops.slice_update(torch.ones(2), (0,), torch.ones(3)), ValueError, r"ops.slice_update: updates of shape"),
    (lambda: ops.unstack(torch.ones(2, 3), num=3), ValueError, r"ops.unstack: num=3 but axis 0"),
    (lambda: ops.custom_gradient(3), TypeError, r"ops.custom_gradient: f must be a callable"),
])
def test_bad_inputs_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_user_errors_inside_control_flow_surface_unchanged():
    def fail():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        ops.cond(True, fail, fail)
    with pytest.raises(RuntimeError, match="boom"):
        ops.while_loop(lambda v: True, lambda v: fail(), torch.ones(1))
