"""The ``Metric`` state API (``add_variable``, aggregations, ``variables``, stateless
calls, copies, device placement), ``get``/``serialize``/``deserialize``, the metrics of
``compile``, ``global_results`` across processes, and the argument errors of the
metric classes (no Keras needed)."""

import copy
import datetime
import pickle
import socket

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import torch_keraslike as tkl
from torch_keraslike import metrics
from torch_keraslike.variables import is_annotated


class BinaryTruePositives(metrics.Metric):
    """A Keras-style custom metric, written as Keras's documentation writes one."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="true_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = (y_true.bool() & y_pred.bool()).to(torch.float32)
        if sample_weight is not None:
            values = values * torch.as_tensor(sample_weight, dtype=torch.float32)
        self.true_positives.assign(self.true_positives + values.sum())

    def result(self):
        return self.true_positives


class Composite(metrics.Metric):
    def __init__(self):
        super().__init__(name="composite")
        self.hits = BinaryTruePositives()
        self.calls = self.add_variable(shape=(), initializer="zeros", aggregation="only_first_replica",
                                       name="calls")

    def update_state(self, y_true, y_pred):
        self.hits.update_state(y_true, y_pred)
        self.calls.assign_add(torch.tensor(1.0))

    def result(self):
        return self.hits.result() / self.calls


# ------------------------------------------------------------------- state
def test_keras_style_custom_metric():
    metric = BinaryTruePositives()
    metric.update_state(torch.tensor([1, 0, 1]), torch.tensor([1, 1, 1]), sample_weight=[1.0, 1.0, 0.5])
    metric.update_state(torch.tensor([1]), torch.tensor([1]))
    assert float(metric.result()) == 2.5 and float(metric(torch.tensor([1]), torch.tensor([0]))) == 2.5
    (variable,) = metric.variables
    assert variable is metric.true_positives and variable.path == "binary_true_positives/true_positives"
    assert variable.aggregation == "sum" and not variable.requires_grad and variable.dtype == torch.float32
    metric.reset_state()
    assert float(metric.result()) == 0.0
    assert metric.get_config() == {"name": "binary_true_positives", "dtype": "float32"}
    assert repr(metric) == "<BinaryTruePositives name=binary_true_positives>"


def test_sub_metrics_are_tracked_and_reset():
    metric = Composite()
    metric.update_state(torch.tensor([1, 1]), torch.tensor([1, 0]))
    metric.update_state(torch.tensor([1, 1]), torch.tensor([1, 1]))
    assert float(metric.result()) == 1.5
    assert [v.path for v in metric.variables] == ["composite/calls", "binary_true_positives/true_positives"]
    assert [v.aggregation for v in metric.variables] == ["only_first_replica", "sum"]
    metric.reset_state()
    assert [float(v) for v in metric.variables] == [0.0, 0.0]


def test_variables_are_created_by_initializers_and_dtypes():
    metric = metrics.Mean(dtype="float64")
    assert metric.total.dtype == torch.float64 and metric.dtype == "float64"
    custom = BinaryTruePositives()
    ones = custom.add_variable(shape=(2, 3), initializer="ones", dtype="int32", aggregation=None, name="ones")
    assert ones.dtype == torch.int32 and ones.tolist() == [[1] * 3] * 2 and ones.aggregation == "none"
    seeded = custom.add_variable((4,), tkl.initializers.RandomNormal(seed=1), aggregation="mean")
    assert seeded.path == "binary_true_positives/variable_2" and seeded.shape == (4,)
    weight = custom.add_weight(shape=(), initializer=lambda shape, dtype: torch.full(shape, 7.0, dtype=dtype))
    assert float(weight) == 7.0 and len(custom.variables) == 4


def test_add_variable_errors():
    metric = BinaryTruePositives()
    before = list(metric.variables)
    with pytest.raises(ValueError, match=r"Metric \"binary_true_positives\" \(BinaryTruePositives\): Invalid value for "
                                         r"argument `aggregation` of variable 'v'. Expected one of `None`, `'none'`, "
                                         r"`'mean'`, `'sum'`, `'only_first_replica'`. Received: aggregation='max'"):
        metric.add_variable((), "zeros", aggregation="max", name="v")
    with pytest.raises(ValueError, match="Argument `name` must be a string and cannot contain character `/`"):
        metric.add_variable((), "zeros", name="a/b")
    with pytest.raises(ValueError, match=r"the shape of variable 'v' must be a tuple of non-negative integers"):
        metric.add_variable((-1,), "zeros", name="v")
    with pytest.raises(ValueError, match="variable 'v' needs an initializer"):
        metric.add_variable((), None, name="v")
    with pytest.raises(ValueError, match="Unknown initializer name 'zeroes'"):
        metric.add_variable((), "zeroes", name="v")
    assert metric.variables == before  # nothing half-added

    class Forgetful(metrics.Metric):
        def __init__(self):
            self.total = self.add_variable((), "zeros")

    with pytest.raises(RuntimeError, match=r"Forgetful: you forgot to call `super\(\).__init__\(\)`"):
        Forgetful()


def test_stateless_calls_leave_the_state_unchanged():
    metric = metrics.Mean()
    metric.update_state(torch.tensor([1.0, 3.0]))
    total, count = [v.clone() for v in metric.variables]
    new_state = metric.stateless_update_state([torch.tensor(10.0), torch.tensor(2.0)], torch.tensor([6.0]))
    assert [float(v) for v in new_state] == [16.0, 3.0]
    assert float(metric.stateless_result(new_state)) == pytest.approx(16 / 3)
    assert [float(v) for v in metric.stateless_reset_state()] == [0.0, 0.0]
    assert float(metric.total) == float(total) and float(metric.count) == float(count)
    assert float(metric.result()) == 2.0
    with pytest.raises(ValueError, match=r"Argument `metric_variables` must be a list of tensors corresponding 1:1 "
                                         r"to Mean\(\).variables. Received list with length 1, but expected 2"):
        metric.stateless_result([torch.tensor(1.0)])


def test_copies_and_pickles_keep_the_variable_api():
    metric = metrics.AUC(num_thresholds=5)
    metric.update_state(torch.tensor([0.0, 1.0]), torch.tensor([0.3, 0.8]))
    for clone in (copy.deepcopy(metric), pickle.loads(pickle.dumps(metric))):
        assert all(is_annotated(v) for v in clone.variables)
        assert [v.aggregation for v in clone.variables] == ["sum"] * 4
        assert float(clone.result()) == float(metric.result())
        clone.true_positives.assign(torch.zeros(5))
        assert float(metric.true_positives.sum()) > 0  # the original is untouched


def test_state_follows_the_device_of_the_data():
    metric = metrics.Precision()
    tp = metric.true_positives
    # Tensors that torch cannot move in place (here to "meta") are replaced in the metric.
    metric.update_state(torch.ones(2, 1, device="meta"), torch.ones(2, 1, device="meta"))
    assert metric.true_positives.device.type == "meta" and metric.true_positives is not tp
    assert metric.true_positives.path == "precision/true_positives" and metric.variables[0] is metric.true_positives
    assert metric.false_positives.device.type == "meta" and metric.result().device.type == "meta"
    assert is_annotated(metric.true_positives) and metric.true_positives.aggregation == "sum"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_state_moves_to_cuda_in_place_and_updates_without_host_sync():
    metric = metrics.AUC()
    tp = metric.true_positives
    y_true = torch.tensor([0.0, 1.0, 1.0], device="cuda")
    y_pred = torch.tensor([0.2, 0.7, 0.4], device="cuda")
    torch.cuda.set_sync_debug_mode("error")
    try:
        metric.update_state(y_true, y_pred)
        result = metric.result()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert metric.true_positives is tp and tp.device.type == "cuda" and result.device.type == "cuda"
    assert float(result) == pytest.approx(0.5 + 0.5 * 0.5, abs=0.02)


# -------------------------------------------------------------- namespace
def test_get_serialize_deserialize():
    assert metrics.get(None) is None
    assert isinstance(metrics.get("auc"), metrics.AUC) and isinstance(metrics.get("mae"), metrics.MeanAbsoluteError)
    assert isinstance(metrics.get("f1_score"), metrics.F1Score) and isinstance(metrics.get("rmse"), metrics.RootMeanSquaredError)
    assert metrics.get("huber") is metrics.huber  # functions of the namespace by name
    assert isinstance(metrics.get(metrics.Recall), metrics.Recall)
    entry = metrics.serialize(metrics.Precision(thresholds=[0.3, 0.6], name="p"))
    assert entry == {"module": "keras.metrics", "class_name": "Precision", "registered_name": None,
                     "config": {"name": "p", "dtype": "float32", "thresholds": [0.3, 0.6], "top_k": None,
                                "class_id": None}}
    assert metrics.deserialize(entry).thresholds == [0.3, 0.6]
    assert metrics.serialize(metrics.binary_accuracy)["config"] == "binary_accuracy"
    assert metrics.deserialize(metrics.serialize(metrics.binary_accuracy)) is metrics.binary_accuracy
    wrapper = metrics.MeanMetricWrapper(tkl.losses.huber, name="h", delta=0.5)
    again = metrics.deserialize(metrics.serialize(wrapper))
    assert again._fn is tkl.losses.huber and again._fn_kwargs == {"delta": 0.5} and again.name == "h"
    with pytest.raises(ValueError, match=r"Unknown metric 'aucc'. Did you mean 'auc'\?"):
        metrics.get("aucc")
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 3"):
        metrics.get(3)


def test_registered_metrics_and_functions():
    @tkl.saving.register_serializable(package="test_metrics")
    def within_tenth(y_true, y_pred):
        return ((y_pred - y_true).abs() < 0.1).float().mean(dim=-1)

    wrapper = metrics.MeanMetricWrapper(within_tenth)
    assert wrapper.get_config()["fn"]["config"] == "test_metrics>within_tenth"
    assert metrics.MeanMetricWrapper.from_config(wrapper.get_config())._fn is within_tenth
    assert metrics.get("test_metrics>within_tenth") is within_tenth

    @tkl.saving.register_serializable(package="test_metrics")
    class Count(BinaryTruePositives):
        pass

    entry = metrics.serialize(Count(name="c"))
    assert entry["registered_name"] == "test_metrics>Count" and isinstance(metrics.deserialize(entry), Count)


def test_compile_resolves_keras_metric_names():
    rng = np.random.default_rng(0)
    x = rng.random((48, 3)).astype("float32")
    y = (x.sum(1, keepdims=True) > 1.5).astype("float32")
    model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", loss="huber", metrics=["auc", "precision", "recall", "binary_accuracy", "mse",
                                                  metrics.F1Score(threshold=0.5)])
    results = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert list(results) == ["loss", "auc", "precision", "recall", "binary_accuracy", "mse", "f1_score"]
    pred = torch.tensor(model.predict(x, verbose=0))
    target = torch.tensor(y)
    for name, metric in [("auc", metrics.AUC()), ("precision", metrics.Precision()), ("recall", metrics.Recall()),
                         ("binary_accuracy", metrics.BinaryAccuracy()), ("mse", metrics.MeanSquaredError())]:
        for start in range(0, 48, 16):
            metric.update_state(target[start:start + 16], pred[start:start + 16])
        assert results[name] == pytest.approx(float(metric.result()), rel=1e-5, abs=1e-6), name
    assert results["loss"] == pytest.approx(float(tkl.losses.Huber()(target, pred)), rel=1e-5)


# --------------------------------------------------------- distributed runs
def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _metrics_for(rank, world):
    """Each process sees its share of the same data set."""
    rng = np.random.default_rng(0)
    y_true = torch.tensor((rng.random((40, 1)) > 0.5).astype("float32"))
    y_pred = torch.tensor(rng.random((40, 1)).astype("float32"))
    created = [metrics.AUC(num_thresholds=50), metrics.Mean(), metrics.MeanIoU(num_classes=2), Composite(),
               metrics.R2Score()]
    part = slice(rank, None, world)
    created[0].update_state(y_true[part], y_pred[part])
    created[1].update_state(y_pred[part])
    created[2].update_state(y_true[part].long(), (y_pred[part] > 0.5).long())
    created[3].update_state(y_true[part], (y_pred[part] > 0.5).float())
    created[4].update_state(y_true[part], y_pred[part])
    return created


def _global_worker(rank, world, port, results):
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world,
                            timeout=datetime.timedelta(seconds=60))
    try:
        created = _metrics_for(rank, world)
        local = [m.result().clone() for m in created]
        results[rank] = [r.tolist() for r in metrics.global_results(created)]
        assert all(torch.equal(a, m.result()) for a, m in zip(local, created))  # state unchanged
        dist.barrier()
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()), reason="needs torch.distributed with gloo")
def test_global_results_combine_the_processes(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    # One process over all the data: summed counts, process 0's call count (one update
    # on each process, as in one process), so every global result equals it.
    expected = [m.result().tolist() for m in _metrics_for(0, 1)]
    world = 2
    with mp.Manager() as manager:
        results = manager.dict()
        mp.start_processes(_global_worker, args=(world, _free_port(), results), nprocs=world, start_method="spawn",
                           join=True)
        gathered = dict(results)
    for rank in range(world):
        for got, want in zip(gathered[rank], expected):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_global_results_outside_a_distributed_run_are_the_local_ones():
    created = _metrics_for(0, 1)
    assert not dist.is_initialized()
    assert [r.tolist() for r in metrics.global_results(created)] == [m.result().tolist() for m in created]


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("make, error, pattern", [
    (lambda: metrics.Mean(name=3), TypeError, "Mean: name must be a string, received 3"),
    (lambda: metrics.Mean(dtype="float33"), ValueError, "Invalid dtype of Mean"),
    (lambda: metrics.BinaryAccuracy(threshold="0.5"), ValueError, "BinaryAccuracy: `threshold` must be a finite number"),
    (lambda: metrics.TopKCategoricalAccuracy(k=0), ValueError, "`k` must be an integer >= 1, received k=0"),
    (lambda: metrics.SparseTopKCategoricalAccuracy(from_sorted_ids=1), TypeError, "`from_sorted_ids` must be True or False"),
    (lambda: metrics.Precision(thresholds=[0.5, 1.5]), ValueError, r"Threshold values must be in \[0, 1\]. Received: \[1.5\]"),
    (lambda: metrics.Recall(top_k=0), ValueError, "Recall: `top_k` must be an integer >= 1 or None"),
    (lambda: metrics.TruePositives(thresholds="half"), ValueError, r"Threshold values must be in \[0, 1\]"),
    (lambda: metrics.SensitivityAtSpecificity(1.5), ValueError, r"Argument `specificity` must be in the range \[0, 1\]"),
    (lambda: metrics.PrecisionAtRecall(0.5, num_thresholds=0), ValueError, "Argument `num_thresholds` must be an integer > 0"),
    (lambda: metrics.AUC(num_thresholds=1), ValueError, "Argument `num_thresholds` must be an integer > 1"),
    (lambda: metrics.AUC(curve="ROCK"), ValueError, r'Invalid AUC curve value: "ROCK". Expected values are \["PR", "ROC", "PRGAIN"\]'),
    (lambda: metrics.AUC(summation_method="mean"), ValueError, "Invalid AUC summation method value"),
    (lambda: metrics.AUC(num_labels=3), ValueError, "`num_labels` is needed only when `multi_label` is True"),
    (lambda: metrics.FBetaScore(beta=1), ValueError, "Invalid `beta` argument value. It should be a Python float"),
    (lambda: metrics.FBetaScore(beta=-1.0), ValueError, "Invalid `beta` argument value. It should be > 0"),
    (lambda: metrics.F1Score(average="mean"), ValueError, "Invalid `average` argument value"),
    (lambda: metrics.F1Score(threshold=1.5), ValueError, "It should verify 0 < threshold <= 1"),
    (lambda: metrics.R2Score(class_aggregation="sum"), ValueError, "Invalid value for argument `class_aggregation`"),
    (lambda: metrics.R2Score(num_regressors=-1), ValueError, "`num_regressors` must be an integer >= 0"),
    (lambda: metrics.IoU(3, [0, 3]), ValueError, r"Target class id 3 is out of range, which is \[0, 3\)"),
    (lambda: metrics.IoU(3, []), ValueError, "`target_class_ids` must be a non-empty list of class ids"),
    (lambda: metrics.MeanIoU(num_classes=0), ValueError, "`num_classes` must be an integer >= 1"),
    (lambda: metrics.CosineSimilarity(axis="last"), ValueError, "CosineSimilarity: `axis` must be of type `int`"),
    (lambda: metrics.MeanMetricWrapper(3), TypeError, "MeanMetricWrapper: fn must be a callable"),
])
def test_argument_errors(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def test_input_errors_leave_the_state_unchanged():
    f1 = metrics.F1Score()
    with pytest.raises(ValueError, match=r"F1Score expects 2D inputs with shape \(batch_size, output_dim\)"):
        f1.update_state(torch.ones(3), torch.ones(3))
    assert f1.variables == [] and not f1._built
    f1.update_state(torch.eye(3), torch.eye(3))
    state = [v.clone() for v in f1.variables]
    with pytest.raises(ValueError, match=r"F1Score received y_true.shape=\(2, 4\)"):
        f1.update_state(torch.ones(2, 4), torch.ones(2, 4))
    assert all(torch.equal(a, b) for a, b in zip(state, f1.variables))
    precision = metrics.Precision(class_id=5)
    with pytest.raises(ValueError, match="class_id=5 is out of range for predictions with 3 classes"):
        precision.update_state(torch.ones(2, 3), torch.ones(2, 3))
    with pytest.raises(ValueError, match="When class_id is provided, y_pred must be a 2D array"):
        metrics.Recall(class_id=0).update_state(torch.ones(3), torch.ones(3))
    with pytest.raises(ValueError, match=r"y_true and y_pred must have the same shape.*\(2, 3\).*\(2, 4\)"):
        metrics.AUC().update_state(torch.ones(2, 3), torch.ones(2, 4))
    assert float(precision.true_positives.sum()) == 0.0
    with pytest.raises(ValueError, match=r"`y_pred` must have rank 2 when `multi_label=True`"):
        metrics.AUC(multi_label=True).update_state(torch.ones(3), torch.ones(3))
    with pytest.raises(ValueError, match="R2Score expects 2D inputs"):
        metrics.R2Score().update_state(torch.ones(2, 2, 2), torch.ones(2, 2, 2))
    with pytest.raises(ValueError, match="must hold the same number of class ids, received 3 and 2"):
        metrics.MeanIoU(2).update_state(torch.ones(3), torch.ones(2))


def test_from_config_errors_name_the_class():
    with pytest.raises(TypeError, match=r"AUC.from_config could not create the object from .*'curves'"):
        metrics.AUC.from_config({"curves": "PR"})
    with pytest.raises(TypeError, match=r"MeanMetricWrapper.from_config could not create"):
        metrics.MeanMetricWrapper.from_config({"name": "m"})


def test_adjusted_r2_warns_like_keras():
    metric = metrics.R2Score(num_regressors=5)
    metric.update_state(torch.tensor([[1.0], [2.0], [4.0]]), torch.tensor([[1.0], [2.5], [3.0]]))
    with pytest.warns(UserWarning, match="More independent predictors than datapoints in adjusted R2 score"):
        metric.result()
