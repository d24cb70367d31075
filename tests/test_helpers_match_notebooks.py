"""The code a notebook teaches and the code helpers/ holds must be the same code.

A notebook cell whose first line is ``# Saved in helpers/<module>.py`` shows functions or classes
that later notebooks import; each one must match ``inspect.getsource`` of the module's object.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap

import pytest
from conftest import NOTEBOOKS, read_notebook

MARKER = re.compile(r"^# Saved in helpers/(?P<module>[\w/]+)\.py\s*$")


def saved_definitions():
    for path in NOTEBOOKS:
        for cell in read_notebook(path)["cells"]:
            source = "".join(cell["source"])
            match = MARKER.match(source.splitlines()[0]) if source.strip() else None
            if cell["cell_type"] != "code" or not match:
                continue
            module = "helpers." + match["module"].replace("/", ".")
            for node in ast.parse(source).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                    lines = source.splitlines()[first - 1 : node.end_lineno]
                    yield pytest.param(module, node.name, "\n".join(lines),
                                       id=f"{path.stem}:{node.name}")


DEFINITIONS = list(saved_definitions())


def test_notebooks_save_some_code():
    assert DEFINITIONS, "no notebook cell starts with '# Saved in helpers/<module>.py'"


@pytest.mark.parametrize("module, name, notebook_source", DEFINITIONS)
def test_notebook_code_is_the_helpers_code(module, name, notebook_source):
    obj = getattr(importlib.import_module(module), name, None)
    assert obj is not None, f"{module} has no {name}, but a notebook saves it there"
    helper_source = textwrap.dedent(inspect.getsource(obj)).strip()
    assert notebook_source.strip() == helper_source, (
        f"{name} in the notebook differs from {module}.{name}: change both together")
