"""Build the student copy of the series: every notebook without outputs and without solutions.

    python -m tools.student                  # what `make student` runs: build/student/
    python -m tools.student --out handout/   # somewhere else

For each ``notebooks/NN_*.ipynb`` the copy has
- no outputs and no execution counts (learners see only what they run themselves);
- no solutions: every cell tagged ``solution`` (each solution's heading, code and explanation)
  and every code cell of the ``## Solutions`` section goes, the section keeping only its heading
  and a note for the learner; every ``<details>…</details>`` block (an aside) is removed too.
``build/student/README.md`` says how to use the copies, followed by the series route and glossary
(``notebooks/README.md`` without its ``<!-- teachers:start -->…<!-- teachers:end -->`` parts), so
the notebooks' links to ``README.md#…`` keep working.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat

from tools.notebook_tools import (
    DETAILS,
    NOTEBOOKS_DIR,
    ROOT,
    clear_cell,
    is_solution,
    read,
    series_notebooks,
    write,
)

H2 = re.compile(r"^## ", re.MULTILINE)
SOLUTIONS_HEADING = re.compile(r"^## Solutions\b.*$", re.MULTILINE)
TEACHERS_ONLY = re.compile(r"\n?<!-- teachers:start -->.*?<!-- teachers:end -->\n?", re.DOTALL)
SOLUTIONS_NOTE = ("*This is the student copy: the solutions are not included. Your teacher has "
                  "them.*")

STUDENT_README = """\
# Student copy of the series

These are the series' notebooks with the outputs and the solutions removed: you run every cell
yourself, and you solve the exercises with the automatic `check` of each one.

**How to use them.** The notebooks import the series' `helpers` package, so they run inside the
series' environment. In a copy of the series' repository:

```bash
make setup                           # once: creates .venv with everything the notebooks need
.venv/bin/jupyter lab build/student  # or point JupyterLab at the folder you copied these files to
```

`make setup` makes `helpers` importable from any folder, so you can keep these notebooks wherever
you like. Start with `01_movielens_data.ipynb` and go in order: each notebook builds on the one
before. In every exercise, replace `...` with your answer and run the cell; `check` tells you
whether it is right, and `exercises.q1.hint()` (and so on) gives hints in steps: a first nudge,
then, if you call it again, a stronger one.

---

"""


def solutions_section(cells: list) -> range:
    """Indices of the cells from the ``## Solutions`` heading up to the next H2 heading."""
    start = next((i for i, cell in enumerate(cells)
                  if cell.cell_type == "markdown" and SOLUTIONS_HEADING.search(cell.source)), None)
    if start is None:
        return range(0)
    end = len(cells)
    for i in range(start + 1, len(cells)):
        if cells[i].cell_type == "markdown" and H2.search(cells[i].source):
            end = i
            break
    return range(start, end)


def strip_solutions_heading_cell(source: str) -> str:
    """The ``## Solutions`` cell: text before the heading, the heading, a note, and what follows
    the last ``</details>`` (e.g. the link to the next notebook)."""
    heading = SOLUTIONS_HEADING.search(source)
    before, after = source[: heading.start()], source[heading.end():]
    closing = after.lower().rfind("</details>")
    tail = after[closing + len("</details>"):].strip() if closing >= 0 else ""
    parts = [before.rstrip(), heading.group(0), SOLUTIONS_NOTE, tail]
    return "\n\n".join(part for part in parts if part).strip()


def student_notebook(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``notebook`` without outputs, execution counts and solutions."""
    notebook = nbformat.from_dict(notebook)  # deep copy
    section = solutions_section(notebook.cells)
    cells = []
    for index, cell in enumerate(notebook.cells):
        in_solutions = index in section
        if is_solution(cell):
            continue
        if cell.cell_type == "code":
            if in_solutions:
                continue
            clear_cell(cell)
        elif cell.cell_type == "markdown":
            if in_solutions and index == section.start:
                cell.source = strip_solutions_heading_cell(cell.source)
            cell.source = DETAILS.sub("", cell.source).rstrip()
            if in_solutions and index != section.start and not cell.source.strip():
                continue
        cells.append(cell)
    notebook.cells = cells
    notebook.metadata.pop("widgets", None)
    nbformat.validate(notebook)
    return notebook


def build_student(notebooks: Path = NOTEBOOKS_DIR,
                  out: Path = ROOT / "build" / "student") -> list[Path]:
    """Write the student copy of every ``NN_*.ipynb`` in ``notebooks`` and a README into ``out``."""
    sources = series_notebooks(notebooks)
    if not sources:
        raise ValueError(f"no notebooks named NN_*.ipynb in {notebooks}: nothing to hand out")
    out.mkdir(parents=True, exist_ok=True)
    for stale in series_notebooks(out):  # a notebook renamed or removed since last time
        stale.unlink()
    written = []
    for path in sources:
        try:
            copy = student_notebook(read(path))
        except nbformat.ValidationError as error:
            raise ValueError(f"{path.name}: its student copy is not a valid notebook: "
                             f"{error.message} (fix the notebook; a cell id needs nbformat 4.5)") from None
        write(copy, out / path.name)
        written.append(out / path.name)
    route = notebooks / "README.md"
    # the route and glossary, without the parts marked for teachers and maintainers
    route_text = TEACHERS_ONLY.sub("", route.read_text(encoding="utf-8")) if route.exists() else ""
    readme = STUDENT_README + re.sub(r"\n{3,}", "\n\n", route_text)
    (out / "README.md").write_text(readme, encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "student")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    written = build_student(args.notebooks, args.out)
    print(f"{len(written)} student notebooks and README.md in {args.out} "
          f"({time.perf_counter() - start:.1f} s): outputs and solutions removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
