"""The ``Metric`` base class: state as registered tensors, each with an aggregation.

A metric's state is a set of tensors created by :meth:`Metric.add_variable` (Keras's
API). Each carries Keras's variable methods (``assign``, ``assign_add``, ``numpy()``,
``path``) and its ``aggregation``: how the copies of that state on several processes
combine (``"sum"`` for counts and totals, ``"mean"``, ``"only_first_replica"``,
``"none"``). :attr:`Metric.variables` lists them in creation order (sub-metrics'
included), so synchronising any metric across processes is one generic step::

    values = [reduce(v, v.aggregation) for v in metric.variables]
    result = metric.stateless_result(values)

Updates stay on the device: the variables move to the device of the first tensor an
``update_state`` call receives (keeping their identity), and nothing is read back to the
host until ``float(metric.result())``.

Example:
    >>> import torch
    >>> class Positives(Metric):
    ...     def __init__(self, name="positives"):
    ...         super().__init__(name=name)
    ...         self.count = self.add_variable(shape=(), initializer="zeros", name="count")
    ...     def update_state(self, values):
    ...         self.count.assign_add((values > 0).sum().float())
    ...     def result(self):
    ...         return self.count
    >>> metric = Positives()
    >>> metric.update_state(torch.tensor([1.0, -2.0, 3.0]))
    >>> float(metric.result()), metric.count.path, metric.count.aggregation
    (2.0, 'positives/count', 'sum')
"""

import functools

import torch

from .._dtypes import dtype_name, to_torch_dtype
from .._naming import to_snake_case, unique_name
from ..losses.loss import compute_dtype, construct

__all__ = ["AGGREGATIONS", "Metric"]

#: How the copies of a variable on several processes combine (Keras's names).
AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")

_NOT_INITIALIZED = (
    "{cls}: you forgot to call `super().__init__()` in the `__init__()` method of your metric. "
    "Fix: call super().__init__(name=name, dtype=dtype) first in {cls}.__init__."
)


def _first_tensor(args, kwargs):
    for value in args:
        if isinstance(value, torch.Tensor):
            return value
    for value in kwargs.values():
        if isinstance(value, torch.Tensor):
            return value
    return None


def _follow_inputs(update_state):
    """Wraps a class's ``update_state``: the metric's variables move to the device of
    the call's first tensor before the update runs."""

    @functools.wraps(update_state)
    def wrapper(self, *args, **kwargs):
        tensor = _first_tensor(args, kwargs)
        if tensor is not None and tensor.device != vars(self).get("_device"):
            self._move_to(tensor.device)
        return update_state(self, *args, **kwargs)

    wrapper._tkl_follows_inputs = True
    return wrapper


class Metric:
    """Base class of metrics: ``update_state(...)`` accumulates, ``result()`` reads,
    ``reset_state()`` starts over; calling the metric updates it and returns the result.

    Subclasses create their state in ``__init__`` (or on their first update) with
    :meth:`add_variable`, update it in ``update_state`` (in place: ``assign_add``,
    ``add_``...) and compute ``result()`` from it.

    Args:
        name: name shown in the logs (default: the snake_case class name, made unique).
        dtype: dtype of the state and the computation (default ``tkl.config.floatx()``).
    """

    def __init__(self, dtype=None, name=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string, received {name!r}.")
        state = vars(self)
        state["_variables"] = []
        state["_metrics"] = []
        state["_device"] = torch.get_default_device()
        self._dtype = compute_dtype(dtype, type(self).__name__)
        self.name = name or unique_name(to_snake_case(type(self).__name__))

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        update = cls.__dict__.get("update_state")
        if update is not None and not getattr(update, "_tkl_follows_inputs", False):
            cls.update_state = _follow_inputs(update)

    def _check_super_called(self):
        if "_variables" not in vars(self):
            raise RuntimeError(_NOT_INITIALIZED.format(cls=type(self).__name__))

    def __setattr__(self, name, value):
        state = vars(self)
        if "_metrics" in state and isinstance(value, Metric) and value is not self:
            if all(value is not m for m in state["_metrics"]):
                state["_metrics"].append(value)
        object.__setattr__(self, name, value)

    # ---------------------------------------------------------------- state
    @property
    def dtype(self):
        """Name of the dtype of the metric's state (``"float32"``)."""
        return dtype_name(self._dtype)

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Creates a state tensor of the metric (a buffer, never trained).

        Args:
            shape: tuple of ints.
            initializer: an initializer name (``"zeros"``), object or callable
                ``(shape, dtype) -> tensor``.
            dtype: dtype name or ``torch.dtype`` (default: the metric's dtype).
            aggregation: how copies on several processes combine: ``"sum"``
                (default), ``"mean"``, ``"only_first_replica"`` or ``"none"`` (None).
            name: name of the variable (its ``path`` is ``"<metric>/<name>"``).

        Returns:
            The tensor, with Keras's variable methods and its ``aggregation``.
        """
        from .. import initializers, variables

        self._check_super_called()
        owner = f'Metric "{self.name}" ({type(self).__name__})'
        if aggregation is None:
            aggregation = "none"
        if aggregation not in AGGREGATIONS:
            raise ValueError(
                f"{owner}: Invalid value for argument `aggregation` of variable {name!r}. Expected one of "
                f"`None`, `'none'`, `'mean'`, `'sum'`, `'only_first_replica'`. Received: aggregation={aggregation!r}")
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(f"{owner}: Argument `name` must be a string and cannot contain character `/`. "
                             f"Received: name={name!r}")
        try:
            shape = tuple(int(d) for d in (shape if isinstance(shape, (tuple, list)) else (shape,)))
        except (TypeError, ValueError):
            shape = None
        if shape is None or any(d < 0 for d in shape):
            raise ValueError(f"{owner}: the shape of variable {name!r} must be a tuple of non-negative "
                             f"integers, received {shape!r}.")
        torch_dtype = to_torch_dtype(dtype, context=f"dtype of variable {name!r} of {owner}") or self._dtype
        init = initializers.get(initializer)
        if init is None:
            raise ValueError(f"{owner}: variable {name!r} needs an initializer, e.g. initializer='zeros'.")
        device = self._device
        with torch.no_grad():
            if isinstance(init, initializers.Initializer):
                value = init(shape, dtype=torch_dtype, device=device)
            else:
                value = torch.as_tensor(init(shape, torch_dtype), dtype=torch_dtype, device=device)
        if tuple(value.shape) != shape:
            raise ValueError(f"{owner}: the initializer of variable {name!r} returned shape "
                             f"{tuple(value.shape)} instead of {shape}.")
        variable = value.detach().clone()
        name = name or f"variable_{len(self._variables)}"
        variables.annotate(variable, f"{self.name.replace('/', '>')}/{name}")
        variable.__dict__["aggregation"] = aggregation
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Alias of :meth:`add_variable` kept by Keras for old code."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        """The state tensors, in creation order, then those of tracked sub-metrics."""
        self._check_super_called()
        found = list(self._variables)
        for metric in self._metrics:
            found.extend(metric.variables)
        return found

    def _move_to(self, device):
        """Moves every state tensor to ``device``: in place where torch allows it (the
        same tensor objects, so references held elsewhere stay valid), else by
        replacing each tensor in the metric's attributes."""
        from .. import variables

        state = vars(self)
        with torch.no_grad():
            for index, variable in enumerate(self._variables):
                if variable.device == device:
                    continue
                moved = variable.detach().to(device)
                try:
                    variable.data = moved
                except RuntimeError:  # e.g. to or from the meta device
                    moved.__dict__.update(aggregation=variable.__dict__.get("aggregation"))
                    variables.annotate(moved, variable.__dict__.get("path"))
                    self._variables[index] = moved
                    for key, value in list(state.items()):
                        if value is variable:
                            state[key] = moved
        for metric in self._metrics:
            metric._move_to(device)
        state["_device"] = device

    def reset_state(self):
        """Sets every state tensor back to zero (Keras's default)."""
        with torch.no_grad():
            for variable in self.variables:
                variable.zero_()

    # ---------------------------------------------------------- the protocol
    def update_state(self, *args, **kwargs):
        """Accumulates statistics from a batch."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        """The current value (a tensor on the state's device, or a dict of them)."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def __call__(self, *args, **kwargs):
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    # ------------------------------------------------------------- stateless
    def _swapped(self, values, run):
        variables = self.variables
        if len(values) != len(variables):
            raise ValueError(
                "Argument `metric_variables` must be a list of tensors corresponding 1:1 to "
                f"{type(self).__name__}().variables. Received list with length {len(values)}, but "
                f"expected {len(variables)} variables.")
        saved = [v.data for v in variables]
        try:
            with torch.no_grad():
                for variable, value in zip(variables, values):
                    variable.data = torch.as_tensor(value, dtype=variable.dtype).detach().clone().to(
                        variable.device)
            output = run()
            return output, [v.data for v in variables]
        finally:
            with torch.no_grad():
                for variable, value in zip(variables, saved):
                    variable.data = value

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """The state :meth:`update_state` would reach from ``metric_variables`` (one
        tensor per :attr:`variables` entry), leaving the metric's own state unchanged."""
        return self._swapped(metric_variables, lambda: self.update_state(*args, **kwargs))[1]

    def stateless_result(self, metric_variables):
        """:meth:`result` computed from ``metric_variables`` instead of the metric's
        state (e.g. the state summed over processes)."""
        return self._swapped(metric_variables, self.result)[0]

    def stateless_reset_state(self):
        """The state :meth:`reset_state` would set, leaving the metric unchanged."""
        return self._swapped([v.data for v in self.variables], self.reset_state)[1]

    # --------------------------------------------------------------- config
    def get_config(self):
        """The constructor arguments (JSON-serialisable)."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Creates a metric from :meth:`get_config`'s dict."""
        return construct(cls, config)

    def __setstate__(self, state):
        # Copies and pickles drop the variables' bound methods; bind them again.
        from .. import variables

        vars(self).update(state)
        for variable in vars(self).get("_variables", ()):
            variables.annotate(variable, variable.__dict__.get("path"))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
