"""``keras.ops.rearrange``: einops-style axis rearrangement as one reshape, one
permutation and one reshape.
"""

import math
import re

from ._base import convert, shape_str
from ._symbolic import exported, keras_op

_TOKEN = re.compile(r"\(\s*[\w\s]*\)|\w+")


def _groups(pattern, op):
    tokens = _TOKEN.findall(pattern)
    if "".join(tokens).replace(" ", "") != re.sub(r"\s", "", pattern):
        raise ValueError(f"{op}: cannot parse the axes {pattern!r}; use names and (grouped names).")
    return [token.strip("()").split() for token in tokens]


@keras_op("einops")
def rearrange(tensor, pattern, **axes_lengths):
    """Reorders, merges and splits axes as written in einops notation.

    Args:
        tensor: input tensor.
        pattern: ``"inputs -> outputs"``, e.g. ``"b h w c -> b c h w"``; parentheses
            group axes that are merged (output) or split (input).
        **axes_lengths: sizes of split axes (one per group may be left to infer).

    Returns:
        The rearranged tensor.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.rearrange(ops.zeros((2, 4, 6, 3)), "b (h1 h) w c -> (b h1) h w c", h1=2).shape
        torch.Size([4, 2, 6, 3])
    """
    op = "ops.rearrange"
    x = convert(tensor, op=op)
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise ValueError(f"{op}: pattern must read 'input axes -> output axes', received {pattern!r}.")
    source, target = (_groups(side, op) for side in pattern.split("->"))
    if len(source) != x.ndim:
        raise ValueError(f"{op}: the pattern names {len(source)} input axes but the tensor has shape "
                         f"{shape_str(x.shape)}.")
    sizes = {name: int(size) for name, size in axes_lengths.items()}
    for group, dim in zip(source, x.shape):
        unknown = [name for name in group if name not in sizes]
        known = math.prod([sizes[name] for name in group if name in sizes])
        if len(unknown) > 1 or (not unknown and known != dim) or (unknown and (known == 0 or dim % known)):
            raise ValueError(f"{op}: cannot split an axis of size {dim} into {group} with sizes {axes_lengths}.")
        if unknown:
            sizes[unknown[0]] = dim // known
    names = [name for group in source for name in group]
    flat_target = [name for group in target for name in group]
    if sorted(names) != sorted(flat_target) or len(set(names)) != len(names):
        raise ValueError(f"{op}: the output axes {flat_target} must use each input axis {names} exactly once.")
    x = x.reshape([sizes[name] for name in names])
    x = x.permute([names.index(name) for name in flat_target])
    return x.reshape([math.prod([sizes[name] for name in group]) for group in target])


__all__ = exported(globals())
