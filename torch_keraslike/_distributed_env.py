"""Which process this is, for code that must act once per job (writing files, printing).

Low-level (imports only torch): the callbacks and the progress bar ask
:func:`is_primary` before writing, and :func:`full_state_dict` gathers a sharded
(FSDP2) model's weights on every process so that rank 0 can write them.

Example:
    >>> from torch_keraslike._distributed_env import is_primary, world_size
    >>> is_primary(), world_size()     # no process group: a single process
    (True, 1)
"""

import torch
import torch.distributed as dist

__all__ = ["barrier", "broadcast_object", "full_state_dict", "is_distributed", "is_primary", "rank",
           "world_size"]


def is_distributed():
    """True inside an initialised ``torch.distributed`` process group of 2+ processes."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank():
    """This process's rank (0 without a process group)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def world_size():
    """Number of processes (1 without a process group)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def is_primary():
    """Whether this process writes files and prints: rank 0, or the only process."""
    return rank() == 0


def barrier():
    """Waits for every process (nothing without a process group)."""
    if is_distributed():
        dist.barrier()


def broadcast_object(value):
    """Rank 0's ``value`` on every process (``value`` itself without a process group)."""
    if not is_distributed():
        return value
    holder = [value if is_primary() else None]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def _is_sharded(model):
    from torch.distributed.tensor import DTensor

    return any(isinstance(p, DTensor) for p in model.parameters())


def full_state_dict(model):
    """``model.state_dict()`` with every tensor whole and on the CPU.

    For a model sharded with FSDP2 this is a collective: every process must call it;
    rank 0 gets the full tensors (the others an empty dict). Otherwise it is a plain
    ``state_dict()``.
    """
    if not (is_distributed() and _is_sharded(model)):
        return model.state_dict()
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    return get_model_state_dict(model, options=options)


def full_optimizer_state_dict(model, optimizer):
    """The optimizer's ``state_dict()``, gathered whole on rank 0 for a sharded model
    (collective then, like :func:`full_state_dict`)."""
    if not (is_distributed() and _is_sharded(model)):
        return optimizer.state_dict()
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_optimizer_state_dict

    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    return get_optimizer_state_dict(model, optimizer, options=options)


def load_full_state(model, optimizer, model_state, optimizer_state):
    """Loads rank 0's full model (and optimizer) state into every process: broadcast
    for a sharded model, plain ``load_state_dict`` calls otherwise (each process gets
    rank 0's values through :func:`broadcast_object`)."""
    if is_distributed() and _is_sharded(model):
        from torch.distributed.checkpoint.state_dict import (StateDictOptions, set_model_state_dict,
                                                             set_optimizer_state_dict)

        options = StateDictOptions(full_state_dict=True, broadcast_from_rank0=True)
        set_model_state_dict(model, model_state if is_primary() else {}, options=options)
        if optimizer is not None:
            set_optimizer_state_dict(model, optimizer, optimizer_state if is_primary() else {},
                                     options=options)
        return
    model_state, optimizer_state = broadcast_object((model_state, optimizer_state))
    if optimizer is not None:
        optimizer.load_state_dict(optimizer_state)
    model.load_state_dict(model_state)


def tensor_on(model):
    """A device for collectives: the model's (CUDA for NCCL), else the CPU."""
    for parameter in model.parameters():
        return parameter.device if parameter.device.type != "meta" else torch.device("cpu")
    return torch.device("cpu")
