"""Recorded values: the numbers a notebook's claims rest on, stored where tests can read them.

A cell that computes a number the prose or a test relies on calls ``record("name", value)``. The
value travels in the cell's output under a machine-readable MIME type (``MIME``), which
JupyterLab and GitHub do not draw, so the reader sees only what the cell prints. The tests read
the committed notebooks' records with ``read_records`` and hold every claim to them; no test
parses printed sentences. (Microsoft Recommenders' ``store_metadata`` and scrapbook's ``glue``
work the same way.)
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

MIME = "application/vnd.mf-series.record+json"


def _plain(value):
    """``value`` as plain JSON types: NumPy scalars and arrays become floats, ints and lists."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(item) for item in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise ValueError(f"cannot record {value!r}: only finite numbers can be recorded")
        return float(value)
    if isinstance(value, str) or value is None:
        return value
    raise TypeError(f"cannot record a {type(value).__name__}: record numbers, strings, lists or dicts")


def record(name: str | None = None, value=None, **values) -> None:
    """Record ``value`` under ``name`` (or several as keywords) in this cell's output."""
    if name is not None:
        values = {name: value, **values}
    if not values:
        raise ValueError("record what? call record('name', value) or record(name=value, ...)")
    from IPython.display import display

    display({MIME: _plain(values), "text/plain": ""}, raw=True)


def read_records(notebook: str | Path) -> dict:
    """Every value recorded in ``notebook``'s committed outputs, by name (a later record wins)."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    found = {}
    for cell in cells:
        for output in cell.get("outputs", []):
            found.update(output.get("data", {}).get(MIME, {}))
    return found
