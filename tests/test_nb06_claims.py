"""The claims notebook 06's prose makes, checked against the outputs stored in the notebook.

The notebook is committed with the outputs of a clean run (nbval re-executes it and compares), so
these tests read its two result tables — cells tagged ``nonneg-results`` and ``fold-in-curve`` —
and hold the claims with tolerances, without training anything.
"""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, read_notebook

NOTEBOOK = ROOT / "notebooks" / "06_nonnegative_and_cold_start.ipynb"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def tagged_outputs(tag: str) -> tuple[str, str]:
    """(stdout, text/plain of the displayed table) of the cell tagged ``tag``."""
    cells = [c for c in read_notebook(NOTEBOOK)["cells"] if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r} in {NOTEBOOK.name}"
    outputs = cells[0]["outputs"]
    stdout = "".join("".join(o["text"]) for o in outputs if o.get("name") == "stdout")
    tables = ["".join(o["data"]["text/plain"]) for o in outputs if o["output_type"] == "execute_result"]
    assert tables, f"the cell tagged {tag!r} shows no table: re-run the notebook"
    return stdout, tables[0]


def parse_table(text: str, columns: list[str]) -> dict[str, dict[str, float]]:
    """Rows of a DataFrame's text: {index label: {column: value}}, columns checked by name."""
    lines = text.splitlines()
    header = lines[0]
    positions = [header.find(name) for name in columns]
    assert -1 not in positions and positions == sorted(positions), (
        f"the table's columns changed: expected {columns} in this order, got {header.strip()!r}")
    rows = {}
    for line in lines[2:]:
        label, *values = line.split()
        assert len(values) == len(columns), f"cannot read the row {line!r}"
        rows[label] = dict(zip(columns, map(float, values)))
    return rows


@pytest.fixture(scope="module")
def nonneg():
    _, table = tagged_outputs("nonneg-results")
    return parse_table(table, ["test RMSE", "test MAE", "negative entries", "entries exactly 0"])


@pytest.fixture(scope="module")
def curve():
    stdout, table = tagged_outputs("fold-in-curve")
    rows = parse_table(table, ["rating fold-in RMSE", "ranking fold-in NDCG@10", "rating fold-in NDCG@10"])
    fallback = float(re.search(r"fallback RMSE (\S+)", stdout).group(1))
    popularity = float(re.search(r"popularity NDCG@10 (\S+)", stdout).group(1))
    return {int(n): row for n, row in rows.items()}, fallback, popularity


def test_nonneg_costs_almost_no_accuracy(nonneg):
    assert set(nonneg) == {"free", "nonneg", "softplus"}
    assert nonneg["free"]["test RMSE"] < 0.93  # a sound model to compare with
    assert abs(nonneg["nonneg"]["test RMSE"] - nonneg["free"]["test RMSE"]) < 0.01
    assert abs(nonneg["nonneg"]["test MAE"] - nonneg["free"]["test MAE"]) < 0.01


def test_softplus_is_the_weaker_route(nonneg):
    assert nonneg["softplus"]["test RMSE"] > nonneg["nonneg"]["test RMSE"] + 0.01


def test_signs_and_exact_zeros(nonneg):
    assert nonneg["free"]["negative entries"] > 0.3
    assert nonneg["nonneg"]["negative entries"] == 0 == nonneg["softplus"]["negative entries"]
    assert nonneg["nonneg"]["entries exactly 0"] > 0.2  # "a large share ... exactly zero"
    assert nonneg["softplus"]["entries exactly 0"] == 0


def test_every_rating_improves_the_predicted_stars(curve):
    rows, fallback, _ = curve
    assert sorted(rows) == [1, 2, 3, 5, 10, 20]
    rmses = [rows[n]["rating fold-in RMSE"] for n in sorted(rows)]
    assert all(value < fallback for value in rmses)
    assert all(later < earlier for earlier, later in zip(rmses, rmses[1:]))
    assert rmses[-1] < fallback - 0.05  # "20 ratings take it well below the fallback"


def test_ranking_fold_in_beats_popularity_from_five_ratings(curve):
    rows, _, popularity = curve
    assert all(rows[n]["ranking fold-in NDCG@10"] > popularity for n in (5, 10, 20))
    assert rows[20]["ranking fold-in NDCG@10"] > 1.2 * popularity  # "the lead grows"
    assert rows[1]["ranking fold-in NDCG@10"] < popularity  # one rating is not enough


def test_ranking_by_predicted_stars_never_beats_popularity(curve):
    rows, _, popularity = curve
    assert all(row["rating fold-in NDCG@10"] < popularity for row in rows.values())
