"""What the exercise tests (``tests/test_exercises_nbNN.py``) share: they run each notebook's own
hidden solutions, and its typical mistakes, in the names the notebook has defined by its exercises.

``NotebookExercises`` holds the tests; each test file subclasses it with its notebook's checker
module and typical mistakes. ``reader_namespace`` builds the names without running the notebook;
``exercise_cases`` lists what to run: every solution (it must pass its checker) and every typical
mistake (it must fail, with feedback that names the mistake). A mistake is the learner's code, or
the solution with slips, ``{old: new}``: the text the learner got wrong and what they wrote
instead. Only the tests import this module (it needs pytest, and the notebooks through
``tools.notebook_tools``).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pandas as pd
import pytest

from helpers.exercises import exercises_of, standard_split
from tools import notebook_tools

CHECK_CALL = re.compile(r"\bexercises\.q\d+\.check\(")
GIVEN = re.compile(r"\bexercises\.q\d+\.check\(\w+, ([^()]*)\)")

Mistake = tuple[int, str | dict[str, str], str]
"""``(exercise number, the learner's code or slips of the solution, what the feedback names)``."""


def data_names() -> dict[str, Any]:
    """The objects of the series' data cell (load → encode → split, notebook 01), as copies.

    ``split`` (``helpers.data.movielens_split()``), its ``train``, ``test``, ``encoding`` and
    ``movies``, ``encoded`` (every rating, with indices), ``ratings`` (original ids only, as
    ``load_movielens_100k`` gives them), ``n_users`` and ``n_items``. The frames are copies: code
    run on them cannot change what the checkers read.
    """
    shared = standard_split()
    split = dataclasses.replace(shared, **{field.name: getattr(shared, field.name).copy()
                                           for field in dataclasses.fields(shared)
                                           if isinstance(getattr(shared, field.name), pd.DataFrame)})
    return {"split": split, "train": split.train, "test": split.test, "encoding": split.encoding,
            "movies": split.movies, "encoded": split.ratings,
            "ratings": split.ratings.drop(columns=["user_index", "item_index"]),
            "n_users": split.encoding.n_users, "n_items": split.encoding.n_items}


def _assigned(node: ast.stmt) -> set[str]:
    """The names a top-level statement binds (imports aside)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For)):
        targets = [node.target]
    else:
        return set()
    return {name.id for target in targets for name in ast.walk(target) if isinstance(name, ast.Name)}


def reader_namespace(notebook: Path, computed: dict[str, Any] | None = None) -> dict[str, Any]:
    """The names a reader has at ``notebook``'s exercises, for running its solutions in.

    Built from the notebook's code cells without running them: their import statements, run
    (``exercises`` among them); the functions and classes of each ``# Saved in helpers/<m>.py``
    cell, taken from ``helpers.<m>``; those of ``data_names()`` the notebook assigns; and
    ``computed``, what the caller computes for it (a trained model, …), each of which must be a
    name the notebook assigns. What the notebook assigns and nobody supplies is left out, so a
    solution that needs it fails with a NameError that says what to add.
    """
    namespace: dict[str, Any] = {}
    assigned: set[str] = set()
    for cell in notebook_tools.read(notebook).cells:
        if cell.cell_type != "code":
            continue
        saved = notebook_tools.saved_module(cell)
        for node in ast.parse(cell.source).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                exec(compile(ast.Module([node], type_ignores=[]), str(notebook), "exec"), namespace)
            elif saved and isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                namespace[node.name] = getattr(importlib.import_module(saved), node.name)
            assigned |= _assigned(node)
    namespace.pop("__builtins__", None)
    namespace.update({name: value for name, value in data_names().items() if name in assigned})
    unknown = set(computed or {}) - assigned
    if unknown:
        raise ValueError(f"{Path(notebook).name} assigns no {sorted(unknown)}: supply only "
                         "names the notebook defines before its exercises")
    return {**namespace, **(computed or {})}


def with_slips(code: str, slips: dict[str, str]) -> str:
    """``code`` with each ``old`` text replaced by the ``new`` a learner wrote by mistake."""
    for old, new in slips.items():
        if old not in code:
            raise ValueError(f"the code no longer contains {old!r}: update the slip")
        code = code.replace(old, new)
    return code


@dataclass(frozen=True)
class Case:
    """One answer to run and check: exercise ``number``'s solution, which must pass, or a typical
    mistake, which must fail with printed feedback that contains ``named``."""

    number: int
    solution: str | None  # the notebook's solution (None: it shows none)
    mistake: str | dict[str, str] | None = None  # the learner's code, or slips of the solution
    named: str = "✅ Correct!"
    answer: str = "answer"  # the name the code gives its answer

    @property
    def passes(self) -> bool:
        return self.mistake is None

    @property
    def code(self) -> str:
        if isinstance(self.mistake, str):
            return self.mistake
        if self.solution is None:
            raise LookupError(f"the notebook shows no solution to exercise {self.number}")
        return with_slips(self.solution, self.mistake or {})

    def __str__(self) -> str:
        return f"{self.number}-{'solution' if self.passes else self.named}"


def exercise_cases(module: ModuleType, solutions: dict[int, str], mistakes: list[Mistake],
                   answers: dict[int, str] | None = None) -> list[Case]:
    """The solution of every exercise of ``module``, then every typical mistake.

    ``answers`` names the answer of an exercise whose code does not call it ``answer``.
    """
    answers = answers or {}
    cases = [Case(number, solutions.get(number), answer=answers.get(number, "answer"))
             for number in sorted(exercises_of(module))]
    return cases + [Case(number, solutions.get(number), mistake, named, answers.get(number, "answer"))
                    for number, mistake, named in mistakes]


def uncovered(module: ModuleType, solutions: dict[int, str], mistakes: list[Mistake]) -> dict:
    """The exercises of ``module`` without a solution in the notebook or without a typical mistake
    in the test, and the solutions of no exercise; empty when each exercise has both."""
    numbers = set(exercises_of(module))
    found = {"exercises without a solution": numbers - set(solutions),
             "solutions of no checked exercise": set(solutions) - numbers,
             "exercises without a typical mistake": numbers - {number for number, *_ in mistakes}}
    return {what: sorted(which) for what, which in found.items() if which}


TIMING = re.compile(r"⏱\s*[\d.,]+")
"""A timing as the notebooks print it: the clock sign and a number (the unit follows)."""


def printed_above(notebook: Path, number: int) -> str:
    """Every text the committed ``notebook`` shows in the outputs of the code cells above exercise
    ``number``'s cell (its prose is not searched: numbers in prose come from these outputs).
    A timing (``⏱ 22.7 s``) is left out: it is this machine's on that run, not a result, and a
    re-run that took 22 s must not make an exercise whose answer is 22 fail."""
    shown = []
    for cell in notebook_tools.read(notebook).cells:
        if cell.cell_type != "code":
            continue
        if re.search(rf"\bexercises\.q{number}\.check\(", cell.source):
            return TIMING.sub("⏱", "\n".join(shown))
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            shown += [output.get("text", ""), data.get("text/plain", ""), data.get("text/html", "")]
    raise LookupError(f"{notebook.name} has no cell that calls exercises.q{number}.check(...)")


def answer_forms(answer: Any) -> set[str]:
    """How a notebook would print ``answer`` if it gave it away: a number to 3 and 4 decimals and
    as a percentage, a whole number of 10 or more (with and without thousands commas), or each of
    up to five such numbers; the test looks for each as a whole number in the outputs. Words and
    letters, and one-digit numbers that print everywhere, are not searched."""
    import numbers

    import numpy as np

    if isinstance(answer, (str, bytes)) or answer is None:
        return set()
    if isinstance(answer, numbers.Integral) or (isinstance(answer, float) and float(answer).is_integer()
                                                and abs(answer) >= 1000):
        value = int(answer)
        return {f"{value:,}", str(value)} if abs(value) >= 10 else set()
    if isinstance(answer, numbers.Real):
        value = float(answer)
        if not np.isfinite(value) or abs(value) < 0.01:
            return set()
        forms = {f"{value:.4f}"} | ({f"{value:.3f}"} if abs(value) >= 0.1 else set())
        if 0 < value < 1:
            forms.add(f"{100 * value:.1f}%")
        return forms
    try:
        values = np.asarray(answer, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return set()
    if values.size > 5:
        return set()
    return set().union(*(answer_forms(float(value)) for value in values)) if values.size else set()


@cache
def notebook_of(module: ModuleType) -> Path:
    """The notebook whose exercises ``module`` checks: ``nb05`` checks ``notebooks/05_*.ipynb``."""
    number = module.__name__.rpartition(".nb")[2]
    found = [path for path in notebook_tools.NOTEBOOKS if path.name.startswith(f"{number}_")]
    if len(found) != 1:
        raise LookupError(f"{module.__name__} should check one notebook {number}_*.ipynb, found {found}")
    return found[0]


class NotebookExercises:
    """The exercise tests of one notebook. ``tests/test_exercises_nbNN.py`` subclasses it as
    ``TestExercises`` and sets ``exercises`` (the checker module, which names the notebook),
    ``mistakes``, and, where a
    solution does not call its answer ``answer``, ``answers``; it overrides ``computed`` to supply
    what the notebook computes and a solution uses (a trained model, …)."""

    exercises: ModuleType
    run_solution = staticmethod(notebook_tools.run_solution)
    mistakes: ClassVar[list[Mistake]] = []
    answers: ClassVar[dict[int, str]] = {}

    @property
    def notebook(self) -> Path:
        return notebook_of(self.exercises)

    @property
    def solutions(self) -> dict[int, str]:
        return notebook_tools.solutions(self.notebook)

    def computed(self) -> dict[str, Any]:
        return {}

    @pytest.fixture(scope="class")
    def namespace(self) -> dict[str, Any]:
        return reader_namespace(self.notebook, self.computed())

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "case" in metafunc.fixturenames:
            cases = exercise_cases(self.exercises, self.solutions, self.mistakes, self.answers)
            metafunc.parametrize("case", cases, ids=str)

    def test_every_exercise_has_a_solution_and_a_typical_mistake(self) -> None:
        missing = uncovered(self.exercises, self.solutions, self.mistakes)
        assert not missing, f"{self.notebook.name}: {missing}"

    def test_solution_passes_and_typical_mistake_fails_named(self, case: Case, namespace, capsys) -> None:
        scope = self.run_solution(case.code, namespace)
        answer = scope[case.answer]
        # the learner's objects the solution's own check call passes (model=ranking_model)
        given = GIVEN.search(case.code)
        given = eval(f"dict({given.group(1)})", scope) if given else {}
        passed = bool(exercises_of(self.exercises)[case.number].check(answer, **given))
        feedback = capsys.readouterr().out
        assert passed == case.passes, f"exercise {case.number}: {feedback}"
        assert case.named in feedback, f"the feedback does not name {case.named!r}: {feedback}"
        if case.passes:  # the answer the solution gives is printed nowhere above the exercise
            shown = printed_above(self.notebook, case.number)
            leaked = [form for form in answer_forms(answer)
                      if re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d])", shown)]
            assert not leaked, (f"exercise {case.number}'s answer is printed above it as "
                                f"{leaked}: ask for something the notebook does not show")

    def test_exercise_cells_print_their_stored_prompts(self, namespace, capsys) -> None:
        """Each exercise cell, still holding ``...``, prints what the committed notebook shows."""
        cells = [cell for cell in notebook_tools.read(self.notebook).cells
                 if cell.cell_type == "code" and CHECK_CALL.search(cell.source)
                 and not notebook_tools.is_solution(cell)]
        assert cells, f"{self.notebook.name} has no cell that calls exercises.qN.check(...)"
        for cell in cells:
            self.run_solution(cell.source, namespace)
            stored = "".join(output.get("text", "") for output in cell.outputs
                             if output.get("name") == "stdout")
            assert capsys.readouterr().out == stored, cell.source

    def test_every_hint_prints_in_steps_then_points_to_the_solution(self, capsys) -> None:
        for exercise in exercises_of(self.exercises).values():
            steps = len(exercise.hints)
            for step, text in enumerate(exercise.hints, start=1):
                exercise.hint()
                label = "Hint" if steps == 1 else f"Hint {step} of {steps}"
                assert capsys.readouterr().out == f"💡 {label}: {text}\n"
            exercise.hint()
            assert "the solution is in the Solutions section" in capsys.readouterr().out
            exercise._hints_given = 0  # the next test starts from the first hint again

    def test_no_hint_is_the_solution_code(self) -> None:
        """A hint nudges; it never holds a line of the solution's code."""
        for number, exercise in exercises_of(self.exercises).items():
            code = self.solutions.get(number, "")
            lines = {line.strip() for line in code.splitlines()
                     if len(line.strip()) > 25 and "check(" not in line}
            for text in exercise.hints:
                leaked = [line for line in lines if line in text]
                assert not leaked, f"exercise {number}'s hint holds its solution: {leaked}"
