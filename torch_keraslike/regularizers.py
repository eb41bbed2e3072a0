"""Keras-style weight regularizers: callables ``reg(weight) -> scalar tensor`` penalty.

Example:
    >>> float(L2(0.5)(torch.tensor([1.0, 2.0])))
    2.5
"""

import difflib
import math
import numbers

import torch


def _check_factor(value, arg, cls_name):
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value < 0):
        raise ValueError(
            f"Invalid value for argument `{arg}` of {cls_name}: expected a non-negative "
            f"float, but received {arg}={value!r}. Pass e.g. {arg}=0.01 (0 disables it).")
    return float(value)


def _as_tensor(x):
    if not isinstance(x, torch.Tensor):
        return torch.as_tensor(x, dtype=torch.get_default_dtype())
    return x if x.is_floating_point() or x.is_complex() else x.to(torch.get_default_dtype())


class Regularizer:
    """Base class of regularizers: ``__call__(x)`` returns a scalar penalty tensor.

    Subclasses implement ``__call__`` and ``get_config``; ``from_config`` calls the
    constructor with the config dict. The base class penalty is 0.

    Example:
        >>> class Sum(Regularizer):
        ...     def __call__(self, x):
        ...         return x.sum()
    """

    def __call__(self, x):
        return _as_tensor(x).new_zeros(())

    def get_config(self):
        """Returns the JSON-serialisable constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Builds a regularizer from the dict returned by ``get_config``."""
        config = dict(config or {})
        try:
            return cls(**config)
        except TypeError as e:
            raise ValueError(f"Could not build {cls.__name__} from config {config!r}: {e}. "
                             f"Use the dict returned by {cls.__name__}.get_config().") from None

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    __hash__ = object.__hash__


class L1(Regularizer):
    """L1 penalty: ``l1 * sum(abs(x))``.

    Args:
        l1: Non-negative factor (``None`` means 0.01).

    Example:
        >>> float(L1(0.1)(torch.tensor([1.0, -2.0])))
        0.30000001192092896
    """

    def __init__(self, l1=0.01):
        self.l1 = _check_factor(0.01 if l1 is None else l1, "l1", "L1")

    def __call__(self, x):
        return self.l1 * torch.sum(torch.abs(_as_tensor(x)))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """L2 penalty: ``l2 * sum(x ** 2)``.

    Args:
        l2: Non-negative factor (``None`` means 0.01).

    Example:
        >>> float(L2(0.1)(torch.tensor([1.0, -2.0])))
        0.5
    """

    def __init__(self, l2=0.01):
        self.l2 = _check_factor(0.01 if l2 is None else l2, "l2", "L2")

    def __call__(self, x):
        return self.l2 * torch.sum(torch.square(_as_tensor(x)))

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """Sum of L1 and L2 penalties: ``l1 * sum(abs(x)) + l2 * sum(x ** 2)``.

    Args:
        l1: Non-negative L1 factor (``None`` means 0).
        l2: Non-negative L2 factor (``None`` means 0).

    Example:
        >>> float(L1L2(l1=1.0, l2=1.0)(torch.tensor([1.0, -2.0])))
        8.0
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_factor(0.0 if l1 is None else l1, "l1", "L1L2")
        self.l2 = _check_factor(0.0 if l2 is None else l2, "l2", "L1L2")

    def __call__(self, x):
        x = _as_tensor(x)
        penalty = x.new_zeros(()) if x.is_floating_point() else x.real.new_zeros(())
        if self.l1:
            penalty = penalty + self.l1 * torch.sum(torch.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * torch.sum(torch.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Encourages the rows (or columns) of a 2-D weight to be orthogonal.

    Rows (``mode="rows"``) or columns are L2-normalised; the penalty is
    ``factor * mean(|<v_i, v_j>|)`` over all pairs ``i < j``.

    Args:
        factor: Non-negative regularization factor.
        mode: ``"rows"`` or ``"columns"``.

    Example:
        >>> float(OrthogonalRegularizer(1.0)(torch.eye(3)))
        0.0
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _check_factor(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise ValueError(
                "Invalid value for argument `mode` of OrthogonalRegularizer: expected one of "
                f"['rows', 'columns'], but received mode={mode!r}.")
        self.mode = mode

    def __call__(self, x):
        x = _as_tensor(x)
        if x.dim() != 2:
            raise ValueError(
                "OrthogonalRegularizer expects a rank-2 weight (such as a Dense kernel), but "
                f"received a tensor of shape {tuple(x.shape)}. Reshape it to 2-D first.")
        vectors = x if self.mode == "rows" else x.T
        size = vectors.shape[0]
        if size < 2:
            return x.new_zeros(())
        norms = torch.linalg.vector_norm(vectors, dim=1, keepdim=True).clamp_min(1e-12)
        unit = vectors / norms
        product = unit @ unit.T
        off_diagonal = product * (1.0 - torch.eye(size, dtype=x.dtype, device=x.device))
        num_pairs = size * (size - 1) / 2.0
        return self.factor * 0.5 * torch.sum(torch.abs(off_diagonal)) / num_pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# Keras's lower-case names of the classes (``keras.regularizers.l2`` is ``L2``).
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

ALL_OBJECTS = (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)
#: Every accepted name (class names and Keras snake_case aliases) -> class.
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({"regularizer": Regularizer, "l1": L1, "l2": L2, "l1_l2": L1L2,
                         "l1l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer})
_USABLE = sorted(k for k in ALL_OBJECTS_DICT if k.lower() != "regularizer")


def _lookup(name):
    if name not in _USABLE:
        close = difflib.get_close_matches(str(name), _USABLE, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"Unknown regularizer name {name!r}.{hint} Valid names: {_USABLE}. "
                         "You can also pass a Regularizer instance or any callable.")
    return ALL_OBJECTS_DICT[name]


def serialize(regularizer):
    """Returns ``{"class_name": ..., "config": ...}`` for a regularizer (None stays None).

    Example:
        >>> serialize(L2(0.5))
        {'class_name': 'L2', 'config': {'l2': 0.5}}
    """
    if regularizer is None:
        return None
    if not isinstance(regularizer, Regularizer):
        raise ValueError(
            f"serialize expected a Regularizer instance, but received {regularizer!r}. Plain "
            "callables cannot be serialized; subclass Regularizer and implement get_config().")
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}


def deserialize(config):
    """Builds a regularizer from :func:`serialize` output (or a name string).

    Example:
        >>> deserialize({"class_name": "L1", "config": {"l1": 0.5}})
        L1(l1=0.5)
    """
    if isinstance(config, str):
        return _lookup(config)()
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("deserialize expected a dict like {'class_name': 'L2', 'config': "
                         f"{{'l2': 0.01}}}} or a name string, but received {config!r}.")
    return _lookup(config["class_name"]).from_config(config.get("config") or {})


def get(identifier):
    """Returns a regularizer for a name, a config dict, an instance or a callable.

    Args:
        identifier: ``None`` (returns ``None``); a :class:`Regularizer` or any callable
            (returned as is; a Regularizer subclass is instantiated); a name such as
            ``"l2"`` or ``"L1L2"`` (a new default instance); or a config dict.

    Example:
        >>> get("l1_l2")
        L1L2(l1=0.0, l2=0.0)
    """
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Regularizer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret regularizer identifier {identifier!r}. Expected None, a name "
        f"(one of {_USABLE}), a config dict, a Regularizer or a callable.")
