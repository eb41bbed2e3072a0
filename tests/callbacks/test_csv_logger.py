"""CSVLogger."""

import csv

import pytest

from callback_testing import data, model
from torch_keraslike.callbacks import CSVLogger


def test_csv_logger_writes_sorted_columns_and_appends(tmp_path):
    x, y = data()
    path = tmp_path / "log.csv"
    net = model()
    history = net.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), callbacks=[CSVLogger(path)])
    rows = list(csv.reader(path.read_text().splitlines()))
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    assert float(rows[2][1]) == pytest.approx(history.history["loss"][1])
    net.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[CSVLogger(path, append=True)])
    assert len(list(csv.reader(path.read_text().splitlines()))) == 4  # no second header
    net.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path, separator=";")])
    assert path.read_text().splitlines()[0] == "epoch;loss;mae"
    with pytest.raises(ValueError, match="separator must be one character"):
        CSVLogger(path, separator="::")


def test_csv_logger_rows_reach_the_disk_as_they_are_written(tmp_path, monkeypatch):
    import os

    x, y = data()
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    synced, real_fsync = [], os.fsync

    def fsync(fd):
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    seen = []

    def check(epoch, logs):
        # After the logger's on_epoch_end, the row is on disk: written, flushed and fsynced.
        assert synced and synced[-1] == logger._file.fileno()
        seen.append(path.read_text().splitlines()[-1].split(",")[0])

    from torch_keraslike.callbacks import LambdaCallback

    model().fit(x, y, epochs=2, verbose=0, callbacks=[logger, LambdaCallback(on_epoch_end=check)])
    assert seen == ["0", "1"] and logger._file is None
