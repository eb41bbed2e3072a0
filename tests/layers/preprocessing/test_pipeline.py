"""Pipeline and MaxNumBoundingBoxes."""

import json

import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras
from layer_testing import run_layer_test
from torch_keraslike import layers as L
from torch_keraslike.layers.preprocessing.bounding_boxes import MaxNumBoundingBoxes
from torch_keraslike.layers.preprocessing.pipeline import Pipeline


def test_pipeline_common():
    run_layer_test(Pipeline, {"layers": [L.Rescaling(0.5), L.RandomFlip(seed=1), L.AutoContrast()]},
                   (3, 6, 6, 3), (3, 6, 6, 3), training=True)


def test_pipeline_applies_layers_in_order_with_training_and_dicts():
    flip = L.RandomFlip("horizontal", seed=3)
    pipeline = Pipeline([L.Rescaling(1 / 255), flip])
    x = torch.rand(2, 4, 4, 3) * 255
    reference = L.RandomFlip("horizontal", seed=3)(x / 255, training=True)
    torch.testing.assert_close(pipeline(x, training=True), reference)
    torch.testing.assert_close(pipeline(x, training=False), x / 255)
    data = Pipeline([L.RandomFlip(seed=1), L.RandomContrast(0.2)])({"images": x, "labels": torch.tensor([0, 1])},
                                                                    training=True)
    assert sorted(data) == ["images", "labels"] and data["images"].shape == x.shape
    assert pipeline.layers[1] is flip and len(list(pipeline.children())) == 1


def test_pipeline_tracks_weights_and_configs():
    pipeline = Pipeline([L.Dense(3), L.Activation("relu")], name="pre")
    pipeline(torch.rand(2, 4))
    assert [k for k in pipeline.state_dict() if "extra" not in k] == [
        "pipeline_layers.0.kernel", "pipeline_layers.0.bias"]
    config = json.loads(json.dumps(pipeline.get_config()))
    clone = Pipeline.from_config(config)
    assert clone.name == "pre" and [type(layer).__name__ for layer in clone.layers] == ["Dense", "Activation"]
    with pytest.raises(ValueError, match="must contain a `layers` key mapping to a list of serialized layers"):
        Pipeline.from_config({"name": "x"})
    with pytest.raises(ValueError, match="`layers` must be a list of layers"):
        Pipeline(L.Dense(3))


def test_pipeline_config_matches_keras_format():
    keras = import_keras()
    theirs = keras.layers.Pipeline([keras.layers.Rescaling(0.5)]).get_config()
    ours = Pipeline([L.Rescaling(0.5)]).get_config()
    assert sorted(ours) == sorted(theirs) == ["layers", "name"]
    assert ours["layers"][0]["class_name"] == theirs["layers"][0]["class_name"] == "Rescaling"
    for layer_config in theirs["layers"]:  # Keras's DTypePolicy, by its name
        layer_config["config"]["dtype"] = "float32"
    clone = Pipeline.from_config(theirs)  # Keras's config loads here
    assert isinstance(clone.layers[0], L.Rescaling) and clone.layers[0].scale == 0.5


def test_pipeline_in_a_functional_model():
    inputs = tkl.Input((8, 8, 3))
    outputs = Pipeline([L.Rescaling(0.5), L.RandomContrast(0.2)])(inputs)
    assert outputs.shape == (None, 8, 8, 3)
    model = tkl.Model(inputs, outputs)
    model.eval()
    x = torch.rand(2, 8, 8, 3)
    torch.testing.assert_close(model(x), x * 0.5)


# ------------------------------------------------------- MaxNumBoundingBoxes
def _detection_data(boxes=2):
    return {"images": torch.rand(3, 8, 8, 3),
            "bounding_boxes": {"boxes": torch.rand(3, boxes, 4), "labels": torch.arange(3 * boxes).reshape(3, boxes)}}


def test_max_num_bounding_boxes_pads_and_truncates():
    data = _detection_data(2)
    out = MaxNumBoundingBoxes(4)(data)
    assert out["images"] is data["images"]
    assert out["bounding_boxes"]["boxes"].shape == (3, 4, 4) and out["bounding_boxes"]["labels"].shape == (3, 4)
    assert out["bounding_boxes"]["labels"][:, 2:].eq(-1).all() and out["bounding_boxes"]["boxes"][:, 2:].eq(-1).all()
    cut = MaxNumBoundingBoxes(1, fill_value=0)(data)
    assert torch.equal(cut["bounding_boxes"]["labels"], data["bounding_boxes"]["labels"][:, :1])
    single = MaxNumBoundingBoxes(3)({"images": torch.rand(8, 8, 3),
                                     "bounding_boxes": {"boxes": torch.rand(1, 4), "labels": torch.tensor([5])}})
    assert single["bounding_boxes"]["labels"].tolist() == [5, -1, -1]
    images = torch.rand(2, 4, 4, 3)
    assert torch.equal(MaxNumBoundingBoxes(2)(images), images)


def test_max_num_bounding_boxes_common_and_symbolic():
    run_layer_test(MaxNumBoundingBoxes, {"max_number": 2}, (2, 4, 4, 3), (2, 4, 4, 3))
    spec = MaxNumBoundingBoxes(5)({"images": tkl.Input((8, 8, 3)),
                                   "bounding_boxes": {"boxes": tkl.Input((None, 4)),
                                                      "labels": tkl.Input((None,), dtype="int64")}})
    assert spec["bounding_boxes"]["boxes"].shape == (None, 5, 4)
    assert spec["bounding_boxes"]["labels"].shape == (None, 5) and spec["bounding_boxes"]["labels"].dtype == torch.int64


def test_max_num_bounding_boxes_errors():
    layer = MaxNumBoundingBoxes(3)
    data = _detection_data()
    data["bounding_boxes"]["scores"] = torch.rand(3, 2)
    with pytest.raises(ValueError, match="'bounding_boxes' must be a dict with exactly the keys 'boxes' and "
                                         "'labels', received \\['boxes', 'labels', 'scores'\\]"):
        layer(data)
    assert not layer.built
    bad = {"images": torch.rand(3, 8, 8, 3), "bounding_boxes": {"boxes": torch.rand(3, 2, 5), "labels": torch.ones(3, 2)}}
    with pytest.raises(ValueError, match="expected boxes of shape \\(batch, num_boxes, 4\\)"):
        layer(bad)
    for kwargs, message in [({"max_number": 0}, "`max_number` must be a positive integer"),
                            ({"max_number": 2, "fill_value": 0.5}, "`fill_value` must be an integer")]:
        with pytest.raises(ValueError, match=message):
            MaxNumBoundingBoxes(**kwargs)


def test_max_num_bounding_boxes_matches_keras():
    keras = import_keras()
    data = _detection_data(2)
    theirs = keras.layers.MaxNumBoundingBoxes(4, bounding_box_format="xyxy")
    expected = theirs.transform_bounding_boxes({k: v.clone() for k, v in data["bounding_boxes"].items()}, None)
    got = MaxNumBoundingBoxes(4)(data)["bounding_boxes"]
    for key in ("boxes", "labels"):
        torch.testing.assert_close(got[key], expected[key].cpu().to(got[key].dtype))
    assert MaxNumBoundingBoxes(4).get_config()["max_number"] == theirs.get_config()["max_number"]
