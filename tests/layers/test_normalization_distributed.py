"""BatchNormalization(synchronized=True) across two processes (gloo on 127.0.0.1).

Each rank normalizes its own batch; synchronized, both must use (and store) the
statistics of the union of the batches, and the gradients must be those of one
process normalizing the concatenated batch.
"""

import datetime
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist

from test_ddp import LAUNCH_TIMEOUT_S, WORLD_SIZE, free_port, loopback_env, spawn_with_deadline
from torch_keraslike.layers.normalization import BatchNormalization

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()),
    reason="torch.distributed with the gloo backend is not available in this torch build",
)

_SIZES = (5, 3)  # different batch sizes per rank: the union is not an average of averages


def _data():
    rng = np.random.default_rng(0)
    batches = [torch.from_numpy((rng.standard_normal((n, 4, 3)) * 2 + 1).astype(np.float32)) for n in _SIZES]
    masks = [torch.from_numpy(rng.random((n, 4)) > 0.3) for n in _SIZES]
    upstream = [torch.from_numpy(rng.standard_normal((n, 4, 3)).astype(np.float32)) for n in _SIZES]
    return batches, masks, upstream


def _run(layer_kwargs, x, mask, upstream):
    layer = BatchNormalization(momentum=0.5, **layer_kwargs)
    x = x.clone().requires_grad_()
    out = layer(x, training=True, mask=mask)
    (out * upstream).sum().backward()
    return {"out": out.detach(), "grad": x.grad, "gamma_grad": layer.gamma.grad,
            "weights": [torch.from_numpy(w) for w in layer.get_weights()]}


_CASES = {"plain": ({}, False), "masked": ({}, True), "renorm": ({"renorm": True}, False)}


def _worker(rank, port, out_dir):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD_SIZE,
                            timeout=datetime.timedelta(seconds=LAUNCH_TIMEOUT_S))
    try:
        batches, masks, upstream = _data()
        results = {
            name: _run({"synchronized": True, **kwargs}, batches[rank], masks[rank] if masked else None,
                       upstream[rank])
            for name, (kwargs, masked) in _CASES.items()
        }
        dist.barrier()
        time.sleep(0.1)  # lets gloo's worker threads finish (see examples/ddp_train.py leave_process_group)
    finally:
        dist.destroy_process_group()
    torch.save(results, Path(out_dir) / f"rank{rank}.pt")


@pytest.mark.slow
def test_two_ranks_normalize_with_the_statistics_of_the_union(tmp_path, monkeypatch):
    loopback_env(monkeypatch)
    spawn_with_deadline(_worker, args=(free_port(), str(tmp_path)))
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(WORLD_SIZE)]
    batches, masks, upstream = _data()
    for name, (kwargs, masked) in _CASES.items():
        # One process, unsynchronized, on the concatenated batch: the reference.
        union = _run(kwargs, torch.cat(batches), torch.cat(masks) if masked else None, torch.cat(upstream))
        outs = torch.split(union["out"], _SIZES)
        grads = torch.split(union["grad"], _SIZES)
        for rank, result in enumerate(ranks):
            got = result[name]
            torch.testing.assert_close(got["out"], outs[rank], rtol=1e-4, atol=1e-4, msg=name)
            torch.testing.assert_close(got["grad"], grads[rank], rtol=1e-4, atol=1e-4, msg=name)
            for w, want in zip(got["weights"], union["weights"]):  # moving statistics agree
                torch.testing.assert_close(w, want, rtol=1e-5, atol=1e-6, msg=name)
        # Parameter gradients are per-rank parts of the union's (DDP sums them).
        torch.testing.assert_close(ranks[0][name]["gamma_grad"] + ranks[1][name]["gamma_grad"],
                                   union["gamma_grad"], rtol=1e-4, atol=1e-4, msg=name)
    # Unsynchronized, the ranks' statistics would differ: the check above is not vacuous.
    local = [_run({}, b, None, u)["weights"][2] for b, u in zip(batches, upstream)]
    assert not torch.allclose(local[0], local[1], atol=1e-3)


def test_synchronized_on_one_process_is_the_plain_layer():
    x = torch.randn(6, 3)
    synced, plain = BatchNormalization(synchronized=True), BatchNormalization()
    torch.testing.assert_close(synced(x, training=True), plain(x, training=True))
    torch.testing.assert_close(synced.moving_variance, plain.moving_variance)
