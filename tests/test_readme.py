"""The READMEs: generated tables, working links, the glossary the notebooks link to, real figures."""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import NOTEBOOKS, ROOT, load_tool

update_readme = load_tool("update_readme")
export_figures = load_tool("export_figures")
README = ROOT / "README.md"
ROUTE = ROOT / "notebooks" / "README.md"
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
ANCHOR = re.compile(r'<a id="(?P<id>[a-z0-9-]+)"></a>')

# metrics.json as helpers.benchmark writes it (trimmed)
METRICS = {
    "data": {"train": 80000, "test": 20000},
    "models": {
        "global_mean": {"kind": "rating", "fit_seconds": 0.01, "params": 1, "rmse": 1.1254,
                        "mae": 0.9435},
        "tuned_mf": {"kind": "rating+ranking", "fit_seconds": 3.456, "params": 70000,
                     "rmse": 0.9012, "mae": 0.7101, "precision@10": 0.21, "recall@10": 0.12,
                     "ndcg@10": 0.25, "hit_rate@10": 0.8, "coverage": 0.1, "users": 900},
        "popularity": {"kind": "ranking", "fit_seconds": 0.0, "params": 0, "precision@10": 0.2,
                       "recall@10": 0.1, "ndcg@10": 0.22, "hit_rate@10": 0.75, "coverage": 0.05,
                       "users": 900},
    },
    "best_rating_model": "tuned_mf",
    "best_ranking_model": "tuned_mf",
}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_header_has_the_rows_the_route_table_needs(path):
    header = update_readme.notebook_header(path)
    assert re.match(r"\d\d · \S", header["title"]), f"{path.name}: title must read 'NN · Title'"
    assert all(header[key].strip() for key in ("learn", "time", "prerequisites"))
    assert re.search(r"\d+ min", header["time"]), f"{path.name}: Time should say minutes"


def test_series_table_links_every_notebook():
    table = update_readme.series_table(NOTEBOOKS, link_prefix="notebooks/")
    assert table.count("\n") == len(NOTEBOOKS) + 1
    for path in NOTEBOOKS:
        assert f"](notebooks/{path.name})" in table


def test_links_in_headers_are_rewritten_for_the_top_level_readme(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# 09 · Test\n\n| | |\n|---|---|\n| **You will learn** | [embeddings](README.md#embedding)"
        " and [the web](https://example.org) |\n| **Time** | 5 min |\n"
        "| **Prerequisites** | [01](01_a.ipynb) |")])
    nbformat.write(notebook, tmp_path / "09_test.ipynb")
    table = update_readme.series_table([tmp_path / "09_test.ipynb"], link_prefix="notebooks/")
    assert "[embeddings](notebooks/README.md#embedding)" in table
    assert "(https://example.org)" in table and "[01](notebooks/01_a.ipynb)" in table
    assert "](README.md#embedding)" in update_readme.series_table([tmp_path / "09_test.ipynb"])


def test_a_header_without_time_is_a_clear_error(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# 09 · Test\n\n| | |\n|---|---|\n| **You will learn** | a |\n| **Prerequisites** | b |")])
    nbformat.write(notebook, tmp_path / "09_test.ipynb")
    with pytest.raises(ValueError, match=r"no '\| \*\*Time\*\*"):
        update_readme.notebook_header(tmp_path / "09_test.ipynb")


def test_results_table_from_benchmark_metrics():
    table = update_readme.results_table(METRICS)
    lines = table.splitlines()
    assert lines[0].startswith("| Model | kind | RMSE | MAE | NDCG@10 | precision@10 |")
    assert lines[0].rstrip().endswith("| parameters | fit time (s) |")
    assert "| **tuned_mf** | rating + ranking | 0.9012 | 0.7101 |" in table
    assert "| global_mean | rating | 1.1254 | 0.9435 | — |" in table  # rating model: no ranking cells
    assert "| popularity | ranking | — | — | 0.2200 | 0.2000 |" in table
    assert "users" not in lines[0] and "| 3.46 |" in table and "70,000" in table
    assert table.endswith("Best rating model: **tuned_mf**; best ranking model: **tuned_mf**.")


def test_results_table_rejects_empty_metrics():
    with pytest.raises(ValueError, match="no models"):
        update_readme.results_table({"models": {}})


def test_replace_block_rewrites_only_the_block():
    text = "a\n<!-- results:start -->\nold\n<!-- results:end -->\nb\n"
    assert (update_readme.replace_block(text, "results", "new")
            == "a\n<!-- results:start -->\nnew\n<!-- results:end -->\nb\n")
    with pytest.raises(ValueError, match="expected one"):
        update_readme.replace_block("no markers", "results", "new")


def test_readmes_have_their_generated_blocks():
    readme, route = README.read_text(encoding="utf-8"), ROUTE.read_text(encoding="utf-8")
    for name in ("series", "results"):
        update_readme.replace_block(readme, name, "")  # raises if the block is missing
    update_readme.replace_block(route, "series", "")


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("readme", [README, ROUTE], ids=["README.md", "notebooks/README.md"])
def test_relative_links_and_images_exist(readme):
    text = readme.read_text(encoding="utf-8")
    anchors = set(ANCHOR.findall(text)) | {github_slug(heading) for heading in
                                           re.findall(r"^#+ (.+)$", text, re.MULTILINE)}
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, fragment = target.partition("#")
        if not path:
            assert fragment in anchors, f"{readme.name}: no anchor #{fragment}"
            continue
        resolved = (readme.parent / path).resolve()
        if path.startswith("notebooks/") or readme == ROUTE and path.endswith(".ipynb"):
            continue  # the series tables link notebooks that may not have landed in a checkout yet
        assert resolved.exists(), f"{readme.name} links to {target}, which does not exist"
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        data = (readme.parent / image).read_bytes()
        assert data.startswith(b"\x89PNG"), f"{image} is not a PNG"


def test_glossary_links_in_notebooks_resolve():
    anchors = set(ANCHOR.findall(ROUTE.read_text(encoding="utf-8")))
    assert {"embedding", "latent-factor", "bias", "regularization", "rmse", "mae", "ndcg",
            "precision-at-k", "recall-at-k", "hit-rate", "coverage", "cold-start", "fold-in",
            "implicit-feedback", "non-negative-mf"} <= anchors
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            for fragment in re.findall(r"\(README\.md#([^)\s]+)\)", cell.source):
                assert fragment in anchors, f"{path.name} links to README.md#{fragment}: no such term"


def test_readme_figures_export_from_the_notebooks(tmp_path):
    available = {name: spec for name, spec in export_figures.FIGURES.items()
                 if (ROOT / "notebooks" / spec[0]).exists()}
    written = export_figures.export(available, out=tmp_path)
    assert [p.name for p in written] == [f"{name}.png" for name in available]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in written)
    for name in export_figures.FIGURES:
        assert (ROOT / "docs" / "figures" / f"{name}.png").exists(), "run tools/export_figures.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_header_states_the_reading_time_the_formula_gives(path):
    reading_time = load_tool("reading_time")
    header = nbformat.read(path, as_version=4).cells[0].source
    assert reading_time.time_row(path) in header, (
        f"{path.name}: the Time row is not what tools/reading_time.py computes: run it")
