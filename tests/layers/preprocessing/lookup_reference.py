"""Keras 3's outputs of its TensorFlow-backed layers (``Hashing``, ``HashedCrossing``,
``IntegerLookup``), recorded by ``make_lookup_golden.py`` in ``data/lookup_golden.json``:
the reference of the parity tests, which need neither Keras nor TensorFlow."""

import json
from pathlib import Path

GOLDEN = json.loads((Path(__file__).parent / "data" / "lookup_golden.json").read_text())
