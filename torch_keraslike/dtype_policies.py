"""Keras's dtype policies: the dtype of a layer's variables and of its computation.

``"float32"``, ``"bfloat16"``... keep one dtype for both. ``"mixed_float16"`` and
``"mixed_bfloat16"`` keep the variables in float32 and compute in the low dtype: the
layer's floating inputs are cast to it and its ``call`` runs under
``torch.autocast(dtype=...)``, so matrix products and convolutions run in the low
dtype while torch keeps reductions, norms and losses in float32. ``fit`` scales the
loss with torch's ``GradScaler`` under ``"mixed_float16"``. A layer given
``dtype="float32"`` inside a mixed model computes in float32 (autocast is turned off
for its call): Keras's advice for the model's last layer.

Set the policy for the layers created afterwards with
``tkl.config.set_dtype_policy("mixed_bfloat16")``, or per layer with ``dtype=``
(a policy name, a :class:`DTypePolicy`, or Keras's config dict
``{"class_name": "DTypePolicy", "config": {"name": "mixed_float16"}}``).

Example:
    >>> import torch_keraslike as tkl
    >>> layer = tkl.layers.Dense(4, dtype="mixed_bfloat16")
    >>> layer.dtype_policy.name, layer.variable_dtype, layer.compute_dtype
    ('mixed_bfloat16', 'float32', 'bfloat16')
"""

import functools

import torch

from ._dtypes import dtype_name, to_torch_dtype

__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "dtype_policy", "get", "serialize",
           "set_dtype_policy"]

_MIXED = {"mixed_float16": torch.float16, "mixed_bfloat16": torch.bfloat16}
_global = {"policy": None}


class DTypePolicy:
    """A named pair of dtypes: ``variable_dtype`` and ``compute_dtype``.

    Args:
        name: ``"mixed_float16"``, ``"mixed_bfloat16"`` or a dtype name
            (``"float32"``...); None: torch's default dtype.
    """

    def __init__(self, name=None):
        if name is None:
            name = dtype_name(torch.get_default_dtype())
        if not isinstance(name, str):
            raise TypeError(
                f"DTypePolicy: name must be a string such as 'mixed_float16' or 'float32', "
                f"received {name!r} (of type {type(name).__name__})."
            )
        if name in _MIXED:
            self._compute, self._variable = _MIXED[name], torch.float32
        else:
            try:
                dtype = to_torch_dtype(name, context="dtype policy")
            except (TypeError, ValueError):
                raise ValueError(
                    f"Cannot convert {name!r} to a mixed precision DTypePolicy. Valid policies "
                    "include 'mixed_float16', 'mixed_bfloat16', and the name of any float dtype "
                    "(e.g. 'float32')."
                ) from None
            self._compute = self._variable = dtype
            name = dtype_name(dtype)
        self._name = name

    name = property(lambda self: self._name, doc="The policy's name.")
    compute_dtype = property(lambda self: dtype_name(self._compute), doc="Dtype of the computation.")
    variable_dtype = property(lambda self: dtype_name(self._variable), doc="Dtype of the variables.")

    @property
    def is_mixed(self):
        return self._compute != self._variable

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


FloatDTypePolicy = DTypePolicy  # Keras's older name


def get(identifier):
    """A :class:`DTypePolicy` from a name, a policy, a ``torch.dtype`` or Keras's config
    dict; None gives the global policy."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, torch.dtype):
        return DTypePolicy(dtype_name(identifier))
    if isinstance(identifier, dict):
        return deserialize(identifier)
    return DTypePolicy(identifier)


def serialize(policy):
    """Keras's config dict of a policy."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(),
            "registered_name": None}


def deserialize(config):
    """The policy of Keras's config dict (``DTypePolicy``/``FloatDTypePolicy``)."""
    name = config.get("class_name") if isinstance(config, dict) else None
    inner = config.get("config") if isinstance(config, dict) else None
    if name not in ("DTypePolicy", "FloatDTypePolicy") or not isinstance(inner, dict):
        raise ValueError(
            f"Cannot interpret the dtype policy config {config!r}: expected "
            "{'class_name': 'DTypePolicy', 'config': {'name': ...}}. Quantized policies have no "
            "torch_keraslike counterpart."
        )
    return DTypePolicy.from_config(inner)


def set_dtype_policy(policy):
    """Sets the policy of the layers created from now on (None: torch's default dtype)."""
    _global["policy"] = None if policy is None else get(policy)


def dtype_policy():
    """The global policy (torch's default dtype when none was set)."""
    return _global["policy"] or DTypePolicy(None)


# ------------------------------------------------------------------ layers
def resolve_layer_dtype(dtype, context):
    """``(policy, variable dtype, compute dtype)`` for a layer's ``dtype=`` argument."""
    if dtype is None:
        policy = _global["policy"]
        if policy is None:
            default = torch.get_default_dtype()
            return None, default, default
    elif isinstance(dtype, (DTypePolicy, dict)) or (isinstance(dtype, str) and dtype in _MIXED):
        policy = get(dtype)
    else:
        torch_dtype = to_torch_dtype(dtype, context=context)
        return DTypePolicy(dtype_name(torch_dtype)), torch_dtype, torch_dtype
    return policy, policy._variable, policy._compute


def install(layer, policy, explicit):
    """Makes ``layer``'s call follow ``policy``: an autocast region for a mixed policy;
    autocast turned off for an explicit full-precision float policy (a float32 head
    in a mixed model). Other layers keep their plain call (no cost)."""
    state = vars(layer)
    state.pop("forward", None)
    if not type(layer)._tkl_policy_region:
        return
    if policy is not None and policy.is_mixed:
        state["forward"] = functools.partial(_autocast_call, layer, policy._compute)
    elif explicit and policy is not None and policy._compute.is_floating_point and dtype_policy().is_mixed:
        # Created with dtype="float32" while a mixed policy is set: Keras's float32 head.
        state["forward"] = functools.partial(_full_precision_call, layer)


def _device_type(args, kwargs):
    for value in (*args, *kwargs.values()):
        if isinstance(value, torch.Tensor):
            return value.device.type
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], torch.Tensor):
            return value[0].device.type
    return "cpu"


def _autocast_call(layer, dtype, *args, **kwargs):
    device_type = _device_type(args, kwargs)
    if device_type == "meta":
        return type(layer).forward(layer, *args, **kwargs)
    with torch.autocast(device_type, dtype=dtype):
        return type(layer).forward(layer, *args, **kwargs)


def _full_precision_call(layer, *args, **kwargs):
    device_type = _device_type(args, kwargs)
    if device_type != "meta" and torch.is_autocast_enabled(device_type):
        with torch.autocast(device_type, enabled=False):
            return type(layer).forward(layer, *args, **kwargs)
    return type(layer).forward(layer, *args, **kwargs)
