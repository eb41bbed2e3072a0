"""``Trainer``: Keras's ``compile``/``fit``/``evaluate``/``predict`` for ``tkl.Model``.

A mixin of :class:`~torch_keraslike.Model`. Training runs plain torch underneath:
a forward in ``train()`` mode, the compiled loss plus the model's own losses
(regularizers, ``add_loss``), ``loss.backward()`` and a ``torch.optim`` step. Running
losses and metrics stay on the device; they are read only when a log needs them.

Before the first step, one batch is run through the model with ``training=False``
under ``torch.no_grad()``: it builds an unbuilt model (so the optimizer can be created
from its parameters), and bad inputs or targets fail there, with nothing changed.

Each step passes ``training=True``/``False`` explicitly to the model's call instead of
switching the module's ``train()``/``eval()`` flag, so ``fit`` in one thread and
``predict`` in another do not change each other's Dropout or BatchNormalization, and
the user's own mode is never touched. Plain ``torch.nn`` modules nested in the model
(which only read their flag) are switched for the run and restored after it.

Example:
    >>> import numpy as np, torch_keraslike as tkl
    >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    >>> history = model.fit(np.ones((64, 3)), np.ones((64, 1)), epochs=2, verbose=0)
    >>> sorted(history.history)
    ['loss', 'mae']
    >>> model.predict(np.ones((2, 3)), verbose=0).shape
    (2, 1)
"""

import contextlib
import functools
import numbers
import operator
import warnings

import torch
from torch.nn.parameter import UninitializedTensorMixin

from .. import _distributed_env as dist_env
from .. import callbacks as callbacks_module
from .._call_context import CALL_CONTEXT
from .._layer_weights import LayerWeightsMixin, LossCollector
from . import distributed, mixed_precision, optimizers
from .data import (ArrayAdapter, DataLoader, concat_batches, flatten, make_adapter, map_structure,
                   num_samples, to_device)
from .losses import CompiledLoss
from .metrics import CompiledMetrics, Mean, Metric, flat
from .progbar import ProgressBar, resolve_verbose
from .train_state import TrainState, check_int, jit_options

__all__ = ["Trainer", "unpack_x_y_sample_weight"]

# Arguments that only torch.compile takes: model.compile(backend=...) is torch's compile.
_TORCH_COMPILE_OPTIONS = ("backend", "fullgraph", "dynamic", "mode", "options", "disable")

_NO_TRAINABLE_WEIGHTS = (
    'The model "{name}" does not have any trainable weights{why}, so {where}() will not change '
    "it. Fix: set layer.trainable = True on the layers to train."
)

_NOT_COMPILED = """\
You must call compile(optimizer, loss) before {where}() on model "{name}", so the model knows \
how to {what}. Example:
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])"""


class Trainer:
    """Keras's training API as a mixin of :class:`~torch_keraslike.Model`."""

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer=None, loss=None, metrics=None, jit_compile=False, *, loss_weights=None,
                weighted_metrics=None, jit_backend=None, run_eagerly=None, steps_per_execution=1,
                auto_scale_loss=True, distribute=None, **kwargs):
        """Configures the model for training: Keras's ``compile``.

        ``model.compile()`` without arguments is Keras's too (``optimizer="rmsprop"``,
        no loss: a model trained by its own ``add_loss`` losses, or a custom
        ``train_step``), so that a ``compile`` override calling ``super().compile()``
        works as in Keras. torch's in-place ``nn.Module.compile`` is
        :meth:`torch_compile`; ``model.compile(backend=..., fullgraph=...)`` with only
        ``torch.compile`` options (and no Keras argument) is forwarded to it.

        Args:
            optimizer: ``"adam"``, ``"sgd"``, ``"rmsprop"`` (Keras's default when only a
                loss is given), ``"adamw"`` (Keras's hyperparameters), a spec from
                ``tkl.training.optimizers`` (``Adam(learning_rate=1e-2)``), a
                ``torch.optim.Optimizer`` over the model's parameters, or a callable
                ``params -> optimizer``. Named optimizers are created as soon as the
                model is built (``model.optimizer``).
            loss: a Keras name (``"mse"``, ``"sparse_categorical_crossentropy"``...), a
                ``tkl.training.losses.Loss`` (e.g. ``from_logits=True``), a torch loss
                module (``torch.nn.MSELoss()``, called ``(y_pred, y_true)``), or a callable
                ``fn(y_true, y_pred)``. Several outputs: one loss for all, a list, or a
                dict keyed by output name. None: train on the model's own losses.
            metrics: list of names (``"accuracy"``, ``"mae"``...), ``Metric`` objects or
                callables; several outputs: one entry per output, or a dict by name.
            weighted_metrics: metrics updated with the batches' sample weights
                (``fit(sample_weight=...)``, ``class_weight=``); logged under their
                name, or ``weighted_<name>`` when ``metrics`` has the same one.
            jit_compile: True runs the training, test and predict steps through
                ``torch.compile`` (default backend ``"inductor"``); a dict gives its
                options, e.g. ``{"backend": "eager"}``. False or ``"auto"``: eager.
            loss_weights: list or dict weighting each output's loss.
            jit_backend: shortcut for the ``torch.compile`` backend of ``jit_compile``.
            run_eagerly: True turns ``jit_compile`` off (debugging).
            steps_per_execution: accepted for Keras code; every step runs on its own
                here (torch has no multi-step execution), so callbacks see each batch.
            auto_scale_loss: under the ``"mixed_float16"`` policy, scale the loss with
                torch's ``GradScaler`` (Keras's ``LossScaleOptimizer``).
            distribute: ``None``/``"auto"`` (DDP when a ``torch.distributed`` process
                group of 2+ processes exists), ``"ddp"``, ``"fsdp"`` (FSDP2), or False;
                see :mod:`~torch_keraslike.training.distributed`.
            **kwargs: ``torch.compile`` options, only for the torch meaning.

        Example:
            >>> import torch, torch_keraslike as tkl
            >>> model = tkl.Sequential([tkl.Input((4,)), tkl.layers.Dense(3)])
            >>> model.compile(optimizer="adam",
            ...               loss=tkl.training.losses.SparseCategoricalCrossentropy(from_logits=True),
            ...               metrics=["accuracy"])
            >>> type(model.optimizer).__name__
            'Adam'
        """
        keras_arguments = not (
            optimizer is None and loss is None and metrics is None and jit_compile is False
            and loss_weights is None and weighted_metrics is None and jit_backend is None
            and run_eagerly is None and distribute is None)
        if kwargs and not keras_arguments and set(kwargs) <= set(_TORCH_COMPILE_OPTIONS):
            return self.torch_compile(**kwargs)
        if kwargs:
            raise TypeError(
                f"compile() got unexpected keyword argument(s) {sorted(kwargs)}. Keras's "
                "compile takes optimizer, loss, metrics, loss_weights, weighted_metrics, "
                "jit_compile, jit_backend, run_eagerly, steps_per_execution, auto_scale_loss and "
                "distribute; torch.compile options go into jit_compile={'backend': ...}, or use "
                "model.torch_compile(backend=...) to compile the forward in place."
            )
        check_int(steps_per_execution, "steps_per_execution", "compile", 1)
        if loss is None and loss_weights is not None:
            raise ValueError("compile: loss_weights was given without a loss. Fix: pass loss=... too.")
        state = TrainState(
            optimizer=optimizers.get("rmsprop" if optimizer is None else optimizer),
            loss=None if loss is None else CompiledLoss(loss, loss_weights),
            metrics=CompiledMetrics(metrics),
            jit=jit_options(jit_compile, jit_backend, run_eagerly),
            distribute=distribute,
            auto_scale_loss=auto_scale_loss,
            weighted_metrics=None if weighted_metrics is None else CompiledMetrics(weighted_metrics),
        )
        distributed.check_mode(distribute, "compile")
        if not self._unbuilt_layer_names():
            self._tkl_make_optimizer(state)
        state.custom_loss = type(self).compute_loss is not Trainer.compute_loss
        vars(self)["_tkl_train"] = state
        return None

    def torch_compile(self, *args, **kwargs):
        """torch's ``nn.Module.compile``: compiles the model's forward in place (its
        exceptions surface as themselves, as with ``tkl.function``)."""
        return super().compile(*args, **kwargs)

    @property
    def optimizer(self):
        """The ``torch.optim`` optimizer (None before compile). A named optimizer is
        created from the model's weights once the model is built (the first read after
        that creates it, so a custom ``train_step`` can use it right after its forward)."""
        state = vars(self).get("_tkl_train")
        if state is None:
            return None
        if state.optimizer is None and not self._unbuilt_layer_names():
            self._tkl_make_optimizer(state)
        return state.optimizer

    @property
    def compiled(self):
        """Whether :meth:`compile` configured training."""
        return "_tkl_train" in vars(self)

    @property
    def metrics(self):
        """Keras's list: the loss tracker, the per-output loss trackers and the compiled
        metrics, then the ``Metric`` objects kept as attributes of the model (the
        trackers of a custom ``train_step``)."""
        state = vars(self).get("_tkl_train")
        own = [] if state is None else state.metric_objects()
        known = {id(m) for m in own}
        return own + [m for m in vars(self).values() if isinstance(m, Metric) and id(m) not in known]

    @property
    def metrics_names(self):
        """Names of the logged values: ``["loss", ...]``."""
        return list(self._tkl_metric_log_names())

    def _tkl_metric_log_names(self):
        """``{log name: metric}`` for :attr:`metrics` (compiled metrics of several outputs
        are logged as ``<output>_<metric>``)."""
        state = vars(self).get("_tkl_train")
        names = {}
        if state is not None:
            names.update({id(state.loss_tracker): "loss"})
            names.update({id(t): t.name for t in state.output_trackers})
            for compiled in (state.metrics, state.weighted_metrics):
                if compiled is not None:
                    names.update({id(m): name for _, m, name in compiled.entries})
        return {names.get(id(m), m.name): m for m in self.metrics}

    def reset_metrics(self):
        """Resets every metric of :attr:`metrics` (done at the start of each epoch and
        of each evaluation)."""
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self):
        """``{name: value tensor}`` of every metric of :attr:`metrics` (a metric whose
        result is a dict contributes its entries)."""
        results = {}
        for name, metric in self._tkl_metric_log_names().items():
            value = metric.result()
            if isinstance(value, dict):
                results.update(value)
            else:
                results[name] = value
        return results

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss of a batch: the compiled loss (weighted by ``sample_weight``)
        plus the model's own losses (``add_loss``, regularizers), as Keras's
        ``Model.compute_loss``; override it for a custom loss, call it from a custom
        ``train_step``.

        Raises:
            ValueError: there is no loss at all (no compiled loss, no model loss).
        """
        total, _ = self._tkl_total_loss(self._tkl_bound_state(y, y_pred), y, y_pred, sample_weight)
        if total is None:
            raise ValueError(
                f'No loss to compute for model "{self.name}": compile() got no loss and the model '
                "adds none (add_loss, regularizers). Provide a `loss` argument in `compile()`."
            )
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics with a batch and returns
        :meth:`get_metrics_result` (Keras's ``Model.compute_metrics``)."""
        state = self._tkl_bound_state(y, y_pred)
        if state is not None:
            state.update_metrics(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def _tkl_bound_state(self, y, y_pred):
        """The training state with its losses/metrics matched to ``y_pred``'s outputs
        (matched on first use, when a custom step skipped the first-batch dry run)."""
        state = vars(self).get("_tkl_train")
        if state is not None and not state.bound and y_pred is not None:
            names = self._tkl_output_names(y_pred)
            if state.loss is not None:
                state.loss.bind(names)
            self._tkl_bind(state, names, y, y_pred)
        return state

    def _tkl_state(self, where, what):
        state = vars(self).get("_tkl_train")
        if state is None:
            raise ValueError(_NOT_COMPILED.format(where=where, name=self.name, what=what))
        return state

    def _tkl_model_device(self):
        """Device of the model's weights (its placement when it is not built yet)."""
        for module in self.modules():
            for tensor in (*module._parameters.values(), *module._buffers.values()):
                if tensor is not None and not isinstance(tensor, UninitializedTensorMixin):
                    return tensor.device
        return vars(self).get("_tkl_device")

    def _tkl_make_optimizer(self, state):
        params = list(self.parameters())
        if state.optimizer is None:
            if not params:
                return  # nothing to optimise (fit warns, as Keras does)
            state.optimizer = state.optimizer_spec.create(params)
        if isinstance(state.optimizer, optimizers.Optimizer):
            state.optimizer.set_variable_names(self.named_parameters())
        if state.scaler is None:
            state.scaler = mixed_precision.make_scaler(self, state.auto_scale_loss)
        owned = {id(p) for p in params}
        given = [p for group in state.optimizer.param_groups for p in group["params"]]
        if params and given and not any(id(p) in owned for p in given):
            raise ValueError(
                f'The optimizer given to compile() updates none of the weights of model '
                f'"{self.name}": it was created for other parameters. Fix: create it from this '
                "model after it is built, e.g. torch.optim.SGD(model.parameters(), lr=0.01), or "
                "pass a name ('adam') and let compile create it."
            )

    # ------------------------------------------------------------- preparation
    def _tkl_output_names(self, y_pred):
        if isinstance(y_pred, dict):
            return list(y_pred)
        count = len(flat(y_pred))
        graph = getattr(self, "_graph", None)
        if graph is not None:
            if isinstance(graph.outputs, dict) and len(graph.outputs) == count:
                return list(graph.outputs)
            names = [t._history[0].layer.name for t in flatten(graph.outputs)]
            if len(names) == count:
                return [n if names.count(n) == 1 else f"{n}_{i}" for i, n in enumerate(names)]
        if count == 1:
            return [self.name]
        return [f"output_{i}" for i in range(count)]

    def _tkl_prepare(self, batch, where, training):
        """Dry run of one batch (eval mode, no grad): builds the model, checks inputs and
        targets, matches losses/metrics to the outputs and creates the optimizer."""
        state = vars(self)["_tkl_train"]
        x, y = batch[0], batch[1]
        device = self._tkl_model_device()
        x, y = to_device(x, device), to_device(y, device)
        with torch.no_grad(), _run_mode(self, False):
            try:
                y_pred = self(x, training=False)
            except ValueError as error:
                if where == "fit":
                    raise
                raise ValueError(f"{where}: the model rejected the first batch: {error}") from error
            state.low_precision = mixed_precision.uses_low_precision(self)
            names = state.output_names or self._tkl_output_names(y_pred)
            if state.loss is not None:
                if not state.bound:
                    state.loss.bind(names)
                state.loss.validate(y, y_pred, where)
            if not state.bound:
                self._tkl_bind(state, names, y, y_pred)
            if state.model_losses is None:
                # Kept for the whole compile: a compiled step guards on this object.
                state.model_losses = LossCollector(self)
            if state.loss is None and not state.model_losses() and not state.custom_loss:
                raise ValueError(
                    f'{where}: model "{self.name}" has no loss: compile() got no loss and '
                    "the model adds none (add_loss, regularizers). Fix: "
                    "model.compile(optimizer, loss='mse')."
                )
        if training:
            state.dist.prepare_model(self, state)
            self._tkl_make_optimizer(state)
            self._tkl_check_trainable(where)
        state.validated[_signature(batch)] = [(tuple(p.shape[1:]), p.dtype) for p in flat(y_pred)]
        return self._tkl_model_device()

    def _tkl_ensure_prepared(self, batch, where, training):
        """:meth:`_tkl_prepare`, skipped for batches shaped like one already checked."""
        state = vars(self)["_tkl_train"]
        specs = state.validated.get(_signature(batch))
        if specs is None or (training and state.optimizer is None):
            return self._tkl_prepare(batch, where, training)
        x, y = batch[0], batch[1]
        if state.loss is not None:
            # Same shapes as a checked batch: only the target values (class ranges) can
            # differ; they are checked against shape-only stand-ins of the outputs.
            count = num_samples(x)
            preds = [torch.empty((count,) + shape, dtype=dtype, device="meta") for shape, dtype in specs]
            state.loss.validate(y, preds, where, run=False)
        if training:
            self._tkl_check_trainable(where)
        return self._tkl_model_device()

    def _tkl_check_trainable(self, where):
        """Warns, as Keras does, when training cannot change the model."""
        params = list(self.parameters())
        if not any(p.requires_grad for p in params):
            why = " (all of them are frozen: trainable=False)" if params else ""
            warnings.warn(_NO_TRAINABLE_WEIGHTS.format(name=self.name, why=why, where=where), stacklevel=4)

    def _tkl_bind(self, state, names, y, y_pred):
        """Creates the metrics (and per-output loss trackers) for the model's outputs."""
        targets = flat(y) if y is not None else [None] * len(names)
        losses_by_index = {}
        if state.loss is not None:
            targets = state.loss.flat_targets(y)
            losses_by_index = {e.index: e.fn for e in state.loss.entries}
            entries = state.loss.entries
            state.output_trackers = [Mean(e.name) for e in entries] if len(entries) > 1 else []
        if len(targets) < len(names):
            targets = list(targets) + [None] * (len(names) - len(targets))
        state.metrics.bind(names, losses_by_index, targets, flat(y_pred))
        if state.weighted_metrics is not None:
            state.weighted_metrics.bind(names, losses_by_index, targets, flat(y_pred))
            plain = set(state.metrics.names)
            # As Keras: a weighted metric is "weighted_<name>" when an unweighted one has its name.
            state.weighted_metrics.entries = [
                (index, metric, f"weighted_{name}" if name in plain else name)
                for index, metric, name in state.weighted_metrics.entries]
        state.output_names = names
        state.bound = True

    # ------------------------------------------------------------------- steps
    def _tkl_total_loss(self, state, y, y_pred, sample_weight=None):
        """``(total, per_output)``: the compiled loss plus the model's own losses."""
        total, per_output = (None, None)
        if state is not None and state.loss is not None:
            total, per_output = state.loss(y, y_pred, sample_weight)
        collector = state.model_losses if state is not None and state.model_losses is not None \
            else LossCollector(self)
        extra = collector()
        if extra:
            penalty = functools.reduce(operator.add, extra)
            total = penalty if total is None else total + penalty
        return total, per_output

    def _tkl_forward_loss(self, x, y, sample_weight, training):
        state = self.__dict__["_tkl_train"]
        runner = state.ddp if training and state.ddp is not None else self
        y_pred = runner(x, training=training)
        if state.low_precision:
            y_pred = mixed_precision.float32_outputs(y_pred)
        if state.custom_loss:
            # A compute_loss override (Keras's customisation point) is the loss.
            return self.compute_loss(x, y, y_pred, sample_weight, training=training), None, y_pred
        total, per_output = self._tkl_total_loss(state, y, y_pred, sample_weight)
        return total, per_output, y_pred

    def train_step(self, data):
        """One optimizer step on ``data = (x, y)`` or ``(x, y, sample_weight)``;
        accumulates loss and metrics.

        Override it for custom training (Keras 3's way: ``y_pred = self(x,
        training=True)``, ``loss = self.compute_loss(...)``, ``loss.backward()``,
        ``self.optimizer.apply(grads, self.trainable_weights)``, return
        ``self.compute_metrics(...)``); the returned dict becomes the step's logs.
        """
        state = self.__dict__["_tkl_train"]
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        total, per_output, y_pred = state.function("forward_loss", self._tkl_forward_loss)(
            x, y, sample_weight, True)
        optimizer = state.optimizer
        if optimizer is not None and total.requires_grad:  # else nothing to train (fit warns)
            optimizer.zero_grad(set_to_none=True)
            factor = getattr(optimizer, "loss_scale_factor", None)
            scaled = total * factor if factor else total
            if state.scaler is not None:
                mixed_precision.scaled_backward_and_step(state.scaler, scaled, optimizer)
            else:
                scaled.backward()
                optimizer.step()
        count = x.shape[0] if isinstance(x, torch.Tensor) else num_samples(x)
        state.record(total, per_output, y, y_pred, count, sample_weight)

    def test_step(self, data):
        """Loss and metrics of ``data = (x, y)`` or ``(x, y, sample_weight)`` without
        training."""
        state = self.__dict__["_tkl_train"]
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with torch.no_grad():
            total, per_output, y_pred = state.function("forward_loss", self._tkl_forward_loss)(
                x, y, sample_weight, False)
            state.record(total, per_output, y, y_pred, num_samples(x), sample_weight)

    def predict_step(self, x):
        """The model's outputs for the inputs ``x`` (no grad)."""
        state = vars(self).get("_tkl_train")
        with torch.no_grad():
            if state is None:
                return self(x, training=False)
            return state.function("predict", self._tkl_predict)(x)

    def _tkl_predict(self, x):
        return self(x, training=False)

    # --------------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, distribute=None):
        """Trains the model for ``epochs`` epochs.

        Args:
            x: inputs: NumPy arrays or tensors (a list/dict of them for several inputs),
                or a ``torch.utils.data.DataLoader`` yielding ``(x, y)`` batches.
            y: targets, like ``x`` (None with a DataLoader).
            batch_size: samples per step for arrays (default 32).
            epochs: index of the last epoch (training runs ``initial_epoch..epochs-1``).
            verbose: ``"auto"``/1 progress bar, 2 one line per epoch, 0 silent.
            callbacks: list of ``tkl.callbacks.Callback``.
            validation_split: fraction of the array samples (the last ones, before
                shuffling) held out for validation.
            validation_data: ``(x_val, y_val)``, ``(x_val, y_val, sample_weight_val)`` or a
                DataLoader; evaluated after each epoch.
            shuffle: reshuffle array samples every epoch.
            class_weight: ``{class index: weight}`` weighting the loss of each sample by
                its class (single-output models with array targets).
            sample_weight: one weight per sample (a 1-D array), weighting the loss (and
                compile's ``weighted_metrics``).
            initial_epoch: epoch to start from (to resume training).
            steps_per_epoch: steps per epoch; the data restart when they run out.
            validation_steps: validation steps per epoch (default: all the data).
            validation_batch_size: batch size of array validation data.
            validation_freq: validate every ``validation_freq`` epochs (an int), or after
                the epochs in a list (1-based), as Keras.
            distribute: overrides ``compile(distribute=...)`` for this run: ``"ddp"``,
                ``"fsdp"``, ``"auto"`` or False (see
                :mod:`~torch_keraslike.training.distributed`). Under ``torch.distributed``
                ``batch_size`` is per process and only rank 0 prints and writes files.

        Returns:
            A ``tkl.callbacks.History``: ``history.history`` maps ``"loss"``, each metric and
            their ``"val_"`` versions to per-epoch lists.
        """
        state = self._tkl_state("fit", "train")
        callbacks = callbacks_module.check_callbacks(callbacks, "fit")
        verbose = resolve_verbose(verbose, "fit")
        epochs = check_int(epochs, "epochs", "fit")
        initial_epoch = check_int(initial_epoch, "initial_epoch", "fit")
        steps_per_epoch = check_int(steps_per_epoch, "steps_per_epoch", "fit", 1, allow_none=True)
        validation_steps = check_int(validation_steps, "validation_steps", "fit", 1, allow_none=True)
        if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real) or not (
                0 <= validation_split < 1):
            raise ValueError(
                f"fit: validation_split must be a float in [0, 1), received {validation_split!r}."
            )
        train = make_adapter(x, y, batch_size, shuffle, "fit", sample_weight=sample_weight,
                             class_weight=class_weight)
        validate_epochs = _validation_epochs(validation_freq)
        dist = self._tkl_distribution(state, "fit", distribute)
        val = None
        if validation_data is not None:
            val = self._tkl_validation_adapter(validation_data, validation_batch_size or batch_size)
        elif validation_split:
            if not isinstance(train, ArrayAdapter):
                raise ValueError(
                    "fit: validation_split works with arrays/tensors only, not with a DataLoader. "
                    "Fix: pass validation_data=another_loader."
                )
            train, val = train.split(validation_split)
        train = dist.shard(train, shuffle)
        val = None if val is None else dist.shard(val, False)
        if dist.active and not dist_env.is_primary():
            verbose = 0  # one progress bar per job: rank 0's
        if self._tkl_custom_step("train_step"):
            # A custom train_step owns its forward, loss and targets: no dry run, no
            # target checks; the optimizer is created when the step first reads it.
            device = self._tkl_model_device()
        else:
            device = self._tkl_ensure_prepared(train.peek(), "fit", training=True)
            if dist.active:
                dist.runner(self, state)
        if val is not None and not self._tkl_custom_step("test_step"):
            self._tkl_ensure_prepared(val.peek(), "fit(validation_data)", training=False)
        names = self.metrics_names
        steps = steps_per_epoch or train.num_batches
        cbs = callbacks_module.CallbackList(
            callbacks, add_history=True, model=self, verbose=verbose, epochs=epochs, steps=steps,
            metrics=names + (["val_" + n for n in names] if val is not None else []),
        )
        self.stop_training = False
        self.history = cbs.history
        logs = {}
        try:
            cbs.train_begin()
            # As in Keras, a callback (BackupAndRestore) may move the start of the run.
            initial_epoch = vars(self).pop("_initial_epoch", None) or initial_epoch
            for epoch in range(initial_epoch, epochs):
                train.set_epoch(epoch)
                validate = val is not None and validate_epochs(epoch + 1)
                logs = self._tkl_train_epoch(state, train, cbs, device, epoch, epochs, steps,
                                             steps_per_epoch, verbose, val if validate else None,
                                             validation_steps)
                # Any process asking to stop (EarlyStopping sees the same global logs on
                # all of them) stops every process after this epoch.
                self.stop_training = dist.any(self.stop_training, self)
                if self.stop_training:
                    break
            if epochs > initial_epoch and isinstance(state.optimizer, optimizers.Optimizer):
                state.optimizer.finalize_variable_values()
        except BaseException as error:
            # Callbacks release their files even when the run fails; the error propagates.
            cbs.train_end(logs, error)
            raise
        else:
            cbs.train_end(logs)
        finally:
            vars(self).pop("_initial_epoch", None)
        return cbs.history

    def _tkl_distribution(self, state, where, distribute):
        """Resolves the run's :class:`~torch_keraslike.training.distributed.Distribution`
        (``distribute`` of the call, else of ``compile``) and records it on ``state``."""
        mode = state.distribute if distribute is None else distribute
        state.dist = distributed.resolve(mode, where, self._tkl_model_device())
        return state.dist

    def _tkl_validation_adapter(self, validation_data, batch_size):
        where = "fit(validation_data)"
        if isinstance(validation_data, DataLoader):
            return make_adapter(validation_data, where=where)
        if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3):
            weights = validation_data[2] if len(validation_data) == 3 else None
            return make_adapter(validation_data[0], validation_data[1], batch_size, False, where,
                                sample_weight=weights)
        raise ValueError(
            f"fit: validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
            f"sample_weight_val), or a DataLoader, received "
            f"{type(validation_data).__name__}"
            f"{f' of {len(validation_data)} elements' if isinstance(validation_data, (tuple, list)) else ''}. "
            "Fix: validation_data=(x_val, y_val)."
        )

    def _tkl_train_epoch(self, state, train, cbs, device, epoch, epochs, steps, steps_per_epoch,
                         verbose, val, validation_steps):
        self.reset_metrics()
        cbs.call("on_epoch_begin", epoch, {})
        bar = ProgressBar(steps, verbose, title=f"Epoch {epoch + 1}/{epochs}")
        begin_hooks = cbs.batch_hooks["on_train_batch_begin"]
        end_hooks = cbs.batch_hooks["on_train_batch_end"]
        user_logs = None

        def current_logs():
            if user_logs is not None:
                return {key: float(value) for key, value in user_logs.items()}
            return _floats(self.get_metrics_result())

        logs_fn = current_logs if bar.bar is not None else None
        train_step = self.train_step
        with _run_mode(self, True):
            for step, batch in enumerate(train.batches(steps_per_epoch)):
                if begin_hooks:
                    cbs.batch("on_train_batch_begin", step, {})
                if device is not None:
                    batch = to_device(batch, device)
                result = train_step(batch)
                if result is not None:
                    user_logs = result
                bar.update(logs_fn)
                if end_hooks:
                    cbs.batch("on_train_batch_end", step, current_logs())
                if self.stop_training:
                    break
        logs = current_logs() if user_logs is not None else self._tkl_epoch_logs(state)
        if val is not None:
            val_logs = self._tkl_test_loop(state, val, cbs, device, validation_steps, None)
            logs.update({"val_" + key: value for key, value in val_logs.items()})
        bar.finish(logs)
        cbs.call("on_epoch_end", epoch, logs)
        return logs

    def _tkl_test_loop(self, state, data, cbs, device, steps, bar):
        self.reset_metrics()
        cbs.call("on_test_begin", {})
        begin_hooks = cbs.batch_hooks["on_test_batch_begin"]
        end_hooks = cbs.batch_hooks["on_test_batch_end"]
        user_logs = None

        def current_logs():
            if user_logs is not None:
                return {key: float(value) for key, value in user_logs.items()}
            return _floats(self.get_metrics_result())

        logs_fn = current_logs if bar is not None and bar.bar is not None else None
        test_step = self.test_step
        with _run_mode(self, False):
            for step, batch in enumerate(data.batches(steps)):
                if begin_hooks:
                    cbs.batch("on_test_batch_begin", step, {})
                if device is not None:
                    batch = to_device(batch, device)
                result = test_step(batch)
                if result is not None:
                    user_logs = result
                if bar is not None:
                    bar.update(logs_fn)
                if end_hooks:
                    cbs.batch("on_test_batch_end", step, current_logs())
        logs = current_logs() if user_logs is not None else self._tkl_epoch_logs(state)
        cbs.call("on_test_end", logs)
        return logs

    def _tkl_custom_step(self, name):
        """Whether the model overrides ``train_step``/``test_step`` (Keras's custom loop)."""
        return getattr(type(self), name) is not getattr(Trainer, name)

    def _tkl_epoch_logs(self, state):
        """The values of :attr:`metrics` at the end of an epoch or an evaluation: global
        over the processes of a distributed run (one all_reduce), local otherwise."""
        return state.dist.reduce_logs(self._tkl_metric_log_names())

    # ---------------------------------------------------------------- evaluate
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, distribute=None):
        """Loss and metrics of the model on ``x``/``y`` (in ``eval()`` mode).

        Args:
            x, y, batch_size: as in :meth:`fit`.
            verbose: ``"auto"``/1 progress bar, 2 one line, 0 silent.
            sample_weight: one weight per sample, weighting the loss (and
                ``weighted_metrics``).
            steps: number of batches to evaluate (default: all).
            callbacks: list of callbacks (``on_test_*`` hooks).
            return_dict: return ``{name: value}`` instead of a scalar/list.

        Returns:
            The loss (a float) when no metrics were compiled, else ``[loss, *metrics]``
            in the order of :attr:`metrics_names`; or a dict with ``return_dict=True``.
        """
        state = self._tkl_state("evaluate", "compute the loss")
        verbose = resolve_verbose(verbose, "evaluate")
        steps = check_int(steps, "steps", "evaluate", 1, allow_none=True)
        data = make_adapter(x, y, batch_size, False, "evaluate", sample_weight=sample_weight)
        dist = self._tkl_distribution(state, "evaluate", distribute)
        data = dist.shard(data, False)
        if dist.active and not dist_env.is_primary():
            verbose = 0
        if self._tkl_custom_step("test_step"):
            device = self._tkl_model_device()
        else:
            device = self._tkl_ensure_prepared(data.peek(), "evaluate", training=False)
        cbs = callbacks_module.CallbackList(callbacks, model=self, verbose=verbose,
                                            steps=steps or data.num_batches)
        bar = ProgressBar(steps or data.num_batches, verbose)
        logs = self._tkl_test_loop(state, data, cbs, device, steps, bar)
        bar.finish(logs)
        return _format_results(logs, return_dict)

    # ----------------------------------------------------------------- predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, distribute=None):
        """The model's outputs for ``x``, as NumPy arrays (in ``eval()`` mode).

        Args:
            x: inputs (arrays, tensors, a list/dict of them, or a DataLoader whose batches
                are ``x``, ``(x,)`` or ``(x, y)``).
            batch_size: samples per batch for arrays (default 32).
            verbose: ``"auto"``/1 progress bar, 2 one line, 0 silent.
            steps: number of batches (default: all).
            callbacks: list of callbacks (``on_predict_*`` hooks).

        Returns:
            A NumPy array, or the model's output structure (list/dict) of arrays,
            concatenated over the batches.
        """
        verbose = resolve_verbose(verbose, "predict")
        steps = check_int(steps, "steps", "predict", 1, allow_none=True)
        data = make_adapter(x, None, batch_size, False, "predict", predicting=True)
        state = vars(self).get("_tkl_train")
        dist = distributed.resolve(state.distribute if distribute is None and state is not None
                                   else distribute, "predict", self._tkl_model_device())
        total = getattr(data, "num_samples", None)
        if dist.active and total is None:
            dist = distributed.Distribution(None)  # a DataLoader's order is its own: no gather
        data = dist.shard(data, False)
        if dist.active and not dist_env.is_primary():
            verbose = 0
        cbs = callbacks_module.CallbackList(callbacks, model=self, verbose=verbose,
                                            steps=steps or data.num_batches)
        bar = ProgressBar(steps or data.num_batches, verbose)
        begin_hooks = cbs.batch_hooks["on_predict_batch_begin"]
        end_hooks = cbs.batch_hooks["on_predict_batch_end"]
        device = self._tkl_model_device()
        outputs = []
        with _run_mode(self, False):
            cbs.call("on_predict_begin", {})
            for step, batch in enumerate(data.batches(steps)):
                bx = batch[0]
                if begin_hooks:
                    cbs.batch("on_predict_batch_begin", step, {})
                out = self.predict_step(to_device(bx, device))
                outputs.append(map_structure(lambda t: t.detach().cpu() if isinstance(t, torch.Tensor) else t, out))
                bar.update()
                if end_hooks:
                    cbs.batch("on_predict_batch_end", step, {"outputs": out})
                if device is None:
                    device = self._tkl_model_device()
            cbs.call("on_predict_end", {})
        bar.finish()
        if dist.active:
            # Each process predicted its share: gathered back, every process returns all.
            joined = map_structure(torch.as_tensor, concat_batches(outputs))
            return concat_batches([dist.gather_predictions(joined, total, self)])
        return concat_batches(outputs)

    # ---------------------------------------------------------- single batches
    def _tkl_single_batch(self, x, y, where, training, sample_weight=None, class_weight=None):
        self._tkl_state(where, "train" if training else "compute the loss")
        data = ArrayAdapter(x, y, where=where, sample_weight=sample_weight, class_weight=class_weight)
        batch = (data.x, data.y) if data.sample_weight is None else (data.x, data.y, data.sample_weight)
        step = "train_step" if training else "test_step"
        if self._tkl_custom_step(step):
            device = self._tkl_model_device()
        else:
            device = self._tkl_ensure_prepared(batch, where, training)
        batch = to_device(batch, device)
        self.reset_metrics()
        with _run_mode(self, training):
            result = getattr(self, step)(batch)
        return _floats(self.get_metrics_result() if result is None else result)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on one batch; returns its loss (and metrics).

        Inputs and targets are checked like in :meth:`fit` the first time a batch of a
        new shape is seen, before any weight changes.

        Returns:
            The loss, ``[loss, *metrics]``, or a dict with ``return_dict=True``.
        """
        logs = self._tkl_single_batch(x, y, "train_on_batch", True, sample_weight, class_weight)
        return _format_results(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) of one batch, without training (``eval()`` mode)."""
        logs = self._tkl_single_batch(x, y, "test_on_batch", False, sample_weight)
        return _format_results(logs, return_dict)


@contextlib.contextmanager
def _run_mode(model, training):
    """The mode of a fit/evaluate/predict run, without touching the model's own flag.

    Calls without an explicit ``training`` inside the run get ``training`` (a
    thread-local default, so concurrent runs in other threads keep theirs). Plain
    ``torch.nn`` modules nested in the model only read their ``train()``/``eval()``
    flag: that flag is set for the run and restored after it.
    """
    context = CALL_CONTEXT
    previous = context.default_training
    foreign = [m for m in model.modules() if not isinstance(m, LayerWeightsMixin) and m.training != training]
    for module in foreign:
        module.training = training
    context.default_training = training
    try:
        yield
    finally:
        context.default_training = previous
        for module in foreign:
            module.training = not training


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch ``(x,)``, ``(x, y)`` or
    ``(x, y, sample_weight)`` (Keras's ``keras.utils.unpack_x_y_sample_weight``)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(
        f"A batch must be x, (x,), (x, y) or (x, y, sample_weight); received a tuple of {len(data)} "
        "elements. Fix: yield one of these structures from the data."
    )


def _floats(results):
    return {key: float(value) for key, value in results.items()}


def _validation_epochs(validation_freq):
    """Keras's ``validation_freq``: an int (every n epochs) or a list of 1-based epochs."""
    if isinstance(validation_freq, numbers.Integral) and not isinstance(validation_freq, bool) \
            and validation_freq >= 1:
        return lambda epoch: epoch % validation_freq == 0
    if isinstance(validation_freq, (list, tuple, set)) and all(
            isinstance(e, numbers.Integral) and not isinstance(e, bool) for e in validation_freq):
        epochs = set(validation_freq)
        return lambda epoch: epoch in epochs
    raise ValueError(
        f"fit: validation_freq must be a positive int or a list of epoch numbers, received "
        f"validation_freq={validation_freq!r}."
    )


def _signature(batch):
    """Shapes (without the batch axis), dtypes and structure of a batch."""
    x, y = batch[0], batch[1]
    leaves = flatten(x) + ([] if y is None else flatten(y))
    keys = tuple(x) if isinstance(x, dict) else None
    return keys, tuple((tuple(t.shape[1:]), t.dtype) if isinstance(t, torch.Tensor) else type(t) for t in leaves)


def _format_results(logs, return_dict):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values

