"""Metrics over the processes of a ``torch.distributed`` run: each process holds the
state of the data it saw; the global result combines every process's state by each
variable's ``aggregation`` (``"sum"``: summed, ``"mean"``: averaged,
``"only_first_replica"``: process 0's, ``"none"``: this process's), then computes the
metric's ``result()`` from it. The metrics' own state is left unchanged.

Outside a distributed run (no initialised process group) the results are the local ones.

Example:
    >>> import torch
    >>> from torch_keraslike.metrics import Mean, global_results
    >>> m = Mean()
    >>> m.update_state(torch.tensor([1.0, 3.0]))
    >>> [float(r) for r in global_results([m])]
    [2.0]
"""

import torch
import torch.distributed as dist

__all__ = ["global_results"]


def _combine(tensors, broadcast, group):
    """``tensors`` combined over the processes in one collective: summed, or rank 0's
    with ``broadcast``. Packed in float64, which holds float32 and int32 state exactly."""
    if not tensors:
        return []
    device = tensors[0].device
    flat = torch.cat([t.detach().reshape(-1).to(device=device, dtype=torch.float64) for t in tensors])
    if broadcast:
        source = 0 if group is None else dist.get_global_rank(group, 0)
        dist.broadcast(flat, src=source, group=group)
    else:
        dist.all_reduce(flat, group=group)
    parts = torch.split(flat, [t.numel() for t in tensors])
    return [part.reshape(t.shape).to(device=t.device, dtype=t.dtype) for part, t in zip(parts, tensors)]


def global_results(metrics, group=None):
    """The result of each metric over all the processes of ``group``.

    A collective call: every process of the group must call it with the same metrics,
    created in the same order (so their variables match). It costs one ``all_reduce``
    (plus one ``broadcast`` when a variable asks for ``"only_first_replica"``).

    Args:
        metrics: a list of :class:`~torch_keraslike.metrics.Metric`.
        group: the process group (default: the whole world).

    Returns:
        The list of global results, in the order of ``metrics``.
    """
    metrics = list(metrics)
    if not (dist.is_available() and dist.is_initialized()):
        return [metric.result() for metric in metrics]
    world = dist.get_world_size(group)
    variables = [variable for metric in metrics for variable in metric.variables]
    summed = [v for v in variables if v.__dict__.get("aggregation", "sum") in ("sum", "mean")]
    first = [v for v in variables if v.__dict__.get("aggregation") == "only_first_replica"]
    combined = {}
    for variable, value in zip(summed, _combine(summed, False, group)):
        if variable.__dict__.get("aggregation") == "mean":
            value = (value / world).to(variable.dtype)
        combined[id(variable)] = value
    for variable, value in zip(first, _combine(first, True, group)):
        combined[id(variable)] = value
    return [metric.stateless_result([combined.get(id(v), v) for v in metric.variables]) for metric in metrics]
