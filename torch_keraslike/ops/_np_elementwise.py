"""Element-wise ops of ``keras.ops.numpy``: math functions of one tensor, arithmetic,
comparisons, logical and bitwise ops of two, each a single torch call.

Inputs are converted with Keras's rules (:mod:`._base`), so Python scalars are weak:
``ops.add(int8_tensor, 1)`` stays ``int8`` and ``ops.add(int32_tensor, 1.5)`` is
``float32``. Functions that only make sense on floats (``exp``, ``sqrt``...) turn
integer and bool inputs into ``floatx``.
"""

import torch

from ._base import cast, convert, floatx, is_int, result_type, tensors
from ._symbolic import exported, keras_op, register_keras_name

_EXAMPLE = "\n\nExample:\n    >>> from torch_keraslike import ops\n    >>> ops.{call}\n    {result}\n"
_ONE = "\n\nArgs:\n    x: input tensor or array-like.\n\nReturns:\n    A tensor of the shape of ``x``"
_TWO = (
    "\n\nArgs:\n    x1: first input tensor or array-like.\n    x2: second input tensor or array-like"
    " (broadcast against ``x1``).\n\nReturns:\n    A tensor of the broadcast shape"
)


def _define(name, compute, doc, returns, call, result, args_doc=_ONE, **options):
    """Defines and registers the element-wise op ``name`` computing ``compute``."""
    two = args_doc is _TWO

    def op(x1, x2):
        a, b = tensors(x1, x2, op=f"ops.{name}")
        return compute(a, b)

    def op_one(x):
        return compute(convert(x, op=f"ops.{name}"))

    function = op if two else op_one
    function.__name__ = function.__qualname__ = name
    function.__module__ = __name__
    function.__doc__ = f"{doc}{args_doc}; {returns}.{_EXAMPLE.format(call=call, result=result)}"
    return keras_op("numpy", **options)(function)


def _floating(x):
    """Integer and bool tensors as floatx (float functions of Keras's torch backend)."""
    return x if x.is_floating_point() or x.is_complex() else x.to(floatx())


# ------------------------------------------------------------------ unary
def _abs(x):
    return x if x.dtype == torch.bool else torch.abs(x)


abs = _define("abs", _abs, "Absolute value, element-wise.", "same dtype (bool unchanged)",
              "abs([-1.5, 2.0])", "tensor([1.5000, 2.0000])", keras_name="Absolute")
register_keras_name("numpy", "Abs", abs)
absolute = _define("absolute", _abs, "Absolute value, element-wise (alias of ``abs``).",
                   "same dtype", "absolute([-3])", "tensor([3], dtype=torch.int32)")


def _fabs(x):
    if x.is_complex():
        raise TypeError(f"ops.fabs does not support complex inputs, received dtype {x.dtype}.")
    return torch.abs(_floating(x))


fabs = _define("fabs", _fabs, "Absolute value as a float, element-wise.",
               "integer inputs become floatx", "fabs([-2])", "tensor([2.])")


def _simple(torch_fn):
    return lambda x: torch_fn(x)


def _float_fn(torch_fn):
    return lambda x: torch_fn(_floating(x))


_FLOAT_DOC = "integer and bool inputs give floatx"
arccos = _define("arccos", _simple(torch.arccos), "Inverse cosine, element-wise.", _FLOAT_DOC,
                 "arccos([1.0])", "tensor([0.])")
arccosh = _define("arccosh", _simple(torch.arccosh), "Inverse hyperbolic cosine, element-wise.",
                  _FLOAT_DOC, "arccosh([1.0])", "tensor([0.])")
arcsin = _define("arcsin", _simple(torch.arcsin), "Inverse sine, element-wise.", _FLOAT_DOC,
                 "arcsin([0.0])", "tensor([0.])")
arcsinh = _define("arcsinh", _simple(torch.arcsinh), "Inverse hyperbolic sine, element-wise.",
                  _FLOAT_DOC, "arcsinh([0.0])", "tensor([0.])")
arctan = _define("arctan", _simple(torch.arctan), "Inverse tangent, element-wise.", _FLOAT_DOC,
                 "arctan([0.0])", "tensor([0.])")
arctanh = _define("arctanh", _simple(torch.arctanh), "Inverse hyperbolic tangent, element-wise.",
                  _FLOAT_DOC, "arctanh([0.0])", "tensor([0.])")
cos = _define("cos", _simple(torch.cos), "Cosine, element-wise.", _FLOAT_DOC, "cos([0.0])", "tensor([1.])")
cosh = _define("cosh", _simple(torch.cosh), "Hyperbolic cosine, element-wise.", _FLOAT_DOC,
               "cosh([0.0])", "tensor([1.])")
sin = _define("sin", _simple(torch.sin), "Sine, element-wise.", _FLOAT_DOC, "sin([0.0])", "tensor([0.])")
sinh = _define("sinh", _simple(torch.sinh), "Hyperbolic sine, element-wise.", _FLOAT_DOC,
               "sinh([0.0])", "tensor([0.])")
tan = _define("tan", _simple(torch.tan), "Tangent, element-wise.", _FLOAT_DOC, "tan([0.0])", "tensor([0.])")
tanh = _define("tanh", _simple(torch.tanh), "Hyperbolic tangent, element-wise.", _FLOAT_DOC,
               "tanh([0.0])", "tensor([0.])")
sinc = _define("sinc", _simple(torch.sinc), "Normalized sinc ``sin(pi x) / (pi x)``, element-wise.",
               _FLOAT_DOC, "sinc([0.0])", "tensor([1.])")
exp = _define("exp", _float_fn(torch.exp), "Exponential, element-wise.", _FLOAT_DOC,
              "exp([0])", "tensor([1.])")
exp2 = _define("exp2", _float_fn(torch.exp2), "``2 ** x``, element-wise.", _FLOAT_DOC,
               "exp2([3])", "tensor([8.])")
expm1 = _define("expm1", _float_fn(torch.expm1), "``exp(x) - 1``, element-wise (accurate near 0).",
                _FLOAT_DOC, "expm1([0.0])", "tensor([0.])")
log = _define("log", _simple(torch.log), "Natural logarithm, element-wise.", _FLOAT_DOC,
              "log([1.0])", "tensor([0.])")
log10 = _define("log10", _simple(torch.log10), "Base-10 logarithm, element-wise.", _FLOAT_DOC,
                "log10([100.0])", "tensor([2.])")
log1p = _define("log1p", _simple(torch.log1p), "``log(1 + x)``, element-wise.", _FLOAT_DOC,
                "log1p([0.0])", "tensor([0.])")
log2 = _define("log2", _simple(torch.log2), "Base-2 logarithm, element-wise.", _FLOAT_DOC,
               "log2([8.0])", "tensor([3.])")
reciprocal = _define("reciprocal", _simple(torch.reciprocal), "``1 / x``, element-wise.", _FLOAT_DOC,
                     "reciprocal([4.0])", "tensor([0.2500])")


def _sqrt(x):
    # Keras's torch backend casts int64 explicitly; other integers promote in torch.
    return torch.sqrt(x.to(floatx()) if x.dtype == torch.int64 else x)


sqrt = _define("sqrt", _sqrt, "Non-negative square root, element-wise.", _FLOAT_DOC,
               "sqrt([4.0, 9.0])", "tensor([2., 3.])")


def _square(x):
    return torch.square(x.to(torch.int32) if x.dtype == torch.bool else x)


square = _define("square", _square, "``x * x``, element-wise.", "same dtype; bool gives int32",
                 "square([3])", "tensor([9], dtype=torch.int32)")
negative = _define("negative", _simple(torch.negative), "``-x``, element-wise.", "same dtype",
                   "negative([1.0])", "tensor([-1.])")
sign = _define("sign", _simple(torch.sign), "Sign (-1, 0 or 1), element-wise.", "same dtype",
               "sign([-2.0, 0.0, 3.0])", "tensor([-1.,  0.,  1.])")
signbit = _define("signbit", _simple(torch.signbit), "Whether the sign bit is set, element-wise.",
                  "dtype bool", "signbit([-1.0, 1.0])", "tensor([ True, False])")


def _rounding(torch_fn):
    def compute(x):
        # Keras: int64 gives floatx, other dtypes their weak-float promotion (f64 -> f32).
        dtype = floatx() if x.dtype == torch.int64 else result_type(x.dtype, float)
        if x.dtype == torch.bool:
            x = x.to(torch.uint8)
        elif x.dtype == torch.float16 and x.device.type == "cpu":
            x = x.to(torch.float32)  # no float16 kernel on CPU
        return cast(torch_fn(x if x.is_floating_point() else x.to(dtype)), dtype)

    return compute


ceil = _define("ceil", _rounding(torch.ceil), "Ceiling, element-wise.", "a floating dtype",
               "ceil([1.2])", "tensor([2.])")
floor = _define("floor", _rounding(torch.floor), "Floor, element-wise.", "a floating dtype",
                "floor([1.7])", "tensor([1.])")


def _trunc(x):
    return x if x.dtype == torch.bool else torch.trunc(x)


trunc = _define("trunc", _trunc, "Truncation toward zero, element-wise.", "same dtype",
                "trunc([-1.7])", "tensor([-1.])")


def _cbrt(x):
    if x.dtype == torch.bool:
        x = x.to(torch.int32)
    elif x.dtype == torch.int64:
        x = x.to(torch.float64)
    return torch.sign(x) * torch.abs(x) ** (1.0 / 3.0)


cbrt = _define("cbrt", _cbrt, "Cube root, element-wise.", "a floating dtype (int64 gives float64)",
               "cbrt([-8.0])", "tensor([-2.])")


def _angle_convert(torch_fn):
    def compute(x):
        return torch_fn(x).to(torch.float64) if x.dtype == torch.int64 else torch_fn(x)

    return compute


deg2rad = _define("deg2rad", _angle_convert(torch.deg2rad), "Degrees to radians, element-wise.",
                  "a floating dtype (int64 gives float64)", "deg2rad([180.0])", "tensor([3.1416])")
rad2deg = _define("rad2deg", _angle_convert(torch.rad2deg), "Radians to degrees, element-wise.",
                  "a floating dtype (int64 gives float64)", "rad2deg([0.0])", "tensor([0.])")


def _i0(x):
    if x.dtype in (torch.int64, torch.float64):
        x = x.to(torch.float64)
    elif x.dtype not in (torch.float16, torch.bfloat16):
        x = x.to(floatx())
    return torch.i0(x)


i0 = _define("i0", _i0, "Modified Bessel function of the first kind, order 0, element-wise.",
             "a floating dtype", "i0([0.0, 1.0])", "tensor([1.0000, 1.2661])")
isfinite = _define("isfinite", _simple(torch.isfinite), "Whether finite, element-wise.", "dtype bool",
                   "isfinite([1.0, float('inf')])", "tensor([ True, False])")
isinf = _define("isinf", _simple(torch.isinf), "Whether infinite, element-wise.", "dtype bool",
                "isinf([1.0, float('inf')])", "tensor([False,  True])")
isnan = _define("isnan", _simple(torch.isnan), "Whether NaN, element-wise.", "dtype bool",
                "isnan([float('nan')])", "tensor([True])")
isneginf = _define("isneginf", _simple(torch.isneginf), "Whether negative infinity, element-wise.",
                   "dtype bool", "isneginf([-float('inf')])", "tensor([True])")
isposinf = _define("isposinf", _simple(torch.isposinf), "Whether positive infinity, element-wise.",
                   "dtype bool", "isposinf([float('inf')])", "tensor([True])")
isreal = _define("isreal", _simple(torch.isreal), "Whether the imaginary part is zero, element-wise.",
                 "dtype bool", "isreal([1.0])", "tensor([True])")
logical_not = _define("logical_not", _simple(torch.logical_not), "Logical NOT, element-wise.",
                      "dtype bool", "logical_not([True, False])", "tensor([False,  True])")
bitwise_invert = _define("bitwise_invert", _simple(torch.bitwise_not),
                         "Bitwise inversion of integers (logical NOT of bools), element-wise.",
                         "same dtype", "bitwise_invert([0])", "tensor([-1], dtype=torch.int32)")
bitwise_not = _define("bitwise_not", _simple(torch.bitwise_not),
                      "Bitwise NOT (alias of ``bitwise_invert``).", "same dtype",
                      "bitwise_not([True])", "tensor([False])")


def _conj(x):
    return torch.conj(x).resolve_conj()


conjugate = _define("conjugate", _conj, "Complex conjugate, element-wise.", "same dtype",
                    "conjugate([1.0])", "tensor([1.])")
conj = _define("conj", _conj, "Complex conjugate (alias of ``conjugate``).", "same dtype",
               "conj([2.0])", "tensor([2.])")
real = _define("real", _simple(torch.real), "Real part, element-wise.", "the real dtype",
               "real([1.5])", "tensor([1.5000])")
imag = _define("imag", _simple(torch.imag), "Imaginary part of a complex tensor, element-wise.",
               "the real dtype", "imag(torch.tensor([1 + 2j]))", "tensor([2.])")
angle = _define("angle", _simple(torch.angle), "Counterclockwise angle from the positive real axis.",
                "a floating dtype", "angle([-1.0])", "tensor([3.1416])")
copy = _define("copy", _simple(torch.clone), "A copy of ``x``.", "same dtype", "copy([1, 2])",
               "tensor([1, 2], dtype=torch.int32)")


# ----------------------------------------------------------------- binary
def _torch2(torch_fn):
    return lambda a, b: torch_fn(a, b)


_PROMOTED = "dtype promoted as in Keras (Python scalars are weak)"
add = _define("add", _torch2(torch.add), "``x1 + x2``, element-wise.", _PROMOTED, "add([1, 2], 3)",
              "tensor([4, 5], dtype=torch.int32)", args_doc=_TWO)
multiply = _define("multiply", _torch2(torch.multiply), "``x1 * x2``, element-wise.", _PROMOTED,
                   "multiply([1.5, 2.0], 2)", "tensor([3., 4.])", args_doc=_TWO)


def _subtract(a, b):
    if a.dtype == torch.bool:
        a = a.to(b.dtype)
    if b.dtype == torch.bool:
        b = b.to(a.dtype)
    return torch.subtract(a, b)


subtract = _define("subtract", _subtract, "``x1 - x2``, element-wise.", _PROMOTED,
                   "subtract([5.0], [2.0])", "tensor([3.])", args_doc=_TWO)
power = _define("power", _torch2(torch.pow), "``x1 ** x2``, element-wise.", _PROMOTED,
                "power([2, 3], 2)", "tensor([4, 9], dtype=torch.int32)", args_doc=_TWO)


@keras_op("numpy")
def divide(x1, x2):
    """``x1 / x2`` (true division), element-wise.

    Args:
        x1: numerator tensor, array-like or Python number.
        x2: denominator, broadcast against ``x1``.

    Returns:
        A floating tensor of the broadcast shape (integers divide into floatx).

    Example:
        >>> from torch_keraslike import ops
        >>> ops.divide([1, 2], 2)
        tensor([0.5000, 1.0000])
    """
    # Python numbers stay numbers, as in Keras's torch backend.
    a, b = (v if isinstance(v, (int, float)) else convert(v, device=_device(x1, x2)) for v in (x1, x2))
    return torch.divide(a, b)


def _device(*values):
    return next((v.device for v in values if isinstance(v, torch.Tensor)), None)


@keras_op("numpy")
def true_divide(x1, x2):
    """``x1 / x2`` (alias of ``divide``).

    Args:
        x1: numerator.
        x2: denominator, broadcast against ``x1``.

    Returns:
        A floating tensor of the broadcast shape.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.true_divide([3.0], [2.0])
        tensor([1.5000])
    """
    return divide._tkl_op_impl(x1, x2)


def _dtype_or_type(value, device, op):
    """Keras's view of an argument in promotion: a Python number stands for its weak
    type, anything else for the dtype it converts to."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return type(value)
    return convert(value, device=device, op=op).dtype


def _scalar_kept(x1, x2, op):
    """Keras's rule for maximum/minimum/floor_divide: the result dtype is the promotion
    of both, with Python numbers as weak types."""
    device = _device(x1, x2)
    return result_type(_dtype_or_type(x1, device, op), _dtype_or_type(x2, device, op)), device


def _extremum(name, torch_fn, doc, call, result):
    def op(x1, x2):
        dtype, device = _scalar_kept(x1, x2, f"ops.{name}")
        return torch_fn(convert(x1, dtype, device), convert(x2, dtype, device))

    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    op.__doc__ = f"{doc}{_TWO}; Keras's promoted dtype.{_EXAMPLE.format(call=call, result=result)}"
    return keras_op("numpy")(op)


maximum = _extremum("maximum", torch.maximum, "Element-wise maximum (NaN propagates).",
                    "maximum([1, 5], 3)", "tensor([3, 5], dtype=torch.int32)")
minimum = _extremum("minimum", torch.minimum, "Element-wise minimum (NaN propagates).",
                    "minimum([1.0, 5.0], 3.0)", "tensor([1., 3.])")
fmax = _extremum("fmax", torch.fmax, "Element-wise maximum ignoring NaN.",
                 "fmax([float('nan'), 1.0], 0.0)", "tensor([0., 1.])")
fmin = _extremum("fmin", torch.fmin, "Element-wise minimum ignoring NaN.",
                 "fmin([float('nan'), 1.0], 0.0)", "tensor([0., 0.])")


@keras_op("numpy")
def floor_divide(x1, x2):
    """``x1 // x2`` (floor division), element-wise.

    Args:
        x1: dividend.
        x2: divisor, broadcast against ``x1``.

    Returns:
        A tensor of the broadcast shape and Keras's promoted dtype.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.floor_divide([7, -7], 2)
        tensor([ 3, -4], dtype=torch.int32)
    """
    dtype, device = _scalar_kept(x1, x2, "ops.floor_divide")
    a, b = (v if isinstance(v, (int, float)) else convert(v, device=device) for v in (x1, x2))
    return cast(torch.floor_divide(a, b), dtype)


@keras_op("numpy")
def divide_no_nan(x1, x2):
    """``x1 / x2`` with 0 wherever ``x2`` is 0, element-wise.

    Args:
        x1: numerator.
        x2: denominator, broadcast against ``x1``.

    Returns:
        A floating tensor of the broadcast shape.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.divide_no_nan([1.0, 2.0], [0.0, 4.0])
        tensor([0.0000, 0.5000])
    """
    device = _device(x1, x2)
    dtype = result_type(_dtype_or_type(x1, device, "ops.divide_no_nan"),
                        _dtype_or_type(x2, device, "ops.divide_no_nan"), float)
    a, b = convert(x1, dtype, device), convert(x2, dtype, device)
    zero = b == 0
    return torch.where(zero, torch.zeros((), dtype=dtype, device=b.device), a / torch.where(zero, 1, b))


def _float_pair(torch_fn, cpu_half=False):
    def compute(a, b):
        dtype = result_type(a.dtype, b.dtype, float)
        compute_dtype = torch.float32 if cpu_half and dtype == torch.float16 and a.device.type == "cpu" else dtype
        return cast(torch_fn(a.to(compute_dtype), b.to(compute_dtype)), dtype)

    return compute


_FLOAT_PAIR = "Keras's promotion of both with float"
arctan2 = _define("arctan2", _float_pair(torch.arctan2, cpu_half=True),
                  "Element-wise arc tangent of ``x1 / x2`` choosing the quadrant.", _FLOAT_PAIR,
                  "arctan2([1.0], [1.0])", "tensor([0.7854])", args_doc=_TWO)
logaddexp = _define("logaddexp", _float_pair(torch.logaddexp, cpu_half=True),
                    "``log(exp(x1) + exp(x2))``, element-wise.", _FLOAT_PAIR,
                    "logaddexp([0.0], [0.0])", "tensor([0.6931])", args_doc=_TWO)
logaddexp2 = _define("logaddexp2", _float_pair(torch.logaddexp2),
                     "``log2(2**x1 + 2**x2)``, element-wise.", _FLOAT_PAIR,
                     "logaddexp2([1.0], [1.0])", "tensor([2.])", args_doc=_TWO)


def _nextafter(a, b):
    dtype = result_type(a.dtype, b.dtype, float)
    return torch.nextafter(a.to(torch.float64), b.to(torch.float64)).to(dtype)


nextafter = _define("nextafter", _nextafter, "The next float after ``x1`` toward ``x2``.",
                    _FLOAT_PAIR, "nextafter([1.0], [1.0])", "tensor([1.])", args_doc=_TWO)


def _int_to_float_pair(torch_fn):
    def compute(a, b):
        dtype = result_type(a.dtype, b.dtype)
        if dtype == torch.int64:
            dtype = torch.float64
        elif is_int(dtype):
            dtype = floatx()
        return torch_fn(a.to(dtype), b.to(dtype))

    return compute


hypot = _define("hypot", _int_to_float_pair(torch.hypot), "``sqrt(x1**2 + x2**2)``, element-wise.",
                "a floating dtype", "hypot([3.0], [4.0])", "tensor([5.])", args_doc=_TWO)
heaviside = _define("heaviside", _int_to_float_pair(torch.heaviside),
                    "Heaviside step: 0 for ``x1 < 0``, ``x2`` at 0, 1 for ``x1 > 0``.", "a floating dtype",
                    "heaviside([-1.0, 0.0, 2.0], 0.5)", "tensor([0.0000, 0.5000, 1.0000])", args_doc=_TWO)


def _ldexp(a, b):
    dtype = result_type(a.dtype, b.dtype, float)
    if not is_int(b.dtype):
        raise TypeError(f"ops.ldexp: the exponent x2 must be an integer tensor, received dtype {b.dtype}.")
    return cast(torch.ldexp(a, b), dtype)


ldexp = _define("ldexp", _ldexp, "``x1 * 2 ** x2``, element-wise.", _FLOAT_PAIR,
                "ldexp([1.0], [3])", "tensor([8.])", args_doc=_TWO)


def _mod(torch_fn):
    def compute(a, b):
        if result_type(a.dtype, b.dtype) == torch.bool:
            a, b = a.to(torch.int32), b.to(torch.int32)
        return torch_fn(a, b)

    return compute


mod = _define("mod", _mod(torch.remainder), "Remainder with the sign of the divisor, element-wise.",
              _PROMOTED, "mod([5, -5], 3)", "tensor([2, 1], dtype=torch.int32)", args_doc=_TWO)
fmod = _define("fmod", _mod(torch.fmod), "Remainder with the sign of the dividend, element-wise.",
               _PROMOTED, "fmod([5, -5], 3)", "tensor([ 2, -2], dtype=torch.int32)", args_doc=_TWO)
gcd = _define("gcd", _torch2(torch.gcd), "Greatest common divisor of integers, element-wise.",
              _PROMOTED, "gcd([12], [18])", "tensor([6], dtype=torch.int32)", args_doc=_TWO)
lcm = _define("lcm", _torch2(torch.lcm), "Least common multiple of integers, element-wise.",
              _PROMOTED, "lcm([4], [6])", "tensor([12], dtype=torch.int32)", args_doc=_TWO)

_BOOL = "dtype bool"
equal = _define("equal", _torch2(torch.eq), "``x1 == x2``, element-wise.", _BOOL,
                "equal([1, 2], 2)", "tensor([False,  True])", args_doc=_TWO)
not_equal = _define("not_equal", _torch2(torch.not_equal), "``x1 != x2``, element-wise.", _BOOL,
                    "not_equal([1, 2], 2)", "tensor([ True, False])", args_doc=_TWO)
greater = _define("greater", _torch2(torch.greater), "``x1 > x2``, element-wise.", _BOOL,
                  "greater([1, 3], 2)", "tensor([False,  True])", args_doc=_TWO)
greater_equal = _define("greater_equal", _torch2(torch.greater_equal), "``x1 >= x2``, element-wise.",
                        _BOOL, "greater_equal([1, 2], 2)", "tensor([False,  True])", args_doc=_TWO)
less = _define("less", _torch2(torch.less), "``x1 < x2``, element-wise.", _BOOL,
               "less([1, 3], 2)", "tensor([ True, False])", args_doc=_TWO)
less_equal = _define("less_equal", _torch2(torch.less_equal), "``x1 <= x2``, element-wise.", _BOOL,
                     "less_equal([2, 3], 2)", "tensor([ True, False])", args_doc=_TWO)
logical_and = _define("logical_and", _torch2(torch.logical_and), "Logical AND, element-wise.", _BOOL,
                      "logical_and([True, True], [True, False])", "tensor([ True, False])", args_doc=_TWO)
logical_or = _define("logical_or", _torch2(torch.logical_or), "Logical OR, element-wise.", _BOOL,
                     "logical_or([True, False], [False, False])", "tensor([ True, False])", args_doc=_TWO)
logical_xor = _define("logical_xor", _torch2(torch.logical_xor), "Logical XOR, element-wise.", _BOOL,
                      "logical_xor([True, True], [True, False])", "tensor([False,  True])", args_doc=_TWO)
bitwise_and = _define("bitwise_and", _torch2(torch.bitwise_and), "Bitwise AND of integers or bools.",
                      _PROMOTED, "bitwise_and([12], [10])", "tensor([8], dtype=torch.int32)", args_doc=_TWO)
bitwise_or = _define("bitwise_or", _torch2(torch.bitwise_or), "Bitwise OR of integers or bools.",
                     _PROMOTED, "bitwise_or([12], [10])", "tensor([14], dtype=torch.int32)", args_doc=_TWO)
bitwise_xor = _define("bitwise_xor", _torch2(torch.bitwise_xor), "Bitwise XOR of integers or bools.",
                      _PROMOTED, "bitwise_xor([12], [10])", "tensor([6], dtype=torch.int32)", args_doc=_TWO)


def _shift(name, torch_fn, doc, call, result):
    def op(x, y):
        x = convert(x, op=f"ops.{name}")
        # A Python int shift stays a number (the result keeps x's dtype).
        return torch_fn(x, y if isinstance(y, int) else convert(y, device=x.device))

    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    op.__doc__ = (f"{doc}\n\nArgs:\n    x: integer tensor.\n    y: number of bits (int or integer "
                  f"tensor).\n\nReturns:\n    A tensor of the broadcast shape."
                  f"{_EXAMPLE.format(call=call, result=result)}")
    return keras_op("numpy")(op)


bitwise_left_shift = _shift("bitwise_left_shift", torch.bitwise_left_shift,
                            "Shifts the bits of ``x`` left by ``y``.", "bitwise_left_shift([1], 3)",
                            "tensor([8], dtype=torch.int32)")
left_shift = _shift("left_shift", torch.bitwise_left_shift, "Alias of ``bitwise_left_shift``.",
                    "left_shift([2], 1)", "tensor([4], dtype=torch.int32)")
bitwise_right_shift = _shift("bitwise_right_shift", torch.bitwise_right_shift,
                             "Shifts the bits of ``x`` right by ``y``.", "bitwise_right_shift([8], 3)",
                             "tensor([1], dtype=torch.int32)")
right_shift = _shift("right_shift", torch.bitwise_right_shift, "Alias of ``bitwise_right_shift``.",
                     "right_shift([8], 1)", "tensor([4], dtype=torch.int32)")


__all__ = exported(globals())
