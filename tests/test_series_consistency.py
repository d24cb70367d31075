"""The notebooks read as one series: linked headers, and exercises that each have a solution
(a code cell tagged ``solution``, under a collapsed ``### Solution N`` heading).

Complements tests/test_notebook_hygiene.py (structure of one notebook) and tests/test_readme.py
(the header rows the route table is built from) with what holds across notebooks.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from conftest import NOTEBOOKS
from tools.notebook_tools import is_solution

CHECK = re.compile(r"\bexercises\.(q\d+)\.check\(")


def number(path) -> str:
    return path.name[:2]


def cells(path):
    return nbformat.read(path, as_version=4).cells


def test_the_pattern_finds_exactly_the_checks():
    code = "exercises.q1.check(a)\nexercises.q10.check(b)\nmy_exercises.q2.check(c)\nexercises.q3.hint()"
    assert CHECK.findall(code) == ["q1", "q10"]  # not another object's q2, not a hint


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_header_links_the_neighbours_and_the_glossary(path):
    header = cells(path)[0].source
    assert header.startswith(f"# {number(path)} · "), f"{path.name}: title must read '# NN · Title'"
    assert "](README.md" in header, f"{path.name}: the header should link the route and glossary"
    neighbours = [p for p in NOTEBOOKS if abs(int(number(p)) - int(number(path))) == 1]
    for other in neighbours:
        assert f"]({other.name})" in header, f"{path.name}: the header does not link {other.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_has_a_solution_and_its_own_checker(path):
    sources = cells(path)
    code = "\n".join(c.source for c in sources if c.cell_type == "code")
    imports = set(re.findall(r"from helpers\.exercises import (nb\d\d) as exercises", code))
    assert imports == {f"nb{number(path)}"}, (
        f"{path.name}: import the checkers as `from helpers.exercises import nb{number(path)} "
        f"as exercises` (found {sorted(imports) or 'none'})")
    asked = CHECK.findall("\n".join(c.source for c in sources
                                    if c.cell_type == "code" and not is_solution(c)))
    solutions = "\n".join(c.source for c in sources if c.cell_type == "code" and is_solution(c))
    solved = CHECK.findall(solutions)
    assert asked, f"{path.name}: no exercise calls exercises.qN.check(...)"
    assert sorted(set(asked)) == sorted(set(solved)), (
        f"{path.name}: exercises {sorted(set(asked))} but solutions for {sorted(set(solved))}")
    assert asked == sorted(asked, key=lambda q: int(q[1:])), f"{path.name}: exercises out of order"
