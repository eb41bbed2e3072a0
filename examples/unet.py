"""A small U-Net built from ``UnetResBlockWithBuild``, trained on synthetic segmentation.

Each image is a noisy canvas with a few rectangles and discs; the target is the mask of
the shapes. The model is a functional ``tkl.Model`` (channels_last), trained with a
plain torch optimizer loop. It prints a falling loss and the final IoU on held-out
images (chance, predicting everything as foreground, is about the foreground fraction).

Run: python examples/unet.py [--device cuda] [--epochs 6]
"""

import time

import torch

import torch_keraslike as tkl
from _common import parse_device
from torch_keraslike import layers
from unet_blocks import UnetResBlockWithBuild


def make_shapes(count, size=32, seed=0):
    """Images (count, size, size, 1) and masks of random rectangles and discs."""
    generator = torch.Generator().manual_seed(seed)
    rows = torch.arange(size).view(size, 1).float()
    cols = torch.arange(size).view(1, size).float()
    masks = torch.zeros(count, size, size)
    for index in range(count):
        for _ in range(int(torch.randint(1, 4, (1,), generator=generator))):
            cy, cx = torch.randint(4, size - 4, (2,), generator=generator).float()
            radius = float(torch.randint(3, 8, (1,), generator=generator))
            if torch.rand(1, generator=generator) < 0.5:
                shape = ((rows - cy) ** 2 + (cols - cx) ** 2) <= radius**2
            else:
                shape = ((rows - cy).abs() <= radius) & ((cols - cx).abs() <= radius * 0.7)
            masks[index] = torch.maximum(masks[index], shape.float())
    images = masks + 0.35 * torch.randn(count, size, size, generator=generator)
    return images.unsqueeze(-1), masks.unsqueeze(-1)


def unet(size=32, width=8):
    inputs = tkl.Input((size, size, 1), name="image")
    e1 = UnetResBlockWithBuild(2, width)(inputs)                       # 32x32
    e2 = UnetResBlockWithBuild(2, width * 2, stride=2)(e1)             # 16x16
    bottom = UnetResBlockWithBuild(2, width * 4, stride=2)(e2)         # 8x8
    d2 = layers.UpSampling2D()(bottom)
    d2 = UnetResBlockWithBuild(2, width * 2)(layers.Concatenate()([d2, e2]))
    d1 = layers.UpSampling2D()(d2)
    d1 = UnetResBlockWithBuild(2, width)(layers.Concatenate()([d1, e1]))
    logits = layers.Conv2D(1, 1, name="logits")(d1)
    return tkl.Model(inputs, logits, name="unet")


def iou(logits, masks):
    predicted = logits > 0
    truth = masks > 0.5
    return ((predicted & truth).sum() / (predicted | truth).sum().clamp(min=1)).item()


def main():
    args = parse_device(__doc__, lambda p: p.add_argument("--epochs", type=int, default=6))
    torch.manual_seed(0)
    train_x, train_y = make_shapes(512, seed=1)
    test_x, test_y = make_shapes(128, seed=2)
    model = unet().to(args.device)
    model.summary()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train_x))
        total = 0.0
        for batch in order.split(32):
            x, y = train_x[batch].to(args.device), train_y[batch].to(args.device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            test_iou = iou(model(test_x.to(args.device)), test_y.to(args.device))
        print(f"epoch {epoch + 1}: loss {total / len(train_x):.4f}  test IoU {test_iou:.3f}")
    chance = test_y.mean().item()
    print(f"final IoU {test_iou:.3f} (chance ~{chance:.3f}), {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
