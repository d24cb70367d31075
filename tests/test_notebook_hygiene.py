"""Every committed notebook is a clean top-to-bottom run that a reader can trust."""

from __future__ import annotations

import re

import nbformat
import pytest

from tools.notebook_tools import NOTEBOOKS, ROOT
from tools.notebook_tools import read as read_notebook

# absolute paths of this machine, home folders, temp folders
MACHINE_PATH = re.compile("(" + re.escape(str(ROOT.parent)) + "/|/root/|/home/[a-z]|/tmp/|site-packages)")


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_valid_notebook_format(path):
    """What Jupyter, nbval and the student copy read: the nbformat schema the file declares."""
    notebook = read_notebook(path)
    try:
        nbformat.validate(notebook)
        problem = None
    except nbformat.ValidationError as error:
        problem = error.message
    assert problem is None, (f"{path.name} (nbformat 4.{notebook.nbformat_minor}) is not a valid "
                             f"notebook: {problem} (a cell id needs nbformat 4.5)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executed_top_to_bottom(path):
    cells = read_notebook(path)["cells"]
    code = [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: execution counts {counts[:10]}… are not 1..N: run `make notebooks`")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_errors_or_machine_paths_in_outputs(path):
    for number, cell in enumerate(read_notebook(path)["cells"]):
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"{path.name} cell {number}: error output"
            assert output.get("name") != "stderr", f"{path.name} cell {number}: stderr output"
            text = str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", ""))
            assert not MACHINE_PATH.search(text), f"{path.name} cell {number}: a machine path"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_structure_follows_the_style(path):
    cells = read_notebook(path)["cells"]
    markdown = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    assert markdown[0].startswith("# "), f"{path.name}: first cell must be the H1 title"
    headings = [line for text in markdown for line in text.splitlines() if line.startswith("## ")]
    for required in ("## Setup", "## Summary", "## Exercises", "## Solutions"):
        assert any(h.startswith(required) for h in headings), f"{path.name}: no '{required}'"
    solution_headings = [c for c in cells if c["cell_type"] == "markdown"
                         and "solution" in c["metadata"].get("tags", [])
                         and "".join(c["source"]).startswith("### Solution ")]
    assert solution_headings, f"{path.name}: no '### Solution N' cell tagged 'solution'"
    assert all(c["metadata"].get("jp-MarkdownHeadingCollapsed") for c in solution_headings), (
        f"{path.name}: a solution heading is not collapsed (hidden until the learner opens it)")
    for c in cells:
        if c["cell_type"] == "code" and "solution" in c["metadata"].get("tags", []):
            assert c["metadata"].get("jupyter", {}).get("source_hidden"), f"{path.name}: solution code shown"
    assert path.stat().st_size < 3_000_000, f"{path.name} is over 3 MB: shrink its figures"


def test_claims_tests_read_records_not_printed_text():
    """Numbers a test holds come from recorded values (helpers.records), never from prose or prints."""
    for path in sorted((ROOT / "tests").glob("test_nb*_claims.py")):
        source = path.read_text(encoding="utf-8")
        uses_records = "read_records" in source or re.search(r"def \w+\([^)]*\brecords\b", source)
        assert uses_records, f"{path.name} reads neither the `records` fixture nor read_records"
        for printed in ('"stdout"', "'stdout'", "text/plain", "re.search(", "re.findall("):
            assert printed not in source, f"{path.name} parses printed output ({printed})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_has_four_checked_exercises_with_hints_in_steps(path):
    """At least four checked exercises (issue 15: a learner leaves able to do the thing), each
    with a cell in the notebook and at least two hints, a nudge before the stronger one."""
    import importlib

    from helpers.exercises import exercises_of

    module = importlib.import_module(f"helpers.exercises.nb{path.name[:2]}")
    checked = exercises_of(module)
    assert len(checked) >= 4, f"{path.name} has {len(checked)} checked exercises: write at least 4"
    cells = "\n".join(cell.source for cell in read_notebook(path).cells if cell.cell_type == "code")
    for number, exercise in checked.items():
        assert f"exercises.q{number}.check(" in cells, f"{path.name}: exercise {number} has no cell"
        assert len(exercise.hints) >= 2, f"{path.name}: exercise {number} has one hint, not steps"


EXERCISE_KINDS = ("*Predict, then verify.*", "*Build.*", "*Diagnose.*", "*Interpret.*")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_exercise_names_its_kind_and_the_kinds_are_mixed(path):
    """Each checked exercise's prompt (the markdown above its cell) names its kind, and a notebook
    mixes at least three of the four (CONTRIBUTING: what an exercise must do)."""
    prompt, kinds = "", {}
    for cell in read_notebook(path).cells:
        if "solution" in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "markdown":
            prompt = cell.source
            continue
        found = re.search(r"\bexercises\.q(\d+)\.check\(", cell.source)
        if found:
            named = [kind for kind in EXERCISE_KINDS if kind in prompt]
            assert len(named) == 1, f"{path.name}: exercise {found.group(1)} names {named or 'no kind'}"
            kinds[found.group(1)] = named[0]
    assert len(set(kinds.values())) >= 3, f"{path.name}: only {sorted(set(kinds.values()))}"
