"""Random tensors with Keras 3's ``keras.random`` API, drawn by torch.

Every function takes ``seed``:

- an int: stateless; the same call returns the same values every time. The values
  come from a fresh ``torch.Generator`` seeded with that int, so they do not depend
  on (nor advance) torch's global random state;
- a :class:`SeedGenerator`: stateful; each call draws the generator's next seed, so
  repeated calls differ, reproducibly from the generator's initial seed;
- ``None``: torch's global RNG (reproducible with ``torch.manual_seed`` or
  ``tkl.utils.set_random_seed``).

Results default to ``tkl.backend.floatx()`` (torch's default dtype). Functions that
create a tensor from a shape take a ``device`` keyword (default: torch's default
device); the others follow their input. A seeded generator lives on that device, so
the values of a given seed are reproducible per device type.

Under ``torch.compile`` unseeded draws are traced; seeded draws need a
``torch.Generator``, which Dynamo cannot create in a graph, so they run eagerly
(a graph break; ``fullgraph=True`` refuses them).

Example:
    >>> import torch_keraslike as tkl
    >>> a = tkl.random.normal((2, 3), seed=42)
    >>> bool((a == tkl.random.normal((2, 3), seed=42)).all())   # int seed: stateless
    True
    >>> gen = tkl.random.SeedGenerator(42)
    >>> b, c = tkl.random.uniform((2,), seed=gen), tkl.random.uniform((2,), seed=gen)
    >>> bool((b == c).all())                                     # SeedGenerator: advances
    False
"""

import math
import numbers
import random as _python_random

import numpy as np
import torch
import torch.nn.functional as F

from . import _rng
from ._dtypes import dtype_name, to_torch_dtype
from ._naming import to_snake_case, unique_name
from .saving import register_serializable
from .symbolic import KerasTensor, raise_op_error

__all__ = [
    "SeedGenerator",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]

# Weyl step of splitmix64: successive SeedGenerator draws get well separated seeds.
_GOLDEN = 0x9E37_79B9_7F4A_7C15
_MASK64 = 0xFFFF_FFFF_FFFF_FFFF


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _to_int64(value):
    """Two's-complement view of a Python int as a signed 64-bit value."""
    value &= _MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


@register_serializable(package="keras")
class SeedGenerator:
    """A stateful source of seeds: pass it as ``seed=`` to get new values each call.

    Its state is the pair ``(seed, counter)``; each draw uses a seed derived from both
    and increments the counter, so two generators built with the same seed produce
    the same sequence. The first draw of ``SeedGenerator(s)`` equals a call with the
    int seed ``s``.

    Args:
        seed: int initial seed; ``None`` picks one from Python's ``random`` module
            (reproducible after ``tkl.utils.set_random_seed``).
        name: optional name (default ``seed_generator``, ``seed_generator_1``...).

    Example:
        >>> gen = SeedGenerator(seed=1337)
        >>> gen.next().tolist(), gen.next().tolist()
        ([1337, 0], [1337, 1])
        >>> SeedGenerator.from_config(gen.get_config()).next().tolist()
        [1337, 0]
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise ValueError(
                f"SeedGenerator: unrecognized keyword arguments {sorted(kwargs)}. Accepted: "
                "seed, name. Fix: SeedGenerator(seed=1337)."
            )
        if seed is not None and not _is_int(seed):
            raise ValueError(
                f"SeedGenerator: argument `seed` must be an integer or None, but received "
                f"seed={seed!r} (of type {type(seed).__name__}). Fix: SeedGenerator(seed=1337)."
            )
        if name is not None and not isinstance(name, str):
            raise ValueError(
                f"SeedGenerator: `name` must be a string or None, but received name={name!r}."
            )
        self.name = name if name is not None else unique_name(to_snake_case(type(self).__name__))
        self._initial_seed = None if seed is None else int(seed)
        self._seed = self._initial_seed if seed is not None else _python_random.randint(1, int(1e9))
        self._counter = 0

    @property
    def state(self):
        """The state ``[seed, counter]`` as an int64 tensor (a copy)."""
        return torch.tensor([_to_int64(self._seed), _to_int64(self._counter)], dtype=torch.int64)

    def next(self, ordered=True):
        """Returns the current state (``[seed, counter]``, int64) and advances it.

        Args:
            ordered: ``True`` increments the counter; ``False`` scrambles both
                entries instead (Keras's ``(state + 1) * 5387 % 933199``).
        """
        state = self.state
        self._advance(ordered)
        return state

    def _advance(self, ordered=True):
        if ordered:
            self._counter += 1
        else:
            self._seed = (self._seed + 1) * 5387 % 933199
            self._counter = (self._counter + 1) * 5387 % 933199

    def _draw(self):
        """The seed of the next draw (a Python int), advancing the state."""
        seed, counter = self._seed, self._counter
        self._advance()
        return seed if counter == 0 else (seed + counter * _GOLDEN) & _MASK64

    def get_config(self):
        """``{"seed": <initial seed or None>, "name": ...}``."""
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        """Creates a new generator (at counter 0) from :meth:`get_config`."""
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name!r} seed={self._seed} counter={self._counter}>"


# ------------------------------------------------------------------ argument checks
def _check_seed(seed, fn):
    if seed is None or _is_int(seed) or isinstance(seed, SeedGenerator):
        return
    raise ValueError(
        f"{fn}: argument `seed` must be either an integer or an instance of "
        f"`SeedGenerator`, but received seed={seed!r} (of type {type(seed).__name__}). Fix: "
        "seed=42 (same values each call), seed=tkl.random.SeedGenerator(42) (new values "
        "each call) or seed=None (torch's global RNG)."
    )


def _generator(seed, device):
    """Draws the seed (advancing a SeedGenerator) and returns the generator; call it
    last, after every check, so a rejected call leaves the SeedGenerator unchanged."""
    if seed is None:
        return None
    value = seed._draw() if isinstance(seed, SeedGenerator) else int(seed)
    return _rng.generator(value, device)


def _device(device, fn):
    """``torch.device(device)``; ``None`` stays ``None`` (torch's default device), which
    keeps unseeded draws traceable by torch.compile."""
    if device is None:
        return None
    try:
        return torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"{fn}: invalid device={device!r}. Fix: a torch.device or a name such as 'cpu' "
            "or 'cuda:0'."
        ) from None


def _dtype(dtype, fn, kind, default=None):
    """The torch dtype for ``dtype`` (``None``: ``default`` or floatx), checked to be
    of ``kind``: ``"float"`` or ``"int"``."""
    resolved = to_torch_dtype(dtype, context=f"dtype for {fn}")
    if resolved is None:
        resolved = default if default is not None else torch.get_default_dtype()
    ok = resolved.is_floating_point if kind == "float" else (
        not resolved.is_floating_point and not resolved.is_complex and resolved != torch.bool)
    if not ok:
        wanted = "a floating point `dtype` such as 'float32'" if kind == "float" else (
            "an integer `dtype` such as 'int32'")
        raise ValueError(f"{fn} requires {wanted}. Received: dtype={dtype_name(resolved)}.")
    return resolved


def _float(value, name, fn, minimum=None):
    if isinstance(value, (torch.Tensor, np.ndarray, np.generic)) and np.ndim(value) == 0:
        value = value.item()
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or (minimum is not None and value < minimum)):
        bound = "" if minimum is None else f" >= {minimum}"
        raise ValueError(
            f"{fn}: `{name}` must be a finite number{bound}, but received {name}={value!r}. "
            f"Fix: pass a Python float such as {name}={1.0 if minimum is None else 0.5}."
        )
    return float(value)


def _int(value, name, fn):
    if isinstance(value, (torch.Tensor, np.ndarray, np.generic)) and np.ndim(value) == 0:
        value = value.item()
    if not _is_int(value):
        raise ValueError(
            f"{fn}: `{name}` must be an integer, but received {name}={value!r} (of type "
            f"{type(value).__name__})."
        )
    return int(value)


def _tensor(x, fn, name="x"):
    if isinstance(x, KerasTensor):
        raise_op_error(fn, x)
    if isinstance(x, torch.Tensor):
        return x
    try:
        return torch.as_tensor(np.asarray(x))
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(
            f"{fn}: `{name}` must be a tensor or an array-like of numbers, but received "
            f"{type(x).__name__}: {x!r:.80}."
        ) from None


def _compute_dtype(dtype):
    # Half-precision draws are made in float32 and rounded once, as the initializers do.
    return torch.float64 if dtype == torch.float64 else torch.float32


def _sample(kind, shape, a, b, dtype, seed, device):
    gen = _generator(seed, device)
    out = torch.empty(shape, dtype=_compute_dtype(dtype), device=device)
    return _rng.fill_(out, kind, a, b, gen).to(dtype)


def _normal_family(name, shape, mean, stddev, dtype, seed, device):
    """``normal`` and ``truncated_normal``: the same arguments, checks and draw."""
    fn = f"tkl.random.{name}"
    shape = _rng.standardize_shape(shape, fn)
    mean, stddev = _float(mean, "mean", fn), _float(stddev, "stddev", fn, minimum=0.0)
    dtype, device = _dtype(dtype, fn, "float"), _device(device, fn)
    _check_seed(seed, fn)
    kind = "normal" if name == "normal" else "truncated"
    return _sample(kind, shape, mean, stddev, dtype, seed, device)


# ------------------------------------------------------------------ distributions
def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, *, device=None):
    """Samples from a normal distribution.

    Args:
        shape: shape of the result (a tuple of ints, or an int).
        mean: mean of the values.
        stddev: standard deviation (>= 0).
        dtype: floating dtype of the result; default ``tkl.backend.floatx()``.
        seed: int, :class:`SeedGenerator` or ``None`` (see the module docstring).
        device: where to create the result (default: torch's default device).

    Returns:
        A tensor of ``shape``.

    Example:
        >>> normal((2, 3), mean=1.0, stddev=0.1, seed=0).shape
        torch.Size([2, 3])
    """
    return _normal_family("normal", shape, mean, stddev, dtype, seed, device)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None, *, device=None):
    """Samples uniformly from ``[minval, maxval)``.

    Args:
        shape: shape of the result.
        minval: lower bound (included).
        maxval: upper bound (excluded), ``>= minval``.
        dtype: floating dtype of the result; default ``tkl.backend.floatx()``.
        seed: int, :class:`SeedGenerator` or ``None``.
        device: where to create the result.

    Returns:
        A tensor of ``shape``.

    Example:
        >>> x = uniform((100,), minval=-1.0, maxval=1.0, seed=3)
        >>> bool(((x >= -1) & (x < 1)).all())
        True
    """
    fn = "tkl.random.uniform"
    shape = _rng.standardize_shape(shape, fn)
    minval, maxval = _float(minval, "minval", fn), _float(maxval, "maxval", fn)
    if minval > maxval:
        raise ValueError(
            f"{fn}: expected minval <= maxval, but received minval={minval} and "
            f"maxval={maxval}. Fix: swap the two bounds."
        )
    dtype, device = _dtype(dtype, fn, "float"), _device(device, fn)
    _check_seed(seed, fn)
    return _sample("uniform", shape, minval, maxval, dtype, seed, device)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, *, device=None):
    """Samples from a normal distribution cut at two standard deviations.

    Values more than ``2 * stddev`` from ``mean`` never occur: the draw follows the
    normal distribution restricted to ``[mean - 2 stddev, mean + 2 stddev]`` (as if
    the outliers were re-drawn), so the resulting std is about ``0.88 * stddev``.

    Args:
        shape: shape of the result.
        mean: mean of the normal.
        stddev: standard deviation of the normal before truncation (>= 0).
        dtype: floating dtype of the result; default ``tkl.backend.floatx()``.
        seed: int, :class:`SeedGenerator` or ``None``.
        device: where to create the result.

    Returns:
        A tensor of ``shape``.

    Example:
        >>> bool((truncated_normal((1000,), seed=1).abs() <= 2).all())
        True
    """
    return _normal_family("truncated_normal", shape, mean, stddev, dtype, seed, device)


def randint(shape, minval, maxval, dtype="int32", seed=None, *, device=None):
    """Samples integers uniformly from ``[minval, maxval)``.

    Args:
        shape: shape of the result.
        minval: lowest value (included).
        maxval: upper bound (excluded), ``> minval``.
        dtype: integer dtype of the result (default ``"int32"``).
        seed: int, :class:`SeedGenerator` or ``None``.
        device: where to create the result.

    Returns:
        An integer tensor of ``shape``.

    Example:
        >>> randint((8,), 0, 3, seed=0).dtype
        torch.int32
    """
    fn = "tkl.random.randint"
    shape = _rng.standardize_shape(shape, fn)
    minval, maxval = _int(minval, "minval", fn), _int(maxval, "maxval", fn)
    dtype, device = _dtype(dtype, fn, "int"), _device(device, fn)
    if minval >= maxval:
        raise ValueError(
            f"{fn}: expected minval < maxval (the range [minval, maxval) must not be empty), "
            f"but received minval={minval} and maxval={maxval}."
        )
    info = torch.iinfo(dtype)
    if minval < info.min or maxval - 1 > info.max:
        raise ValueError(
            f"{fn}: the range [{minval}, {maxval}) does not fit in dtype={dtype_name(dtype)} "
            f"([{info.min}, {info.max}]). Fix: a wider dtype such as 'int64'."
        )
    _check_seed(seed, fn)
    gen = _generator(seed, device)
    return torch.randint(minval, maxval, shape, generator=gen, dtype=dtype, device=device)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Draws class indices from the categorical distributions given by ``logits``.

    Args:
        logits: 2-D ``(batch_size, num_classes)`` unnormalized log-probabilities
            (``-inf`` excludes a class).
        num_samples: samples drawn per row (with replacement), a positive int.
        dtype: integer dtype of the result (default ``"int32"``).
        seed: int, :class:`SeedGenerator` or ``None``.

    Returns:
        A ``(batch_size, num_samples)`` tensor of class indices, on ``logits``' device.

    Example:
        >>> import torch
        >>> categorical(torch.tensor([[0.0, -float("inf")]]), 3, seed=0).tolist()
        [[0, 0, 0]]
    """
    fn = "tkl.random.categorical"
    logits = _tensor(logits, fn, "logits")
    if logits.dim() != 2:
        raise ValueError(
            f"{fn}: `logits` should be a 2-D tensor with shape [batch_size, num_classes], "
            f"but received logits of shape {tuple(logits.shape)}. Fix: add a batch axis, e.g. "
            "logits[None]."
        )
    num_samples = _int(num_samples, "num_samples", fn)
    if num_samples < 1:
        raise ValueError(f"{fn}: `num_samples` must be >= 1, but received {num_samples}.")
    dtype = _dtype(dtype, fn, "int", default=torch.int32)
    _check_seed(seed, fn)
    probabilities = torch.softmax(logits.to(_compute_dtype(logits.dtype)), dim=-1)
    gen = _generator(seed, logits.device)
    try:
        samples = torch.multinomial(probabilities, num_samples, replacement=True, generator=gen)
    except RuntimeError as error:
        raise ValueError(
            f"{fn}: could not sample from `logits` ({error}). Every row needs at least one "
            "finite logit and no NaN."
        ) from None
    return samples.to(dtype)


def _parameter(value, name, fn, shape, dtype, device, positive):
    """``value`` as a tensor broadcast to ``shape``; checked to be > 0 (``positive``)."""
    if isinstance(value, KerasTensor):
        raise_op_error(fn, value)
    tensor = torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value)
    if tensor.is_complex() or tensor.dtype == torch.bool:
        raise ValueError(f"{fn}: `{name}` must hold real numbers, received dtype {dtype_name(tensor.dtype)}.")
    tensor = tensor.to(dtype=dtype, device=device)
    try:
        tensor = torch.broadcast_to(tensor, shape)
    except RuntimeError:
        raise ValueError(
            f"{fn}: `{name}` of shape {tuple(tensor.shape)} cannot be broadcast to shape "
            f"{shape}. Fix: a scalar or an array broadcastable to the requested shape."
        ) from None
    bad = ~(tensor > 0) if positive else ~(tensor >= 0)
    if tensor.device.type != "meta" and bool(bad.any()):
        raise ValueError(
            f"{fn}: every value of `{name}` must be {'> 0' if positive else '>= 0'}, but "
            f"received {name}={value!r:.80}."
        )
    return tensor


def _param_device(device, fn, *values):
    if device is not None:
        return _device(device, fn)
    for value in values:
        if isinstance(value, torch.Tensor):
            return value.device
    return None


def _gamma_draw(alpha, gen):
    # torch._standard_gamma is the sampler behind torch.distributions.Gamma; it is the
    # only gamma kernel that takes a generator.
    return torch._standard_gamma(alpha, generator=gen)


def gamma(shape, alpha, dtype=None, seed=None, *, device=None):
    """Samples from the Gamma distribution with concentration ``alpha`` (rate 1).

    Args:
        shape: shape of the result.
        alpha: concentration (> 0), a number or an array broadcastable to ``shape``.
        dtype: floating dtype of the result; default ``tkl.backend.floatx()``.
        seed: int, :class:`SeedGenerator` or ``None``.
        device: where to create the result (default: ``alpha``'s device for a
            tensor, else torch's default device).

    Returns:
        A tensor of ``shape``.

    Example:
        >>> bool((gamma((100,), alpha=2.0, seed=0) > 0).all())
        True
    """
    fn = "tkl.random.gamma"
    shape = _rng.standardize_shape(shape, fn)
    dtype = _dtype(dtype, fn, "float")
    device = _param_device(device, fn, alpha)
    alpha = _parameter(alpha, "alpha", fn, shape, _compute_dtype(dtype), device, positive=True)
    _check_seed(seed, fn)
    return _gamma_draw(alpha, _generator(seed, device)).to(dtype)


def beta(shape, alpha, beta, dtype=None, seed=None, *, device=None):
    """Samples from the Beta distribution ``Beta(alpha, beta)``.

    Drawn as ``X / (X + Y)`` with ``X ~ Gamma(alpha)`` and ``Y ~ Gamma(beta)``.

    Args:
        shape: shape of the result.
        alpha: first concentration (> 0), broadcastable to ``shape``.
        beta: second concentration (> 0), broadcastable to ``shape``.
        dtype: floating dtype of the result; default ``tkl.backend.floatx()``.
        seed: int, :class:`SeedGenerator` or ``None``.
        device: where to create the result.

    Returns:
        A tensor of ``shape`` with values in ``[0, 1]``.

    Example:
        >>> x = beta((100,), alpha=2.0, beta=5.0, seed=0)
        >>> bool(((x >= 0) & (x <= 1)).all())
        True
    """
    fn = "tkl.random.beta"
    shape = _rng.standardize_shape(shape, fn)
    dtype = _dtype(dtype, fn, "float")
    device = _param_device(device, fn, alpha, beta)
    compute = _compute_dtype(dtype)
    alpha = _parameter(alpha, "alpha", fn, shape, compute, device, positive=True)
    beta_ = _parameter(beta, "beta", fn, shape, compute, device, positive=True)
    _check_seed(seed, fn)
    gen = _generator(seed, device)
    x, y = _gamma_draw(alpha, gen), _gamma_draw(beta_, gen)
    # Both gammas can underflow to 0 for tiny concentrations; 0/0 is then taken as 0.5.
    total = x + y
    return torch.where(total > 0, x / total, torch.full_like(x, 0.5)).to(dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None, *, device=None):
    """Samples the number of successes of ``counts`` trials of probability
    ``probabilities``.

    Args:
        shape: shape of the result.
        counts: number of trials (>= 0), broadcastable to ``shape``.
        probabilities: success probability in ``[0, 1]``, broadcastable to ``shape``.
        dtype: dtype of the result; default ``tkl.backend.floatx()``.
        seed: int, :class:`SeedGenerator` or ``None``.
        device: where to create the result.

    Returns:
        A tensor of ``shape`` holding whole numbers.

    Example:
        >>> binomial((3,), counts=10, probabilities=0.0, seed=0).tolist()
        [0.0, 0.0, 0.0]
    """
    fn = "tkl.random.binomial"
    shape = _rng.standardize_shape(shape, fn)
    dtype = to_torch_dtype(dtype, context=f"dtype for {fn}") or torch.get_default_dtype()
    if dtype.is_complex or dtype == torch.bool:
        raise ValueError(f"{fn} requires a real `dtype` such as 'float32'. Received: dtype={dtype_name(dtype)}.")
    device = _param_device(device, fn, counts, probabilities)
    compute = torch.float64 if dtype in (torch.float64, torch.int64) else torch.float32
    counts = _parameter(counts, "counts", fn, shape, compute, device, positive=False)
    probabilities = _parameter(probabilities, "probabilities", fn, shape, compute, device, positive=False)
    if probabilities.device.type != "meta" and bool((probabilities > 1).any()):
        raise ValueError(f"{fn}: every value of `probabilities` must be in [0, 1].")
    _check_seed(seed, fn)
    gen = _generator(seed, device)
    return torch.binomial(counts.contiguous(), probabilities.contiguous(), generator=gen).to(dtype)


# ------------------------------------------------------------------ tensor ops
def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeroes each entry with probability ``rate`` and scales the rest by ``1 / (1 - rate)``.

    Always drops (there is no training flag: this is the op, not the layer).

    Args:
        inputs: floating tensor (or array-like).
        rate: drop probability in ``[0, 1]``; ``1`` gives zeros, ``0`` the inputs.
        noise_shape: shape of the keep/drop mask, broadcast over ``inputs``; ``None``
            entries take the input's size (e.g. ``(None, 1, None)`` drops the same
            features at every time step).
        seed: int, :class:`SeedGenerator` or ``None``.

    Returns:
        A tensor like ``inputs``.

    Example:
        >>> import torch
        >>> y = dropout(torch.ones(1000), rate=0.5, seed=0)
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
    """
    fn = "tkl.random.dropout"
    inputs = _tensor(inputs, fn, "inputs")
    if not inputs.is_floating_point():
        raise ValueError(
            f"{fn}: `inputs` must be a floating tensor, but received dtype "
            f"{dtype_name(inputs.dtype)}. Fix: cast it, e.g. inputs.float()."
        )
    if (isinstance(rate, bool) or not isinstance(rate, numbers.Real)
            or not 0 <= rate <= 1):
        raise ValueError(
            f"{fn}: `rate` must be a number in [0, 1], but received rate={rate!r}. Fix: e.g. rate=0.5."
        )
    mask_shape = _noise_shape(noise_shape, inputs.shape, fn)
    _check_seed(seed, fn)
    if rate == 1:
        return torch.zeros_like(inputs)
    if rate == 0:
        return inputs
    if seed is None and noise_shape is None:
        return F.dropout(inputs, p=float(rate), training=True)
    keep = 1.0 - float(rate)
    gen = _generator(seed, inputs.device)
    probability = torch.full(mask_shape, keep, dtype=inputs.dtype, device=inputs.device)
    mask = torch.bernoulli(probability, generator=gen).bool()
    return torch.where(mask, inputs / keep, torch.zeros((), dtype=inputs.dtype, device=inputs.device))


def _noise_shape(noise_shape, input_shape, fn):
    if noise_shape is None:
        return tuple(input_shape)
    try:
        entries = tuple(noise_shape)
    except TypeError:
        entries = None
    ok = entries is not None and len(entries) == len(input_shape) and all(
        want is None or (_is_int(want) and want in (1, size))
        for want, size in zip(entries, input_shape)
    )
    if not ok:
        raise ValueError(
            f"{fn}: `noise_shape`={noise_shape!r} does not fit inputs of shape "
            f"{tuple(input_shape)}: it needs one entry per input axis, each None, 1 or the "
            "input's size. Fix: e.g. noise_shape=(None, 1, None) to share the mask over axis 1."
        )
    return tuple(size if want is None else int(want) for want, size in zip(entries, input_shape))


def shuffle(x, axis=0, seed=None):
    """Shuffles ``x`` along ``axis`` (one random permutation of that axis's slices).

    Args:
        x: tensor (or array-like) of rank >= 1.
        axis: the axis to shuffle (negative counts from the end).
        seed: int, :class:`SeedGenerator` or ``None``.

    Returns:
        A tensor like ``x`` with its slices along ``axis`` permuted.

    Example:
        >>> import torch
        >>> sorted(shuffle(torch.arange(5), seed=1).tolist())
        [0, 1, 2, 3, 4]
    """
    fn = "tkl.random.shuffle"
    x = _tensor(x, fn)
    if x.dim() == 0:
        raise ValueError(f"{fn}: `x` must have at least one axis, but received a scalar.")
    if not _is_int(axis) or not -x.dim() <= axis < x.dim():
        raise ValueError(
            f"{fn}: `axis`={axis!r} is not an axis of a tensor of rank {x.dim()} (shape "
            f"{tuple(x.shape)}). Fix: an int in [-{x.dim()}, {x.dim()})."
        )
    _check_seed(seed, fn)
    gen = _generator(seed, x.device)
    order = torch.randperm(x.shape[axis], generator=gen, device=x.device)
    return x.index_select(axis, order)
