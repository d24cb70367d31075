"""The code a notebook teaches and the code helpers/ holds must be the same code.

A notebook cell whose first line is ``# Saved in helpers/<module>.py`` shows code that later
notebooks import. Every top-level statement of such a cell must stand, to the character, in that
module: a function or class as the module's object of the same name, and every other statement —
an import, a setting such as ``TUNED_CONFIG``, its docstring — as one of the module's top-level
statements. Changing ``TUNED_CONFIG`` in notebook 03 without changing ``helpers/models.py`` (or
the other way round) fails here. Notebooks never import a ``_private`` name.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from conftest import NOTEBOOKS, ROOT, read_notebook
from tools.notebook_tools import SAVED_IN


def _statements(source: str) -> tuple[dict[str, str], set[str]]:
    """``({def or class name: its source with decorators}, {source of every other statement})``."""
    lines = source.splitlines()
    definitions, others = {}, set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            definitions[node.name] = "\n".join(lines[first - 1: node.end_lineno])
        else:
            others.add(ast.get_source_segment(source, node))
    return definitions, others


def mismatches(cell_source: str, module_source: str) -> list[str]:
    """What in a saved cell is not, to the character, in the module: one line per statement."""
    module_definitions, module_others = _statements(module_source)
    cell_definitions, cell_others = _statements(cell_source)
    found = []
    for name, code in cell_definitions.items():
        if name not in module_definitions:
            found.append(f"{name} is not defined in the module")
        elif code.strip() != module_definitions[name].strip():
            found.append(f"{name} differs from the module's {name}")
    for statement in sorted(cell_others - module_others):
        found.append(f"the statement {statement.splitlines()[0][:70]!r}… is not in the module")
    return found


def saved_cells():
    for path in NOTEBOOKS:
        for number, cell in enumerate(read_notebook(path)["cells"]):
            source = "".join(cell["source"])
            match = SAVED_IN.match(source.splitlines()[0]) if source.strip() else None
            if cell["cell_type"] == "code" and match:
                module = "helpers." + match["module"].replace("/", ".")
                yield pytest.param(module, source, id=f"{path.stem}:cell{number}:{module}")


CELLS = list(saved_cells())


def module_source(module: str) -> str:
    return Path(importlib.import_module(module).__file__).read_text(encoding="utf-8")


def test_notebooks_save_some_code():
    assert len(CELLS) >= 20, "fewer cells than expected start with '# Saved in helpers/<module>.py'"


@pytest.mark.parametrize("module, cell_source", CELLS)
def test_every_statement_of_a_saved_cell_is_the_helpers_code(module, cell_source):
    problems = mismatches(cell_source, module_source(module))
    assert not problems, (f"a cell saved in {module} drifted from it (change both together, or "
                          f"run `python -m tools.sync_saved_code`): " + "; ".join(problems))


def test_a_changed_setting_in_a_notebook_cell_is_caught():
    """The issue's own example: TUNED_CONFIG edited in notebook 03's cell, helpers/models.py not."""
    cell = next(source for module, source in (p.values for p in CELLS)
                if module == "helpers.models" and "TUNED_CONFIG = {" in source)
    edited = cell.replace('"l2": 0.13', '"l2": 0.2', 1)
    assert edited != cell
    assert not mismatches(cell, module_source("helpers.models"))
    assert any("TUNED_CONFIG" in problem for problem in mismatches(edited, module_source("helpers.models")))
    # and a changed default or body of a function is caught too
    body = cell.replace("config = configure(TUNED_CONFIG, settings)", "config = dict(TUNED_CONFIG)", 1)
    assert "build_tuned_mf differs" in " ".join(mismatches(body, module_source("helpers.models")))


def test_notebooks_import_no_private_names():
    private = []
    for path in NOTEBOOKS:
        for cell in read_notebook(path)["cells"]:
            if cell["cell_type"] != "code":
                continue
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                if isinstance(node, ast.ImportFrom):
                    private += [f"{path.name}: {node.module}.{alias.name}" for alias in node.names
                                if alias.name.startswith("_")]
    assert not private, f"notebooks import private names: {private}"


def test_the_module_list_names_every_module():
    """``helpers/__init__.py`` lists every module, so a newcomer finds where to change what."""
    listed = importlib.import_module("helpers").__doc__
    modules = sorted(p.stem for p in (ROOT / "helpers").glob("*.py") if p.stem != "__init__")
    missing = [name for name in modules if f"``helpers.{name}``" not in listed]
    assert not missing, f"helpers/__init__.py's docstring does not list {missing}"


def test_every_unshown_helper_a_notebook_imports_is_named_a_utility():
    """A helper a notebook uses but no notebook shows is listed, with a link to its source, as
    "utilities, not part of the lesson" in that notebook's Setup section."""
    import nbformat

    from tools import utilities_note

    for path, expected in utilities_note.expected_sources(NOTEBOOKS).items():
        current = utilities_note.setup_cell(nbformat.read(path, as_version=4), path.name).source
        assert current == expected, f"{path.name}: run `python -m tools.utilities_note`"


def test_contributing_lists_every_module_and_tool():
    """CONTRIBUTING.md's table names every helpers module and every tool, one line each."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    files = [p for p in (ROOT / "helpers").glob("*.py") if p.stem != "__init__"]
    files += [p for p in (ROOT / "tools").iterdir() if p.suffix in (".py", ".sh") and p.stem != "__init__"]
    files += [ROOT / "helpers" / "exercises" / "testing.py"]
    missing = [p.relative_to(ROOT).as_posix() for p in files
               if f"| `{p.relative_to(ROOT).as_posix()}` |" not in text]
    assert not missing, f"CONTRIBUTING.md's 'Where things are' table does not list {missing}"
