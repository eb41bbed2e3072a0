"""When a sub-layer's ``call`` may run without its ``__call__``.

Container layers (an ``RNN`` stepping its cell, ``MultiHeadAttention`` projecting its
inputs) call their sub-layers through ``__call__``, so hooks, FSDP2's per-module
sharding and activity regularizers see every call. When none of those is attached,
``__call__`` adds only its own cost (~10 us per call on CPU), and the container may
run the sub-layer's computation directly, with the same result.
"""

import torch
from torch.nn.modules import module as _torch_module

__all__ = ["direct_call_ok"]


def direct_call_ok(*layers):
    """Whether running these layers' computations directly is indistinguishable from
    calling them: eager mode, no hooks (theirs or global), no ``module.compile()``, no
    activity regularizer."""
    if torch.compiler.is_compiling() or torch._C._get_tracing_state():
        return False
    if (_torch_module._global_forward_pre_hooks or _torch_module._global_forward_hooks
            or _torch_module._global_backward_hooks or _torch_module._global_backward_pre_hooks):
        return False
    for layer in layers:
        # The input-spec hook is our own; torch's lazy-initialisation hook may remain on
        # a layer built directly (it only builds, and the layer is built).
        own = 1 + ("_initialize_hook" in vars(layer))
        if (len(layer._forward_pre_hooks) > own or layer._forward_hooks or layer._backward_hooks
                or layer._backward_pre_hooks or layer._compiled_call_impl is not None
                or getattr(layer, "activity_regularizer", None) is not None):
            return False
    return True
