"""Graph mode through ``torch.compile``: ``executing_eagerly`` and ``function``.

The first seed's eager/graph distinction (``tf.executing_eagerly()``,
``tf.function``), on PyTorch: code runs eagerly unless it is being traced by
``torch.compile``; ``tkl.function`` compiles a function or a layer, and
``tkl.config.run_functions_eagerly(True)`` turns that off for debugging.

Example (``@tkl.function`` decorates functions the same way):
    >>> import torch, torch_keraslike as tkl
    >>> dense = tkl.function(tkl.layers.Dense(2), backend="eager")
    >>> dense(torch.ones(4, 3)).shape
    torch.Size([4, 2])
"""

import functools
import weakref

import torch

from . import config
from ._session import on_clear_session

__all__ = ["executing_eagerly", "function"]

_FUNCTIONS = weakref.WeakSet()
_BACKENDS_HINT = "Fix: use backend='inductor' (default), 'eager' or 'aot_eager', or any name in torch.compiler.list_backends()."


def executing_eagerly():
    """``False`` while ``torch.compile`` traces the calling code, ``True`` otherwise."""
    return not torch.compiler.is_compiling()


class Function:
    """A function or module compiled with ``torch.compile`` on its first call.

    Calls run the original, uncompiled code while
    ``tkl.config.run_functions_eagerly(True)`` is in effect.
    """

    def __init__(self, fn, options):
        self.python_function = fn
        self._options = options
        self._compiled = None
        _FUNCTIONS.add(self)
        if not isinstance(fn, torch.nn.Module):
            functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        if config.functions_run_eagerly():
            return self.python_function(*args, **kwargs)
        if self._compiled is None:
            self._compiled = torch.compile(self.python_function, **self._options)
        return call_with_eager_errors(self._compiled, self.python_function, args, kwargs)

    def reset(self):
        """Drops the compiled code; the next call compiles again."""
        self._compiled = None

    def __repr__(self):
        return f"tkl.function({self.python_function!r}, {self._options})"


def call_with_eager_errors(compiled, eager, args, kwargs):
    """Calls ``compiled``; if tracing stopped on an exception raised by user code (with
    ``fullgraph=True`` torch reports it as ``Unsupported``), runs ``eager`` so the
    user's own exception (e.g. an InputSpec ``ValueError``) is what surfaces."""
    try:
        return compiled(*args, **kwargs)
    except Exception as error:
        if type(error).__name__ != "Unsupported" or "Observed exception" not in str(error):
            raise
        eager(*args, **kwargs)  # raises the user's exception
        raise


def function(fn=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None):
    """Compiles ``fn`` (a function, a layer or any ``torch.nn.Module``) with
    ``torch.compile``, as ``tf.function`` does in TensorFlow.

    Usable as ``@tkl.function``, ``@tkl.function(fullgraph=True)`` or
    ``tkl.function(layer)``.

    Args:
        fn: the function or module to compile.
        fullgraph: require a single graph (errors on graph breaks).
        dynamic: ``True`` to trace with dynamic shapes, ``False`` for static,
            ``None`` to let torch decide (it turns dynamic after a shape changes).
        backend: ``torch.compile`` backend (``"inductor"``, ``"eager"``...).
        mode: ``torch.compile`` mode (``"reduce-overhead"``, ``"max-autotune"``...).

    Returns:
        A callable :class:`Function` (or a decorator, when ``fn`` is omitted).
    """
    if not isinstance(backend, str) and not callable(backend):
        raise ValueError(f"tkl.function: backend must be a name or a callable, received {backend!r}. {_BACKENDS_HINT}")
    if dynamic not in (None, True, False):
        raise ValueError(f"tkl.function: dynamic must be None, True or False, received {dynamic!r}.")
    options = {"fullgraph": bool(fullgraph), "dynamic": dynamic, "backend": backend, "mode": mode}
    if mode is None:
        del options["mode"]

    def decorate(target):
        if not callable(target):
            raise TypeError(
                f"tkl.function expects a function or a module to compile, received {target!r}. "
                "Fix: @tkl.function above a def, or tkl.function(layer)."
            )
        return Function(target, options)

    return decorate if fn is None else decorate(fn)


@on_clear_session
def _reset_compiled():
    for compiled in list(_FUNCTIONS):
        compiled.reset()
    if "torch._dynamo" in __import__("sys").modules:
        torch._dynamo.reset()
