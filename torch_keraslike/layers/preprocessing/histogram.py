"""Histogram equalization of images: ``Equalization`` (global, while training) and
``ContrastLimitedAdaptiveHistogramEqualization`` (CLAHE: per tile, with a contrast
limit, always active). Histograms are built with ``scatter_add``/one-hot sums of
static sizes, so both run on any device and under torch.compile."""

import torch

from ...saving import register_serializable
from .._common import is_positive_int, layer_label
from ._base import BaseImagePreprocessingLayer, is_number, to_value_range, value_range_pair

__all__ = ["ContrastLimitedAdaptiveHistogramEqualization", "Equalization"]

_FULL = (0, 255)


def _channels_first_flat(layer, images):
    """``(C, N)``: the values of each channel of the whole batch."""
    axis = images.dim() - 1 if layer._channels_last else images.dim() - 3
    return images.movedim(axis, 0).reshape(images.shape[axis], -1), axis


@register_serializable(package="keras")
class Equalization(BaseImagePreprocessingLayer):
    """Equalizes the histogram of each channel, while training.

    Values are mapped to ``[0, 255]``, counted in ``bins`` bins, and replaced through
    the normalised cumulative histogram, which spreads them evenly over the range.
    As in Keras 3, a batch shares one histogram per channel (a single image has its
    own), and a channel whose values fall in a single bin is left as it is. In
    inference the input is returned unchanged (in the layer's floating dtype).

    Args:
        value_range: the ``[low, high]`` range of the pixel values (default
            ``(0, 255)``).
        bins: the number of histogram bins (default 256).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.Equalization()
        >>> layer(torch.tensor([10.0, 10.0, 20.0, 30.0]).reshape(1, 1, 4, 1), training=True).flatten()
        tensor([  0.,   0., 128., 255.])
    """

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if not is_positive_int(bins) or bins < 2:
            raise ValueError(
                f"{layer_label(self)}: `bins` must be an integer >= 2, received bins={bins!r}. "
                "Fix: e.g. bins=256."
            )
        self.bins = int(bins)
        self.value_range = sorted(value_range_pair(self, value_range))

    def transform_images(self, images, transformation=None, training=True):
        images = self._to_compute_dtype(images)
        if not training:
            return images
        bins = self.bins
        values, axis = _channels_first_flat(self, to_value_range(images, self.value_range, _FULL))
        channels = values.shape[0]
        indices = (values * (bins - 1) / 255.0).to(torch.int32).clamp(0, bins - 1).to(torch.int64)
        offsets = torch.arange(channels, device=values.device).reshape(-1, 1) * bins
        counts = torch.zeros(channels * bins, dtype=torch.int64, device=values.device)
        counts = counts.scatter_add(0, (indices + offsets).reshape(-1), torch.ones_like(indices).reshape(-1))
        cdf = counts.reshape(channels, bins).cumsum(-1)
        # The cdf is non-decreasing: its first non-zero entry is its smallest positive one.
        cdf_min = torch.where(cdf > 0, cdf, cdf[:, -1:]).amin(-1, keepdim=True)
        denominator = cdf[:, -1:] - cdf_min
        denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
        table = torch.round((cdf - cdf_min) * 255 / denominator).clamp(0, 255).to(values.dtype)
        lookup = (values / 255.0 * (bins - 1)).clamp(0, bins - 1).to(torch.int64)
        equalized = torch.gather(table, 1, lookup)
        flat = torch.where((counts.reshape(channels, bins) > 0).sum(-1, keepdim=True) <= 1, values, equalized)
        moved = list(images.movedim(axis, 0).shape)
        result = flat.reshape(moved).movedim(0, axis)
        return to_value_range(result, _FULL, self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update(bins=self.bins, value_range=self.value_range)
        return config


def _symmetric_indices(size, padded, device):
    """Indices of NumPy's ``"symmetric"`` padding (``d c b a | a b c d | d c b a``)."""
    index = torch.arange(padded, device=device) % (2 * size)
    return torch.where(index < size, index, 2 * size - 1 - index)


@register_serializable(package="keras")
class ContrastLimitedAdaptiveHistogramEqualization(BaseImagePreprocessingLayer):
    """Contrast-limited adaptive histogram equalization (CLAHE), in training and
    inference.

    Values are mapped to ``[0, 255]`` and the image cut into ``tile_grid_size``
    tiles (padded symmetrically to whole tiles). Each tile's 256-bin histogram is
    clipped at ``clip_limit * pixels / 256`` (the excess spread evenly over the
    bins), turned into a cumulative mapping, and each pixel takes the bilinear blend
    of the mappings of its four nearest tiles. The limit is a whole count
    (truncated, as in Keras and OpenCV): tiles of fewer than ``256 / clip_limit``
    pixels get a limit of 0, so a uniform histogram and an unchanged tile. Outputs
    keep the input's dtype (integers truncated, as in Keras).

    Args:
        value_range: the ``[low, high]`` range of the pixel values (default
            ``(0, 255)``).
        clip_limit: the contrast limit; 0 or less disables clipping (default 4.0).
        tile_grid_size: ``(rows, columns)`` of tiles (default ``(8, 8)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Input ``(batch, H, W, C)`` or ``(H, W, C)`` (channels_last); output has the
        input's shape.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))
        >>> images = torch.randint(0, 256, (2, 16, 16, 3), dtype=torch.uint8)
        >>> layer(images).dtype
        torch.uint8
    """

    _keeps_integer_dtype = True

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range_pair(self, value_range)
        if not is_number(clip_limit):
            raise ValueError(f"{layer_label(self)}: clip_limit must be a number, received {clip_limit!r}.")
        grid = tuple(tile_grid_size) if isinstance(tile_grid_size, (tuple, list)) else None
        if grid is None or len(grid) != 2 or not all(is_positive_int(g) for g in grid):
            raise ValueError(
                f"{layer_label(self)}: tile_grid_size must be two positive integers (rows, columns), "
                f"received tile_grid_size={tile_grid_size!r}. Fix: e.g. tile_grid_size=(8, 8)."
            )
        self.clip_limit = clip_limit
        self.tile_grid_size = tuple(int(g) for g in grid)

    def transform_images(self, images, transformation=None, training=True):
        original_dtype = images.dtype
        images = images if images.is_floating_point() else images.to(self._tkl_dtype)
        if not self._channels_last:
            images = images.permute(0, 2, 3, 1)
        scaled = to_value_range(images.to(torch.float32), self.value_range, _FULL)
        result = self._clahe(scaled)
        result = to_value_range(result, _FULL, self.value_range)
        if not self._channels_last:
            result = result.permute(0, 3, 1, 2)
        return result.to(original_dtype if not original_dtype.is_floating_point else self._tkl_dtype)

    def _clahe(self, images):
        batch, height, width, channels = images.shape
        device = images.device
        grid_h, grid_w = self.tile_grid_size
        tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
        padded_h, padded_w = tile_h * grid_h, tile_w * grid_w
        if (padded_h, padded_w) != (height, width):
            images = images[:, _symmetric_indices(height, padded_h, device)]
            images = images[:, :, _symmetric_indices(width, padded_w, device)]
        pixels = images.to(torch.int32).clamp(0, 255).to(torch.int64)

        tiles = pixels.reshape(batch, grid_h, tile_h, grid_w, tile_w, channels)
        tiles = tiles.permute(0, 1, 3, 5, 2, 4).reshape(batch, grid_h, grid_w, channels, tile_h * tile_w)
        hists = torch.zeros(batch, grid_h, grid_w, channels, 256, dtype=torch.int64, device=device)
        hists = hists.scatter_add(-1, tiles, torch.ones_like(tiles))
        area = tile_h * tile_w
        if self.clip_limit > 0:
            # Counts are integers, and so is the limit (truncated, as Keras and OpenCV do).
            clipped = hists.clamp(0, int(self.clip_limit * area / 256.0))
            hists = clipped + (hists - clipped).sum(-1, keepdim=True) / 256.0
        hists = hists.to(torch.float32)
        cdf = hists.cumsum(-1)
        cdf_min = cdf.amin(-1, keepdim=True)
        denominator = area - cdf_min
        denominator = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
        mapping = ((cdf - cdf_min) * 255.0 / denominator).clamp(0, 255)
        # One extra tile on each side (edge copies): pixels near the border blend
        # their own tile with itself.
        mapping = torch.cat([mapping[:, :1], mapping, mapping[:, -1:]], dim=1)
        mapping = torch.cat([mapping[:, :, :1], mapping, mapping[:, :, -1:]], dim=2)

        def axis_nodes(size, tile, grid):
            position = (torch.arange(size, dtype=torch.float32, device=device) - tile / 2.0) / tile + 1.0
            lower = torch.floor(position)
            weight = position - lower
            return lower.clamp(0, grid + 1).long(), (lower + 1).clamp(0, grid + 1).long(), weight

        y0, y1, wy = axis_nodes(padded_h, tile_h, grid_h)
        x0, x1, wx = axis_nodes(padded_w, tile_w, grid_w)
        b = torch.arange(batch, device=device).reshape(-1, 1, 1, 1)
        c = torch.arange(channels, device=device).reshape(1, 1, 1, -1)
        y0, y1, wy = y0.reshape(1, -1, 1, 1), y1.reshape(1, -1, 1, 1), wy.reshape(1, -1, 1, 1)
        x0, x1, wx = x0.reshape(1, 1, -1, 1), x1.reshape(1, 1, -1, 1), wx.reshape(1, 1, -1, 1)
        top = mapping[b, y0, x0, c, pixels] * (1.0 - wx) + mapping[b, y0, x1, c, pixels] * wx
        bottom = mapping[b, y1, x0, c, pixels] * (1.0 - wx) + mapping[b, y1, x1, c, pixels] * wx
        return (top * (1.0 - wy) + bottom * wy)[:, :height, :width, :]

    def get_config(self):
        config = super().get_config()
        config.update(value_range=self.value_range, clip_limit=self.clip_limit,
                      tile_grid_size=self.tile_grid_size)
        return config
