"""The second seed document: U-Net residual blocks, sub-layers in ``__init__`` vs ``build``.

``UnetResBlock`` knows its input channels up front and creates the residual projection
in ``__init__``; ``UnetResBlockWithBuild`` creates it in ``build()``, only when the
input's channel count (known only then) differs from the output's. Both are tracked
like any child module: ``state_dict``, ``parameters()``, ``.to()``, ``trainable``.

Run: python examples/unet_blocks.py [--device cuda]
"""

import torch

import torch_keraslike as tkl
from _common import parse_device
from torch_keraslike import layers

_CONV = {1: layers.Conv1D, 2: layers.Conv2D, 3: layers.Conv3D}


class UnetResBlock(tkl.Layer):
    """conv-norm-relu, conv-norm, plus a (projected) shortcut, then relu."""

    def __init__(self, spatial_dims, in_channels, out_channels, kernel_size=3, stride=1, **kwargs):
        super().__init__(**kwargs)
        conv = _CONV[spatial_dims]
        self.out_channels, self.stride = out_channels, stride
        self.conv1 = conv(out_channels, kernel_size, strides=stride, padding="same", use_bias=False)
        self.conv2 = conv(out_channels, kernel_size, padding="same", use_bias=False)
        self.norm1 = layers.BatchNormalization()
        self.norm2 = layers.BatchNormalization()
        # Residual path layers defined directly in __init__ (in_channels is given).
        self.res_conv = self.res_norm = None
        if in_channels is not None and (in_channels != out_channels or stride != 1):
            self.res_conv = conv(out_channels, 1, strides=stride, use_bias=False)
            self.res_norm = layers.BatchNormalization()

    def call(self, x, training=None):
        out = torch.relu(self.norm1(self.conv1(x), training=training))
        out = self.norm2(self.conv2(out), training=training)
        if self.res_conv is not None:
            x = self.res_norm(self.res_conv(x), training=training)
        return torch.relu(out + x)


class UnetResBlockWithBuild(UnetResBlock):
    """The same block; the residual path is created in ``build()`` from the input shape."""

    def __init__(self, spatial_dims, out_channels, kernel_size=3, stride=1, **kwargs):
        # in_channels=None: the residual path waits for build(), where the input is known.
        super().__init__(spatial_dims, None, out_channels, kernel_size, stride, **kwargs)
        self.spatial_dims = spatial_dims

    def build(self, input_shape):
        in_channels = input_shape[-1]
        if in_channels != self.out_channels or self.stride != 1:
            conv = _CONV[self.spatial_dims]
            self.res_conv = conv(self.out_channels, 1, strides=self.stride, use_bias=False)
            self.res_norm = layers.BatchNormalization()
        super().build(input_shape)


def main():
    args = parse_device(__doc__)
    x = torch.randn(2, 16, 16, 8, device=args.device)
    for block in (UnetResBlock(2, in_channels=8, out_channels=16, stride=2),
                  UnetResBlockWithBuild(2, out_channels=16, stride=2)):
        block.to(args.device)
        print(f"{type(block).__name__}: res_conv before call = {type(block.res_conv).__name__}")
        y = block(x, training=True)
        keys = [k for k in block.state_dict() if k.startswith("res_") and not k.endswith("_extra_state")]
        print(f"  output {tuple(y.shape)}, {block.count_params()} params, residual weights: {keys}")
    same = UnetResBlockWithBuild(2, out_channels=8)
    same(x)
    print("UnetResBlockWithBuild with matching channels: res_conv =", same.res_conv)


if __name__ == "__main__":
    main()
