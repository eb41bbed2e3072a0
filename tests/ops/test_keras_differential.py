"""``tkl.ops`` against Keras 3's ``keras.ops`` (torch backend): about 2,600 seeded
random calls (random shapes, dtypes, axes, keepdims) through both, comparing values
(float32/64 to 1e-5 relative, integers and bools exactly, half precisions to 1e-2)
and result dtypes. Skipped when Keras is not installed.

Each case (``differential_cases.CASES``) draws its inputs as NumPy arrays, so both
libraries convert the same data with their own rules.
"""

import numpy as np
import pytest
import torch

from keras_reference import import_keras

import torch_keraslike as tkl

from .differential_cases import CASES, DRAWS, SEED, _numpy

keras = import_keras()
K = keras.ops
T = tkl.ops


def _compare(name, theirs, ours, rtol):
    if isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), f"{name}: structure differs"
        for i, (a, b) in enumerate(zip(theirs, ours)):
            _compare(f"{name}[{i}]", a, b, rtol)
        return
    if not isinstance(theirs, torch.Tensor):
        assert ours == theirs, f"{name}: {ours!r} != {theirs!r}"
        return
    assert isinstance(ours, torch.Tensor), f"{name}: expected a tensor, received {type(ours).__name__}"
    assert ours.dtype == theirs.dtype, f"{name}: dtype {ours.dtype}, Keras gives {theirs.dtype}"
    assert tuple(ours.shape) == tuple(theirs.shape), f"{name}: shape {tuple(ours.shape)} vs {tuple(theirs.shape)}"
    expected, received = _numpy(theirs), _numpy(ours)
    if expected.dtype.kind in "fc":
        tol = 1e-2 if theirs.dtype in (torch.float16, torch.bfloat16) else rtol
        np.testing.assert_allclose(received, expected, rtol=tol, atol=tol * 1e-1, equal_nan=True, err_msg=name)
    else:
        np.testing.assert_array_equal(received, expected, err_msg=name)


# ------------------------------------------------------------------ cases
# name -> (dtypes, builder(rng, dtype) -> (args, kwargs)). Each case runs DRAWS times.

def _keepdims_without_axis(args, kwargs):
    return kwargs.get("axis") is None and kwargs.get("keepdims")


def _numpy_reduction(name):
    def reference(x, axis=None, keepdims=False):
        x = _numpy(x)
        result = getattr(np, name)(x, axis=axis, keepdims=keepdims)
        if name in ("sum", "prod") and x.dtype.kind == "b" or x.dtype in (np.int8, np.int16, np.uint8):
            result = result.astype("int32") if name in ("sum", "prod") else result
        return result

    return reference


# Where Keras's torch backend departs from its own documented (NumPy) semantics, our
# result is checked against NumPy instead: name -> (applies(args, kwargs), reference).
DIVERGENCES = {
    # Keras's torch backend drops keepdims when axis is None (its symbolic shapes keep it).
    **{name: (_keepdims_without_axis, _numpy_reduction(name)) for name in ("max", "min", "amax", "ptp")},
    # ... and transposes multi-axis results (x.T), with a deprecation warning.
    "count_nonzero": (lambda args, kwargs: True,
                      lambda x, axis=None: np.count_nonzero(_numpy(x), axis=axis).astype("int32")),
    # ... and corrects negative indices with the first axis's size when axis is None.
    "take": (lambda args, kwargs: kwargs.get("axis") is None,
             lambda x, indices, axis=None: np.take(_numpy(x), _numpy(indices), axis=axis)),
    # ... and reverses the axes with x.T (deprecated for rank != 2, a warning).
    "transpose": (lambda args, kwargs: kwargs.get("axes") is None and np.ndim(args[0]) != 2,
                  lambda x, axes=None: np.transpose(_numpy(x))),
    # ... and supports only some of NumPy's pad modes, on some ranks.
    "pad": (lambda args, kwargs: kwargs.get("mode") != "constant",
            lambda x, widths, mode: np.pad(_numpy(x), widths, mode=mode)),
}


def _divergent_sums():
    def reference(x, axis=None, keepdims=False):
        x = _numpy(x)
        dtype = "int32" if x.dtype.kind == "b" or x.dtype in (np.int8, np.int16, np.uint8) else x.dtype
        return np.sum(x, axis=axis, keepdims=keepdims).astype(dtype)

    return reference


def _divergent_prod():
    def reference(x, axis=None, keepdims=False):
        x = _numpy(x)
        dtype = {"float64": "float32", "int64": "int32"}.get(x.dtype.name, x.dtype)
        dtype = "int32" if x.dtype.kind == "b" or x.dtype in (np.int8, np.int16, np.uint8) else dtype
        return np.prod(x, axis=axis, keepdims=keepdims).astype(dtype)

    return reference


def _row_bincounts(x, weights=None, minlength=0):
    x = _numpy(x)
    if x.ndim == 1:
        return np.bincount(x, weights, minlength).astype("int32" if weights is None else weights.dtype)
    length = max(minlength, int(x.max()) + 1)
    rows = [np.bincount(row, None if weights is None else w, length) for row, w in
            zip(x, x if weights is None else weights)]
    return np.stack(rows).astype("int32" if weights is None else weights.dtype)


# ... and applies torch.cross with dim=None (the first axis of size 3, with a warning);
DIVERGENCES["cross"] = (lambda args, kwargs: True, lambda a, b: np.cross(_numpy(a), _numpy(b)))
# ... and stacks per-row bincounts of different lengths for 2-D inputs.
DIVERGENCES["bincount"] = (lambda args, kwargs: np.ndim(args[0]) == 2, _row_bincounts)
DIVERGENCES["nanprod"] = (_keepdims_without_axis, _divergent_prod())
DIVERGENCES["sum"] = (_keepdims_without_axis, _divergent_sums())
DIVERGENCES["prod"] = (_keepdims_without_axis, _divergent_prod())


def _op(namespace, name):
    for part in name.split("."):
        namespace = getattr(namespace, part)
    return namespace


def test_the_cases_make_a_few_hundred_calls():
    total = sum(len(dtypes) for dtypes, _ in CASES.values()) * DRAWS
    assert total >= 300, total


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    dtypes, build = CASES[name]
    rng = np.random.default_rng([SEED, sum(map(ord, name))])
    for dtype in dtypes:
        for draw in range(DRAWS):
            args, kwargs = build(rng, dtype)
            label = f"{name}[{dtype}, draw {draw}, kwargs={kwargs}]"
            divergence = DIVERGENCES.get(name)
            if divergence and divergence[0](args, kwargs):
                expected = torch.as_tensor(divergence[1](*args, **kwargs))
                if isinstance(args[0], torch.Tensor) and args[0].dtype == torch.bfloat16:
                    expected = expected.to(torch.bfloat16)  # NumPy has no bfloat16
                _compare(label + " vs NumPy", expected, _op(T, name)(*args, **kwargs), rtol=1e-5)
                continue
            try:
                theirs = _op(K, name)(*args, **kwargs)
            except Exception as error:  # Keras rejects it: so must we, with a clear error
                with pytest.raises((ValueError, TypeError)):
                    _op(T, name)(*args, **kwargs)
                continue
            _compare(label, theirs, _op(T, name)(*args, **kwargs), rtol=1e-5)
