"""``fit``/``evaluate``/``predict`` on two processes (gloo on 127.0.0.1): DDP on arrays and
on a DataLoader, FSDP2, against the same runs in a single process with the global batch.

One launch runs every scenario (starting processes costs most of the time); its
deadline makes a stuck peer fail the test instead of hanging it.
"""

import csv
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist

import torch_keraslike as tkl

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import distributed_workers as workers  # noqa: E402
from test_ddp import free_port, loopback_env, spawn_with_deadline  # noqa: E402

pytestmark = [
    pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()),
                       reason="torch.distributed with the gloo backend is not available"),
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("distributed")
    monkeypatch = pytest.MonkeyPatch()
    try:
        loopback_env(monkeypatch)
        spawn_with_deadline(workers.worker, args=(2, free_port(), str(out)), timeout_s=120)
    finally:
        monkeypatch.undo()
    ranks = [torch.load(out / f"rank{r}.pt", weights_only=False) for r in range(2)]
    return {"ranks": ranks, "single": workers.single_process_reference(), "out": out}


def assert_weights_close(ours, reference):
    assert len(ours) == len(reference)
    for a, b in zip(ours, reference):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_ddp_on_arrays_matches_one_process_with_the_global_batch(runs):
    r0, r1 = (rank["arrays"] for rank in runs["ranks"])
    single = runs["single"]["arrays"]
    # Each process ran half of the 8 batches of 8 per epoch...
    assert r0["batches"] == r1["batches"] == [4, 4]
    # ...rank 1 asked to stop after epoch 2: both stopped there, with identical weights,
    assert len(r0["history"]["loss"]) == len(r1["history"]["loss"]) == 2
    for a, b in zip(r0["weights"], r1["weights"]):
        np.testing.assert_array_equal(a, b)
    # equal to one process stepping on the global batch of 16 (synchronized BatchNorm
    # statistics included), and every process logged the global losses and metrics.
    assert_weights_close(r0["weights"], single["weights"])
    for key in ("loss", "mae", "val_loss", "val_mae"):
        np.testing.assert_allclose(r0["history"][key], single["history"][key], rtol=1e-5)
        assert r0["history"][key] == r1["history"][key]
    for key, value in single["evaluate"].items():
        assert r0["evaluate"][key] == pytest.approx(value, rel=1e-5) == r1["evaluate"][key]
    # predict gathers every process's share back into the order of the inputs.
    np.testing.assert_allclose(r0["predict"], single["predict"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(r0["predict"], r1["predict"])


def test_only_rank_zero_writes_files(runs):
    out = runs["out"]
    assert (out / "log_rank0.csv").exists() and (out / "ckpt_rank0.pt").exists()
    assert not (out / "log_rank1.csv").exists() and not (out / "ckpt_rank1.pt").exists()
    with open(out / "log_rank0.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["epoch"] for row in rows] == ["0", "1"]
    logged = [float(row["loss"]) for row in rows]
    np.testing.assert_allclose(logged, runs["ranks"][0]["arrays"]["history"]["loss"], rtol=1e-6)
    assert (out / "fsdp_rank0.pt").exists() and not (out / "fsdp_rank1.pt").exists()


def test_ddp_on_a_dataloader_shards_its_dataset(runs):
    r0, r1 = (rank["loader"] for rank in runs["ranks"])
    single = runs["single"]["loader"]
    assert r0["batches"] == r1["batches"] == [4, 4]  # half of the loader's 8 batches
    assert_weights_close(r0["weights"], single["weights"])
    assert_weights_close(r1["weights"], single["weights"])
    np.testing.assert_allclose(r0["history"]["loss"], single["history"]["loss"], rtol=1e-5)


def test_fsdp2_shards_every_dense_layer_and_matches_one_process(runs):
    r0, r1 = (rank["fsdp"] for rank in runs["ranks"])
    single = runs["single"]["fsdp"]
    assert r0["sharded"] == ["FSDPDense", "FSDPDense", "FSDPDense", "FSDPSequential"]
    assert r0["batches"] == [4, 4]
    np.testing.assert_allclose(r0["history"]["loss"], single["history"]["loss"], rtol=1e-5)
    assert r0["history"] == r1["history"]
    # Rank 0 gathered the full weights; they equal the single-process run's.
    assert r1["full"] == {}
    for key, value in single["state"].items():
        if not key.endswith("_extra_state"):
            torch.testing.assert_close(r0["full"][key], value, rtol=1e-5, atol=1e-6)


def test_asking_for_ddp_without_a_process_group_says_how_to_launch(monkeypatch):
    for key in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(key, raising=False)
    model = workers.mlp()
    x, y = workers.data()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"fit: distribute='ddp' needs a torch.distributed process "
                                         r"group[\s\S]*torchrun --nproc_per_node=N"):
        model.fit(x, y, distribute="ddp", verbose=0)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"compile: distribute must be None, 'auto', 'ddp', 'fsdp' "
                                         r"or False, received distribute='horovod'"):
        model.compile("sgd", "mse", distribute="horovod")
    assert model.compiled and model.optimizer is not None  # the previous compile stands


def test_one_process_without_group_trains_as_before():
    model = workers.mlp()
    x, y = workers.data()
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0, distribute="auto")
    assert len(history.history["loss"]) == 1 and tkl._distributed_env.world_size() == 1
