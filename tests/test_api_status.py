"""``scripts/api_status.py``: the Keras API coverage table and its ``--check`` guard.
Skipped without Keras (the reference of the listed names)."""

import importlib.util
from pathlib import Path

import pytest

from keras_reference import import_keras

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def api_status():
    import_keras()
    spec = importlib.util.spec_from_file_location("api_status", ROOT / "scripts" / "api_status.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_keras_op_is_supported(api_status, capsys):
    assert api_status.main(["ops", "--check"]) == 0
    out = capsys.readouterr().out
    assert "| `mean` | supported |" in out and "| `image.resize` | supported |" in out
    assert "0 missing" in out.splitlines()[0]


def test_check_fails_on_missing_names_and_lists_them(api_status, capsys):
    rows = api_status.status_rows("layers")
    assert ("Dense", "supported") in rows
    assert ("StringLookup", "string tensors have no torch equivalent") in rows
    if all(status != api_status.MISSING for _, status in rows):
        pytest.skip("tkl.layers covers keras.layers in this checkout")
    assert api_status.main(["layers", "--check"]) == 1
    assert "missing from torch_keraslike.layers:" in capsys.readouterr().err


# Layers another branch is adding (recurrent/attention family, Masking, TorchModuleWrapper):
# the only names allowed to be missing. Once they land, the set of missing names is empty
# and this test keeps it so.
IN_FLIGHT_LAYERS = {
    "RNN", "SimpleRNN", "LSTMCell", "GRUCell", "SimpleRNNCell", "StackedRNNCells", "Bidirectional",
    "TimeDistributed", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Attention", "AdditiveAttention",
    "GroupQueryAttention", "Masking", "TorchModuleWrapper",
}


def test_every_keras_layer_is_supported_or_explained(api_status):
    rows = dict(api_status.status_rows("layers"))
    missing = {name for name, status in rows.items() if status == api_status.MISSING}
    assert missing <= IN_FLIGHT_LAYERS, f"missing from tkl.layers: {sorted(missing - IN_FLIGHT_LAYERS)}"
    for name in ("StringLookup", "TextVectorization", "JaxLayer", "FlaxLayer", "TFSMLayer"):
        assert rows[name] not in (api_status.SUPPORTED, api_status.MISSING), name
    for name in ("Input", "InputLayer", "serialize", "deserialize", "IntegerLookup", "RandAugment", "Pipeline"):
        assert rows[name] == api_status.SUPPORTED, name


def test_write_replaces_only_the_table_between_the_markers(api_status, tmp_path):
    page = tmp_path / "page.md"
    page.write_text("intro\n<!-- api-status:ops -->\nold table\n<!-- /api-status:ops -->\noutro\n")
    assert api_status.main(["ops", "--write", str(page)]) == 0
    text = page.read_text()
    assert text.startswith("intro\n<!-- api-status:ops -->\n`keras.ops`:")
    assert text.endswith("<!-- /api-status:ops -->\noutro\n") and "old table" not in text
    page.write_text("no markers\n")
    with pytest.raises(SystemExit, match="has no <!-- api-status:ops --> ... <!-- /api-status:ops --> markers"):
        api_status.main(["ops", "--write", str(page)])


@pytest.mark.parametrize("namespace", ["ops", "layers"])
def test_the_readme_table_is_current(api_status, namespace):
    table = api_status.markdown(namespace, api_status.status_rows(namespace))
    readme = (ROOT / "README.md").read_text()
    assert f"<!-- api-status:{namespace} -->\n{table}\n<!-- /api-status:{namespace} -->" in readme, (
        f"README.md's {namespace} table is stale: run python scripts/api_status.py {namespace} --write README.md")


def test_unknown_namespace_is_a_clear_error(api_status):
    with pytest.raises(SystemExit, match="keras has no namespace 'nonexistent'"):
        api_status.main(["nonexistent"])


@pytest.mark.parametrize("namespace", ["losses", "metrics", "activations", "initializers", "regularizers",
                                       "constraints", "models", "tree"])
def test_every_keras_name_of_the_namespace_is_supported(api_status, namespace):
    missing = [name for name, status in api_status.status_rows(namespace) if status == api_status.MISSING]
    assert missing == []


def test_top_level_names_are_supported_or_explained(api_status):
    rows = dict(api_status.status_rows("keras"))
    for name in ("Loss", "Metric", "Initializer", "Regularizer", "name_scope", "device", "version", "tree", "losses",
                 "metrics", "models", "Input", "layers"):
        assert rows[name] == api_status.SUPPORTED, name
    assert rows["Variable"].startswith("weights are torch Parameters")
    assert api_status.markdown("keras", list(rows.items())).startswith("`keras`: ")
