"""Multi-process data-parallel training with torch's DistributedDataParallel.

Two processes on 127.0.0.1 (gloo backend, CPU) train the model of
``examples/ddp_train.py``; the replicas must end bit-identical and differ from where
they started. Wrapping an unbuilt model must tell the user to build it first.
Every launch has a deadline, so a stuck peer fails the test instead of hanging it.
"""

import datetime
import importlib.util
import os
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

import torch_keraslike as tkl

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "ddp_train.py"
WORLD_SIZE = 2
LAUNCH_TIMEOUT_S = 60

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()),
    reason="torch.distributed with the gloo backend is not available in this torch build",
)


def load_example():
    """Imports ``examples/ddp_train.py`` (not a package) as the module ``ddp_train``."""
    spec = importlib.util.spec_from_file_location("ddp_train", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loopback_env(monkeypatch):
    """Keeps gloo on the loopback interface and one thread per process (2 processes on
    small machines); inherited by the processes we start."""
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    names = [name for _, name in socket.if_nameindex() if name.startswith("lo")]
    if names and "GLOO_SOCKET_IFNAME" not in os.environ:
        monkeypatch.setenv("GLOO_SOCKET_IFNAME", names[0])


def state_of(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()
            if isinstance(v, torch.Tensor)}


def _worker(rank, port, out_dir):
    """One training process: the example's building blocks, with snapshots on the way."""
    torch.set_num_threads(1)
    example = load_example()
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=WORLD_SIZE,
                            timeout=datetime.timedelta(seconds=LAUNCH_TIMEOUT_S))
    try:
        torch.manual_seed(rank)  # a different initialisation on each process, on purpose
        model = example.build_model()
        before_wrap = state_of(model)
        ddp_model = example.wrap(model, torch.device("cpu"))
        after_wrap = state_of(model)
        losses = example.train(ddp_model, example.make_dataset(seed=0), epochs=2, batch_size=32,
                               lr=1e-2, seed=0, log=lambda line: None)
        result = {
            "before_wrap": before_wrap,
            "after_wrap": after_wrap,
            "final": state_of(model),
            "trainable": [k for k, _ in model.named_parameters()],
            "losses": losses,
            "identical": example.replicas_identical(model),
        }
    except BaseException:
        dist.destroy_process_group()
        raise
    example.leave_process_group()  # a clean exit (see its docstring)
    torch.save(result, Path(out_dir) / f"rank{rank}.pt")


def spawn_with_deadline(fn, args, timeout_s=LAUNCH_TIMEOUT_S):
    """``torch.multiprocessing`` spawn of ``WORLD_SIZE`` processes, killed at the deadline."""
    context = mp.start_processes(fn, args=args, nprocs=WORLD_SIZE, join=False,
                                 start_method="spawn")
    deadline = time.monotonic() + timeout_s
    try:
        while not context.join(timeout=max(0.1, deadline - time.monotonic())):
            if time.monotonic() > deadline:
                pytest.fail(f"the {WORLD_SIZE} training processes did not finish within "
                            f"{timeout_s} s")
    finally:
        for process in context.processes:
            if process.is_alive():
                process.kill()
                process.join(5)


def test_two_processes_train_to_identical_replicas_that_moved(tmp_path, monkeypatch):
    loopback_env(monkeypatch)
    spawn_with_deadline(_worker, args=(free_port(), str(tmp_path)))
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(WORLD_SIZE)]

    # Each process initialised its model with its own seed...
    assert any(not torch.equal(ranks[0]["before_wrap"][k], ranks[1]["before_wrap"][k])
               for k in ranks[0]["trainable"])
    # ...and DDP's construction broadcast rank 0's weights (and buffers) to all of them.
    for key, value in ranks[0]["before_wrap"].items():
        torch.testing.assert_close(ranks[1]["after_wrap"][key], value, rtol=0, atol=0)
    # After training the replicas are still bit-identical, parameters and buffers...
    assert ranks[0]["final"].keys() == ranks[1]["final"].keys()
    for key, value in ranks[0]["final"].items():
        torch.testing.assert_close(ranks[1]["final"][key], value, rtol=0, atol=0, msg=key)
    assert ranks[0]["identical"] is ranks[1]["identical"] is True
    # ...and every trainable weight moved away from the common starting point.
    for key in ranks[0]["trainable"]:
        assert not torch.equal(ranks[0]["final"][key], ranks[0]["after_wrap"][key]), key
    # The logged losses are global means: the same on every process, and falling.
    assert ranks[0]["losses"] == ranks[1]["losses"]
    assert ranks[0]["losses"][-1] < ranks[0]["losses"][0]


def test_example_runs_under_torchrun(monkeypatch):
    loopback_env(monkeypatch)
    command = [
        sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={WORLD_SIZE}",
        "--master_addr=127.0.0.1", f"--master_port={free_port()}",
        str(EXAMPLE), "--epochs", "2", "--seed", "1",
    ]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                              timeout=LAUNCH_TIMEOUT_S)
    except subprocess.TimeoutExpired as error:  # subprocess.run kills the launcher
        pytest.fail(f"torchrun did not finish within {LAUNCH_TIMEOUT_S} s:\n"
                    f"{error.stdout}\n{error.stderr}")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "replicas identical: True", done.stdout
    # Only rank 0 prints: one line per epoch, then the verdict.
    assert [line.split(":")[0] for line in lines] == [
        "epoch 1/2", "epoch 2/2", "replicas identical"]


@pytest.fixture
def single_process_group():
    """A one-process gloo group in this process (DDP needs a group to be constructed)."""
    if dist.is_initialized():
        pytest.skip("a torch.distributed process group is already initialized in this process")
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        yield
    finally:
        load_example().leave_process_group()


def test_wrapping_an_unbuilt_model_says_build_it_first(single_process_group):
    model = tkl.Sequential([tkl.layers.Dense(8), tkl.layers.Dense(1)])  # no Input: unbuilt
    with pytest.warns(tkl.UnbuiltLayerWarning, match=r"is not built yet") as record:
        with pytest.raises(RuntimeError,
                           match="doesn't have any parameter that requires a gradient"):
            DistributedDataParallel(model)
    # torch's own message is about "no parameters"; our warning says why and how to fix it.
    message = str(record[0].message)
    assert 'Layer "sequential" is not built yet' in message
    assert "DDP created now would not see them" in message
    assert "layer.build(input_shape)" in message and "dry call" in message


def test_wrapping_a_partly_built_model_warns_naming_the_unbuilt_layer(single_process_group):
    class TwoStage(tkl.Model):
        def __init__(self):
            super().__init__()
            self.first = tkl.layers.Dense(4, input_shape=(3,), name="built_dense")
            self.second = tkl.layers.Dense(1, name="lazy_dense")

        def call(self, x):
            return self.second(self.first(x))

    model = TwoStage()
    # DDP would register only the built layer's weights and never synchronise the others'.
    with pytest.warns(tkl.UnbuiltLayerWarning, match=r"unbuilt layers: \[.*'lazy_dense'\]"):
        DistributedDataParallel(model)


def test_building_first_makes_wrapping_silent(single_process_group):
    model = tkl.Sequential([tkl.layers.Dense(8), tkl.layers.Dense(1)])
    model.build((None, 3))  # the documented way out, as is one dry call
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ddp_model = DistributedDataParallel(model)
    assert ddp_model(torch.ones(2, 3)).shape == (2, 1)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--epochs", "0"], "--epochs must be at least 1, received 0"),
        (["--batch-size", "0"], "--batch-size must be at least 1, received 0"),
        (["--lr", "0"], "--lr must be positive, received 0.0"),
        (["--device", "tpu"], "argument --device: invalid choice: 'tpu'"),
    ],
)
def test_example_rejects_bad_arguments_before_starting(argv, message, capsys):
    example = load_example()
    with pytest.raises(SystemExit) as excinfo:
        example.main(argv)
    assert excinfo.value.code == 2
    assert message in capsys.readouterr().err
    assert not dist.is_initialized()  # rejected before any process group was created


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason="checks the message shown when CUDA is missing")
def test_example_rejects_cuda_without_cuda(capsys):
    with pytest.raises(SystemExit):
        load_example().main(["--device", "cuda"])
    err = capsys.readouterr().err
    assert "--device cuda was given, but CUDA is not available" in err and "--device cpu" in err
