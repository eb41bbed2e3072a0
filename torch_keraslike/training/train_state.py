"""The training state of a compiled model: optimizer, loss, metrics, compile options.

``Model.compile`` stores one :class:`TrainState`; ``fit``/``evaluate``/``predict`` keep
their running values in it (losses and metrics on the device, read only for logs).
"""

import numbers

import torch

from . import distributed, optimizers
from .metrics import Mean, flat

__all__ = ["TrainState", "check_int", "jit_options"]

_JIT_KEYS = ("backend", "fullgraph", "dynamic", "mode", "options")

class TrainState:
    """What ``compile`` configured, and the running state of the current run."""

    def __init__(self, optimizer, loss, metrics, jit, distribute=None, auto_scale_loss=True,
                 weighted_metrics=None):
        self.optimizer_spec = optimizer
        ready = isinstance(optimizer, torch.optim.Optimizer) and not (
            isinstance(optimizer, optimizers.Optimizer) and not optimizer.built)
        self.optimizer = optimizer if ready else None
        self.distribute = distribute
        self.auto_scale_loss = bool(auto_scale_loss)
        self.dist = distributed.Distribution(None)
        self.ddp = None  # the DistributedDataParallel wrapper, made on the first distributed fit
        self.scaler = None  # torch's GradScaler under the "mixed_float16" policy
        self.low_precision = False  # some layer computes in float16/bfloat16
        self.loss = loss
        self.metrics = metrics
        # compile's weighted_metrics: updated with the batches' sample weights.
        self.weighted_metrics = weighted_metrics
        self.jit = jit
        self.compiled = {}
        self.bound = False
        self.output_names = None
        self.model_losses = None
        self.loss_tracker = Mean("loss")
        self.output_trackers = []
        self.validated = {}  # batch signature -> output shapes/dtypes of the dry run
        self.custom_loss = False  # the model overrides compute_loss (set by compile)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["compiled"] = {}  # torch.compile wrappers are rebuilt on demand
        state["ddp"] = None  # process-group bound: rebuilt by the next distributed fit
        state["dist"] = distributed.Distribution(None)
        return state

    def function(self, name, fn):
        """``fn``, or its ``torch.compile``d version when ``jit_compile`` was asked for."""
        if self.jit is None:
            return fn
        compiled = self.compiled.get(name)
        if compiled is None:
            compiled = self.compiled[name] = torch.compile(fn, **self.jit)
        return compiled

    def reset_metrics(self):
        self.loss_tracker.reset_state()
        for tracker in self.output_trackers:
            tracker.reset_state()
        self.metrics.reset()
        if self.weighted_metrics is not None:
            self.weighted_metrics.reset()

    def record_loss(self, total, per_output, count):
        """Accumulates the step's loss (no host sync)."""
        self.loss_tracker.update_state(total, count)
        if per_output is not None:
            for tracker, value in zip(self.output_trackers, per_output):
                tracker.update_state(value, count)

    def update_metrics(self, y, y_pred, sample_weight=None):
        """Updates the compiled metrics (and weighted metrics) with a batch (no host sync)."""
        weighted = self.weighted_metrics is not None and self.weighted_metrics.entries
        if self.metrics.entries or weighted:
            with torch.no_grad():
                targets = self.loss.flat_targets(y) if self.loss is not None else flat(y)
                preds = flat(y_pred)
                if self.metrics.entries:
                    self.metrics.update(targets, preds)
                if weighted:
                    self.weighted_metrics.update(targets, preds, sample_weight)

    def record(self, total, per_output, y, y_pred, count, sample_weight=None):
        """Accumulates the step's loss and metrics (no host sync)."""
        self.record_loss(total, per_output, count)
        self.update_metrics(y, y_pred, sample_weight)

    def metric_objects(self):
        """The loss tracker, per-output loss trackers and compiled metrics."""
        objects = [self.loss_tracker] + self.output_trackers + [m for _, m, _ in self.metrics.entries]
        if self.weighted_metrics is not None:
            objects += [m for _, m, _ in self.weighted_metrics.entries]
        return objects

    def result_tensors(self):
        results = {"loss": self.loss_tracker.result()}
        for tracker in self.output_trackers:
            results[tracker.name] = tracker.result()
        results.update(self.metrics.results())
        if self.weighted_metrics is not None:
            results.update(self.weighted_metrics.results())
        return results

    def logs(self):
        """The running values as Python floats (syncs with the device)."""
        return {key: float(value) for key, value in self.result_tensors().items()}

    @property
    def names(self):
        weighted = [] if self.weighted_metrics is None else self.weighted_metrics.names
        return ["loss"] + [t.name for t in self.output_trackers] + self.metrics.names + weighted


def jit_options(jit_compile, jit_backend, run_eagerly):
    if run_eagerly or jit_compile == "auto":  # Keras's "auto": eager here
        return None
    if isinstance(jit_compile, dict):
        unknown = [key for key in jit_compile if key not in _JIT_KEYS]
        if unknown:
            raise ValueError(
                f"compile: jit_compile has unknown torch.compile option(s) {unknown}; accepted: "
                f"{list(_JIT_KEYS)}. Example: jit_compile={{'backend': 'eager'}}."
            )
        options = dict(jit_compile)
    elif jit_compile in (True, False):
        if not jit_compile:
            if jit_backend is not None:
                raise ValueError(
                    f"compile: jit_backend={jit_backend!r} was given but jit_compile is False. "
                    "Fix: pass jit_compile=True as well."
                )
            return None
        options = {}
    else:
        raise ValueError(
            f"compile: jit_compile must be True, False or a dict of torch.compile options, "
            f"received jit_compile={jit_compile!r}."
        )
    if jit_backend is not None:
        options["backend"] = jit_backend
    backend = options.get("backend", "inductor")
    if isinstance(backend, str) and backend not in torch.compiler.list_backends(exclude_tags=()):
        raise ValueError(
            f"compile: unknown torch.compile backend {backend!r}. Available: "
            f"{torch.compiler.list_backends(exclude_tags=())}."
        )
    return options


def check_int(value, name, where, minimum=0, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{where}: {name} must be an int >= {minimum}, received {name}={value!r}.")
    return int(value)
