"""The Keras 3 programs in examples/port_from_keras/ run unchanged except for their import
line: as written (torch_keraslike), and with that one line switched back to
``import keras`` under Keras 3's torch backend (skipped without Keras)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).resolve().parent.parent / "examples" / "port_from_keras"
OURS = "import torch_keraslike as keras\n"


def run(path, *args):
    env = dict(os.environ, KERAS_BACKEND="torch", PYTHONWARNINGS="ignore")
    result = subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True,
                            timeout=300, env=env, cwd=path.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name, check", [
    ("gan.py", "generated radius"),
    ("vae.py", "latent codes of 5 samples: shape (5, 2)"),
    ("text_classifier.py", "padding-invariant predictions: True"),
])
def test_program_runs_as_ported_and_as_keras(tmp_path, name, check):
    source = (PROGRAMS / name).read_text()
    imports = [line for line in source.splitlines() if "torch_keraslike" in line
               and line.lstrip().startswith(("import ", "from "))]
    assert imports == [OURS.strip()]  # the one line that differs from the Keras program
    assert check in run(PROGRAMS / name, "--epochs", "2")
    pytest.importorskip("keras", reason="Keras 3 is an optional test dependency: pip install keras==3.15.1")
    original = tmp_path / name
    original.write_text(source.replace(OURS, "import keras\n"))
    assert check in run(original, "--epochs", "2")
