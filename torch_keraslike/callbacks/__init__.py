"""Keras callbacks: hooks called by ``Model.fit``/``evaluate``/``predict``.

``Callback`` is the base class; ``History`` is added to every ``fit``. Built-ins:
``ModelCheckpoint``, ``EarlyStopping``, ``CSVLogger``, ``LambdaCallback``,
``TerminateOnNaN``, ``ReduceLROnPlateau``, ``LearningRateScheduler``, ``TensorBoard``
and ``BackupAndRestore``. Logs are dicts of Python floats: ``loss``, the metrics, and
``val_`` versions of both when there is validation data.

Files written by callbacks are written atomically (checkpoints, backups) or flushed
to disk row by row (``CSVLogger``); ``on_train_end`` runs also when ``fit`` is ended
by an exception, so files are closed.

Example:
    >>> import os, tempfile, numpy as np, torch_keraslike as tkl
    >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1)])
    >>> model.compile("adam", "mse")
    >>> folder = tempfile.mkdtemp()
    >>> callbacks = [tkl.callbacks.ReduceLROnPlateau(monitor="loss", patience=2),
    ...              tkl.callbacks.CSVLogger(os.path.join(folder, "log.csv")),
    ...              tkl.callbacks.BackupAndRestore(os.path.join(folder, "backup"))]
    >>> history = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=2, verbose=0,
    ...                     callbacks=callbacks)
    >>> sorted(history.history)
    ['learning_rate', 'loss']
"""

from .backup_and_restore import BackupAndRestore
from .callback import Callback
from .callback_list import CallbackList, check_callbacks
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .history import History
from .lambda_callback import LambdaCallback
from .learning_rate_scheduler import LearningRateScheduler
from .model_checkpoint import ModelCheckpoint
from .reduce_lr_on_plateau import ReduceLROnPlateau
from .tensorboard import TensorBoard
from .terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
    "check_callbacks",
]
