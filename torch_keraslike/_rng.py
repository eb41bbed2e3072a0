"""Sampling primitives shared by ``tkl.initializers`` and ``tkl.random``.

One place draws normal, uniform and truncated-normal values into a tensor, and one
place turns a 64-bit seed into a ``torch.Generator``, so a seeded initializer and a
seeded ``tkl.random`` call agree (``RandomNormal(seed=3)((2,))`` on CPU equals
``tkl.random.normal((2,), stddev=0.05, seed=3)``).
"""

import math
import numbers
import operator

import torch

PHI_LO = 0.5 * (1.0 + math.erf(-math.sqrt(2.0)))  # Phi(-2)
PHI_HI = 0.5 * (1.0 + math.erf(math.sqrt(2.0)))  # Phi(2)
SEED_RANGE = (-0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF)  # what manual_seed accepts


def standardize_shape(shape, name):
    """``shape`` (an int or a sequence of ints) as a tuple of non-negative ints;
    ``ValueError`` naming ``name`` otherwise."""
    received = shape
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        shape = tuple(shape) if not isinstance(shape, (str, bytes)) else None
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:
        dims = None
    if dims is None or any(d < 0 or isinstance(o, bool) for d, o in zip(dims, shape)):
        raise ValueError(
            f"{name} expected `shape` to be a tuple of non-negative ints such as (3, 4), "
            f"but received shape={received!r}. Pass the shape of the tensor to create."
        )
    return dims


def generator(seed, device=None):
    """A new ``torch.Generator`` on ``device`` seeded with ``seed``; ``None`` on the
    meta device, which has no generator.

    Seeds in ``SEED_RANGE`` go to ``manual_seed`` unchanged (so the same int gives
    the same stream everywhere in the library); larger ints are reduced modulo 2**64.
    """
    device = torch.device(device if device is not None else torch.get_default_device())
    if device.type == "meta":
        return None
    seed = int(seed)
    if not SEED_RANGE[0] <= seed <= SEED_RANGE[1]:
        seed &= SEED_RANGE[1]
    return torch.Generator(device=device).manual_seed(seed)


def fill_(out, kind, a, b, gen=None):
    """Fills the floating tensor ``out`` in place and returns it.

    Args:
        out: the tensor to fill.
        kind: ``"normal"`` (mean ``a``, std ``b``), ``"uniform"`` on ``[a, b)``, or
            ``"truncated"``: a normal of mean ``a`` and std ``b`` restricted to
            ``[a - 2b, a + 2b]``, drawn exactly by the inverse CDF (no re-draw loop).
        a, b: the two parameters of ``kind``.
        gen: a ``torch.Generator`` on ``out``'s device, or ``None`` for torch's global RNG.
    """
    if kind == "normal":
        return out.normal_(a, b, generator=gen)
    if kind == "uniform":
        return out.uniform_(a, b, generator=gen)
    out.uniform_(2.0 * PHI_LO - 1.0, 2.0 * PHI_HI - 1.0, generator=gen)
    out.erfinv_().clamp_(-math.sqrt(2.0), math.sqrt(2.0)).mul_(math.sqrt(2.0) * b)
    return out.add_(a) if a != 0.0 else out
