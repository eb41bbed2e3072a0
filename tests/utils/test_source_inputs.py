"""tkl.utils.get_source_inputs."""

import torch

import torch_keraslike as tkl
from torch_keraslike.utils import get_source_inputs


def test_sources_in_order_and_once():
    a, b = tkl.Input((2,), name="a"), tkl.Input((2,), name="b")
    shared = tkl.layers.Dense(2)
    y = tkl.layers.Add()([shared(b), shared(a), a])
    assert [t.name for t in get_source_inputs(y)] == ["b", "a"]
    assert get_source_inputs(a) == [a]
    model = tkl.Model([a, b], y)
    c = tkl.Input((2,), name="c")
    assert get_source_inputs(model([c, c])) == [c]


def test_deep_chain_and_non_symbolic_values():
    x = start = tkl.Input((1,))
    step = tkl.layers.Identity()
    for _ in range(1200):  # deeper than Python's recursion limit
        x = step(x)
    assert get_source_inputs(x) == [start]
    value = torch.ones(2)
    assert get_source_inputs(value) is value
    loose = tkl.KerasTensor((2,))  # made by hand, not by Input or a layer
    assert get_source_inputs(loose) == [loose]
