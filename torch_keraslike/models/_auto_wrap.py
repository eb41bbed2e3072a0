"""A torch module called on ``KerasTensor``s becomes a ``TorchModuleWrapper`` layer.

``nn.Linear(4, 8)(x)`` on a symbolic ``x`` must not run the module op by op: its weights
would become constants of the graph, and Python-level behaviour (``self.training`` in
``Dropout`` and ``BatchNorm``, the running statistics) would be frozen. torch runs a
module's ``forward`` straight from ``nn.Module.__call__``; the one place to step in
before ``forward`` sees the ``KerasTensor`` is a global forward pre-hook. The pre-hook
hands ``forward`` fake tensors of the inputs' shapes instead (so it runs, computing
nothing, with the module in ``eval()``), and the forward hook replaces the fake result by
the outputs of a ``TorchModuleWrapper`` of the module called on the real symbolic inputs:
one graph node whose layer owns the module.

Global hooks have two costs while installed: every torch module call in the process
goes through torch's slow call path (about 1.5 us more per call), and
``torch.compile(module)`` warns on each call. So they are installed only while a model
is being built ("armed"): from ``tkl.Input()`` until the first module call on real
tensors (outside shape inference), the creation of a ``torch.compile(module)`` wrapper,
or ``clear_session()``. Outside that window, for symbolic tensors passed by keyword, and
for modules with hooks of their own (which would see the symbolic outputs), a module
with weights or buffers called on a ``KerasTensor`` raises an error that says to wrap
it; a stateless one (``nn.ReLU``) joins the graph op by op, as torch functions do.
"""

import contextlib
import signal
import sys
import threading
import weakref

import torch
from torch.nn.modules import module as _torch_module

from .. import _session, symbolic
from .._torch_ops import called_by_torch_keraslike
from ..layer import Layer

__all__ = ["arm", "disarm"]

_handles = []  # the installed hooks' handles; empty when disarmed


class _Pending(threading.local):
    def __init__(self):
        # (fake args handed to forward, original args, exit stack, the call's frame)
        # per intercepted call in progress in this thread.
        self.calls = []
        _threads[threading.get_ident()] = (threading.current_thread(), self.calls)


_threads = {}  # thread id -> (thread, its pending calls): what other threads are doing
_pending = _Pending()
_wrappers = weakref.WeakKeyDictionary()  # module -> weakref to its wrapper (one per module)


def arm():
    """Installs the hooks (no-op when armed): called where symbolic tensors reach users."""
    _close_stale()
    # Dynamo bakes global hooks into guards: compiling means building is over, and the
    # hooks go before tracing starts (no recompile when they go later). Registered at
    # every arm: ``torch._dynamo.reset()`` forgets callbacks.
    import torch._dynamo

    handler = torch._dynamo.callback_handler
    if _on_compile not in handler.start_callbacks:
        handler.register_start_callback(_on_compile)
    if not _handles:
        _handles.extend([
            _torch_module.register_module_forward_pre_hook(_before_forward),
            _torch_module.register_module_forward_hook(_after_forward, with_kwargs=True, always_call=True),
            _torch_module.register_module_module_registration_hook(_on_submodule),
        ])


def disarm():
    """Removes the hooks: torch module calls are torch's own again (not while another
    thread is inside an intercepted call: its forward hook must still run)."""
    for ident, (thread, calls) in list(_threads.items()):
        if not thread.is_alive():
            del _threads[ident]  # its fake mode and calls ended with it
        elif calls:
            return
    while _handles:
        handle = _handles.pop()
        handle.remove()
        # torch 2.13's handle forgets the with_kwargs entry, which alone keeps
        # ``_has_any_global_hook()`` true (and torch.compile warning) forever.
        _torch_module._global_forward_hooks_with_kwargs.pop(handle.id, None)


def _clear_session():
    _close_stale()
    disarm()


_session.on_clear_session(_clear_session)


def _on_compile(*_):
    # Not while shape inference runs: a module using torch.cond compiles there.
    if not symbolic.in_symbolic_call():
        disarm()


def _on_stack(frame):
    current = sys._getframe(1)
    while current is not None:
        if current is frame:
            return True
        current = current.f_back
    return False


def _close_stale():
    """Ends intercepted calls that were interrupted (``KeyboardInterrupt`` skips torch's
    always-called hooks): their fake-tensor mode must not outlive them."""
    calls = _pending.calls
    while calls and not _on_stack(calls[-1][3]):
        calls.pop()[2].close()


def _defer_interrupts(stack):
    """Ctrl-C inside an intercepted call is delivered when the call has cleaned up: an
    interrupt skips torch's always-called hooks, which would leave the fake-tensor mode
    on for whatever the user runs next (a notebook's next cell)."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        return  # other threads get no signals; a custom handler is the user's
    received = []
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))

    def restore():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if received:
            raise KeyboardInterrupt

    stack.callback(restore)


def _called_from_torch_keraslike(module):
    """Whether tkl's own code made this call of ``module`` (see
    :func:`~torch_keraslike._torch_ops.called_by_torch_keraslike`)."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "_wrapped_call_impl" and frame.f_locals.get("self") is module:
            return called_by_torch_keraslike(frame)
        frame = frame.f_back
    return False


def _first_tensor(args):
    for leaf in symbolic.flatten(list(args)):
        if isinstance(leaf, torch.Tensor):
            return leaf
    return None


def _has_own_hooks(module):
    return bool(module._forward_hooks or module._forward_pre_hooks or module._backward_hooks
                or module._backward_pre_hooks)


def _device_of(module):
    for tensor in module.parameters():
        return tensor.device
    for tensor in module.buffers():
        return tensor.device
    return None


def _before_forward(module, args):
    if torch.compiler.is_compiling():
        return None
    _close_stale()
    if not symbolic.has_keras_tensor(args, {}):
        first = _first_tensor(args)
        if (first is not None and not _pending.calls and not symbolic.is_fake(first)
                and not symbolic.in_symbolic_call()):
            disarm()  # real work has begun: building is over
        return None
    if isinstance(module, Layer) or _has_own_hooks(module) or _called_from_torch_keraslike(module):
        return None
    # Imported on first use: ``import torch_keraslike`` does not load the layer library.
    from ..layers.torch_module_wrapper import inference_mode

    with contextlib.ExitStack() as stack:
        _defer_interrupts(stack)
        stack.enter_context(inference_mode(module))
        stack.enter_context(symbolic.fake_mode())
        fakes = symbolic.to_fakes(tuple(args), device=_device_of(module))
        _pending.calls.append((fakes, args, stack.pop_all(), sys._getframe(1)))
    return fakes


def _after_forward(module, args, *rest):
    # torch passes (kwargs, result) normally, only (result,) when forward raised. The
    # fakes' identity tells this call from calls of the same module inside its forward.
    calls = _pending.calls
    if not calls or calls[-1][0] is not args:
        return None
    _, original, stack, _ = calls.pop()
    stack.close()
    if len(rest) != 2:
        # forward failed on the fake inputs: its error propagates, with the context.
        error = sys.exc_info()[1]
        if error is not None:
            error.add_note(_FAILED_NOTE.format(cls=type(module).__name__, shapes=_shapes(original),
                                               placeholder=symbolic.PLACEHOLDER))
        return None
    return wrapper_for(module)(*original, **rest[0])


_FAILED_NOTE = (
    "(torch_keraslike: this error came from the torch module {cls} called on KerasTensors of "
    "shapes {shapes}, run on stand-in tensors to infer its output shapes, unknown sizes as "
    "{placeholder}. Check that the module accepts inputs of these shapes; symbolic tensors "
    "passed by keyword are not supported: pass them positionally, or wrap the module with "
    "tkl.layers.TorchModuleWrapper.)"
)


def _shapes(args):
    return ", ".join(str(t.shape) for t in symbolic.flatten(list(args)) if isinstance(t, symbolic.KerasTensor))


def _on_submodule(parent, name, submodule):
    # ``torch.compile(module)`` wraps the module in an OptimizedModule, which warns at
    # every call while global hooks exist: compiling means building is over.
    if name == "_orig_mod" and type(parent).__name__ == "OptimizedModule":
        disarm()
    return None


def wrapper_for(module):
    """The ``TorchModuleWrapper`` of ``module``: one per module, so a module called
    twice is one shared layer (as a Keras layer called twice)."""
    ref = _wrappers.get(module)
    wrapper = ref() if ref is not None else None
    if wrapper is None:
        from ..layers.torch_module_wrapper import TorchModuleWrapper

        wrapper = TorchModuleWrapper(module)
        _wrappers[module] = weakref.ref(wrapper)
    return wrapper
