"""``fit``/``evaluate``/``predict`` on ``torch.distributed``: DDP or FSDP2, sharded data,
global metrics, one writer.

Launched by ``torchrun`` (one process per device, on one node or many), the same Keras
code trains data-parallel with torch's own engine, nothing home-made:

- the model is wrapped in ``DistributedDataParallel`` (gradients all-reduced in
  ``backward``), or sharded with FSDP2's ``fully_shard``: each layer that owns weights
  (then the model) is its own shard unit;
- arrays and DataLoaders are read through a ``DistributedSampler``: each process gets
  its own ``1/world_size`` of the samples, reshuffled every epoch (``set_epoch``) when
  ``shuffle`` is on. ``batch_size`` is per process (torch's convention): the global
  batch is ``batch_size * world_size``. The sampler pads the data with a few repeated
  samples so that every process runs the same number of steps (torch's rule; needed
  by the collectives inside each step);
- the running losses and metrics are summed over the processes at the end of each
  epoch and evaluation, so every process logs the global values; ``predict`` gathers
  every process's outputs back into the order of the inputs;
- only rank 0 prints and writes files (checkpoints, CSV, TensorBoard, backups);
  ``model.stop_training`` set on any process stops all of them after that epoch.

Example:
    >>> from torch_keraslike.training.distributed import resolve
    >>> resolve(None).active          # no process group: one process, nothing to do
    False
"""

import os

import torch
import torch.distributed as dist

from .. import _distributed_env as env

__all__ = ["Distribution", "check_mode", "resolve"]

_MODES = (None, "auto", "ddp", "fsdp", False, "none")

_NO_GROUP = """\
{where}: distribute={mode!r} needs a torch.distributed process group, and none is initialised \
(and no torchrun environment -- RANK, WORLD_SIZE, MASTER_ADDR -- was found to create one).
Fix: launch with `torchrun --nproc_per_node=N train.py`, or call \
torch.distributed.init_process_group(...) before fit()."""


def _init_from_environment(device):
    """Joins the process group torchrun describes (gloo on CPU, NCCL on CUDA)."""
    if not all(key in os.environ for key in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")):
        return False
    if device is not None and device.type == "cuda":
        dist.init_process_group("nccl", device_id=device)
    else:
        dist.init_process_group("gloo")
    return True


def check_mode(mode, where):
    """Raises a clear error for an unknown ``distribute`` value."""
    if mode not in _MODES:
        raise ValueError(
            f"{where}: distribute must be None, 'auto', 'ddp', 'fsdp' or False, received "
            f"distribute={mode!r}."
        )


def resolve(mode, where="fit", device=None):
    """The :class:`Distribution` of a run.

    Args:
        mode: ``None``/``"auto"`` (DDP when a process group of 2+ processes exists),
            ``"ddp"``, ``"fsdp"``, or ``False``/``"none"`` (each process on its own).
        where: the calling method, for errors.
        device: the model's device (chooses NCCL or gloo when joining torchrun's group).
    """
    check_mode(mode, where)
    if mode in (False, "none"):
        return Distribution(None)
    if mode in ("ddp", "fsdp") and not (dist.is_available() and dist.is_initialized()):
        if not (dist.is_available() and _init_from_environment(device)):
            raise ValueError(_NO_GROUP.format(where=where, mode=mode))
    if not env.is_distributed():
        return Distribution(None)
    return Distribution("ddp" if mode in (None, "auto") else mode)


class Distribution:
    """How one run is spread over the processes (``mode`` None: a single process)."""

    def __init__(self, mode):
        self.mode = mode
        self.world_size = env.world_size() if mode else 1
        self.rank = env.rank() if mode else 0

    @property
    def active(self):
        return self.mode is not None

    # ------------------------------------------------------------ the model
    def prepare_model(self, model, state):
        """Shards the model (FSDP2) before its optimizer exists; a no-op otherwise."""
        if self.mode != "fsdp" or getattr(model, "_tkl_fsdp", False):
            return
        from torch.distributed.fsdp import fully_shard

        optimizer = state.optimizer
        if optimizer is not None and not _rebuildable(optimizer):
            raise ValueError(
                f'fit(distribute="fsdp"): model "{model.name}" was compiled with a torch optimizer '
                "created over its unsharded weights; FSDP2 replaces the weights by sharded ones, so "
                "that optimizer would update nothing. Fix: compile with a name or a "
                "tkl.optimizers optimizer (e.g. optimizer='adam'), which is created after sharding."
            )
        for module in _shard_units(model):
            fully_shard(module)
        fully_shard(model)
        vars(model)["_tkl_fsdp"] = True
        if optimizer is not None:
            # Built over the weights FSDP2 just replaced: rebuilt over the sharded ones.
            optimizer.built = False
            state.optimizer = None

    def runner(self, model, state):
        """What the training step calls: the DDP wrapper (kept for the compile), or the
        model itself (FSDP2 hooks live on the model)."""
        if self.mode != "ddp":
            return model
        wrapper = state.ddp
        if wrapper is None:
            from torch.nn.parallel import DistributedDataParallel

            device = env.tensor_on(model)
            device_ids = [device] if device.type == "cuda" else None
            # DDP's constructor broadcasts rank 0's weights and buffers to every process.
            wrapper = state.ddp = DistributedDataParallel(model, device_ids=device_ids)
        return wrapper

    # ------------------------------------------------------------- the data
    def shard(self, adapter, shuffle, seed=0):
        """The adapter reading this process's share of the data."""
        if not self.active:
            return adapter
        return adapter.shard(self.world_size, self.rank, shuffle, seed)

    # ---------------------------------------------------------- the metrics
    def reduce_logs(self, named_metrics):
        """The epoch's metrics (``{log name: Metric}``) as global values over every
        process (collective: one all_reduce of the metrics' state variables); the
        metrics' own state stays local."""
        from ..metrics import global_results

        names, metrics = list(named_metrics), list(named_metrics.values())
        values = global_results(metrics) if self.active else [m.result() for m in metrics]
        return {name: float(value) for name, value in zip(names, values)}

    def any(self, flag, model):
        """Whether ``flag`` is true on any process (collective)."""
        if not self.active:
            return bool(flag)
        value = torch.tensor([1.0 if flag else 0.0], device=env.tensor_on(model))
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def gather_predictions(self, outputs, num_samples, model):
        """Every process's predictions (tensors or structures, same sample count on each
        process), back in the order of the inputs, padding dropped."""
        from .data import flatten, map_structure

        if not self.active:
            return outputs
        world = self.world_size
        leaves = flatten(outputs)
        device = env.tensor_on(model)
        gathered = []
        for leaf in leaves:
            local = leaf.to(device).contiguous()
            parts = [torch.empty_like(local) for _ in range(world)]
            dist.all_gather(parts, local)
            # Rank r predicted samples r, r + world, r + 2 * world... (an unshuffled
            # DistributedSampler): interleaving the parts restores the input order.
            joined = torch.stack(parts, dim=1).reshape((-1,) + tuple(local.shape[1:]))
            gathered.append(joined[:num_samples].cpu())
        values = iter(gathered)
        return map_structure(lambda _: next(values), outputs)


def _rebuildable(optimizer):
    from .optimizers import Optimizer

    return isinstance(optimizer, Optimizer)


def _shard_units(model):
    """Layers (below the model) that own weights, deepest first, that are called through
    their ``__call__`` (FSDP2's hooks); plain children of those are sharded with them."""
    units = []
    for name, module in model.named_modules():
        if module is model or not name:
            continue
        own = any(p is not None for p in module._parameters.values())
        if own and hasattr(module, "built"):
            units.append(module)
    return list(reversed(units))


