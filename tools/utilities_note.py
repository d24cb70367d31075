"""Write, in each notebook's Setup section, which imported helpers are utilities, not the lesson.

A notebook shows the code it teaches (cells that start with ``# Saved in helpers/<module>.py``).
Some helpers it imports are never shown by any notebook — a plot colour, ``record``, an input
check, a metric the prose defines in a formula. The rule of the series: such a helper is named in
the notebook as a utility, not part of the lesson, with a link to its source. This tool writes
that sentence between ``<!-- utilities:start -->`` and ``<!-- utilities:end -->`` in the markdown
cell holding ``## Setup``; ``tests/test_helpers_match_notebooks.py`` checks it is up to date.

    python -m tools.utilities_note      # after changing a notebook's imports or saved cells
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the repository root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools.notebook_tools import NOTEBOOKS, ROOT, SAVED_IN, read, write

BLOCK = re.compile(r"<!-- utilities:start -->.*?<!-- utilities:end -->", re.DOTALL)


def _code_cells(notebook) -> list[ast.Module]:
    trees = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            try:
                trees.append((cell.source, ast.parse(cell.source)))
            except SyntaxError:  # an exercise's placeholder, say
                continue
    return trees


def shown_names(notebooks) -> set[str]:
    """Functions, classes and settings defined in a saved cell of any notebook."""
    names = set()
    for notebook in notebooks:
        for source, tree in _code_cells(notebook):
            if source and SAVED_IN.match(source.splitlines()[0]):
                for node in tree.body:
                    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                        names.add(node.name)
    return names


def utilities(notebook, shown: set[str]) -> list[tuple[str, str]]:
    """``(name, source file)`` of every helpers function or class the notebook imports but no
    notebook shows."""
    found = {}
    for _, tree in _code_cells(notebook):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("helpers"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    value = getattr(module, alias.name, None)
                    if (inspect.isfunction(value) or inspect.isclass(value)) and alias.name not in shown:
                        found[alias.name] = Path(inspect.getsourcefile(value)).relative_to(ROOT).as_posix()
    return sorted(found.items())


def sentence(items: list[tuple[str, str]]) -> str:
    links = ", ".join(f"[`{name}`](../{path})" for name, path in items)
    return ("<!-- utilities:start -->\n*Utilities, not part of the lesson* — imported in the cell "
            f"below; their code is in `helpers/`, and no notebook shows it: {links}.\n"
            "<!-- utilities:end -->"
            if items else "<!-- utilities:start --><!-- utilities:end -->")


def setup_cell(notebook, name: str):
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and re.search(r"^## Setup\b", cell.source, re.MULTILINE):
            return cell
    raise ValueError(f"{name}: no markdown cell with a '## Setup' heading")


def expected_sources(paths: list[Path]) -> dict[Path, str]:
    """Each notebook's Setup cell as it should read."""
    notebooks = {path: read(path) for path in paths}
    shown = shown_names(notebooks.values())
    result = {}
    for path, notebook in notebooks.items():
        cell = setup_cell(notebook, path.name)
        block = sentence(utilities(notebook, shown))
        result[path] = (BLOCK.sub(block, cell.source) if BLOCK.search(cell.source)
                        else cell.source.rstrip() + "\n\n" + block)
    return result


def main() -> int:
    for path, source in expected_sources(NOTEBOOKS).items():
        notebook = read(path)
        cell = setup_cell(notebook, path.name)
        if cell.source != source:
            cell.source = source
            write(notebook, path)
            print(f"{path.name}: utilities sentence updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
