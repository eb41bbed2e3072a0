"""The examples run end to end (short settings), as a new user would run them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name, *args, timeout=180):
    env = dict(os.environ, PYTHONWARNINGS="error::DeprecationWarning")
    result = subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=EXAMPLES, env=env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_seed_layer_internals():
    out = run_example("seed_layer_internals.py")
    assert "built before call: False" in out and "output: Tensor (20, 15)" in out
    assert 'expected axis -1 of input shape to have value 5, but received input with shape (10, 4)' in out


def test_unet_blocks():
    out = run_example("unet_blocks.py")
    assert "UnetResBlockWithBuild: res_conv before call = NoneType" in out
    assert out.count("res_conv.kernel") == 2 and "matching channels: res_conv = None" in out


def test_functional_api():
    out = run_example("functional_api.py")
    assert "Connected to" in out and "{'priority': (5, 1), 'department': (5, 4)}" in out
    assert "config round trip gives the same outputs: True" in out


def test_unet_trains():
    out = run_example("unet.py", "--epochs", "2")
    losses = [float(line.split("loss ")[1].split()[0]) for line in out.splitlines() if line.startswith("epoch")]
    assert len(losses) == 2 and losses[1] < losses[0]


def test_examples_refuse_cuda_without_gpu():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    result = subprocess.run([sys.executable, str(EXAMPLES / "unet_blocks.py"), "--device", "cuda"],
                            cwd=EXAMPLES, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "torch.cuda.is_available() is False" in result.stderr


def test_mnist_like_fits():
    out = run_example("mnist_like.py", "--epochs", "2", "--samples", "1500")
    assert "Epoch 2/2" in out and "val_accuracy" in out
    losses = eval(out.split("loss per epoch: ")[1].splitlines()[0])
    assert losses[1] < losses[0]
    accuracy = float(out.split("test accuracy: ")[1].split()[0])
    assert accuracy > 0.3  # 10 classes: chance is 0.1


@pytest.mark.slow
def test_keras_zoo_loads_checks_fine_tunes_and_saves_back():
    from keras_reference import import_keras

    import_keras()
    out = run_example("keras_zoo.py", "--size", "32", "--steps", "3", "--backend", "eager", timeout=300)
    assert "a torch.nn.Module: True" in out and "max difference to Keras's outputs" in out
    losses = [float(line.split("loss ")[1]) for line in out.splitlines() if line.startswith("step")]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert "Keras reloads the fine-tuned file: same outputs: True" in out


def test_keras_zoo_takes_a_model_file(tmp_path):
    import torch_keraslike as tkl

    model = tkl.Sequential([tkl.Input((16, 16, 3)), tkl.layers.Conv2D(4, 3, activation="relu"),
                            tkl.layers.GlobalAveragePooling2D(), tkl.layers.Dense(3, activation="softmax")])
    model.save(tmp_path / "small.keras")
    out = run_example("keras_zoo.py", "--path", str(tmp_path / "small.keras"), "--steps", "2", "--backend", "eager")
    assert "a torch.nn.Module: True" in out and "saved" in out


def test_text_classification_ignores_padding():
    out = run_example("text_classification.py", "--epochs", "3", "--samples", "1000")
    losses = eval(out.split("loss per epoch: ")[1].splitlines()[0])
    assert losses[-1] < losses[0]
    assert float(out.split("test accuracy: ")[1].split()[0]) > 0.7  # chance is 0.5
    for padding in ("pre", "post"):
        change = float(out.split(f"padding steps ({padding}): ")[1].split()[0])
        assert change < 1e-5  # masked steps change nothing, at either end
    assert "Bidirectional" in out
