"""Batch renormalization (Ioffe, 2017) for ``BatchNormalization(renorm=True)``, with
Keras 3's formulas, weights and update order.

While training, the batch-normalized values are corrected by ``r = std_B / std_R`` and
``d = (mean_B - mean_R) / std_R`` (``std_R``/``mean_R``: the renorm moving statistics,
``r``/``d`` optionally clipped, no gradient through them), i.e. the layer uses
``gamma' = r * gamma`` and ``beta' = d * gamma + beta``. Keras tracks the moving
*standard deviation* (``moving_stddev``) and derives ``moving_variance`` from it.
"""

import numbers

import torch

from ._common import layer_label

_CLIPPING_KEYS = ("rmax", "rmin", "dmax")


def _is_number(value):
    return not isinstance(value, bool) and isinstance(value, numbers.Real)


def check_renorm_arguments(layer, renorm, renorm_clipping, renorm_momentum):
    """The ``renorm_clipping`` to store (``{}`` for ``renorm=True`` without one, as
    Keras does), after checking all three arguments."""
    if not _is_number(renorm_momentum) or not 0 <= renorm_momentum <= 1:
        raise ValueError(
            f"{layer_label(layer)}: renorm_momentum must be a number in [0, 1], received "
            f"renorm_momentum={renorm_momentum!r}. Fix: e.g. renorm_momentum=0.99."
        )
    if not renorm:
        return renorm_clipping
    renorm_clipping = dict(renorm_clipping or {})
    unknown = set(renorm_clipping) - set(_CLIPPING_KEYS)
    if unknown:
        raise ValueError(
            f"{layer_label(layer)}: Received invalid keys for `renorm_clipping` argument: "
            f"{renorm_clipping}. Supported values: {list(_CLIPPING_KEYS)}."
        )
    for key, value in renorm_clipping.items():
        if value is not None and not _is_number(value):
            raise ValueError(
                f"{layer_label(layer)}: renorm_clipping[{key!r}] must be a number or None, "
                f"received {value!r}."
            )
    rmax, rmin, dmax = (renorm_clipping.get(k) for k in _CLIPPING_KEYS)
    if rmax is not None and rmin is not None and rmax < rmin:
        raise ValueError(
            f"{layer_label(layer)}: rmax should be greater than rmin in the `renorm_clipping` "
            f"argument. Received: rmax={rmax}, rmin={rmin}."
        )
    if dmax is not None and dmax < 0:
        raise ValueError(
            f"{layer_label(layer)}: dmax should be non-negative in the `renorm_clipping` "
            f"argument. Received: dmax={dmax}."
        )
    return renorm_clipping


def add_renorm_weights(layer, shape):
    """Creates ``moving_stddev``, ``renorm_mean`` and ``renorm_stddev`` (Keras's order),
    the standard deviations starting at ``sqrt`` of the moving variance initializer."""
    variance_init, mean_init = layer.moving_variance_initializer, layer.moving_mean_initializer

    def stddev_init(shape, dtype=None):
        return torch.sqrt(torch.as_tensor(variance_init(shape, dtype=dtype)))

    layer.moving_stddev = layer.add_weight(
        shape=shape, initializer=stddev_init, trainable=False, name="moving_stddev")
    layer.renorm_mean = layer.add_weight(
        shape=shape, initializer=mean_init, trainable=False, name="renorm_mean")
    layer.renorm_stddev = layer.add_weight(
        shape=shape, initializer=stddev_init, trainable=False, name="renorm_stddev")


def renorm_scale_and_offset(layer, mean, variance, gamma, beta):
    """The corrected ``(gamma', beta')`` for a training step on batch moments
    ``mean``/``variance``; updates the renorm and moving statistics as Keras does."""
    epsilon = layer.epsilon
    stddev = torch.sqrt(variance + epsilon)
    renorm_mean = layer.renorm_mean.to(mean.dtype)
    floor = torch.sqrt(torch.tensor(epsilon, dtype=mean.dtype, device=mean.device))
    renorm_stddev = torch.maximum(layer.renorm_stddev.to(mean.dtype), floor)
    r = stddev / renorm_stddev
    d = (mean - renorm_mean) / renorm_stddev
    clipping = layer.renorm_clipping
    if clipping.get("rmin") is not None:
        r = r.clamp(min=clipping["rmin"])
    if clipping.get("rmax") is not None:
        r = r.clamp(max=clipping["rmax"])
    if clipping.get("dmax") is not None:
        d = d.clamp(-clipping["dmax"], clipping["dmax"])
    r, d = r.detach(), d.detach()
    if gamma is not None:
        gamma, offset = r * gamma, d * gamma
    else:
        gamma, offset = r, d
    beta = offset if beta is None else offset + beta
    _update_statistics(layer, mean.detach(), stddev.detach())
    return gamma, beta


@torch.no_grad()
def _update_statistics(layer, mean, stddev):
    momentum, renorm_momentum = layer.momentum, layer.renorm_momentum

    def blend(weight, value, m):
        weight.copy_(weight * m + value.to(weight.dtype) * (1.0 - m))

    blend(layer.renorm_mean, mean, renorm_momentum)
    blend(layer.renorm_stddev, stddev, renorm_momentum)
    blend(layer.moving_mean, mean, momentum)
    blend(layer.moving_stddev, stddev, momentum)
    # relu: rounding must not make the derived variance negative.
    layer.moving_variance.copy_(torch.relu(layer.moving_stddev.square() - layer.epsilon))
