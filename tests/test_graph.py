"""Graph mode: torch.compile, tkl.function, executing_eagerly (eager backend unless noted)."""

import pytest
import torch
import torch._dynamo
from torch._dynamo.testing import CompileCounter

import torch_keraslike as tkl
from torch_keraslike import layers


@pytest.fixture(autouse=True)
def _reset_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def functional_mlp():
    inputs = tkl.Input((6,))
    x = layers.Dense(16, activation="relu")(inputs)
    x = layers.Dropout(0.2)(x)
    return tkl.Model(inputs, layers.Dense(3)(x))


class Block(tkl.Layer):
    """Sub-layers created in build (the second seed's pattern), nested lazily."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.main = layers.Dense(units, activation="relu")

    def build(self, input_shape):
        self.res = layers.Dense(self.units) if input_shape[-1] != self.units else None

    def call(self, x):
        shortcut = x if self.res is None else self.res(x)
        return self.main(x) + shortcut


def test_executing_eagerly_is_false_only_while_tracing():
    seen = []

    class Probe(tkl.Layer):
        def call(self, x):
            seen.append(tkl.executing_eagerly())
            return x

    probe = Probe()
    probe(torch.ones(1))
    torch.compile(probe, backend="eager", fullgraph=True)(torch.ones(1))
    assert seen == [True, False] and tkl.executing_eagerly()


def test_function_decorator_forms_and_run_eagerly():
    counter = CompileCounter()

    @tkl.function(backend=counter, fullgraph=True)
    def double(x):
        return 2 * x + (0 if tkl.executing_eagerly() else 1)

    assert double(torch.ones(2)).tolist() == [3.0, 3.0] and counter.frame_count == 1
    double(torch.ones(2))
    assert counter.frame_count == 1  # compiled code, no retrace
    tkl.config.run_functions_eagerly(True)
    try:
        assert double(torch.ones(2)).tolist() == [2.0, 2.0]
    finally:
        tkl.config.run_functions_eagerly(False)
    assert double.__name__ == "double" and counter.frame_count == 1

    plain = tkl.function(lambda x: x + 1, backend="eager")
    assert plain(torch.zeros(1)).item() == 1.0


def test_function_bad_arguments():
    with pytest.raises(TypeError, match="expects a function or a module"):
        tkl.function(3)
    with pytest.raises(ValueError, match="dynamic must be None, True or False"):
        tkl.function(lambda x: x, dynamic="yes")


@pytest.mark.parametrize("entry", ["torch.compile", "tkl.function", "module.compile"])
def test_unbuilt_model_builds_before_tracing_and_creates_weights_once(entry):
    model = functional_mlp() if entry != "module.compile" else tkl.Sequential([layers.Dense(8), layers.Dense(2)])
    x = torch.randn(4, 6)
    if entry == "torch.compile":
        compiled = torch.compile(model, backend="eager")
    elif entry == "tkl.function":
        compiled = tkl.function(model, backend="eager")
    else:
        model.compile(backend="eager")
        compiled = model
    model.eval()
    out = compiled(x)
    weights = [id(w) for w in model.weights]
    compiled(x)
    assert [id(w) for w in model.weights] == weights
    torch.testing.assert_close(out, model.call(x) if entry != "module.compile" else model.layers[1](model.layers[0](x)))


def test_unbuilt_nested_layers_compile():
    block = Block(5)
    compiled = torch.compile(block, backend="eager")
    x = torch.randn(3, 4)
    out = compiled(x)
    assert block.built and block.res is not None and block.main.built
    torch.testing.assert_close(out, block.main(x) + block.res(x))


def test_nested_lazy_layers_under_dynamic_true():
    model = tkl.Sequential([Block(6), layers.Dense(2)])
    compiled = torch.compile(model, backend="eager", dynamic=True)
    out = compiled(torch.randn(5, 3))
    assert out.shape == (5, 2) and compiled(torch.randn(7, 3)).shape == (7, 2)
    assert model.layers[0].res.kernel.shape == (3, 6)


def test_built_model_compiles_fullgraph_without_graph_breaks():
    model = functional_mlp()
    model.eval()
    x = torch.randn(4, 6)
    model(x)
    explanation = torch._dynamo.explain(model)(x)
    assert explanation.graph_break_count == 0 and explanation.graph_count == 1
    compiled = torch.compile(model, backend="eager", fullgraph=True)
    torch.testing.assert_close(compiled(x), model(x))
    block = Block(3)
    block(torch.randn(2, 3))
    assert torch._dynamo.explain(block)(torch.randn(2, 3)).graph_break_count == 0


@pytest.mark.parametrize("entry", ["torch.compile", "tkl.function", "module.compile"])
def test_input_spec_violations_raise_the_same_error_when_compiled(entry):
    # torch.compile(fullgraph=True) reports user exceptions raised while tracing as
    # torch._dynamo.exc.Unsupported; tkl.function and module.compile surface them as is.
    fullgraph = entry != "torch.compile"
    model = functional_mlp()
    if entry == "torch.compile":
        compiled = torch.compile(model, backend="eager")
    elif entry == "tkl.function":
        compiled = tkl.function(model, backend="eager", fullgraph=True)
    else:
        model.compile(backend="eager", fullgraph=True)
        compiled = model
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 6"):
        compiled(torch.randn(2, 5))
    compiled(torch.randn(2, 6))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 6"):
        compiled(torch.randn(2, 7))
    dense = layers.Dense(3)
    with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
        torch.compile(dense, backend="eager", fullgraph=fullgraph)(torch.ones(4))
    assert not dense.built


def test_new_batch_sizes_do_not_recompile_forever():
    model = functional_mlp()
    model.eval()
    model(torch.randn(2, 6))
    counter = CompileCounter()
    compiled = torch.compile(model, backend=counter)
    for batch in (2, 3, 4, 5, 7, 11, 16):
        compiled(torch.randn(batch, 6))
    assert counter.frame_count <= 2


def test_clear_session_resets_compiled_caches():
    counter = CompileCounter()
    fn = tkl.function(lambda x: x * 3, backend=counter)
    fn(torch.ones(2))
    fn(torch.ones(2))
    assert counter.frame_count == 1
    tkl.clear_session()
    fn(torch.ones(2))
    assert counter.frame_count == 2


def test_training_flag_is_honoured_when_compiled():
    model = functional_mlp()
    compiled = torch.compile(model, backend="eager")
    x = torch.ones(64, 6)
    model.eval()
    torch.testing.assert_close(compiled(x), compiled(x))
    model.train()
    assert not torch.equal(compiled(x), compiled(x))  # dropout active


def test_inductor_numerics_match_eager():
    model = functional_mlp()
    model.eval()
    x = torch.randn(8, 6)
    expected = model(x)
    compiled = tkl.function(model, fullgraph=True)  # inductor
    torch.testing.assert_close(compiled(x), expected, rtol=1e-5, atol=1e-5)


def test_torch_export_of_a_built_model():
    model = functional_mlp()
    model.eval()
    x = torch.randn(2, 6)
    exported = torch.export.export(model, (x,))
    torch.testing.assert_close(exported.module()(x), model(x))
    assert "layers.1.kernel" in exported.state_dict
