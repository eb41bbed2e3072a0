"""Code run inside the processes of ``test_distributed.py`` (spawned, so importable)."""

import datetime
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, TensorDataset

import torch_keraslike as tkl

SAMPLES, FEATURES, BATCH = 64, 6, 8


def data():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(SAMPLES, FEATURES, generator=generator)
    y = x @ torch.randn(FEATURES, 1, generator=generator) + 0.1
    return x.numpy(), y.numpy()


def mlp(synchronized_bn=False):
    torch.manual_seed(1)
    layers = [tkl.Input((FEATURES,)), tkl.layers.Dense(8, activation="relu")]
    if synchronized_bn:
        layers.append(tkl.layers.BatchNormalization(synchronized=True))
    layers += [tkl.layers.Dense(8, activation="tanh"), tkl.layers.Dense(1)]
    model = tkl.Sequential(layers)
    model.compile(optimizer=tkl.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
    return model


class CountBatches(tkl.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.per_epoch = []

    def on_epoch_begin(self, epoch, logs=None):
        self.per_epoch.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.per_epoch[-1] += 1


def weights(model):
    return [w.copy() for w in model.get_weights()]


def leave():
    dist.barrier()
    time.sleep(0.1)  # see examples/ddp_train.py: a torch 2.13 gloo race at exit
    dist.destroy_process_group()


def worker(rank, world_size, port, out_dir):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world_size, timeout=datetime.timedelta(seconds=60))
    out = Path(out_dir)
    try:
        x, y = data()
        result = {}
        # -- DDP on arrays, with synchronized BatchNormalization and rank-0 files.
        model = mlp(synchronized_bn=True)
        if rank == 1:
            model.set_weights([w * 0 + 7 for w in model.get_weights()])  # DDP broadcasts rank 0's
        counter = CountBatches()
        stop = tkl.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: setattr(model, "stop_training", rank == 1 and epoch == 1))
        history = model.fit(
            x, y, batch_size=BATCH, epochs=4, shuffle=False, verbose=0,
            validation_data=(x[:16], y[:16]),
            callbacks=[counter, stop,
                       tkl.callbacks.CSVLogger(str(out / f"log_rank{rank}.csv")),
                       tkl.callbacks.ModelCheckpoint(str(out / f"ckpt_rank{rank}.pt"), monitor="loss",
                                                     save_weights_only=True)])
        result["arrays"] = {
            "history": history.history, "batches": counter.per_epoch, "weights": weights(model),
            "evaluate": model.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True),
            "predict": model.predict(x, batch_size=BATCH, verbose=0),
        }
        # -- DDP on a DataLoader (its batch size is per process), shuffled per epoch.
        model = mlp()
        loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=BATCH,
                            shuffle=False)
        counter = CountBatches()
        history = model.fit(loader, epochs=2, verbose=0, callbacks=[counter])
        result["loader"] = {"history": history.history, "batches": counter.per_epoch,
                            "weights": weights(model)}
        # -- FSDP2: every Dense layer is its own shard unit.
        model = mlp()
        counter = CountBatches()
        history = model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                            distribute="fsdp", callbacks=[counter, tkl.callbacks.ModelCheckpoint(
                                str(out / f"fsdp_rank{rank}.pt"), monitor="loss", save_weights_only=True)])
        from torch.distributed.fsdp import FSDPModule

        result["fsdp"] = {
            "history": history.history, "batches": counter.per_epoch,
            "sharded": sorted(type(m).__name__ for m in model.modules() if isinstance(m, FSDPModule)),
            "full": {k: v.clone() for k, v in tkl._distributed_env.full_state_dict(model).items()},
        }
        torch.save(result, out / f"rank{rank}.pt")
    except BaseException:
        dist.destroy_process_group()
        raise
    leave()


def single_process_reference():
    """The same runs in one process with the global batch (2 x BATCH)."""
    x, y = data()
    model = mlp(synchronized_bn=True)
    history = model.fit(x, y, batch_size=2 * BATCH, epochs=2, shuffle=False, verbose=0,
                        validation_data=(x[:16], y[:16]))
    arrays = {"history": history.history, "weights": weights(model),
              "evaluate": model.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True),
              "predict": model.predict(x, batch_size=BATCH, verbose=0)}
    model = mlp()
    history = model.fit(x, y, batch_size=2 * BATCH, epochs=2, shuffle=False, verbose=0)
    loader = {"history": history.history, "weights": weights(model)}
    fsdp = {"history": history.history, "state": {k: v.clone() for k, v in model.state_dict().items()}}
    return {"arrays": arrays, "loader": loader, "fsdp": fsdp}


if __name__ == "__main__":  # pragma: no cover - for running by hand
    print(os.getpid())
