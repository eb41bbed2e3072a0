"""``CSVLogger``: one CSV row per epoch, written through to disk as it is logged.

Example:
    >>> import os, tempfile, numpy as np, torch_keraslike as tkl
    >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "training.csv")
    >>> _ = model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=2, verbose=0,
    ...               callbacks=[tkl.callbacks.CSVLogger(path)])
    >>> with open(path) as handle:
    ...     [line.split(",")[0] for line in handle.read().splitlines()]
    ['epoch', '0', '1']
"""

import csv
import os

from ._rank import primary_only
from .callback import Callback

__all__ = ["CSVLogger"]


class CSVLogger(Callback):
    """Writes the epoch logs to a CSV file: an ``epoch`` column, then the log keys
    in sorted order. Each row is flushed and ``fsync``ed when written, so a run
    that is killed keeps every finished epoch; the file is closed at the end of
    ``fit``, also when ``fit`` ends with an error. Under ``torch.distributed`` only
    rank 0 writes (the logs it gets are already global).

    Args:
        filename: the CSV file.
        separator: column separator.
        append: append to an existing file (the header is written only to an empty one).

    Example:
        >>> import torch_keraslike as tkl
        >>> logger = tkl.callbacks.CSVLogger("training.csv")
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: separator must be one character, received {separator!r}.")
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = bool(append)
        self.keys = None
        self._file = None
        self._writer = None

    @primary_only
    def on_train_begin(self, logs=None):
        write_header = not (self.append and os.path.exists(self.filename)
                            and os.path.getsize(self.filename) > 0)
        self._file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self._write_header = write_header
        self.keys = None

    @primary_only
    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch"] + self.keys,
                                          delimiter=self.sep, extrasaction="ignore")
            if self._write_header:
                self._writer.writeheader()
        row = {"epoch": epoch}
        row.update({key: logs.get(key, "NA") for key in self.keys})
        self._writer.writerow(row)
        self._file.flush()
        os.fsync(self._file.fileno())

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
            self._writer = None
