"""Keras's optimizers as real ``torch.optim`` optimizers.

``tkl.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0)`` is an instance of a subclass
of ``torch.optim.Adam``: it is created with Keras's arguments and defaults, without
parameters, and becomes a working torch optimizer once it knows them (``compile``
does that when the model is built; ``build(variables)``, ``apply(grads, variables)``
or ``create(params)`` do it by hand). From then on ``step()``, ``zero_grad()``,
``state_dict()``, ``param_groups`` and every torch tool work as usual, and each
``step()`` follows Keras's update:

1. with ``gradient_accumulation_steps=n``: the gradients are summed over ``n`` steps
   and only every ``n``-th step updates the weights, with their mean;
2. the gradients are divided by ``loss_scale_factor`` and clipped (``clipnorm``: each
   tensor to that norm; ``global_clipnorm``: all together; ``clipvalue``: each value);
3. the learning rate (a float or a ``tkl.optimizers.schedules`` schedule evaluated at
   the iteration count) is written into ``param_groups``;
4. ``weight_decay`` is decoupled, as in Keras: ``w -= w * weight_decay * lr``;
5. torch's own update runs (Keras's defaults, e.g. Adam's ``epsilon=1e-7``);
6. ``use_ema``: the moving averages of the weights are updated (and copied into the
   weights every ``ema_overwrite_frequency`` steps, and at the end of ``fit``).

``compile(optimizer=...)`` also accepts a Keras name (``"adam"``), a
``torch.optim.Optimizer`` instance, a ``torch.optim.Optimizer`` subclass or any
callable ``params -> optimizer``.

(Keras adds ``epsilon`` to the square root of the *uncorrected* second moment; torch
to the corrected one, a difference far below any tolerance once ``t`` is past a few
steps.)

Example:
    >>> import torch
    >>> from torch_keraslike.training import optimizers
    >>> params = [torch.nn.Parameter(torch.zeros(2))]
    >>> opt = optimizers.get("adam").create(params)
    >>> isinstance(opt, torch.optim.Adam), opt.defaults["eps"], opt.learning_rate
    (True, 1e-07, 0.001)
"""

import collections
import numbers
import re

import torch

from . import schedules
from ._lion import TorchLion

__all__ = [
    "SGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "Lion", "Nadam",
    "Optimizer", "OptimizerSpec", "RMSprop", "get",
]

_NOT_BUILT = """\
Optimizer "{name}" ({cls}) is not built yet: it does not know which weights it updates, so \
it cannot {what}. Fix: pass it to model.compile(optimizer=...) and build the model, or call \
optimizer.build(model.trainable_weights) (or optimizer.apply(grads, variables)) first."""


def _check(value, name, cls, low=0.0, high=None, low_inclusive=True):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{cls}: {name} must be a number, received {name}={value!r}.")
    too_low = value < low if low_inclusive else value <= low
    if too_low or (high is not None and value >= high):
        bounds = f"{'[' if low_inclusive else '('}{low}, {high if high is not None else 'inf'})"
        raise ValueError(f"{cls}: {name} must lie in {bounds}, received {name}={value!r}.")
    return float(value)


def _optional(value, name, cls):
    return None if value is None else _check(value, name, cls)


def _unhooked(step):
    # torch wraps the ``step`` of every optimizer class it instantiates with its hook
    # runner; our own ``step`` is wrapped too, so the inner torch update is called bare
    # to run each hook once.
    while "hooked" in getattr(step, "__dict__", {}):
        step = step.__wrapped__
    return step


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Optimizer:
    """Keras's optimizer arguments on top of a ``torch.optim.Optimizer`` class.

    A concrete optimizer is ``class Adam(Optimizer, torch.optim.Adam)`` with
    :meth:`torch_kwargs` mapping Keras's arguments to torch's.

    Args:
        learning_rate: a float, a ``tkl.optimizers.schedules`` schedule, or a callable
            ``iterations -> rate``.
        weight_decay: decoupled weight decay (``w -= w * weight_decay * lr``).
        clipnorm: clip each gradient tensor to this norm.
        clipvalue: clip each gradient value to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this global norm.
        use_ema: keep an exponential moving average of the weights.
        ema_momentum: momentum of that average.
        ema_overwrite_frequency: copy the averages into the weights every that many
            iterations (None: only at the end of ``fit``).
        loss_scale_factor: ``fit`` multiplies the loss by it; gradients are divided by it.
        gradient_accumulation_steps: update the weights every that many steps (>= 2),
            with the mean of the accumulated gradients.
        name: the optimizer's name.
    """

    torch_class = None

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None):
        cls = type(self).__name__
        self.name = name or _snake(cls)
        self.built = False
        # torch's hook runner (wrapped around ``step``) reads these before the step runs.
        self._optimizer_step_pre_hooks = collections.OrderedDict()
        self._optimizer_step_post_hooks = collections.OrderedDict()
        self._set_schedule(learning_rate, cls)
        self.weight_decay = _optional(weight_decay, "weight_decay", cls)
        self.clipnorm = _optional(clipnorm, "clipnorm", cls)
        self.clipvalue = _optional(clipvalue, "clipvalue", cls)
        self.global_clipnorm = _optional(global_clipnorm, "global_clipnorm", cls)
        if sum(v is not None for v in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        self.use_ema = bool(use_ema)
        self.ema_momentum = _check(ema_momentum, "ema_momentum", cls)
        if self.use_ema and not 0 <= ema_momentum <= 1:
            raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
        if ema_overwrite_frequency is not None and (
                isinstance(ema_overwrite_frequency, bool) or not isinstance(ema_overwrite_frequency, int)
                or ema_overwrite_frequency < 1):
            raise ValueError(
                "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                f"ema_overwrite_frequency={ema_overwrite_frequency}"
            )
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = _optional(loss_scale_factor, "loss_scale_factor", cls)
        if gradient_accumulation_steps is not None and (
                isinstance(gradient_accumulation_steps, bool)
                or not isinstance(gradient_accumulation_steps, int) or gradient_accumulation_steps < 2):
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. Received: "
                f"gradient_accumulation_steps={gradient_accumulation_steps}"
            )
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._iterations = 0
        self._extra = {}  # param -> {"ema": tensor, "accumulator": tensor}
        self._exclude_ids, self._exclude_pattern = set(), None
        self._names = {}  # id(param) -> its state_dict key, for exclude_from_weight_decay

    def _set_schedule(self, learning_rate, cls):
        if isinstance(learning_rate, schedules.LearningRateSchedule) or (
                callable(learning_rate) and not isinstance(learning_rate, numbers.Real)):
            self._schedule, self._lr = learning_rate, None
        else:
            self._schedule, self._lr = None, _check(learning_rate, "learning_rate", cls)

    def torch_kwargs(self):
        """torch's constructor arguments for Keras's (the learning rate excluded)."""
        return {}

    # --------------------------------------------------------------- build
    def build(self, variables):
        """Creates the torch optimizer state for ``variables`` (tensors or param groups)."""
        if self.built:
            return
        params = list(variables)
        self.torch_class.__init__(self, params, lr=self._current_lr(), **self.torch_kwargs())
        self.built = True

    def create(self, params):
        """Builds the optimizer over ``params`` and returns it (the spec protocol of
        ``compile``)."""
        self.build(params)
        return self

    def set_variable_names(self, named_parameters):
        """Records the weights' names (``model.named_parameters()``), which
        ``exclude_from_weight_decay(var_names=...)`` matches."""
        self._names = {id(p): name for name, p in named_parameters}

    def _require_built(self, what):
        if not self.built:
            raise ValueError(_NOT_BUILT.format(name=self.name, cls=type(self).__name__, what=what))

    def state_dict(self):
        self._require_built("save its state")
        state = super().state_dict()
        index = {id(p): i for i, p in enumerate(self._params())}
        state["keras"] = {
            "iterations": self._iterations,
            "extra": {index[id(p)]: dict(v) for p, v in self._extra.items() if id(p) in index},
        }
        return state

    def load_state_dict(self, state_dict):
        self._require_built("load a state")
        state_dict = dict(state_dict)
        keras = state_dict.pop("keras", None)
        super().load_state_dict(state_dict)
        if keras is not None:
            params = self._params()
            self._iterations = int(keras["iterations"])
            self._extra = {params[int(i)]: {k: v.to(params[int(i)].device) for k, v in entry.items()}
                           for i, entry in keras["extra"].items()}

    def _params(self):
        return [p for group in self.param_groups for p in group["params"]]

    # ------------------------------------------------------- learning rate
    def _current_lr(self):
        if self._schedule is None:
            return self._lr
        return float(self._schedule(self._iterations))

    @property
    def learning_rate(self):
        """The current learning rate (a float). Assign a float or a schedule."""
        if self._schedule is not None:
            return self._current_lr()
        if self.built:
            lr = self.param_groups[0]["lr"]
            return float(lr.item() if isinstance(lr, torch.Tensor) else lr)
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value):
        self._set_schedule(value, type(self).__name__)
        if self.built:
            self._write_lr()

    lr = learning_rate

    def _write_lr(self):
        lr = self._current_lr()
        for group in self.param_groups:
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(lr)
            else:
                group["lr"] = lr

    @property
    def iterations(self):
        """Number of weight updates made (Keras's ``optimizer.iterations``)."""
        steps = self._iterations
        if self.gradient_accumulation_steps:
            steps //= self.gradient_accumulation_steps
        return torch.tensor(steps, dtype=torch.int64)

    # ---------------------------------------------------------------- step
    @torch.no_grad()
    def step(self, closure=None):
        """One Keras update with the gradients in ``.grad`` (see the module docstring)."""
        self._require_built("step")
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        params = [p for p in self._params() if p.grad is not None]
        accumulate = self.gradient_accumulation_steps
        if accumulate:
            sums = [self._slot(p, "accumulator") for p in params]
            torch._foreach_add_(sums, [p.grad for p in params])
            if (self._iterations + 1) % accumulate:
                for p in params:
                    p.grad = None  # the weights only move every ``accumulate`` steps
            else:
                for p, total in zip(params, sums):
                    p.grad = total / accumulate
                    total.zero_()
        if params and params[0].grad is not None:
            grads = [p.grad for p in params]
            if self.loss_scale_factor:
                torch._foreach_div_(grads, self.loss_scale_factor)
            self._clip(grads)
            if self._schedule is not None:
                self._write_lr()
            if self.weight_decay:
                decayed = [p for p in params if self._decays(p)]
                if decayed:
                    torch._foreach_mul_(decayed, 1.0 - self.weight_decay * self.learning_rate)
            _unhooked(self.torch_class.step)(self)
        if self.use_ema:
            self._update_ema()
        self._iterations += 1
        return loss

    def _slot(self, param, key):
        slots = self._extra.setdefault(param, {})
        if key not in slots:
            slots[key] = torch.zeros_like(param, memory_format=torch.preserve_format)
        return slots[key]

    def _clip(self, grads):
        if self.clipnorm:
            for g in grads:
                norm = torch.linalg.vector_norm(g)
                g.mul_(self.clipnorm / torch.clamp(norm, min=self.clipnorm))
        elif self.global_clipnorm:
            norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
            # Keras's formula: a non-finite norm makes the gradients NaN, as in Keras.
            scale = self.global_clipnorm * torch.minimum(1.0 / norm, torch.tensor(1.0 / self.global_clipnorm))
            torch._foreach_mul_(grads, scale + (norm - norm))
        elif self.clipvalue:
            for g in grads:
                g.clamp_(-self.clipvalue, self.clipvalue)

    def _update_ema(self):
        steps = int(self.iterations)
        momentum = self.ema_momentum if steps else 0.0
        params = [p for p in self._params() if p.requires_grad]
        averages = [self._slot(p, "ema") for p in params]
        torch._foreach_lerp_(averages, params, 1.0 - momentum)
        if self.ema_overwrite_frequency and (steps + 1) % self.ema_overwrite_frequency == 0:
            torch._foreach_copy_(params, averages)

    def finalize_variable_values(self, var_list=None):
        """With ``use_ema``: copies the moving averages into the weights (``fit`` calls it
        at the end of training, as Keras does)."""
        if not self.use_ema or not self.built:
            return
        wanted = None if var_list is None else {id(v) for v in var_list}
        with torch.no_grad():
            for param, slots in self._extra.items():
                if "ema" in slots and (wanted is None or id(param) in wanted):
                    param.copy_(slots["ema"])

    # -------------------------------------------------------- weight decay
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Leaves these weights (or those whose name contains one of ``var_names``)
        out of the weight decay. Call it before the optimizer is built."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _decays(self, param):
        if id(param) in self._exclude_ids:
            return False
        name = self._names.get(id(param))
        return not (self._exclude_pattern is not None and name and self._exclude_pattern.search(name))

    # ----------------------------------------------------- Keras's apply API
    def apply(self, grads, trainable_variables=None):
        """Keras 3's custom-training API: updates ``trainable_variables`` (all the built
        variables when None) with ``grads`` (one per variable; None entries are skipped)."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            self._require_built("apply gradients without variables")
            variables = self._params()
        else:
            variables = list(trainable_variables)
            if not self.built:
                self.build(variables)
            known = {id(p) for p in self._params()}
            unknown = [tuple(v.shape) for v in variables if id(v) not in known]
            if unknown:
                raise ValueError(
                    f"Optimizer \"{self.name}\": {len(unknown)} variable(s) (shapes {unknown}) are "
                    "not among the variables it was built with, so it has no state for them. "
                    "Fix: use a new optimizer for other variables, or build it with all of them."
                )
        if len(grads) != len(variables):
            raise ValueError(
                f"Optimizer \"{self.name}\": received {len(grads)} gradients for {len(variables)} "
                "variables. Fix: pass one gradient (or None) per variable, in the same order."
            )
        if all(g is None for g in grads):
            raise ValueError("No gradients provided for any variable.")
        given = {id(v) for v in variables}
        for param in self._params():
            if id(param) not in given:
                param.grad = None  # only the given variables move, as in Keras
        for grad, variable in zip(grads, variables):
            variable.grad = None if grad is None else grad.detach().to(variable.dtype)
        self.step()

    def apply_gradients(self, grads_and_vars):
        """``apply`` for ``zip(grads, variables)``; returns :attr:`iterations`."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])
        return self.iterations

    # -------------------------------------------------------------- config
    def get_config(self):
        """Keras's config: the learning rate (or its schedule) and every argument."""
        lr = self._schedule if self._schedule is not None else self.learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif callable(lr):
            raise ValueError(
                f"Optimizer \"{self.name}\": its learning_rate is a plain callable ({lr!r}), which "
                "a config cannot hold. Fix: use a tkl.optimizers.schedules schedule."
            )
        return {
            "name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue, "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self):
        state = "built" if self.built else "not built"
        return f"<{type(self).__name__} name={self.name!r} learning_rate={self.learning_rate!r} ({state})>"

    def __getstate__(self):
        return dict(self.__dict__)

    def __setstate__(self, state):
        if state.get("built"):
            super().__setstate__(state)
        else:
            self.__dict__.update(state)


OptimizerSpec = Optimizer  # the name compile's docs used before tkl.optimizers existed


def _betas(self, cls, beta_1, beta_2, epsilon=None):
    self.beta_1 = _check(beta_1, "beta_1", cls, high=1.0)
    self.beta_2 = _check(beta_2, "beta_2", cls, high=1.0)
    if epsilon is not None:
        self.epsilon = _check(epsilon, "epsilon", cls)


class SGD(Optimizer, torch.optim.SGD):
    """Keras ``SGD`` (``learning_rate=0.01``, ``momentum=0``, ``nesterov=False``) on
    ``torch.optim.SGD``."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        cls = type(self).__name__
        self.momentum = _check(momentum, "momentum", cls)
        self.nesterov = bool(nesterov)
        if self.nesterov and not self.momentum:
            raise ValueError(f"{cls}: nesterov=True needs momentum > 0, received momentum={momentum!r}.")

    torch_class = torch.optim.SGD

    def torch_kwargs(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer, torch.optim.Adam):
    """Keras ``Adam`` (``epsilon=1e-7``) on ``torch.optim.Adam``."""

    torch_class = torch.optim.Adam

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        _betas(self, type(self).__name__, beta_1, beta_2, epsilon)
        self.amsgrad = bool(amsgrad)

    def torch_kwargs(self):
        return {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon, "amsgrad": self.amsgrad}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam, torch.optim.AdamW):
    """Keras ``AdamW``: Adam with decoupled weight decay (default 0.004), a
    ``torch.optim.AdamW`` whose decay is applied by the Keras step (the same formula)."""

    torch_class = torch.optim.AdamW

    def torch_kwargs(self):
        return {**super().torch_kwargs(), "weight_decay": 0.0}

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **kwargs)
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")


class RMSprop(Optimizer, torch.optim.RMSprop):
    """Keras ``RMSprop`` (``rho=0.9`` is torch's ``alpha``, ``epsilon=1e-7``)."""

    torch_class = torch.optim.RMSprop

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        cls = type(self).__name__
        self.rho = _check(rho, "rho", cls, high=1.0)
        self.momentum = _check(momentum, "momentum", cls)
        self.epsilon = _check(epsilon, "epsilon", cls)
        self.centered = bool(centered)

    def torch_kwargs(self):
        return {"alpha": self.rho, "eps": self.epsilon, "momentum": self.momentum, "centered": self.centered}

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


class Adagrad(Optimizer, torch.optim.Adagrad):
    """Keras ``Adagrad`` (``initial_accumulator_value=0.1``, ``epsilon=1e-7``)."""

    torch_class = torch.optim.Adagrad

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        cls = type(self).__name__
        self.initial_accumulator_value = _check(initial_accumulator_value, "initial_accumulator_value", cls)
        self.epsilon = _check(epsilon, "epsilon", cls)

    def torch_kwargs(self):
        return {"initial_accumulator_value": self.initial_accumulator_value, "eps": self.epsilon}

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class Adadelta(Optimizer, torch.optim.Adadelta):
    """Keras ``Adadelta`` (``learning_rate=0.001``, ``rho=0.95``, ``epsilon=1e-7``)."""

    torch_class = torch.optim.Adadelta

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        cls = type(self).__name__
        self.rho = _check(rho, "rho", cls, high=1.0 + 1e-12)
        self.epsilon = _check(epsilon, "epsilon", cls)

    def torch_kwargs(self):
        return {"rho": self.rho, "eps": self.epsilon}

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adamax(Optimizer, torch.optim.Adamax):
    """Keras ``Adamax`` on ``torch.optim.Adamax``."""

    torch_class = torch.optim.Adamax

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        _betas(self, type(self).__name__, beta_1, beta_2, epsilon)

    def torch_kwargs(self):
        return {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Nadam(Optimizer, torch.optim.NAdam):
    """Keras ``Nadam`` on ``torch.optim.NAdam``: Keras's momentum schedule
    ``beta_1 * (1 - 0.5 * 0.96 ** t)`` is torch's with ``momentum_decay=1``."""

    torch_class = torch.optim.NAdam

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        _betas(self, type(self).__name__, beta_1, beta_2, epsilon)

    def torch_kwargs(self):
        return {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon, "momentum_decay": 1.0}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Lion(Optimizer, TorchLion):
    """Keras ``Lion`` (``beta_1=0.9``, ``beta_2=0.99``): sign updates of an
    interpolated momentum (Chen et al., 2023), as a torch optimizer."""

    torch_class = TorchLion

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate, **kwargs)
        cls = type(self).__name__
        self.beta_1 = _check(beta_1, "beta_1", cls, high=1.0 + 1e-12)
        self.beta_2 = _check(beta_2, "beta_2", cls, high=1.0 + 1e-12)
        if self.beta_1 <= 0 or self.beta_1 > 1:
            raise ValueError(f"Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer "
                             f"degenerates to SignSGD. Received: beta_1={beta_1}.")

    def torch_kwargs(self):
        return {"betas": (self.beta_1, self.beta_2)}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}


class Adafactor(Optimizer, torch.optim.Adafactor):
    """Keras ``Adafactor`` arguments on ``torch.optim.Adafactor`` (factored second
    moments; ``beta_2_decay``, ``epsilon_1``/``epsilon_2`` and ``clip_threshold`` map
    to torch's ``beta2_decay``, ``eps`` and ``d``). torch always uses the relative step
    size scaled by ``learning_rate``, so ``relative_step`` must stay True."""

    torch_class = torch.optim.Adafactor

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, **kwargs):
        super().__init__(learning_rate, **kwargs)
        cls = type(self).__name__
        if beta_2_decay > 0:
            raise ValueError(f"{cls}: beta_2_decay must be <= 0, received {beta_2_decay!r}.")
        self.beta_2_decay = float(beta_2_decay)
        self.epsilon_1 = _check(epsilon_1, "epsilon_1", cls)
        self.epsilon_2 = _check(epsilon_2, "epsilon_2", cls)
        self.clip_threshold = _check(clip_threshold, "clip_threshold", cls)
        if not relative_step:
            raise ValueError(
                f"{cls}: relative_step=False has no torch.optim.Adafactor counterpart (torch scales "
                "the step by the parameter's RMS). Fix: keep relative_step=True."
            )
        self.relative_step = True

    def torch_kwargs(self):
        return {"beta2_decay": self.beta_2_decay, "eps": (self.epsilon_1, self.epsilon_2),
                "d": self.clip_threshold}

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step}


class _Factory(Optimizer):
    """A ``torch.optim.Optimizer`` subclass or a callable ``params -> optimizer``."""

    def __init__(self, factory):  # noqa: D107 - no Keras arguments of its own
        self.factory = factory
        self.name = getattr(factory, "__name__", "optimizer")

    def create(self, params):
        optimizer = self.factory(params)
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                f"compile: the optimizer factory {self.factory!r} returned {optimizer!r}, not a "
                "torch.optim.Optimizer. Fix: pass e.g. lambda params: torch.optim.SGD(params, lr=0.1)."
            )
        return optimizer

    def __repr__(self):
        return f"<optimizer factory {self.factory!r}>"


CLASSES = {cls.__name__: cls for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam,
                                         Lion, Adafactor)}
_BY_NAME = {name.lower(): cls for name, cls in CLASSES.items()}


def get(identifier):
    """A ``torch.optim.Optimizer`` (returned as is), a Keras optimizer (a new one for a
    name or a config dict) or a factory for a callable.

    Raises:
        ValueError: for an unknown name; the message lists the valid names.
    """
    if isinstance(identifier, torch.optim.Optimizer | Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(
                f"Unknown optimizer {identifier!r}. Valid names: {sorted(_BY_NAME)}. Fix: use one "
                "of them, tkl.optimizers.Adam(learning_rate=...), or a torch.optim optimizer, "
                "e.g. torch.optim.SGD(model.parameters(), lr=0.1)."
            )
        return cls()
    if isinstance(identifier, dict):
        from ..optimizers import deserialize

        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if callable(identifier):
        return _Factory(identifier)
    raise TypeError(
        f"compile: optimizer must be a Keras name, a tkl.optimizers optimizer, a torch.optim.Optimizer "
        f"or a callable params -> optimizer, received {identifier!r} (of type {type(identifier).__name__})."
    )

