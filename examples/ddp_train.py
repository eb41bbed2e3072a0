"""Multi-process data-parallel training of a torch_keraslike model with ``fit`` on torch's DDP.

Launched by ``torchrun``, ``model.fit`` trains on ``torch.distributed`` by itself: it
wraps the model in ``DistributedDataParallel``, gives each process its own shard of the
data through a ``DistributedSampler`` (reshuffled every epoch), logs the global loss,
and lets only rank 0 print and write files. ``compile(distribute="fsdp")`` shards the
model with FSDP2 instead. The same script runs in a single process without torchrun.

Single node, 2 processes (CPU: gloo backend)::

    torchrun --nproc_per_node=2 examples/ddp_train.py --epochs 3

GPUs (NCCL backend, rank ``i`` uses ``cuda:LOCAL_RANK``)::

    torchrun --nproc_per_node=2 examples/ddp_train.py --device cuda

Two nodes, 4 processes each (run on every node, with its own ``--node_rank``)::

    torchrun --nnodes=2 --nproc_per_node=4 --node_rank=0 \
        --rdzv_backend=c10d --rdzv_endpoint=HOST0:29500 examples/ddp_train.py --device cuda

``batch_size`` is per process: the global batch is ``batch_size * world_size``.

The helpers :func:`wrap` and :func:`train` show the same training written by hand with
plain torch (DDP around a **built** model, a ``DistributedSampler``, a torch optimizer).

Example:
    >>> import ddp_train                      # from inside examples/
    >>> model = ddp_train.build_model()       # built: it starts with tkl.Input
    >>> model.built, sum(p.numel() for p in model.parameters()) > 0
    (True, True)
"""

import argparse
import datetime
import os
import socket
import sys
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

import torch_keraslike as tkl

FEATURES = 16
SAMPLES = 512
# A process that waits longer than this on its peers fails instead of hanging.
COLLECTIVE_TIMEOUT = datetime.timedelta(seconds=60)


def parse_args(argv=None):
    """Parses and checks the command line, before any process group or model exists.

    Args:
        argv: list of arguments (default ``sys.argv[1:]``).

    Returns:
        ``argparse.Namespace`` with ``epochs``, ``device``, ``seed``, ``batch_size``, ``lr``.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3, help="passes over the data (>= 1)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="cpu (gloo backend) or cuda (nccl backend, cuda:LOCAL_RANK)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and of the model")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size per process (>= 1)")
    parser.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate (> 0)")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, received {args.epochs}. Fix: e.g. --epochs 3.")
    if args.batch_size < 1:
        parser.error(f"--batch-size must be at least 1, received {args.batch_size}. "
                     "Fix: e.g. --batch-size 32.")
    if not args.lr > 0:
        parser.error(f"--lr must be positive, received {args.lr}. Fix: e.g. --lr 0.01.")
    if args.device == "cuda":
        local_rank = int(os.environ.get("LOCAL_RANK", 0))
        if not torch.cuda.is_available():
            parser.error("--device cuda was given, but CUDA is not available in this process. "
                         "Fix: use --device cpu, or run on a machine with a GPU and a CUDA "
                         "build of torch.")
        if local_rank >= torch.cuda.device_count():
            parser.error(f"--device cuda: this process has LOCAL_RANK={local_rank}, but only "
                         f"{torch.cuda.device_count()} GPU(s) are visible. Fix: start at most "
                         f"{torch.cuda.device_count()} processes per node (--nproc_per_node).")
    return args


def build_model():
    """A small regression MLP, **built** at construction by its leading ``tkl.Input``.

    Returns:
        A built ``tkl.Sequential`` mapping ``(batch, 16)`` to ``(batch, 1)``.
    """
    batch_norm = getattr(tkl.layers, "BatchNormalization", None)
    model = tkl.Sequential(
        [
            # The Input fixes the input shape, so every layer is built (its weights are
            # created) right here. Without it, build explicitly before wrapping in DDP:
            #     model.build((None, FEATURES))   or one dry call:   model(torch.zeros(1, FEATURES))
            tkl.Input((FEATURES,)),
            tkl.layers.Dense(32, activation="relu"),
            # synchronized=True: batch statistics are all-reduced over the processes
            # (SyncBatchNorm), so the moving statistics stay identical on every replica.
            # Without it each process updates them from its own batches: DDP copies rank
            # 0's buffers to all processes at the start of every forward, but after the
            # last step the replicas' moving statistics differ.
            *([batch_norm(synchronized=True)] if batch_norm is not None else []),
            tkl.layers.Dropout(0.1),
            tkl.layers.Dense(1),
        ],
        name="regressor",
    )
    assert model.built, "the model must be built before it is wrapped in DDP"
    return model


def make_dataset(seed, samples=SAMPLES, features=FEATURES):
    """Synthetic linear regression ``y = x @ w + noise``, the same on every process.

    Args:
        seed: seed of the data (must be equal on all processes: the sampler shards it).
        samples: number of examples.
        features: number of input features.

    Returns:
        A ``TensorDataset`` of ``(x, y)`` with shapes ``(samples, features)``, ``(samples, 1)``.
    """
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(samples, features, generator=generator)
    w = torch.randn(features, 1, generator=generator)
    y = x @ w + 0.1 * torch.randn(samples, 1, generator=generator)
    return TensorDataset(x, y)


def wrap(model, device):
    """Wraps a **built** model in ``DistributedDataParallel`` on ``device``.

    DDP broadcasts rank 0's parameters *and buffers* to every other process when it is
    constructed, so the replicas start from identical weights even though each process
    initialised its own model with a different seed. We rely on that broadcast and do
    not copy weights by hand.

    Args:
        model: a built ``tkl`` model.
        device: this process's ``torch.device``.

    Returns:
        The ``DistributedDataParallel`` module (the model itself is ``.module``).
    """
    model.to(device)
    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=device_ids)


def train(ddp_model, dataset, *, epochs, batch_size, lr, seed, log=print):
    """Trains with a ``DistributedSampler`` and Adam; logs the global mean loss on rank 0.

    Args:
        ddp_model: the ``DistributedDataParallel`` model.
        dataset: a ``TensorDataset`` of ``(x, y)``, identical on every process.
        epochs: passes over the data.
        batch_size: batch size per process.
        lr: Adam learning rate.
        seed: seed of the sampler's shuffling (equal on all processes).
        log: where rank 0 writes one line per epoch.

    Returns:
        The list of per-epoch mean losses over all processes (the same on every rank).
    """
    device = next(ddp_model.parameters()).device
    # Each process gets a disjoint shard; with the same seed all agree on the shuffle.
    sampler = DistributedSampler(dataset, shuffle=True, seed=seed)
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler)
    # Any torch optimizer: the parameters exist because the model was built.
    optimizer = torch.optim.Adam(ddp_model.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss()
    history = []
    ddp_model.train()
    for epoch in range(epochs):
        sampler.set_epoch(epoch)  # a new shuffle every epoch
        totals = torch.zeros(2, dtype=torch.float64, device=device)  # loss sum, count
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(ddp_model(x), y)
            loss.backward()  # DDP averages the gradients over all processes here
            optimizer.step()
            totals[0] += loss.detach().double() * len(x)
            totals[1] += len(x)
        dist.all_reduce(totals)  # mean loss over all processes, not only this shard
        history.append((totals[0] / totals[1]).item())
        if dist.get_rank() == 0:
            log(f"epoch {epoch + 1}/{epochs}: loss {history[-1]:.4f}")
    return history


def fit(model, dataset, *, epochs, batch_size, lr, log=print):
    """Trains with ``model.fit`` (DDP and the data sharding are ``fit``'s own).

    Args:
        model: a built ``tkl`` model on this process's device.
        dataset: a ``TensorDataset`` of ``(x, y)``, identical on every process.
        epochs: passes over the data.
        batch_size: batch size per process.
        lr: Adam learning rate.
        log: where rank 0 writes one line per epoch.

    Returns:
        The list of per-epoch global mean losses (the same on every rank).
    """
    x, y = dataset.tensors
    model.compile(optimizer=tkl.optimizers.Adam(learning_rate=lr), loss="mse")
    # The logs are already global; printing is left to rank 0, as fit's own output is.
    report = tkl.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: dist.get_rank() == 0 and log(
        f"epoch {epoch + 1}/{epochs}: loss {logs['loss']:.4f}"))
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[report])
    return history.history["loss"]


def replicas_identical(module):
    """Whether every process holds bit-identical weights (parameters and buffers).

    Gathers each process's weights with ``all_gather`` and compares them with rank 0's.
    Collective: every process must call it. Returns the same answer on every process.

    Args:
        module: the model (``ddp_model.module``).

    Returns:
        ``True`` if all replicas are identical.
    """
    tensors = [t.detach() for t in module.state_dict().values() if isinstance(t, torch.Tensor)]
    local = torch.cat([t.reshape(-1).to(torch.float64) for t in tensors])
    gathered = [torch.empty_like(local) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, local)
    return all(torch.equal(gathered[0], other) for other in gathered[1:])


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def init_process_group(device_kind):
    """Joins the process group described by torchrun's environment variables.

    Without ``torchrun`` (no ``RANK`` set) it starts a single-process group on loopback.

    Args:
        device_kind: ``"cpu"`` (gloo backend) or ``"cuda"`` (nccl backend).

    Returns:
        This process's ``torch.device`` (``cuda:LOCAL_RANK`` for CUDA).
    """
    if "RANK" not in os.environ:
        os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1",
                          MASTER_PORT=str(_free_port()))
    if device_kind == "cuda":
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
        dist.init_process_group("nccl", timeout=COLLECTIVE_TIMEOUT, device_id=device)
    else:
        device = torch.device("cpu")
        dist.init_process_group("gloo", timeout=COLLECTIVE_TIMEOUT)
    return device


def leave_process_group():
    """Leaves the process group so that the process exits cleanly.

    Works around a race in torch's gloo backend (seen with torch 2.13 on a busy 2-core
    machine, in roughly one run out of eight): a gloo worker thread frees the tensors of the
    last collective *after* the caller has been told it finished, and freeing them needs
    the GIL. If the interpreter is already shutting down by then, the process aborts with
    "terminate called without an active exception" (SIGABRT) although training
    succeeded. A barrier followed by a short pause without the GIL lets the worker
    threads finish before ``destroy_process_group`` and interpreter shutdown.
    """
    dist.barrier()
    time.sleep(0.1)  # releases the GIL: a worker thread waiting for it gets it now
    dist.destroy_process_group()


def main(argv=None):
    """Trains on every process and checks that the replicas end identical.

    Args:
        argv: command-line arguments (default ``sys.argv[1:]``).

    Returns:
        ``{"losses": [...], "identical": bool}``, the same on every process.
    """
    args = parse_args(argv)  # bad arguments fail here, before anything starts
    device = init_process_group(args.device)
    try:
        rank = dist.get_rank()
        # A different seed per process on purpose: dropout masks must differ between
        # processes. The models are therefore initialised differently too; that is fine,
        # DDP replaces every replica's weights with rank 0's when it wraps the model.
        torch.manual_seed(args.seed + rank)
        model = build_model().to(device)
        losses = fit(model, make_dataset(args.seed), epochs=args.epochs, batch_size=args.batch_size,
                     lr=args.lr)
        identical = replicas_identical(model)
        if rank == 0:
            print(f"replicas identical: {identical}", flush=True)
    except BaseException:
        dist.destroy_process_group()  # no barrier: the other processes may be gone
        raise
    leave_process_group()
    return {"losses": losses, "identical": identical}


if __name__ == "__main__":
    result = main()
    sys.exit(0 if result["identical"] else 1)
