"""``tkl.optimizers``: Keras 3's ``keras.optimizers`` namespace on torch optimizers.

Every optimizer here is a subclass of its ``torch.optim`` counterpart, created with
Keras's arguments and defaults (``Adam(learning_rate=1e-3, clipnorm=1.0)``) and built
over the model's weights by ``compile`` (see :mod:`torch_keraslike.training.optimizers`
for the update rules: clipping, weight decay, gradient accumulation, EMA, schedules).

Keras optimizers without a torch counterpart (``Ftrl``, ``Lamb``, ``Muon``,
``ScheduleFreeAdamW``, ``MultiOptimizer``) are not provided: accessing them raises an
``AttributeError`` that says so. ``LossScaleOptimizer`` is torch's ``GradScaler``,
which ``fit`` uses by itself under the ``"mixed_float16"`` policy.

Example:
    >>> import numpy as np, torch_keraslike as tkl
    >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    >>> schedule = tkl.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    >>> model.compile(optimizer=tkl.optimizers.SGD(learning_rate=schedule, clipnorm=1.0), loss="mse")
    >>> _ = model.fit(np.ones((8, 3)), np.ones((8, 1)), batch_size=4, epochs=1, verbose=0)
    >>> int(model.optimizer.iterations), model.optimizer.learning_rate
    (2, 0.05)
"""

from ..training.optimizers import (SGD, Adadelta, Adafactor, Adagrad, Adam, AdamW, Adamax, Lion, Nadam,
                                   Optimizer, RMSprop)
from ..training.optimizers import CLASSES as _CLASSES
from ..training.optimizers import get as _get
from . import schedules

__all__ = [
    "SGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "Lion", "Nadam",
    "Optimizer", "RMSprop", "deserialize", "get", "schedules", "serialize",
]

_MISSING = {
    "Ftrl": "torch has no FTRL optimizer",
    "Lamb": "torch has no LAMB optimizer",
    "Muon": "torch.optim.Muon updates only 2-D weights and differs from Keras's Muon (AdamW for the rest)",
    "ScheduleFreeAdamW": "torch has no schedule-free AdamW",
    "MultiOptimizer": "use one torch optimizer with several param_groups instead",
    "OptimizerMap": "use one torch optimizer with several param_groups instead",
    "LossScaleOptimizer": "loss scaling is torch's GradScaler, which fit() uses by itself under "
                          "tkl.config.set_dtype_policy('mixed_float16')",
}


def get(identifier):
    """An optimizer from a Keras name (``"adam"``), a config dict, an optimizer (returned
    as is) or a ``torch.optim.Optimizer``."""
    return _get(identifier)


def serialize(optimizer):
    """Keras's config dict of an optimizer: ``{"module", "class_name", "config",
    "registered_name"}``."""
    if not isinstance(optimizer, Optimizer) or type(optimizer).__name__ not in _CLASSES:
        raise TypeError(
            f"serialize expects a tkl.optimizers optimizer, received {optimizer!r}. A torch.optim "
            "optimizer has no Keras config; save its state_dict() instead."
        )
    name = type(optimizer).__name__
    return {"module": "keras.optimizers", "class_name": name, "config": optimizer.get_config(),
            "registered_name": name}


def deserialize(config, custom_objects=None):
    """The optimizer described by ``config`` (from :func:`serialize` or Keras)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Could not interpret an optimizer config: {config!r}. Expected a dict with "
            "'class_name' and 'config', as serialize() writes."
        )
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _CLASSES.get(name) or {
        n.lower(): c for n, c in _CLASSES.items()}.get(str(name).lower())
    if cls is None:
        reason = _MISSING.get(name)
        raise ValueError(
            f"Unknown optimizer class {name!r}"
            + (f" ({reason})" if reason else "")
            + f". Known: {sorted(_CLASSES)}. Fix: pass custom classes in custom_objects={{name: cls}}."
        )
    return cls.from_config(config.get("config", {}), custom_objects)


def __getattr__(name):
    if name in _MISSING:
        raise AttributeError(f"tkl.optimizers.{name} is not provided: {_MISSING[name]}.")
    raise AttributeError(f"module 'torch_keraslike.optimizers' has no attribute {name!r}")
