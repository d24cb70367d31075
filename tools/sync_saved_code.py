"""Maintainers: copy the current helpers/ source into the notebook cells that show it.

A cell whose first line is ``# Saved in helpers/<module>.py`` shows functions and classes of that
module; after changing one in ``helpers/``, this rewrites each such definition in the cells from
``inspect.getsource`` (other lines of the cell stay as they are) and clears the outputs of the
cells it changed. Re-execute the notebooks afterwards (``make notebooks``).

    python tools/sync_saved_code.py notebooks/*.ipynb
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
import textwrap
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
MARKER = re.compile(r"^# Saved in helpers/(?P<module>[\w/]+)\.py\s*$")


def sync_cell(source: str, module) -> str:
    lines = source.splitlines()
    nodes = [n for n in ast.parse(source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    for node in reversed(nodes):  # from the bottom, so earlier line numbers stay valid
        first = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        current = textwrap.dedent(inspect.getsource(getattr(module, node.name))).strip().splitlines()
        lines[first:node.end_lineno] = current
    return "\n".join(lines)


def sync(path: Path) -> int:
    notebook = nbformat.read(path, as_version=4)
    changed = 0
    for cell in notebook.cells:
        match = MARKER.match(cell.source.splitlines()[0]) if cell.cell_type == "code" and cell.source else None
        if not match:
            continue
        module = importlib.import_module("helpers." + match["module"].replace("/", "."))
        new = sync_cell(cell.source, module)
        if new != cell.source:
            cell.source, cell.outputs, cell.execution_count = new, [], None
            changed += 1
    if changed:
        nbformat.write(notebook, path)
    return changed


def main(paths: list[str]) -> int:
    for name in paths:
        print(f"{name}: {sync(Path(name))} cell(s) updated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
