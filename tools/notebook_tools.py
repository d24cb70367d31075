"""The series' notebooks as the tools and the tests see them: one place for what they share.

- ``NOTEBOOKS``: the series, every ``notebooks/NN_*.ipynb`` in order (``series_notebooks`` for
  another folder, such as a student copy);
- ``read`` and ``write`` a notebook (nbformat, version 4), ``clear_outputs`` of a notebook or
  ``clear_cell`` of one cell (outputs, execution count and the metadata a run leaves);
- ``DETAILS``, the one pattern of a hidden ``<details>…</details>`` block (an aside);
- ``is_solution``, whether a cell belongs to a solution (tagged ``solution``: the collapsed
  ``### Solution N`` heading, its code cell, its explanation), and ``solutions``, the code of
  each solution of a notebook by N;
- ``tagged_cells``, the cells whose ``metadata.tags`` carry a tag (``figure:learning_curves``),
  ``first_png`` of a cell, and ``saved_module``, the helpers module a ``# Saved in helpers/…``
  cell shows;
- ``read_records``, the values a notebook recorded (``helpers.records``, re-exported here).

Used by ``tools/`` (``python -m tools.NAME``) and by ``tests/conftest.py``.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import nbformat

from helpers.records import MIME, read_records

__all__ = ["DETAILS", "MIME", "NOTEBOOK_GLOB", "NOTEBOOKS", "NOTEBOOKS_DIR", "ROOT", "SAVED_IN",
           "SOLUTION_HEADING", "SOLUTION_TAG", "clear_cell", "clear_outputs", "first_png",
           "is_solution", "read", "read_records", "run_solution", "saved_module",
           "series_notebooks", "solutions", "tagged_cells", "write"]

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
# a hidden block and the blanks after it, so that removing it leaves no empty line behind
DETAILS = re.compile(r"<details\b.*?</details>[ \t]*\n?", re.DOTALL | re.IGNORECASE)
# a solution's cells carry this tag; its heading reads "### Solution N" and starts collapsed
SOLUTION_TAG = "solution"
SOLUTION_HEADING = re.compile(r"^### Solution (\d+)\b")
SAVED_IN = re.compile(r"^# Saved in helpers/(?P<module>[\w/]+)\.py\s*$")
VOLATILE_METADATA = ("execution", "collapsed", "scrolled")


def series_notebooks(folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The series' notebooks in ``folder``, ``NN_*.ipynb``, in reading order."""
    return sorted(Path(folder).glob(NOTEBOOK_GLOB))


NOTEBOOKS = series_notebooks()


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def write(notebook: nbformat.NotebookNode, path: Path) -> None:
    nbformat.write(notebook, path)


def clear_cell(cell: nbformat.NotebookNode) -> None:
    """A code cell as if it had never run: no outputs, no execution count, no run metadata."""
    if cell.cell_type != "code":
        return
    cell.outputs, cell.execution_count = [], None
    for key in VOLATILE_METADATA:
        cell.metadata.pop(key, None)


def clear_outputs(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Clear every code cell of ``notebook`` (in place), and return it."""
    for cell in notebook.cells:
        clear_cell(cell)
    return notebook


def is_solution(cell: nbformat.NotebookNode) -> bool:
    """True for a cell of a solution: tagged ``solution`` (the student copy drops these)."""
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def solutions(notebook: Path | nbformat.NotebookNode) -> dict[int, str]:
    """The code of each solution, by N: the ``solution``-tagged code cells under each tagged
    ``### Solution N`` heading (joined, when a solution has more than one)."""
    if not isinstance(notebook, dict):
        notebook = read(notebook)
    found: dict[int, list[str]] = {}
    number = None
    for cell in notebook.cells:
        if not is_solution(cell):
            continue
        heading = SOLUTION_HEADING.match(cell.source) if cell.cell_type == "markdown" else None
        if heading:
            number = int(heading.group(1))
        elif cell.cell_type == "code":
            if number is None:
                raise ValueError(f"a solution cell before any '### Solution N' heading: {cell.source[:60]!r}")
            found.setdefault(number, []).append(cell.source.rstrip("\n") + "\n")
    return {number: "\n".join(parts) for number, parts in found.items()}


def tagged_cells(notebook: nbformat.NotebookNode, prefix: str) -> list[tuple[str, nbformat.NotebookNode]]:
    """``(rest of the tag, cell)`` for every cell with a tag ``prefix…``: ``figure:`` finds
    ``("learning_curves", cell)`` in a cell tagged ``figure:learning_curves``."""
    return [(tag[len(prefix):], cell) for cell in notebook.cells
            for tag in cell.get("metadata", {}).get("tags", []) if tag.startswith(prefix)]


def first_png(cell: nbformat.NotebookNode) -> bytes | None:
    """The first PNG image among a code cell's outputs, or None."""
    for output in cell.get("outputs", []):
        if "image/png" in output.get("data", {}):
            return base64.b64decode(output["data"]["image/png"])
    return None


def saved_module(cell: nbformat.NotebookNode) -> str | None:
    """``helpers.models`` for a code cell whose first line is ``# Saved in helpers/models.py``."""
    if cell.cell_type != "code" or not cell.source.strip():
        return None
    match = SAVED_IN.match(cell.source.splitlines()[0])
    return "helpers." + match["module"].replace("/", ".") if match else None


def run_solution(code: str, namespace: dict) -> dict:
    """Execute a solution in a copy of ``namespace``; its own ``check`` call's result is dropped
    (the test checks the answer again itself)."""
    scope = dict(namespace)
    exec(code.replace("exercises.q", "_ = exercises.q"), scope)
    return scope
