"""TensorBoard on torch.utils.tensorboard (the real writes are tested when the optional
``tensorboard`` package is installed)."""

import json
import sys

import numpy as np
import pytest

import torch_keraslike as tkl
from callback_testing import data, model
from torch_keraslike.callbacks import TensorBoard


def test_tensorboard_without_the_tensorboard_package(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # as if it failed to import
    with pytest.raises(ImportError, match=r"TensorBoard: this callback writes with torch.utils.tensorboard, "
                                          r"which needs the `tensorboard` package \(.*\). Fix: pip install tensorboard"):
        TensorBoard(log_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_tensorboard_argument_errors():
    with pytest.raises(ValueError, match=r"profiling is not available on torch .* profile_batch=5 \(must be 0\)"):
        TensorBoard(profile_batch=5)
    with pytest.raises(ValueError, match="update_freq must be 'epoch', 'batch' or an int >= 1 .*update_freq='step'"):
        TensorBoard(update_freq="step")
    with pytest.raises(ValueError, match="update_freq must be .* received update_freq=0"):
        TensorBoard(update_freq=0)
    with pytest.raises(ValueError, match="histogram_freq must be an int >= 0, received histogram_freq=-1"):
        TensorBoard(histogram_freq=-1)
    with pytest.raises(TypeError, match="embeddings_metadata must be a file name or a dict"):
        TensorBoard(embeddings_metadata=["labels.tsv"])


def _events(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def _scalars(events, tag):
    return [(event.step, event.value) for event in events.Scalars(tag)]


def test_tensorboard_writes_epoch_batch_and_validation_scalars_and_histograms(tmp_path):
    pytest.importorskip("tensorboard", reason="the optional tensorboard package is not installed")
    x, y = data(32)
    net = model()
    board = TensorBoard(log_dir=tmp_path, histogram_freq=2, update_freq=3, write_steps_per_second=True)
    history = net.fit(x, y, batch_size=8, epochs=3, verbose=0, validation_data=(x, y), callbacks=[board])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train", "validation"]
    train, validation = _events(tmp_path / "train"), _events(tmp_path / "validation")
    tags = train.Tags()
    assert {"epoch_loss", "epoch_mae", "epoch_learning_rate", "epoch_steps_per_second",
            "batch_loss", "batch_mae", "batch_steps_per_second"} <= set(tags["scalars"])
    assert [step for step, _ in _scalars(train, "epoch_loss")] == [0, 1, 2]
    np.testing.assert_allclose([v for _, v in _scalars(train, "epoch_loss")], history.history["loss"], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in _scalars(validation, "epoch_loss")], history.history["val_loss"],
                               rtol=1e-6)
    assert [v for _, v in _scalars(train, "epoch_learning_rate")] == pytest.approx([0.05] * 3)
    assert [step for step, _ in _scalars(train, "batch_loss")] == [3, 6, 9, 12]  # every 3rd of 12 batches
    assert [step for step, _ in _scalars(validation, "evaluation_loss_vs_iterations")] == [4, 8, 12]
    assert sorted(tags["histograms"]) == ["dense/bias/histogram", "dense/kernel/histogram"]
    assert [event.step for event in train.Histograms("dense/kernel/histogram")] == [0, 2]
    config = json.loads(train.Tensors("keras")[0].tensor_proto.string_val[0])  # for the Keras graph view
    assert config["class_name"] == "Sequential"
    assert train.SummaryMetadata("keras").plugin_data.plugin_name == "graph_keras_model"
    assert board._writers == {}  # closed at the end of fit


def test_tensorboard_images_and_embeddings(tmp_path):
    pytest.importorskip("tensorboard", reason="the optional tensorboard package is not installed")
    pytest.importorskip("PIL", reason="write_images needs Pillow")
    net = tkl.Sequential([tkl.Input((2,), dtype="int64"), tkl.layers.Embedding(5, 3), tkl.layers.Flatten(),
                          tkl.layers.Dense(1)])
    net.compile("sgd", "mse")
    labels = tmp_path / "labels.tsv"
    labels.write_text("word\tcount\n" + "".join(f"w{i}\t{i}\n" for i in range(5)))
    board = TensorBoard(log_dir=tmp_path / "logs", histogram_freq=1, write_images=True, embeddings_freq=1,
                        embeddings_metadata={"embedding": str(labels)})
    x, y = np.random.default_rng(0).integers(0, 5, size=(8, 2)), np.ones((8, 1), "float32")
    net.fit(x, y, epochs=1, verbose=0, callbacks=[board])
    train = _events(tmp_path / "logs" / "train")
    # A Dense(1) bias squeezes to a scalar, which Keras does not draw either.
    assert set(train.Tags()["images"]) == {"dense/kernel/image", "embedding/embeddings/image"}
    projector = (tmp_path / "logs" / "train" / "projector_config.pbtxt").read_text()
    assert 'tensor_name: "embedding:00000"' in projector
    with pytest.raises(ValueError, match=r"unrecognized `Embedding` layer names passed to `embeddings_metadata`: "
                                         r"\['words'\]. The model's embedding layers are \['embedding'\]"):
        net.fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path / "other", embeddings_freq=1,
                                                                  embeddings_metadata={"words": str(labels)})])
    assert not (tmp_path / "other").exists()


def test_tensorboard_in_evaluate_and_after_an_error(tmp_path):
    pytest.importorskip("tensorboard", reason="the optional tensorboard package is not installed")
    x, y = data()
    net = model()
    board = TensorBoard(log_dir=tmp_path, write_graph=False)
    net.evaluate(x, y, verbose=0, callbacks=[board])
    assert board._writers == {}  # written and closed
    assert [v for _, v in _scalars(_events(tmp_path / "validation"), "evaluation_loss_vs_iterations")] == \
        pytest.approx([net.evaluate(x, y, verbose=0)[0]])

    def fail(epoch, logs):
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        net.fit(x, y, epochs=2, verbose=0, callbacks=[board, tkl.callbacks.LambdaCallback(on_epoch_end=fail)])
    assert board._writers == {}  # closed by on_train_end although fit failed
    assert [step for step, _ in _scalars(_events(tmp_path / "train"), "epoch_loss")] == [0]
