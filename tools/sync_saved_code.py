"""Maintainers: copy the current helpers/ source into the notebook cells that show it.

A cell whose first line is ``# Saved in helpers/<module>.py`` shows functions and classes of that
module; after changing one in ``helpers/``, this rewrites each such definition in the cells from
``inspect.getsource`` (other lines of the cell stay as they are) and clears the outputs of the
cells it changed. Re-execute the notebooks afterwards (``make notebooks``).

    python -m tools.sync_saved_code                                   # every notebook
    python -m tools.sync_saved_code notebooks/03_improving_the_model.ipynb
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import textwrap
from pathlib import Path

from tools.notebook_tools import NOTEBOOKS, clear_cell, read, saved_module, write


def sync_cell(source: str, module) -> str:
    lines = source.splitlines()
    nodes = [n for n in ast.parse(source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    for node in reversed(nodes):  # from the bottom, so earlier line numbers stay valid
        first = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        current = textwrap.dedent(inspect.getsource(getattr(module, node.name))).strip().splitlines()
        lines[first:node.end_lineno] = current
    return "\n".join(lines)


def sync(path: Path) -> int:
    notebook = read(path)
    changed = 0
    for cell in notebook.cells:
        module_name = saved_module(cell)
        if module_name is None:
            continue
        new = sync_cell(cell.source, importlib.import_module(module_name))
        if new != cell.source:
            cell.source = new
            clear_cell(cell)
            changed += 1
    if changed:
        write(notebook, path)
    return changed


def main(paths: list[str]) -> int:
    for path in map(Path, paths) if paths else NOTEBOOKS:
        print(f"{path.name}: {sync(path)} cell(s) updated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
