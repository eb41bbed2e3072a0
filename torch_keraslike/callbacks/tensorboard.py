"""``TensorBoard``: writes the training logs for TensorBoard, with
``torch.utils.tensorboard.SummaryWriter`` (it needs the ``tensorboard`` package).

Like Keras, the training values go to ``<log_dir>/train`` and the validation ones to
``<log_dir>/validation``, under the same tags (``epoch_loss``...), so TensorBoard
draws them on one chart.

Example:
    >>> import importlib.util, tempfile, torch_keraslike as tkl
    >>> if importlib.util.find_spec("tensorboard") is not None:
    ...     board = tkl.callbacks.TensorBoard(log_dir=tempfile.mkdtemp(), histogram_freq=1)
"""

import importlib.util
import json
import math
import os
import time
import warnings

import torch

from ._args import check_int
from ._learning_rate import learning_rate_logs
from ._rank import primary_only
from .callback import Callback

__all__ = ["TensorBoard"]


def _summary_writer_class(cls):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as error:
        raise ImportError(
            f"{cls}: this callback writes with torch.utils.tensorboard, which needs the "
            f"`tensorboard` package ({error}). Fix: pip install tensorboard"
        ) from None
    return SummaryWriter


class TensorBoard(Callback):
    """Logs scalars (epoch logs, learning rate, batch logs), weight histograms and
    images, embeddings and the model's config for TensorBoard.

    Run ``tensorboard --logdir <log_dir>`` to see them.

    Args:
        log_dir: folder of the event files (``train/`` and ``validation/`` below it).
        histogram_freq: every how many epochs to write a histogram of each weight
            (tag ``<layer>/<weight>/histogram``); 0 never.
        write_graph: write the model's config (``graph_keras_model``, TensorBoard's
            Keras graph view) when training starts.
        write_images: with ``histogram_freq``, also write weights as images (needs
            Pillow).
        write_steps_per_second: log training steps per second (per epoch, and per
            batch with ``update_freq``).
        update_freq: ``"epoch"``; ``"batch"`` or an int ``n``: also write the batch logs
            (``batch_loss``...) every ``n`` training batches. Reading batch logs waits
            for the device at each of those batches.
        profile_batch: must be 0: profiling is not available (as with Keras's torch
            backend); use ``torch.profiler`` around ``fit`` instead.
        embeddings_freq: every how many epochs to write the embedding tables (layers
            with an ``embeddings`` weight) for the projector; 0 never.
        embeddings_metadata: a file of labels (one per row; a tab-separated file
            with a header line for several columns) for all embedding layers, or a
            dict ``{layer_name: file}``.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        cls = type(self).__name__
        self.histogram_freq = check_int(histogram_freq, "histogram_freq", cls)
        self.embeddings_freq = check_int(embeddings_freq, "embeddings_freq", cls)
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch":
            try:
                update_freq = check_int(update_freq, "update_freq", cls, minimum=1)
            except ValueError:
                raise ValueError(
                    f"{cls}: update_freq must be 'epoch', 'batch' or an int >= 1 (a number of "
                    f"batches), received update_freq={update_freq!r}."
                ) from None
        if profile_batch:
            raise ValueError(
                f"{cls}: profiling is not available on torch (as with Keras's torch backend). "
                f"Received: profile_batch={profile_batch!r} (must be 0). Fix: drop profile_batch, "
                "and wrap fit in torch.profiler.profile(...) to profile."
            )
        if embeddings_metadata is not None and not isinstance(embeddings_metadata, (str, os.PathLike, dict)):
            raise TypeError(
                f"{cls}: embeddings_metadata must be a file name or a dict {{layer_name: file}}, "
                f"received {type(embeddings_metadata).__name__}."
            )
        if write_images and importlib.util.find_spec("PIL") is None:  # torch encodes images with Pillow
            raise ImportError(f"{cls}: write_images=True needs Pillow. Fix: pip install pillow")
        self._writer_class = _summary_writer_class(cls)
        self.log_dir = os.fspath(log_dir)
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = update_freq
        self.profile_batch = profile_batch
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._global_train_batch = 0
        self._epoch_start = None
        self._in_fit = False
        if update_freq != "epoch":
            # Only then does the callback read batch logs (reading them syncs the step).
            self.on_train_batch_end = self._batch_end

    # --------------------------------------------------------------- writers
    def _writer(self, kind):
        writer = self._writers.get(kind)
        if writer is None:
            folder = os.path.join(self.log_dir, "train" if kind == "train" else "validation")
            writer = self._writers[kind] = self._writer_class(log_dir=folder)
        return writer

    def _close_writers(self):
        writers, self._writers = self._writers, {}
        for writer in writers.values():
            writer.close()

    # ----------------------------------------------------------------- hooks
    @primary_only
    def on_train_begin(self, logs=None):
        self._metadata_files()  # fails before any file is opened
        self._global_train_batch = 0
        self._in_fit = True
        if self.write_graph:
            try:
                self._write_model_config()
            except BaseException:
                self.on_train_end()  # fit calls on_train_end only after on_train_begin returned
                raise

    def on_train_end(self, logs=None):
        self._in_fit = False
        self._close_writers()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start = time.perf_counter()

    @primary_only
    def _batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if step % self.update_freq:
            return
        writer = self._writer("train")
        if self.write_steps_per_second:
            seconds = time.perf_counter() - self._batch_start
            writer.add_scalar("batch_steps_per_second", 1.0 / seconds if seconds > 0 else math.inf, step)
        for name, value in (logs or {}).items():
            writer.add_scalar(f"batch_{name}", float(value), step)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = (time.perf_counter(), self._global_train_batch)

    @primary_only
    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._log_embeddings(epoch)

    @primary_only
    def on_test_end(self, logs=None):
        writer = self._writer("val")
        for name, value in (logs or {}).items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", float(value), self._global_train_batch)
        if not self._in_fit:  # evaluate() outside fit: no on_train_end will close it
            self._writers.pop("val").close()

    # ------------------------------------------------------------- summaries
    def _log_epoch(self, epoch, logs):
        train = {key: value for key, value in logs.items() if not key.startswith("val_")}
        val = {key[4:]: value for key, value in logs.items() if key.startswith("val_")}
        if getattr(self.model, "optimizer", None) is not None and hasattr(self.model.optimizer, "param_groups"):
            train.update(learning_rate_logs(self.model.optimizer))
        if self.write_steps_per_second and self._epoch_start is not None:
            start, batches = self._epoch_start
            seconds = time.perf_counter() - start
            train["steps_per_second"] = (self._global_train_batch - batches) / seconds if seconds > 0 else 0.0
        for kind, values in (("train", train), ("val", val)):
            if not values:
                continue
            writer = self._writer(kind)
            for name, value in values.items():
                writer.add_scalar(f"epoch_{name}", float(value), epoch)

    def _log_weights(self, epoch):
        writer = self._writer("train")
        for tag, owner, key, tensor in _named_weights(self.model):
            values = tensor.detach().float().cpu()
            writer.add_histogram(f"{tag}/histogram", values, epoch)
            if self.write_images:
                image = _weight_image(values, getattr(owner, "_keras_weight_layouts", {}).get(key))
                if image is not None:
                    writer.add_images(f"{tag}/image", image, epoch, dataformats="NHWC")
        writer.flush()

    def _embedding_layers(self):
        return [(getattr(module, "name", key), module) for key, module in self.model.named_modules()
                if isinstance(getattr(module, "embeddings", None), torch.Tensor) and module.embeddings.dim() == 2]

    def _metadata_files(self):
        """``{layer_name: metadata file}`` of the embedding layers."""
        if not self.embeddings_freq or self.embeddings_metadata is None:
            return {}
        names = [name for name, _ in self._embedding_layers()]
        if not isinstance(self.embeddings_metadata, dict):
            return dict.fromkeys(names, os.fspath(self.embeddings_metadata))
        unknown = [name for name in self.embeddings_metadata if name not in names]
        if unknown:
            raise ValueError(
                f"{type(self).__name__}: unrecognized `Embedding` layer names passed to "
                f"`embeddings_metadata`: {unknown}. The model's embedding layers are {names}."
            )
        return {name: os.fspath(path) for name, path in self.embeddings_metadata.items()}

    def _log_embeddings(self, epoch):
        writer = self._writer("train")
        files = self._metadata_files()
        for name, layer in self._embedding_layers():
            table = layer.embeddings.detach().float().cpu()
            labels, header = (None, None) if name not in files else _read_metadata(files[name], len(table), name)
            writer.add_embedding(table, metadata=labels, metadata_header=header, global_step=epoch, tag=name)

    def _write_model_config(self):
        from .. import saving

        try:
            config = json.dumps(saving.serialize(self.model))
        except Exception as error:  # noqa: BLE001  (Keras also skips models it cannot serialize)
            warnings.warn(
                f"TensorBoard: the model could not be serialized as JSON ({type(error).__name__}: "
                f"{error}), so its graph is not written. Pass write_graph=False to skip it.",
                stacklevel=2,
            )
            return
        from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
        from tensorboard.compat.proto.tensor_pb2 import TensorProto

        metadata = SummaryMetadata(
            plugin_data=SummaryMetadata.PluginData(plugin_name="graph_keras_model", content=b"1"))
        tensor = TensorProto(dtype="DT_STRING", string_val=[config.encode()])
        summary = Summary(value=[Summary.Value(tag="keras", metadata=metadata, tensor=tensor)])
        writer = self._writer("train")
        writer._get_file_writer().add_summary(summary, global_step=0)
        writer.flush()


def _named_weights(model):
    """``(tag, owner, key, tensor)`` of every floating weight, tagged with the names of
    the layers it sits in (``"dense/kernel"``, ``"block/conv/bias"``); shared weights once."""
    seen = set()

    def walk(module, path):
        for registry in (module._parameters, module._buffers):
            for key, tensor in registry.items():
                if tensor is None or id(tensor) in seen or not tensor.is_floating_point():
                    continue
                seen.add(id(tensor))
                yield "/".join(path + [key]), module, key, tensor
        for key, child in module._modules.items():
            if child is None:
                continue
            name = getattr(child, "name", None)
            if isinstance(child, (torch.nn.ModuleList, torch.nn.ModuleDict)) and not isinstance(name, str):
                yield from walk(child, path)  # a container: its items carry the names
            else:
                yield from walk(child, path + [name if isinstance(name, str) else key])

    yield from walk(model, [])


def _weight_image(values, layout):
    """A weight as a batch of NHWC images, as Keras draws them; None for shapes it skips."""
    if layout is not None:
        values = values.permute(layout)  # Keras's layout: what Keras users expect to see
    image = values.squeeze()
    if image.dim() == 1:
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.dim() == 2:
        if image.shape[0] > image.shape[1]:
            image = image.t()
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.dim() == 3:
        from .. import config

        if config.image_data_format() == "channels_last":
            image = image.permute(2, 0, 1)
        image = image.reshape(*image.shape, 1)
    if image.dim() != 4 or image.shape[-1] not in (1, 3, 4):
        return None
    return image.contiguous()


def _read_metadata(path, rows, layer_name):
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    header = None
    if lines and "\t" in lines[0]:
        header, lines = lines[0].split("\t"), [line.split("\t") for line in lines[1:]]
    if len(lines) != rows:
        raise ValueError(
            f"TensorBoard: the embeddings metadata {path!r} of layer {layer_name!r} has "
            f"{len(lines)} label rows, but the layer has {rows} embeddings. Fix: one label per "
            "embedding (plus a header line when the file has several tab-separated columns)."
        )
    return lines, header
