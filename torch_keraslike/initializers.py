"""Keras-style weight initializers that build ``torch.Tensor`` values.

An initializer is a callable ``init(shape, dtype=None, device=None)`` returning a new
tensor, with ``get_config``/``from_config``. Fans follow Keras's kernel layout
``(..., in, out)`` (see :func:`compute_fans`). Example: ``get("glorot_uniform")((3, 4))``.
"""

import difflib
import math
import numbers

import torch

from torch_keraslike import _rng
from torch_keraslike._rng import standardize_shape as _standardize_shape
from torch_keraslike._dtypes import dtype_name, to_torch_dtype
from torch_keraslike._naming import to_snake_case

_TRUNC_STD = 0.87962566103423978  # std of a unit normal truncated to [-2, 2]
_SEED_RANGE = _rng.SEED_RANGE


def compute_fans(shape):
    """Returns ``(fan_in, fan_out)`` of a kernel shape in Keras's ``(..., in, out)`` layout.

    Args:
        shape: Tuple of ints. Rank 0 gives ``(1, 1)``; rank 1 uses ``shape[0]`` for both;
            rank 2 is ``(in, out)``; higher ranks multiply ``shape[-2]``/``shape[-1]`` by
            the receptive field ``prod(shape[:-2])``.

    Example:
        >>> compute_fans((3, 3, 16, 32))
        (144, 288)
    """
    shape = _standardize_shape(shape, "compute_fans")
    if len(shape) < 2:
        return (shape[0], shape[0]) if shape else (1, 1)
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _check_number(value, arg, cls_name, hint, min_value=None, strict=False):
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value)):
        raise ValueError(f"{cls_name} expected `{arg}` to be a finite number, but "
                         f"received {arg}={value!r}. {hint}")
    if min_value is not None and (value <= min_value if strict else value < min_value):
        raise ValueError(f"{cls_name} expected `{arg}` {'>' if strict else '>='} {min_value}, "
                         f"but received {arg}={value!r}. {hint}")
    return float(value)


class Initializer:
    """Base class of all initializers.

    Subclasses implement ``__call__(shape, dtype=None, device=None)`` and, when they take
    arguments, ``get_config``; ``from_config`` calls the constructor with that dict.
    """

    _floating_only = False

    def __call__(self, shape, dtype=None, device=None):
        raise NotImplementedError(
            f"{type(self).__name__} must implement __call__(shape, dtype=None, device=None).")

    def get_config(self):
        """Returns the JSON-serialisable constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Builds an initializer from the dict returned by ``get_config``."""
        config = dict(config or {})
        try:
            return cls(**config)
        except TypeError as e:
            raise ValueError(f"Could not build {cls.__name__} from config {config!r}: {e}. "
                             f"Use the dict returned by {cls.__name__}.get_config().") from None

    def clone(self):
        """Returns a new initializer with the same configuration."""
        return type(self).from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    __hash__ = object.__hash__

    def _prepare(self, shape, dtype):
        name = type(self).__name__
        shape = _standardize_shape(shape, name)
        torch_dtype = to_torch_dtype(dtype, context=f"dtype for {name}")
        torch_dtype = torch.get_default_dtype() if torch_dtype is None else torch_dtype
        if self._floating_only and not torch_dtype.is_floating_point:
            raise ValueError(
                f"{name} only creates floating-point tensors, but received "
                f"dtype={dtype_name(torch_dtype)!r}. Pass a float dtype such as 'float32', "
                "or use Zeros/Ones/Constant for integer weights.")
        return shape, torch_dtype


class _RandomInitializer(Initializer):
    _floating_only = True

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                                 or not _SEED_RANGE[0] <= seed <= _SEED_RANGE[1]):
            raise ValueError(
                f"{type(self).__name__} expected `seed` to be None or a Python int (64-bit "
                f"range), but received seed={seed!r}. Pass an int such as seed=1337 for "
                "reproducible values, or None to use torch's global random state.")
        self.seed = None if seed is None else int(seed)

    def get_config(self):
        return {"seed": self.seed}

    def _sample(self, kind, shape, dtype, device, a, b):
        """Draws ``dtype`` samples: "normal" (mean ``a``, std ``b``), "uniform" on
        ``[a, b)`` or "truncated" (a normal of mean ``a``, std ``b``, cut at 2 std).

        Computes in float32 (or float64) and casts. A seeded initializer draws on CPU from
        a freshly seeded generator, so every call returns the same values, then moves the
        result; unseeded draws use the global RNG directly on ``device``.
        """
        compute = torch.float64 if dtype == torch.float64 else torch.float32
        gen, where = None, device
        if self.seed is not None:
            gen, where = _rng.generator(self.seed, "cpu"), "cpu"
        out = _rng.fill_(torch.empty(shape, dtype=compute, device=where), kind, a, b, gen)
        if gen is not None:
            target = device if device is not None else torch.get_default_device()
            if torch.device(target).type != "cpu":
                out = out.to(target)
        return out.to(dtype)


class Zeros(Initializer):
    """Fills tensors with 0 (any dtype).

    Example:
        >>> Zeros()((2,), dtype="int32").tolist()
        [0, 0]
    """

    def __call__(self, shape, dtype=None, device=None):
        shape, dtype = self._prepare(shape, dtype)
        return torch.zeros(shape, dtype=dtype, device=device)


class Ones(Initializer):
    """Fills tensors with 1 (any dtype).

    Example:
        >>> Ones()((2,)).tolist()
        [1.0, 1.0]
    """

    def __call__(self, shape, dtype=None, device=None):
        shape, dtype = self._prepare(shape, dtype)
        return torch.ones(shape, dtype=dtype, device=device)


class Constant(Initializer):
    """Fills tensors with a constant (any dtype; the value is cast to it).

    Args:
        value: A Python scalar (NumPy / 0-d tensor scalars are converted).

    Example:
        >>> Constant(3.0)((2,)).tolist()
        [3.0, 3.0]
    """

    def __init__(self, value=0.0):
        if hasattr(value, "item"):
            value = value.item() if getattr(value, "ndim", 0) == 0 else value
        if not isinstance(value, numbers.Number):
            raise ValueError(
                "Constant expected `value` to be a Python number, but received "
                f"value={value!r}. Pass a scalar, e.g. Constant(value=0.1).")
        self.value = value

    def __call__(self, shape, dtype=None, device=None):
        shape, dtype = self._prepare(shape, dtype)
        return torch.full(shape, self.value, dtype=dtype, device=device)

    def get_config(self):
        return {"value": self.value}


class Identity(Initializer):
    """Generates ``gain`` times the identity matrix (2-D shapes only, may be non-square).

    Args:
        gain: Multiplicative factor applied to the identity matrix.

    Example:
        >>> Identity(gain=2.0)((2, 2)).tolist()
        [[2.0, 0.0], [0.0, 2.0]]
    """

    def __init__(self, gain=1.0):
        self.gain = _check_number(gain, "gain", "Identity", "Pass e.g. gain=1.0.")

    def __call__(self, shape, dtype=None, device=None):
        shape, dtype = self._prepare(shape, dtype)
        if len(shape) != 2:
            raise ValueError(
                f"Identity can only initialize 2-D matrices, but received shape={shape} of "
                f"rank {len(shape)}. Use a shape (rows, cols), or Orthogonal for other ranks.")
        out = torch.eye(shape[0], shape[1], dtype=dtype, device=device)
        return out if self.gain == 1.0 else (out * self.gain).to(dtype)

    def get_config(self):
        return {"gain": self.gain}


class RandomNormal(_RandomInitializer):
    """Random normal initializer: ``mean + stddev * N(0, 1)``.

    Args:
        mean: Mean of the values.
        stddev: Standard deviation (>= 0).
        seed: Optional int. A seeded initializer returns the same values on every call;
            ``None`` uses torch's global RNG (reproducible with ``torch.manual_seed``).

    Example:
        >>> RandomNormal(stddev=1.0, seed=0)((2, 3)).shape
        torch.Size([2, 3])
    """

    _kind = "normal"

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        name = type(self).__name__
        self.mean = _check_number(mean, "mean", name, "Pass e.g. mean=0.0.")
        self.stddev = _check_number(stddev, "stddev", name,
                                    "Pass a non-negative stddev such as 0.05.", min_value=0.0)
        super().__init__(seed)

    def __call__(self, shape, dtype=None, device=None):
        shape, dtype = self._prepare(shape, dtype)
        return self._sample(self._kind, shape, dtype, device, self.mean, self.stddev)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Like RandomNormal, but values beyond 2 stddev of the mean are re-drawn.

    The resulting standard deviation is about ``0.88 * stddev``.

    Args:
        mean: Mean of the values.
        stddev: Standard deviation of the normal before truncation (>= 0).
        seed: Optional int (see RandomNormal).

    Example:
        >>> bool((TruncatedNormal(stddev=1.0)((1000,)).abs() <= 2).all())
        True
    """

    _kind = "truncated"


class RandomUniform(_RandomInitializer):
    """Random uniform initializer on ``[minval, maxval)``.

    Args:
        minval: Lower bound.
        maxval: Upper bound (>= minval).
        seed: Optional int (see RandomNormal).

    Example:
        >>> bool((RandomUniform(-1.0, 1.0, seed=3)((100,)).abs() <= 1).all())
        True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        hint = "Pass e.g. minval=-0.05, maxval=0.05."
        self.minval = _check_number(minval, "minval", "RandomUniform", hint)
        self.maxval = _check_number(maxval, "maxval", "RandomUniform", hint)
        if self.minval > self.maxval:
            raise ValueError(f"RandomUniform expected minval <= maxval, but received "
                             f"minval={minval!r} and maxval={maxval!r}. Swap the two bounds.")
        super().__init__(seed)

    def __call__(self, shape, dtype=None, device=None):
        shape, dtype = self._prepare(shape, dtype)
        return self._sample("uniform", shape, dtype, device, self.minval, self.maxval)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(_RandomInitializer):
    """Initializer whose scale adapts to the fans of the weight shape.

    With ``n`` the fan picked by ``mode`` (at least 1): ``truncated_normal`` draws a
    normal truncated at 2 std whose resulting std is ``sqrt(scale / n)``;
    ``untruncated_normal`` has std ``sqrt(scale / n)``; ``uniform`` draws from
    ``[-limit, limit]``, ``limit = sqrt(3 * scale / n)``.

    Args:
        scale: Positive scaling factor.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"``, ``"untruncated_normal"`` or ``"uniform"``
            (``"normal"`` means ``"truncated_normal"``).
        seed: Optional int (see RandomNormal).

    Example:
        >>> VarianceScaling(2.0, "fan_in", "uniform")((6, 3)).shape
        torch.Size([6, 3])
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        name = type(self).__name__
        self.scale = _check_number(scale, "scale", name,
                                   "Pass a positive scale such as 1.0.", 0.0, strict=True)
        if mode not in _MODES:
            raise ValueError(f"{name} expected `mode` to be one of {list(_MODES)}, but "
                             f"received mode={mode!r}. Pick one of the listed modes.")
        dist = distribution.lower() if isinstance(distribution, str) else distribution
        dist = "truncated_normal" if dist == "normal" else dist
        if dist not in _DISTRIBUTIONS:
            raise ValueError(
                f"{name} expected `distribution` to be one of {list(_DISTRIBUTIONS)}, but "
                f"received distribution={distribution!r}. Pick one of the listed values.")
        self.mode, self.distribution = mode, dist
        super().__init__(seed)

    def __call__(self, shape, dtype=None, device=None):
        shape, dtype = self._prepare(shape, dtype)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        variance = self.scale / max(1.0, n[self.mode])
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return self._sample("uniform", shape, dtype, device, -limit, limit)
        if self.distribution == "truncated_normal":
            std = math.sqrt(variance) / _TRUNC_STD
            return self._sample("truncated", shape, dtype, device, 0.0, std)
        return self._sample("normal", shape, dtype, device, 0.0, math.sqrt(variance))

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "seed": self.seed}


def _preset(cls_name, scale, mode, distribution, title):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}

    doc = (f"{title}\n\n    Same as ``VarianceScaling(scale={scale}, mode=\"{mode}\", "
           f"distribution=\"{distribution}\")``.\n\n    Args:\n        seed: Optional int. A "
           "seeded initializer returns the same values on every call.\n\n    Example:\n"
           f"        >>> {cls_name}(seed=1)((4, 8)).shape\n        torch.Size([4, 8])\n    ")
    return type(cls_name, (VarianceScaling,), {
        "__init__": __init__, "get_config": get_config, "__module__": __name__,
        "__qualname__": cls_name, "__doc__": doc})


GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform",
                        "Glorot (Xavier) uniform initializer.")
GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                       "Glorot (Xavier) truncated-normal initializer.")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal",
                   "He (Kaiming) truncated-normal initializer.")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform", "He (Kaiming) uniform initializer.")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal",
                      "LeCun truncated-normal initializer.")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform", "LeCun uniform initializer.")


class Orthogonal(_RandomInitializer):
    """Generates an orthogonal matrix times ``gain``.

    The shape is flattened to ``(prod(shape[:-1]), shape[-1])``; the Q factor of a normal
    matrix (signs fixed by ``diag(R)``) gives orthonormal columns, or orthonormal rows
    when there are fewer rows than columns; the result is reshaped back.

    Args:
        gain: Multiplicative factor applied to the orthogonal matrix.
        seed: Optional int (see RandomNormal).

    Example:
        >>> w = Orthogonal(seed=0)((4, 4), dtype="float64")
        >>> torch.allclose(w.T @ w, torch.eye(4, dtype=torch.float64))
        True
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = _check_number(gain, "gain", "Orthogonal", "Pass e.g. gain=1.0.")
        super().__init__(seed)

    def __call__(self, shape, dtype=None, device=None):
        shape, dtype = self._prepare(shape, dtype)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal needs a shape of rank >= 2, but received shape={shape} of rank "
                f"{len(shape)}. Use a matrix shape such as (in, out).")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        if rows == 0 or cols == 0:
            return torch.zeros(shape, dtype=dtype, device=device)
        compute = dtype if dtype in (torch.float32, torch.float64) else torch.float32
        q, r = torch.linalg.qr(self._sample("normal", (max(rows, cols), min(rows, cols)),
                                            compute, device, 0.0, 1.0))
        q = q * torch.where(torch.diagonal(r) < 0, -1.0, 1.0).to(q.dtype)
        q = q.T if rows < cols else q
        return (q * self.gain).reshape(shape).to(dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


# Windows torch computes itself (scipy.signal.get_window's names for them).
_WINDOWS = {
    "hann": torch.hann_window, "hanning": torch.hann_window, "hamming": torch.hamming_window,
    "blackman": torch.blackman_window, "bartlett": torch.bartlett_window,
    "boxcar": None, "rect": None, "rectangular": None, "ones": None,
}


class STFT(Initializer):
    """Kernel of a convolution computing a short-time Fourier transform: the real
    (cosine) or imaginary (sine) part, optionally windowed and scaled.

    The shape is ``(frame_length, channels, fft_bins)`` with ``fft_bins = fft_length // 2
    + 1``; entry ``(t, c, f)`` is ``cos(-2 pi t f / fft_length)`` (``sin`` for ``"imag"``),
    times the window at ``t``, divided by the window's L2 norm (``"density"``) or sum
    (``"spectrum"``).

    Args:
        side: ``"real"`` or ``"imag"``.
        window: ``"hann"`` (default), ``"hamming"``, ``"blackman"``, ``"bartlett"``,
            ``"boxcar"``, an array of ``frame_length`` values, or None (no window).
        scaling: ``"density"`` (default), ``"spectrum"`` or None.
        periodic: use the periodic version of the named window (for spectral analysis).

    Example:
        >>> kernel = STFT("real", window=None, scaling=None)((4, 1, 3), dtype="float64")
        >>> kernel[:, 0, 0].tolist()
        [1.0, 1.0, 1.0, 1.0]
    """

    _floating_only = True

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side!r}")
        if isinstance(window, str):
            if window.lower() not in _WINDOWS:
                raise ValueError(
                    f"STFT: unknown window {window!r}. Supported names: {sorted(_WINDOWS)}. Fix: use one of "
                    "them, pass the window's values as an array of frame_length numbers, or None.")
        elif window is not None:
            window = [float(v) for v in (window.tolist() if hasattr(window, "tolist") else window)]
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received "
                             f"scaling={scaling!r}")
        if not isinstance(periodic, bool):
            raise ValueError(f"STFT expected `periodic` to be True or False, but received {periodic!r}.")
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def _window(self, length, dtype, device):
        if isinstance(self.window, str):
            make = _WINDOWS[self.window.lower()]
            if make is None:
                return torch.ones(length, dtype=dtype, device=device)
            return make(length, periodic=self.periodic, dtype=dtype, device=device)
        window = torch.tensor(self.window, dtype=dtype, device=device)
        if window.shape != (length,):
            raise ValueError(f"The shape of `window` must be equal to [frame_length]. Received: window shape="
                             f"{tuple(window.shape)}, frame_length={length}")
        return window

    def __call__(self, shape, dtype=None, device=None):
        shape, dtype = self._prepare(shape, dtype)
        if len(shape) != 3:
            raise ValueError(f"STFT initializes kernels of shape (frame_length, channels, fft_bins), but "
                             f"received shape={shape}.")
        frames, channels, bins = shape
        compute = torch.float64
        fft_length = (bins - 1) * 2
        frequency = torch.arange(bins, dtype=compute, device=device).reshape(1, 1, bins) / max(fft_length, 1)
        time = torch.arange(frames, dtype=compute, device=device).reshape(frames, 1, 1)
        angles = -2.0 * time * frequency * math.pi
        kernel = torch.cos(angles) if self.side == "real" else torch.sin(angles)
        if self.window is not None:
            window = self._window(frames, compute, device).reshape(frames, 1, 1)
            scale = 1.0
            if self.scaling == "density":
                scale = torch.sqrt(torch.sum(torch.square(window)))
            elif self.scaling == "spectrum":
                scale = torch.sum(torch.abs(window))
            kernel = kernel * window / scale
        return torch.broadcast_to(kernel, shape).to(dtype).contiguous()

    def get_config(self):
        return {"side": self.side, "window": self.window, "periodic": self.periodic, "scaling": self.scaling}


STFTInitializer = STFT


ALL_OBJECTS = (
    Initializer, Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform,
    TruncatedNormal, VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform,
    LecunNormal, LecunUniform, Orthogonal, STFT,
)
#: Every accepted name (class names, snake_case aliases, Keras's extra aliases) -> class.
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update({
    "IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal, "STFTInitializer": STFT,
    "normal": RandomNormal, "uniform": RandomUniform, "one": Ones, "zero": Zeros,
})

# Keras's lower-case names of the classes (``keras.initializers.he_normal`` is ``HeNormal``).
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal
constant, identity, ones, zeros, stft = Constant, Identity, Ones, Zeros, STFT
glorot_normal, glorot_uniform, he_normal, he_uniform = GlorotNormal, GlorotUniform, HeNormal, HeUniform
lecun_normal, lecun_uniform, orthogonal = LecunNormal, LecunUniform, Orthogonal
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling = VarianceScaling
_USABLE = sorted(k for k in ALL_OBJECTS_DICT if k.lower() != "initializer")


def _lookup(name):
    if name not in _USABLE:
        close = difflib.get_close_matches(str(name), _USABLE, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown initializer name {name!r}.{hint} Valid names: {_USABLE}. You can also "
            "pass an Initializer instance or any callable(shape, dtype=None).")
    return ALL_OBJECTS_DICT[name]


def serialize(initializer):
    """Returns ``{"class_name": ..., "config": ...}`` for an initializer (None stays None).

    Args:
        initializer: An :class:`Initializer` instance.

    Example:
        >>> serialize(GlorotUniform(seed=1))["config"]
        {'seed': 1}
    """
    if initializer is None:
        return None
    if not isinstance(initializer, Initializer):
        raise ValueError(
            f"serialize expected an Initializer instance, but received {initializer!r}. Plain "
            "callables cannot be serialized; subclass Initializer and implement get_config().")
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def deserialize(config):
    """Builds an initializer from :func:`serialize` output (or a name string).

    Args:
        config: A ``{"class_name": ..., "config": {...}}`` dict or a name.

    Example:
        >>> deserialize({"class_name": "HeNormal", "config": {"seed": 2}}).seed
        2
    """
    if isinstance(config, str):
        return _lookup(config)()
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "deserialize expected a dict like {'class_name': 'GlorotUniform', 'config': "
            f"{{...}}}} or a name string, but received {config!r}.")
    return _lookup(config["class_name"]).from_config(config.get("config") or {})


def get(identifier):
    """Returns an initializer for a name, a config dict, an instance or a callable.

    Args:
        identifier: ``None`` (returns ``None``); an :class:`Initializer` or any callable
            (returned as is; an Initializer subclass is instantiated); a name such as
            ``"he_normal"`` or ``"HeNormal"`` (a new default instance); or a
            ``{"class_name": ..., "config": ...}`` dict.

    Example:
        >>> get("he_normal")
        HeNormal(seed=None)
    """
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret initializer identifier {identifier!r}. Expected None, a name "
        f"(one of {_USABLE}), a config dict, an Initializer or a callable.")
