"""A Keras application as a plain torch module: load, check, fine-tune, hand back.

1. Makes a Keras application file (Keras 3 builds it with random weights) or takes a
   ``.keras``/``.h5`` file given with ``--path``.
2. Loads it with ``tkl.saving.load_model``: the result is a ``torch.nn.Module``.
3. With Keras installed, checks that both give the same outputs.
4. Fine-tunes it for a few steps with a torch optimizer, through ``torch.compile``.
5. Saves it back as ``.keras``, a file Keras loads.

Run: python examples/keras_zoo.py [--app ResNet50] [--size 64] [--path model.keras]
     [--steps 5] [--backend inductor] [--device cuda]
"""

import os
import tempfile
import warnings

import numpy as np
import torch

import torch_keraslike as tkl
from _common import parse_device

os.environ.setdefault("KERAS_BACKEND", "torch")
# Keras's own file writer converts its torch variables with np.array(variable), which
# NumPy 2 flags; the warning comes from inside Keras.
warnings.filterwarnings("ignore", message="__array__ implementation doesn't accept a copy keyword",
                        category=DeprecationWarning)


def options(parser):
    parser.add_argument("--app", default="MobileNetV2", help="a keras.applications model (ResNet50, "
                        "MobileNetV2, EfficientNetB0, DenseNet121, ConvNeXtTiny...)")
    parser.add_argument("--size", type=int, default=64, help="input height and width")
    parser.add_argument("--path", default=None, help="a .keras or .h5 model file instead of --app")
    parser.add_argument("--steps", type=int, default=5, help="fine-tuning steps")
    parser.add_argument("--backend", default="inductor", help="torch.compile backend (inductor, eager...)")


def import_keras():
    try:
        import keras
    except ImportError:
        return None
    return keras if keras.backend.backend() == "torch" else None


def make_file(keras, app, size, folder):
    if keras is None:
        raise SystemExit("Making an application file needs Keras 3 (pip install keras); or pass "
                         "--path model.keras")
    path = os.path.join(folder, f"{app}.keras")
    getattr(keras.applications, app)(weights=None, input_shape=(size, size, 3), classes=10).save(path)
    return path


def main():
    args = parse_device(__doc__, options)
    keras = import_keras()
    folder = tempfile.mkdtemp()
    path = args.path or make_file(keras, args.app, args.size, folder)

    model = tkl.saving.load_model(path)
    print(f"loaded {path}: {type(model).__name__} {model.name!r}, a torch.nn.Module: "
          f"{isinstance(model, torch.nn.Module)}, {model.count_params():,} parameters")
    _, height, width, channels = model.inputs[0].shape
    height, width = height or args.size, width or args.size
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(8, height, width, channels, generator=generator) * 255

    model.eval()
    with torch.no_grad():
        ours = model(images)
    if keras is not None:
        theirs = keras.saving.load_model(path)(images.numpy(), training=False).detach().cpu().numpy()
        scale = np.abs(theirs).max() + 1e-12
        print(f"max difference to Keras's outputs: {np.abs(ours.numpy() - theirs).max() / scale:.2e} (relative)")

    # Fine-tuning: the loaded model is an ordinary module for torch's optimizers.
    model.to(args.device).train()
    classes = ours.shape[-1]
    labels = torch.randint(0, classes, (8,), generator=generator).to(args.device)
    images = images.to(args.device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    compiled = torch.compile(model, backend=args.backend)
    # The applications end in a softmax: train on the log of their probabilities.
    loss_fn = torch.nn.NLLLoss()
    for step in range(args.steps):
        optimizer.zero_grad()
        probabilities = compiled(images)
        loss = loss_fn(torch.log(probabilities.clamp_min(1e-7)), labels)
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.4f}")

    out = os.path.join(folder, "fine_tuned.keras")
    model.to("cpu").eval()
    model.save(out)
    print(f"saved {out}")
    if keras is not None:
        with torch.no_grad():
            expected = model(images.cpu()).numpy()
        again = keras.saving.load_model(out)(images.cpu().numpy(), training=False).detach().cpu().numpy()
        print(f"Keras reloads the fine-tuned file: same outputs: {np.allclose(again, expected, rtol=1e-4, atol=1e-5)}")


if __name__ == "__main__":
    main()
