"""`make student`: the copies handed to learners hold no outputs and no solutions.

That they still run is the browser check's job (tests/test_browser.py): it runs every student
notebook top to bottom in JupyterLab, the exercise cells included (they keep their `...`
placeholders, so each `check` prints its prompt and nothing shows as solved), which is what a
learner who chooses *Run All* sees. These tests take a second.
"""

from __future__ import annotations

import re
import time

import nbformat
import pytest

from tools import student
from tools.notebook_tools import DETAILS, NOTEBOOKS, NOTEBOOKS_DIR, is_solution

TAGS = re.compile(r"<summary>.*?</summary>|</?details[^>]*>", re.DOTALL | re.IGNORECASE)
FENCE = re.compile(r"^```\w*$")


def hidden_lines(notebook) -> set[str]:
    """Every non-blank line of a solution cell or inside a <details> block, markup and code
    fences aside."""
    lines = set()
    for cell in notebook.cells:
        if is_solution(cell):
            lines |= {line.strip() for line in cell.source.splitlines()
                      if line.strip() and not line.strip().startswith("### Solution")}
        elif cell.cell_type == "markdown":
            for block in DETAILS.findall(cell.source):
                lines |= {line.strip() for line in TAGS.sub("\n", block).splitlines()
                          if line.strip() and not FENCE.match(line.strip())}
    return lines


def solution_lines(notebook) -> set[str]:
    """Lines only the solutions hold: hidden lines that appear nowhere else in the notebook
    (``exercises.q1.check(answer)`` is in the exercise cell too, so it is not a leak)."""
    visible = set()
    for cell in notebook.cells:
        if is_solution(cell):
            continue
        text = DETAILS.sub("", cell.source) if cell.cell_type == "markdown" else cell.source
        visible |= {line.strip() for line in text.splitlines()}
    return {line for line in hidden_lines(notebook) if line not in visible}


def all_text(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells)


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    start = time.perf_counter()
    student.build_student(NOTEBOOKS_DIR, out)
    print(f"student copy built in {time.perf_counter() - start:.2f} s")
    return out


def test_every_notebook_is_handed_out_with_a_readme(student_dir):
    assert sorted(p.name for p in student_dir.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    readme = (student_dir / "README.md").read_text(encoding="utf-8")
    assert "make setup" in readme and "solutions" in readme
    assert '<a id="embedding"></a>' in readme, "the glossary the notebooks link to is missing"
    assert "teachers:start" not in readme and "make student" not in readme  # teachers' notes


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_outputs_and_no_solutions(path, student_dir):
    source = nbformat.read(path, as_version=4)
    copy = nbformat.read(student_dir / path.name, as_version=4)
    for cell in copy.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:80]
        assert "<details" not in cell.source.lower(), f"a <details> block is left: {cell.source[:80]}"
    leaks = solution_lines(source)
    assert leaks, f"{path.name}: found no solution lines to check against"
    assert not any(is_solution(cell) for cell in copy.cells), f"{path.name}: a solution cell is left"
    copy_lines = {line.strip() for line in all_text(copy).splitlines()}
    leaked = sorted(leaks & copy_lines)
    assert not leaked, f"{path.name}: solution text in the student copy: {leaked[:5]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_everything_but_the_solutions_is_kept(path, student_dir):
    source = nbformat.read(path, as_version=4)
    copy = nbformat.read(student_dir / path.name, as_version=4)
    section = student.solutions_section(source.cells)
    taught = [c.source for i, c in enumerate(source.cells) if c.cell_type == "code" and i not in section]
    assert [c.source for c in copy.cells if c.cell_type == "code"] == taught
    headings = [line for cell in source.cells if cell.cell_type == "markdown" and not is_solution(cell)
                for line in DETAILS.sub("", cell.source).splitlines() if re.match(r"#{1,6} ", line)]
    copy_text = all_text(copy)
    assert all(heading in copy_text for heading in headings), "a heading went missing"
    assert student.SOLUTIONS_NOTE in copy_text


def test_a_hand_made_notebook_loses_exactly_its_solutions():
    new_markdown, new_code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell

    def solution(cell):
        cell.metadata["tags"] = ["solution"]
        return cell

    notebook = nbformat.v4.new_notebook(cells=[
        new_markdown("# 99 · Test\n\n## 1. Teach\n\n<details><summary>Aside</summary>secret aside"
                     "</details>\n\nkept prose"),
        new_code("x = 1"),
        new_markdown("## Exercises\n\n**1.** Say 2."),
        new_code("answer = ...  # your code here"),
        new_markdown("## Solutions\n\nTry first."),
        solution(new_markdown("### Solution 1")),
        solution(new_code("answer = 2  # solution-one")),
        solution(new_markdown("Because two.")),
        new_code("answer = 3  # an untagged code cell in the section"),
        new_markdown("## Appendix\n\nkept"),
    ])
    notebook.cells[1].outputs = [nbformat.v4.new_output("stream", text="1")]
    notebook.cells[1].execution_count = 1
    copy = student.student_notebook(notebook)
    text = all_text(copy)
    assert "solution-one" not in text and "Because two" not in text and "untagged" not in text
    assert "secret aside" not in text and "Try first" not in text and "### Solution 1" not in text
    assert "kept prose" in text and "## Appendix" in text and student.SOLUTIONS_NOTE in text
    assert copy.cells[1].outputs == [] and copy.cells[1].execution_count is None
    assert len(copy.cells) == 6
    assert notebook.cells[1].outputs, "the original notebook must stay untouched"
    assert solution_lines(notebook) == {"answer = 2  # solution-one", "Because two.", "secret aside"}


def test_no_notebooks_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no notebooks"):
        student.build_student(tmp_path, tmp_path / "out")
