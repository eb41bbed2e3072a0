"""torch tools on torch_keraslike modules: each was seen failing or silently wrong."""

import io
import warnings

import numpy as np
import pytest
import torch
from torch.nn.utils import parametrizations

import torch_keraslike as tkl
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


def test_bare_torch_module_on_a_keras_tensor_says_to_wrap_it():
    inputs = tkl.Input((4,))
    with pytest.raises(TypeError, match=r"The torch module Linear\(in_features=4, out_features=2, bias=True\) "
                                        r"\(Linear\) was called on a KerasTensor[\s\S]*TorchModuleWrapper"):
        torch.nn.Linear(4, 2)(inputs)
    # torch functions on KerasTensors still join the graph as before.
    assert (torch.relu(inputs) + 1).shape == (None, 4)


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
