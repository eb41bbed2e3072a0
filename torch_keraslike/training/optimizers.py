"""Optimizers by Keras name, with Keras's default hyperparameters, as torch optimizers.

``Model.compile(optimizer=...)`` accepts:

- a Keras name: ``"adam"``, ``"sgd"``, ``"rmsprop"``, ``"adamw"``;
- a Keras-style spec: ``Adam(learning_rate=1e-2)``, ``SGD(momentum=0.9)``... (these
  classes hold the settings; the torch optimizer is created once the model's
  parameters exist);
- a ``torch.optim.Optimizer`` instance (used as it is), a ``torch.optim.Optimizer``
  subclass, or any callable ``params -> optimizer``.

Keras's defaults differ from torch's; these are Keras's:

========== ===== ==========================================================
name       lr    other settings
========== ===== ==========================================================
adam       1e-3  betas (0.9, 0.999), eps 1e-7
sgd        1e-2  momentum 0, nesterov False
rmsprop    1e-3  alpha (Keras rho) 0.9, eps 1e-7, momentum 0, centered False
adamw      1e-3  betas (0.9, 0.999), eps 1e-7, weight_decay 0.004
========== ===== ==========================================================

(Keras adds ``epsilon`` to the square root of the *uncorrected* second moment; torch
to the corrected one, a difference far below any tolerance once ``t`` is past a few
steps.)

Example:
    >>> import torch
    >>> from torch_keraslike.training import optimizers
    >>> params = [torch.nn.Parameter(torch.zeros(2))]
    >>> opt = optimizers.get("adam").create(params)
    >>> opt.defaults["eps"], opt.defaults["lr"]
    (1e-07, 0.001)
"""

import numbers

import torch

__all__ = ["SGD", "Adam", "AdamW", "OptimizerSpec", "RMSprop", "get"]


def _check(value, name, cls, low=0.0, high=None, low_inclusive=True):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{cls}: {name} must be a number, received {name}={value!r}.")
    too_low = value < low if low_inclusive else value <= low
    if too_low or (high is not None and value >= high):
        bounds = f"{'[' if low_inclusive else '('}{low}, {high if high is not None else 'inf'})"
        raise ValueError(f"{cls}: {name} must lie in {bounds}, received {name}={value!r}.")
    return float(value)


class OptimizerSpec:
    """Settings of an optimizer whose torch object is created from the parameters
    (:meth:`create`), once the model is built."""

    torch_class = None

    def __init__(self, learning_rate):
        self.learning_rate = _check(learning_rate, "learning_rate", type(self).__name__)

    def torch_kwargs(self):
        raise NotImplementedError

    def create(self, params):
        """The ``torch.optim`` optimizer over ``params``."""
        return self.torch_class(params, **self.torch_kwargs())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Adam(OptimizerSpec):
    """Keras ``Adam``: ``torch.optim.Adam`` with Keras's defaults."""

    torch_class = torch.optim.Adam

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None):
        super().__init__(learning_rate)
        cls = type(self).__name__
        self.beta_1 = _check(beta_1, "beta_1", cls, high=1.0)
        self.beta_2 = _check(beta_2, "beta_2", cls, high=1.0)
        self.epsilon = _check(epsilon, "epsilon", cls)
        self.amsgrad = bool(amsgrad)
        self.weight_decay = None if weight_decay is None else _check(weight_decay, "weight_decay", cls)

    def torch_kwargs(self):
        kwargs = {"lr": self.learning_rate, "betas": (self.beta_1, self.beta_2), "eps": self.epsilon,
                  "amsgrad": self.amsgrad}
        if self.weight_decay:
            kwargs["weight_decay"] = self.weight_decay
        return kwargs


class AdamW(Adam):
    """Keras ``AdamW`` (decoupled weight decay, default 0.004): ``torch.optim.AdamW``."""

    torch_class = torch.optim.AdamW

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay)

    def torch_kwargs(self):
        kwargs = super().torch_kwargs()
        kwargs["weight_decay"] = self.weight_decay
        return kwargs


class SGD(OptimizerSpec):
    """Keras ``SGD``: ``torch.optim.SGD`` (lr 0.01, no momentum by default)."""

    torch_class = torch.optim.SGD

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None):
        super().__init__(learning_rate)
        cls = type(self).__name__
        self.momentum = _check(momentum, "momentum", cls)
        self.nesterov = bool(nesterov)
        if self.nesterov and not self.momentum:
            raise ValueError(f"{cls}: nesterov=True needs momentum > 0, received momentum={momentum!r}.")
        self.weight_decay = None if weight_decay is None else _check(weight_decay, "weight_decay", cls)

    def torch_kwargs(self):
        kwargs = {"lr": self.learning_rate, "momentum": self.momentum, "nesterov": self.nesterov}
        if self.weight_decay:
            kwargs["weight_decay"] = self.weight_decay
        return kwargs


class RMSprop(OptimizerSpec):
    """Keras ``RMSprop``: ``torch.optim.RMSprop`` with ``alpha=rho`` (0.9) and eps 1e-7."""

    torch_class = torch.optim.RMSprop

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None):
        super().__init__(learning_rate)
        cls = type(self).__name__
        self.rho = _check(rho, "rho", cls, high=1.0)
        self.momentum = _check(momentum, "momentum", cls)
        self.epsilon = _check(epsilon, "epsilon", cls)
        self.centered = bool(centered)
        self.weight_decay = None if weight_decay is None else _check(weight_decay, "weight_decay", cls)

    def torch_kwargs(self):
        kwargs = {"lr": self.learning_rate, "alpha": self.rho, "eps": self.epsilon,
                  "momentum": self.momentum, "centered": self.centered}
        if self.weight_decay:
            kwargs["weight_decay"] = self.weight_decay
        return kwargs


class _Factory(OptimizerSpec):
    """A ``torch.optim.Optimizer`` subclass or a callable ``params -> optimizer``."""

    def __init__(self, factory):  # noqa: D107 - no learning rate of its own
        self.factory = factory

    def create(self, params):
        optimizer = self.factory(params)
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                f"compile: the optimizer factory {self.factory!r} returned {optimizer!r}, not a "
                "torch.optim.Optimizer. Fix: pass e.g. lambda params: torch.optim.SGD(params, lr=0.1)."
            )
        return optimizer


_BY_NAME = {"adam": Adam, "sgd": SGD, "rmsprop": RMSprop, "adamw": AdamW}


def get(identifier):
    """A ``torch.optim.Optimizer`` (returned as is) or an :class:`OptimizerSpec`.

    Raises:
        ValueError: for an unknown name; the message lists the valid names.
    """
    if isinstance(identifier, torch.optim.Optimizer | OptimizerSpec):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(
                f"Unknown optimizer {identifier!r}. Valid names: {sorted(_BY_NAME)}. Fix: use one "
                "of them, tkl.training.optimizers.Adam(learning_rate=...), or a torch.optim "
                "optimizer, e.g. torch.optim.SGD(model.parameters(), lr=0.1)."
            )
        return cls()
    if callable(identifier):
        return _Factory(identifier)
    raise TypeError(
        f"compile: optimizer must be a Keras name, an optimizer spec, a torch.optim.Optimizer or a "
        f"callable params -> optimizer, received {identifier!r} (of type {type(identifier).__name__})."
    )
