"""Mixed precision as Keras users write it: dtype policies, autocast, loss scaling."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from torch_keraslike import layers
from torch_keraslike.dtype_policies import DTypePolicy


@pytest.fixture
def policy():
    """Sets a global policy for one test and restores the default afterwards."""
    def set_policy(name):
        tkl.config.set_dtype_policy(name)

    yield set_policy
    tkl.config.set_dtype_policy(None)


def small_cnn():
    return tkl.Sequential([
        tkl.Input((8, 8, 3)),
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(3, dtype="float32"),  # Keras's advice: a float32 head
    ])


def images(n=64):
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(n, 8, 8, 3, generator=generator)
    y = (x.mean(dim=(1, 2)).argmax(dim=-1))  # a learnable rule
    return x.numpy(), y.numpy()


def test_mixed_bfloat16_trains_a_small_cnn_with_float32_variables(policy):
    policy("mixed_bfloat16")
    model = small_cnn()
    assert model.layers[0].dtype_policy == DTypePolicy("mixed_bfloat16")
    assert (model.layers[0].compute_dtype, model.layers[0].variable_dtype) == ("bfloat16", "float32")
    assert model.layers[-1].compute_dtype == "float32"
    x, y = images()
    model.compile(optimizer="adam", loss=tkl.training.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=8, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert all(w.dtype == torch.float32 for w in model.weights)
    assert vars(model)["_tkl_train"].scaler is None  # bfloat16 needs no loss scaling
    # Inside, the convolutions compute in bfloat16; the float32 head gives float32.
    hidden = model.layers[0](torch.from_numpy(x[:2]))
    assert hidden.dtype == torch.bfloat16
    assert model(torch.from_numpy(x[:2])).dtype == torch.float32
    assert model.predict(x[:2], verbose=0).dtype == np.float32


def cpu_float16_autocast_works():
    try:
        with torch.autocast("cpu", dtype=torch.float16):
            torch.ones(2, 2) @ torch.ones(2, 2)
        torch.amp.GradScaler("cpu")
    except (RuntimeError, AssertionError):
        return False
    return True


@pytest.mark.skipif(not cpu_float16_autocast_works(),
                    reason="this torch build has no float16 autocast or GradScaler on the CPU")
def test_mixed_float16_scales_the_loss_with_grad_scaler(policy):
    policy("mixed_float16")
    model = small_cnn()
    x, y = images()
    model.compile(optimizer="adam", loss=tkl.training.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, batch_size=16, epochs=6, verbose=0)
    scaler = vars(model)["_tkl_train"].scaler
    assert isinstance(scaler, torch.amp.GradScaler) and scaler.is_enabled()
    assert scaler.get_scale() > 1  # the loss was scaled up before backward
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert all(w.dtype == torch.float32 for w in model.weights)
    # auto_scale_loss=False: no scaler, as Keras's compile argument.
    other = small_cnn()
    other.compile(optimizer="adam", loss="mse", auto_scale_loss=False)
    other.fit(x, np.eye(3)[y], batch_size=16, epochs=1, verbose=0)
    assert vars(other)["_tkl_train"].scaler is None


def test_policy_forms_layers_and_configs(policy):
    layer = layers.Dense(4, dtype={"module": "keras", "class_name": "DTypePolicy",
                                   "config": {"name": "mixed_float16"}, "registered_name": None})
    assert layer.dtype_policy.name == "mixed_float16" and layer.dtype == "float32"
    assert layer.get_config()["dtype"] == "mixed_float16"
    again = layers.Dense.from_config(layer.get_config())
    assert again.compute_dtype == "float16"
    # Floating inputs are cast to the compute dtype; integer inputs keep theirs.
    out = layers.Dense(2, dtype="mixed_bfloat16")(np.ones((3, 5), dtype="float64"))
    assert out.dtype == torch.bfloat16
    # The symbolic path gives the compute dtype too.
    assert layers.Dense(2, dtype="mixed_bfloat16")(tkl.Input((5,))).dtype == torch.bfloat16
    # A plain policy name is one dtype for both.
    assert layers.Dense(2, dtype="float64").dtype_policy.compute_dtype == "float64"
    policy("mixed_bfloat16")
    assert tkl.config.dtype_policy().name == "mixed_bfloat16"
    assert layers.Dense(2).compute_dtype == "bfloat16"
    # .to(dtype) gives one dtype again, as torch users expect.
    moved = layers.Dense(2).to(torch.float64)
    assert moved.dtype_policy.name == "float64" and moved.compute_dtype == "float64"


def test_bad_policies_are_refused_clearly():
    with pytest.raises(ValueError, match="Cannot convert 'mixed_int8' to a mixed precision DTypePolicy"):
        DTypePolicy("mixed_int8")
    with pytest.raises(ValueError, match="Quantized policies have no torch_keraslike counterpart"):
        layers.Dense(2, dtype={"class_name": "QuantizedDTypePolicy", "config": {"name": "int8_from_float32"}})
    with pytest.raises(ValueError, match="Cannot convert 'float99'"):
        tkl.config.set_dtype_policy("float99")
    assert tkl.config.dtype_policy().name == "float32"  # unchanged after the error
