"""torch tools on torch_keraslike modules: each was seen failing or silently wrong."""

import contextlib
import io
import warnings

import numpy as np
import pytest
import torch
from torch.nn.utils import parametrizations

import torch_keraslike as tkl
from keras_reference import import_keras
from torch_keraslike import layers


def mlp():
    return tkl.Sequential([tkl.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(2)])


# ------------------------------------------------- torch modules on KerasTensors
def test_wrapped_torch_module_is_a_trained_saved_and_moved_sub_module():
    inputs = tkl.Input((4,))
    block = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8))
    hidden = layers.TorchModuleWrapper(block)(inputs)
    model = tkl.Model(inputs, layers.Dense(1)(hidden))
    assert hidden.shape == (None, 8)
    assert {id(p) for p in block.parameters()} <= {id(p) for p in model.parameters()}
    assert "layers.1.module.1.running_mean" in model.state_dict()
    weight, mean = block[0].weight.detach().clone(), block[1].running_mean.clone()
    model.compile("sgd", "mse")
    model.fit(np.random.rand(32, 4), np.random.rand(32, 1), verbose=0)
    assert not torch.equal(block[0].weight, weight)  # trained by fit
    assert not torch.equal(block[1].running_mean, mean)  # its BatchNorm statistics updated
    copy = tkl.Model(*_rebuild())
    copy.load_state_dict(model.state_dict())
    x = torch.rand(3, 4)
    torch.testing.assert_close(copy(x, training=False), model(x, training=False))
    model.to(torch.float64)
    assert block[0].weight.dtype == torch.float64
    with pytest.raises(NotImplementedError, match=r"holds the torch module Sequential, which a config cannot"):
        model.get_config()


def _rebuild():
    inputs = tkl.Input((4,))
    hidden = layers.TorchModuleWrapper(torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8)))(inputs)
    return inputs, layers.Dense(1)(hidden)


def test_wrapper_train_and_eval_modes_match_keras_torch_module_wrapper():
    import copy

    keras = import_keras()
    block = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6))
    with torch.no_grad():
        block[1].running_mean.uniform_(-1, 1)
        block[1].running_var.uniform_(0.5, 2)
    theirs_block, ours_block = copy.deepcopy(block), copy.deepcopy(block)
    theirs = keras.layers.TorchModuleWrapper(theirs_block)
    ours = layers.TorchModuleWrapper(ours_block)
    x = torch.rand(8, 4)
    for training in (False, True, False):
        expected = keras.ops.convert_to_numpy(theirs(x, training=training))
        np.testing.assert_allclose(ours(x, training=training).detach().numpy(), expected, rtol=1e-5, atol=1e-6)
        assert ours_block.training == theirs_block.training == training
    # Running statistics moved once, in the training call, on both sides.
    torch.testing.assert_close(ours_block[1].running_mean, theirs_block[1].running_mean)
    assert int(ours_block[1].num_batches_tracked) == int(theirs_block[1].num_batches_tracked) == 1


def _global_hooks():
    return bool(torch.nn.modules.module._has_any_global_hook())


def test_bare_torch_module_on_a_keras_tensor_becomes_a_tracked_layer():
    inputs = tkl.Input((4,))
    block = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8))
    hidden = block(inputs)  # no wrapper written: it is made automatically
    assert isinstance(hidden, tkl.KerasTensor) and hidden.shape == (None, 8)
    wrapper = hidden._history[0].layer
    assert isinstance(wrapper, layers.TorchModuleWrapper) and wrapper.module is block
    model = tkl.Model(inputs, layers.Dense(1)(hidden))
    assert {id(p) for p in block.parameters()} <= {id(p) for p in model.parameters()}
    assert "layers.1.module.1.running_mean" in model.state_dict()
    # Built, not run: the statistics are untouched by shape inference.
    assert int(block[1].num_batches_tracked) == 0
    weight, mean = block[0].weight.detach().clone(), block[1].running_mean.clone()
    model.compile("sgd", "mse")
    model.fit(np.random.rand(32, 4), np.random.rand(32, 1), batch_size=8, verbose=0)
    assert not torch.equal(block[0].weight, weight)  # trained by fit
    assert not torch.equal(block[1].running_mean, mean)  # statistics updated in training
    assert int(block[1].num_batches_tracked) == 4
    mean = block[1].running_mean.clone()
    first = model.predict(np.ones((5, 4)), verbose=0)
    np.testing.assert_allclose(model.predict(np.ones((5, 4)), verbose=0), first)  # eval(): running stats
    assert torch.equal(block[1].running_mean, mean)
    copy_inputs = tkl.Input((4,))
    copy_block = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8))
    copy = tkl.Model(copy_inputs, layers.Dense(1)(copy_block(copy_inputs)))
    copy.load_state_dict(model.state_dict())
    x = torch.rand(3, 4)
    torch.testing.assert_close(copy(x, training=False), model(x, training=False))
    model.to(torch.float64)
    assert block[0].weight.dtype == torch.float64


def test_auto_wrapped_dropout_follows_training_and_eval():
    inputs = tkl.Input((64,))
    model = tkl.Model(inputs, torch.nn.Dropout(0.5)(inputs))
    x = torch.ones(8, 64)
    torch.testing.assert_close(model(x, training=False), x)
    torch.testing.assert_close(torch.as_tensor(model.predict(x.numpy(), verbose=0)), x)
    dropped = model(x, training=True)
    assert (dropped == 0).any() and set(dropped.unique().tolist()) <= {0.0, 2.0}


def test_a_torch_module_called_twice_is_one_shared_layer():
    inputs = tkl.Input((4,))
    linear = torch.nn.Linear(4, 4)
    outputs = linear(torch.tanh(linear(inputs)))
    model = tkl.Model(inputs, outputs)
    wrappers = [layer for layer in model.layers if isinstance(layer, layers.TorchModuleWrapper)]
    assert len(wrappers) == 1 and wrappers[0].module is linear
    assert len(list(model.parameters())) == 2
    x = torch.rand(3, 4)
    torch.testing.assert_close(model(x), linear(torch.tanh(linear(x))))


def test_auto_wrapping_keeps_keyword_arguments_several_outputs_and_unknown_sizes():
    query = tkl.Input((None, 8))
    attention = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    out, weights = attention(query, query, query, average_attn_weights=False)
    assert out.shape == (None, None, 8) and weights.shape == (None, 2, None, None)
    model = tkl.Model(query, [out, weights])
    x = torch.rand(2, 5, 8)
    expected = attention(x, x, x, average_attn_weights=False)
    for got, want in zip(model(x), expected):
        torch.testing.assert_close(got, want)


def test_auto_wrapping_is_active_only_while_building():
    tkl.clear_session()
    assert not _global_hooks()
    inputs = tkl.Input((4,))
    assert _global_hooks()  # building: torch module calls are watched
    model = tkl.Model(inputs, torch.nn.Linear(4, 2)(inputs))
    model(torch.ones(1, 4))
    assert not _global_hooks()  # real work ended it: torch's fast call path is back
    tkl.Input((4,))
    assert _global_hooks()
    compiled = torch.compile(model, backend="eager")
    assert not _global_hooks()  # compiling ended it, so torch.compile does not warn
    torch.testing.assert_close(compiled(torch.ones(1, 4)), model(torch.ones(1, 4)))
    tkl.Input((4,))
    tkl.clear_session()
    assert not _global_hooks()


def test_module_running_submodules_on_its_own_buffers_is_wrapped():
    class PositionEmbedding(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.table = torch.nn.Embedding(5, 4)
            self.register_buffer("positions", torch.arange(5))

        def forward(self, x):
            return x + self.table(self.positions)  # a submodule on real tensors

    inputs = tkl.Input((5, 4))
    block = PositionEmbedding()
    outputs = block(inputs)
    assert isinstance(outputs, tkl.KerasTensor) and outputs.shape == (None, 5, 4)
    assert _global_hooks() and block.training
    assert not isinstance(torch.ones(2), torch._subclasses.fake_tensor.FakeTensor)
    x = torch.rand(2, 5, 4)
    torch.testing.assert_close(tkl.Model(inputs, outputs)(x), block(x))


def test_module_calling_itself_and_real_tensors_before_the_symbolic_one():
    class Recursive(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 4)

        def forward(self, bias, x, depth=2):
            return x + bias if depth == 0 else self(bias, self.linear(x), depth=depth - 1)

    inputs = tkl.Input((4,))
    block = Recursive()
    bias = torch.rand(4)
    model = tkl.Model(inputs, block(bias, inputs, depth=2))
    x = torch.rand(3, 4)
    torch.testing.assert_close(model(x), block(bias, x, depth=2))
    assert not torch.allclose(model(x), x + bias)


def test_interrupted_shape_inference_leaves_no_fake_tensors_behind():
    class Interrupted(torch.nn.Module):
        def forward(self, x):
            raise KeyboardInterrupt

    inputs = tkl.Input((4,))
    with pytest.raises(KeyboardInterrupt):
        Interrupted()(inputs)
    torch.nn.Identity()(inputs)  # the next module call ends the interrupted one
    assert not isinstance(torch.ones(2), torch._subclasses.fake_tensor.FakeTensor)
    assert torch.nn.Linear(4, 2)(inputs).shape == (None, 2)


def test_interrupt_during_shape_inference_arrives_after_the_clean_up():
    import signal

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("Ctrl-C is deferred only under Python's default SIGINT handler")

    class CtrlC(torch.nn.Module):
        def forward(self, x):
            signal.raise_signal(signal.SIGINT)  # as if the user pressed Ctrl-C here
            return x * 2

    inputs = tkl.Input((4,))
    block = CtrlC()
    with pytest.raises(KeyboardInterrupt):
        block(inputs)
    assert not isinstance(torch.ones(2), torch._subclasses.fake_tensor.FakeTensor)
    assert block.training and signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_real_module_calls_in_another_thread_do_not_end_an_intercepted_call():
    import threading

    class CallsAThread(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 4)

        def forward(self, x):
            worker = threading.Thread(target=lambda: torch.nn.Linear(2, 2)(torch.ones(1, 2)))
            worker.start()
            worker.join()
            return self.linear(x)

    inputs = tkl.Input((4,))
    outputs = CallsAThread()(inputs)
    assert isinstance(outputs, tkl.KerasTensor) and outputs.shape == (None, 4)
    assert not isinstance(torch.ones(2), torch._subclasses.fake_tensor.FakeTensor)


def test_compiling_ends_building_before_tracing():
    inputs = tkl.Input((4,))
    linear = torch.nn.Linear(4, 4)
    model = tkl.Model(inputs, linear(inputs))
    compiled = torch.compile(lambda x: model(x) + linear(x), backend="eager")
    compiled(torch.ones(2, 4))
    assert not _global_hooks()  # gone when dynamo started: no guard on them, no recompile


def test_module_arguments_reach_forward_as_given():
    class Scaled(torch.nn.Module):
        def forward(self, x, factor, training=None):
            scale = factor if isinstance(factor, int) else 10.0
            return x * scale * (2.0 if training else 1.0)

    inputs = tkl.Input((3,))
    block = Scaled()
    model = tkl.Model(inputs, block(inputs, 3))
    x = torch.ones(1, 3)
    torch.testing.assert_close(model(x, training=False), block(x, 3))  # 3 stays an int
    torch.testing.assert_close(model(x, training=True), block(x, 3, training=True))  # its own training
    # NumPy arrays become tensors, as Keras converts them.
    linear = torch.nn.Linear(4, 2)
    array = np.ones((3, 4), np.float32)
    torch.testing.assert_close(layers.TorchModuleWrapper(linear)(array), linear(torch.from_numpy(array)))


def test_a_thread_that_died_inside_an_intercepted_call_does_not_keep_building_on():
    import threading

    class Exits(torch.nn.Linear):
        def forward(self, x):
            raise SystemExit  # skips torch's always-called hooks

    def build():
        with contextlib.suppress(SystemExit):
            Exits(4, 4)(inputs)

    inputs = tkl.Input((4,))
    worker = threading.Thread(target=build)
    worker.start()
    worker.join()
    torch.nn.Linear(2, 2)(torch.ones(1, 2))  # real work in this thread ends building
    assert not _global_hooks()


def test_module_compiling_during_its_shape_inference_does_not_end_building():
    class Branches(torch.nn.Linear):
        def forward(self, x):
            return torch.cond(x.sum() > 0, lambda t: super(Branches, self).forward(t),
                              lambda t: -super(Branches, self).forward(t), (x,))

    inputs = tkl.Input((4,))
    hidden = Branches(4, 4)(inputs)  # torch.cond compiles its branches with dynamo
    assert _global_hooks()
    assert torch.nn.Linear(4, 2)(hidden).shape == (None, 2)


def test_module_with_hooks_of_its_own_says_to_wrap_it():
    inputs = tkl.Input((4,))
    linear = torch.nn.Linear(4, 2)
    linear.register_forward_hook(lambda module, args, output: output * 2)
    with pytest.raises(TypeError, match=r"the module has hooks of its own[\s\S]*TorchModuleWrapper"):
        linear(inputs)
    model = tkl.Model(inputs, layers.TorchModuleWrapper(linear)(inputs))
    x = torch.rand(3, 4)
    torch.testing.assert_close(model(x), 2 * torch.nn.functional.linear(x, linear.weight, linear.bias))


def test_auto_wrapped_embedding_on_integer_ids_keeps_the_module_dtypes():
    ids = tkl.Input((5,), dtype="int64")
    table = torch.nn.Embedding(10, 3)
    vectors = table(ids)
    assert vectors.shape == (None, 5, 3) and vectors.dtype == torch.float32
    x = torch.randint(0, 10, (2, 5))
    torch.testing.assert_close(tkl.Model(ids, vectors)(x), table(x))


def test_non_trainable_wrapper_keeps_its_batchnorm_statistics():
    inputs = tkl.Input((4,))
    norm = torch.nn.BatchNorm1d(4)
    model = tkl.Model(inputs, layers.Dense(1)(layers.TorchModuleWrapper(norm, trainable=False)(inputs)))
    model.compile("sgd", "mse")
    model.fit(np.random.rand(16, 4), np.random.rand(16, 1), verbose=0)
    assert int(norm.num_batches_tracked) == 0 and torch.equal(norm.running_mean, torch.zeros(4))


def test_torch_module_on_a_keras_tensor_after_building_says_to_wrap_it():
    inputs = tkl.Input((4,))
    model = tkl.Model(inputs, layers.Dense(4)(inputs))
    model(torch.ones(1, 4))  # real work: building is over
    linear = torch.nn.Linear(4, 2)
    weight = linear.weight.detach().clone()
    with pytest.raises(TypeError, match=r"The torch module Linear\(in_features=4, out_features=2, bias=True\) "
                                        r"\(Linear\) was called on a KerasTensor where it could not be made a "
                                        r"layer[\s\S]*building had ended[\s\S]*TorchModuleWrapper\(linear\)\(x\)"):
        linear(inputs)
    assert torch.equal(linear.weight, weight)
    # A stateless module loses nothing op by op: it joins the graph as torch functions do.
    assert torch.nn.ReLU()(inputs).shape == (None, 4)
    # torch functions on KerasTensors still join the graph as before.
    assert (torch.relu(inputs) + 1).shape == (None, 4)


def test_torch_module_failing_on_the_symbolic_shapes_names_the_module_and_shapes():
    inputs = tkl.Input((4,))
    linear = torch.nn.Linear(3, 2)
    weight = linear.weight.detach().clone()
    with pytest.raises(RuntimeError) as info:
        linear(inputs)
    assert torch.equal(linear.weight, weight)
    assert any("torch module Linear called on KerasTensors of shapes (None, 4)" in note
               and "unknown sizes as 83" in note for note in info.value.__notes__)
    assert linear.training and _global_hooks()  # modes restored; still building
    assert torch.nn.Linear(4, 2)(inputs).shape == (None, 2)  # the next call works


# ------------------------------------------------------------ parametrizations
def test_parametrizations_work_on_built_layers_with_keras_layout():
    dense = layers.Dense(3)
    dense(torch.ones(2, 4))
    # The kernel is (in, out): dim=1 normalises per output unit, like dim=0 on nn.Linear
    # (not dim=-1: torch reads -1 as "the whole tensor").
    parametrizations.weight_norm(dense, name="kernel", dim=1)
    assert dense.parametrizations.kernel.original0.shape == (1, 3)
    assert dense(torch.ones(2, 4)).shape == (2, 3)
    spectral = layers.Dense(3)
    spectral(torch.ones(2, 4))
    parametrizations.spectral_norm(spectral, name="kernel")
    for _ in range(20):
        spectral(torch.randn(2, 4))
    assert torch.linalg.matrix_norm(spectral.kernel.detach(), ord=2) == pytest.approx(1.0, rel=1e-3)
    orthogonal = layers.Dense(3)
    orthogonal(torch.ones(2, 3))
    parametrizations.orthogonal(orthogonal, name="kernel")
    torch.testing.assert_close(orthogonal.kernel.T @ orthogonal.kernel, torch.eye(3), atol=1e-5, rtol=0)
    # New state after build is still refused.
    with pytest.raises(ValueError, match="creating sub-layer 'extra' after build"):
        dense.extra = layers.Dense(2)


# ------------------------------------------------------------------ state dicts
def test_state_dict_goes_to_safetensors_and_onnx(tmp_path):
    from safetensors.torch import load_file, save_file

    model = mlp()
    state = model.state_dict()
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    save_file(state, tmp_path / "m.safetensors")
    fresh = tkl.Sequential([layers.Dense(8, activation="relu"), layers.Dense(2)])  # unbuilt
    fresh.load_state_dict(load_file(tmp_path / "m.safetensors"))  # builds from the stored configs
    x = torch.rand(3, 4)
    torch.testing.assert_close(fresh(x), model(x))
    onnx = pytest.importorskip("onnx", reason="the legacy ONNX exporter needs the onnx package")
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch deprecates its TorchScript exporter
        # The tracer notes that the input-spec checks see sizes as constants (they are).
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(model, (x,), buffer, dynamo=False)
    exported = onnx.load_from_string(buffer.getvalue())
    assert sorted(i.name for i in exported.graph.initializer) == [
        "layers.0.bias", "layers.0.kernel", "layers.1.bias", "layers.1.kernel"]


def test_export_of_an_unbuilt_layer_is_a_clear_error_and_changes_nothing():
    layer = layers.Dense(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tkl.UnbuiltLayerWarning)  # export lists the parameters first
        with pytest.raises(Exception, match=r'Layer "dense\w*" \(Dense\) is not built, and torch.export is '
                                            r"tracing it[\s\S]*layer\(example_input\)"):
            torch.export.export(layer, (torch.ones(2, 4),))
    assert not layer.built and list(layer.state_dict()) == ["_extra_state"]
    layer(torch.ones(2, 4))
    program = torch.export.export(layer, (torch.ones(2, 4),))
    assert sorted(program.state_dict) == ["bias", "kernel"]
    torch.testing.assert_close(program.module()(torch.ones(2, 4)), layer(torch.ones(2, 4)))


# -------------------------------------------------------- meta device and resets
def test_meta_construction_to_empty_then_reset_parameters():
    with torch.device("meta"):
        model = tkl.Sequential([tkl.Input((4,)), layers.Dense(8, bias_initializer="ones"),
                                layers.BatchNormalization(), layers.Conv1D(2, 1) if False else layers.Dense(2)])
    assert all(p.is_meta for p in model.parameters())
    with pytest.raises(ValueError, match=r"weight 'kernel' is on the meta device[\s\S]*to_empty"):
        model.layers[0].reset_parameters()
    model.to_empty(device="cpu")
    for module in model.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
    dense, norm = model.layers[0], model.layers[1]
    assert torch.equal(dense.bias, torch.ones(8))
    assert torch.equal(norm.moving_variance, torch.ones(8)) and torch.equal(norm.moving_mean, torch.zeros(8))
    limit = (6 / (4 + 8)) ** 0.5  # glorot_uniform's bound
    assert dense.kernel.abs().max() <= limit and dense.kernel.std() > 0
    assert model(torch.rand(2, 4)).isfinite().all()


def test_every_built_in_layer_with_weights_resets_them():
    conv = layers.Conv2D(4, 3, kernel_initializer="ones", bias_initializer="zeros")
    conv(torch.rand(1, 5, 5, 2))
    with torch.no_grad():
        conv.kernel.fill_(3.0)
        conv.bias.fill_(3.0)
    conv.reset_parameters()
    assert torch.equal(conv.kernel, torch.ones_like(conv.kernel)) and not conv.bias.any()


def test_distributed_checkpoint_into_an_unbuilt_model_is_a_clear_error(tmp_path):
    import torch.distributed.checkpoint as dcp

    model = mlp()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # DCP: "no process group, single process"
        dcp.save({"model": model}, checkpoint_id=tmp_path)
        unbuilt = tkl.Sequential([layers.Dense(8, activation="relu"), layers.Dense(2)])
        with pytest.raises(ValueError, match=r"torch.distributed.checkpoint asked model \"sequential\w*\" for its "
                                             r"state_dict, but layers \[.*\] are not built[\s\S]*build the model"):
            dcp.load({"model": unbuilt}, checkpoint_id=tmp_path)
        assert not unbuilt.built
        unbuilt.build((None, 4))
        dcp.load({"model": unbuilt}, checkpoint_id=tmp_path)
    x = torch.rand(2, 4)
    torch.testing.assert_close(unbuilt(x), model(x))


# ---------------------------------------------------------------- quantization
def test_quantize_dynamic_quantizes_dense_and_lstm():
    torch.manual_seed(0)
    inputs = tkl.Input((5, 8))
    hidden = layers.LSTM(16, return_sequences=True)(inputs)
    model = tkl.Model(inputs, layers.Dense(4, activation="relu")(hidden))
    quantized = tkl.quantization.quantize_dynamic(model)
    assert [type(layer).__name__ for layer in quantized.layers] == [
        "InputLayer", "DynamicQuantizedLSTM", "DynamicQuantizedDense"]
    assert type(model.layers[1]).__name__ == "LSTM"  # the original is left as it was
    x = torch.randn(3, 5, 8)
    reference = model(x)
    error = (quantized(x) - reference).abs().max()
    assert 0 < error < 0.05 * reference.abs().max()  # int8 weights: close, not equal
    # The Dense kernel is quantized exactly as torch quantizes the same nn.Linear.
    dense = model.layers[2]
    linear = torch.nn.Linear(16, 4)
    with torch.no_grad():
        linear.weight.copy_(dense.kernel.t())
        linear.bias.copy_(dense.bias)
    torch_q = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(linear), {torch.nn.Linear})
    h = torch.randn(3, 16)
    torch.testing.assert_close(quantized.layers[2](h), torch.relu(torch_q(h)))
    with pytest.raises(ValueError, match=r"layers=\('GRU',\) names \['GRU'\], which have no quantized"):
        tkl.quantization.quantize_dynamic(model, layers=("GRU",))
