"""Shared fixtures: a small synthetic ratings table for fast unit tests, and the real data."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")  # unit tests draw off-screen; notebooks (nbval) keep the inline backend

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def synthetic_ratings(n_users: int = 30, n_items: int = 40, k: int = 3, density: float = 0.4,
                      seed: int = 0) -> pd.DataFrame:
    """Ratings from a known low-rank model, rounded to 1..5 stars: fast, and learnable."""
    rng = np.random.default_rng(seed)
    users = rng.normal(size=(n_users, k))
    items = rng.normal(size=(n_items, k))
    scores = 3.5 + users @ items.T / np.sqrt(k)
    mask = rng.random((n_users, n_items)) < density
    mask[np.arange(n_users), rng.integers(0, n_items, n_users)] = True  # every user rates
    user_index, item_index = np.nonzero(mask)
    return pd.DataFrame({
        "user_id": user_index + 101,  # ids that are not indices, as in real data
        "item_id": item_index + 1001,
        "rating": np.clip(np.round(scores[mask]), 1, 5).astype("float32"),
        "timestamp": rng.integers(880_000_000, 890_000_000, mask.sum()),
    })


@pytest.fixture(scope="session")
def synthetic() -> pd.DataFrame:
    return synthetic_ratings()


@pytest.fixture(scope="session")
def movielens() -> tuple[pd.DataFrame, pd.DataFrame]:
    from helpers.data import load_movielens_100k

    return load_movielens_100k()


def load_tool(name: str):
    """Import ``tools/<name>.py`` (the tools are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"tools_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def notebook_solutions(path: Path) -> dict[int, str]:
    """The code of each hidden ``<details><summary>Solution N</summary>`` block, by N."""
    import re

    block = re.compile(r"<details><summary>Solution (\d)</summary>\s*```python\n(.*?)```", re.DOTALL)
    markdown = "\n".join("".join(c["source"]) for c in read_notebook(path)["cells"]
                         if c["cell_type"] == "markdown")
    return {int(number): code for number, code in block.findall(markdown)}


def run_solution(code: str, namespace: dict) -> dict:
    """Execute a solution in a copy of ``namespace``; its own ``check`` call's result is dropped
    (the test checks the answer again itself)."""
    scope = dict(namespace)
    exec(code.replace("exercises.q", "_ = exercises.q"), scope)
    return scope
