"""Keras's scopes: ``name_scope`` (prefixes the paths of the weights created inside)
and ``device`` (where tensors created inside are placed).

Example:
    >>> import torch, torch_keraslike as tkl
    >>> with tkl.name_scope("encoder"):
    ...     dense = tkl.layers.Dense(2, name="proj")
    ...     _ = dense(torch.ones(1, 3))
    >>> dense.kernel.path
    'encoder/proj/kernel'
"""

import torch

from ._call_context import CALL_CONTEXT

__all__ = ["device", "name_scope"]


class name_scope:  # noqa: N801 - Keras's name
    """Context manager adding ``name`` to the path (``w.path``) of the weights that
    layers create inside it, as Keras 3 does (``"block/dense/kernel"``).

    Args:
        name: the scope's name (a non-empty string without ``/``).
        caller: the object opening the scope (accepted for Keras compatibility).
        deduplicate: do not repeat ``name`` when the enclosing scope has the same name.
        override_parent: a path that replaces the enclosing scopes inside this one.
    """

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(
                f"name_scope: `name` must be a non-empty string without '/', received {name!r}. Fix: e.g. "
                "tkl.name_scope('encoder'); nest scopes for deeper paths.")
        if override_parent is not None and not isinstance(override_parent, str):
            raise ValueError(f"name_scope: `override_parent` must be a string path or None, received "
                             f"{override_parent!r}.")
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        self._saved = None
        self._pushed = False

    def __enter__(self):
        context = CALL_CONTEXT
        if self.override_parent is not None:
            self._saved = context.scope
            context.scope = [_PathPart(part) for part in self.override_parent.split("/") if part]
        scope = context.scope
        parent = scope[-1] if scope else None
        self._pushed = not (self.deduplicate and getattr(parent, "name", None) == self.name)
        if self._pushed:
            scope.append(self)
        return self

    def __exit__(self, *exc):
        context = CALL_CONTEXT
        if self._pushed and context.scope and context.scope[-1] is self:
            context.scope.pop()
        if self._saved is not None:
            context.scope = self._saved
            self._saved = None
        return False


class _PathPart:
    """One component of an ``override_parent`` path."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


def device(device_name):
    """Context manager placing the tensors created inside on ``device_name`` (torch's
    default device); Keras's names are accepted (``"gpu"``/``"gpu:1"`` mean CUDA).

    Args:
        device_name: ``"cpu"``, ``"gpu:0"``, ``"cuda:1"``, ``"mps"``... or a
            ``torch.device``.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> with tkl.device("cpu"):
        ...     torch.zeros(1).device.type
        'cpu'
    """
    if isinstance(device_name, str):
        name = device_name.lower().replace("gpu", "cuda")
        try:
            target = torch.device(name)
        except RuntimeError:
            target = None
    else:
        target = device_name if isinstance(device_name, torch.device) else None
    if target is None:
        raise ValueError(
            "Invalid value for argument `device_name`. Expected a string like 'gpu:0' or 'cpu'. Received: "
            f"device_name={device_name!r}")
    return target
