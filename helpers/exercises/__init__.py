"""Exercises with automatic feedback, for every notebook (``helpers.exercises.nb01`` and so on).

An exercise cell in a notebook reads::

    from helpers.exercises import nb01 as exercises
    answer = ...  # your code here
    exercises.q1.check(answer)

``check`` prints one line of feedback and returns a ``Checked`` result that is truthy when the
answer is right (``assert exercises.q1.check(answer)`` in tests) and shows nothing in a notebook.
It never gives the answer away, nor its direction: "too high" / "too low" would let a learner
bisect to the number without understanding it, so a wrong number is told only that it is wrong,
unless it matches a typical mistake, which is then named. ``exercises.q1.hint()`` prints the
hints in steps, a first nudge, then a stronger one on the next call; the solution comes last,
hidden in the notebook's Solutions section.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from helpers.data import MovieLensSplit


class Unanswered(str):
    """What a ``test`` returns when the answer is still the placeholder (e.g. a function whose body
    is ``...``): ``check`` shows it as a prompt (✏️), not as a wrong answer (❌)."""


class Checked:
    """The result of ``Exercise.check``: truthy for a right answer; invisible in a notebook."""

    def __init__(self, correct: bool):
        self.correct = correct

    def __bool__(self) -> bool:
        return self.correct

    def __eq__(self, other: object) -> bool:
        return self.correct == bool(other)

    __hash__ = None

    def __repr__(self) -> str:
        return f"Checked(correct={self.correct})"

    def _ipython_display_(self) -> None:
        """The printed line is the feedback; a stray ``True``/``False`` below it would distract."""


@dataclass
class Exercise:
    """One exercise: ``expected`` computes the right answer, or ``test`` judges an answer.

    ``expected`` is called only when an answer is checked, so checkers can load data lazily.
    ``test`` returns ``None`` for a right answer and else a sentence saying what is wrong (an
    ``Unanswered`` sentence when the learner has not written anything yet).
    ``mistakes`` (with ``expected``) gives the typical wrong answers as ``(value, sentence)``
    pairs, computed from the data only when an answer is wrong: an answer that matches one is
    told what that mistake is (a percentage, the test set used, …) instead of only "not the answer".
    ``hint_text`` is one hint or a tuple of hints in steps (``hint()`` gives the next).
    """

    title: str
    hint_text: str | tuple[str, ...]
    expected: Callable[[], Any] | None = None
    test: Callable[[Any], str | None] | None = None
    rel_tol: float = 1e-3
    praise: str = ""
    mistakes: Callable[[], Iterable[tuple[Any, str]]] | None = None
    needs: tuple[str, ...] = ()  # the learner's objects check() must be given: ("model",)

    def __post_init__(self) -> None:
        self.hints = (self.hint_text,) if isinstance(self.hint_text, str) else tuple(self.hint_text)
        self._hints_given = 0

    def hint(self) -> None:
        """The next hint: the first call gives the first nudge, the next a stronger one, …"""
        if self._hints_given >= len(self.hints):
            print("💡 No more hints: the solution is in the Solutions section at the end of the "
                  "notebook (open it only after you have tried).")
            return
        step = self.hints[self._hints_given]
        self._hints_given += 1
        label = "Hint" if len(self.hints) == 1 else f"Hint {self._hints_given} of {len(self.hints)}"
        print(f"💡 {label}: {step}")

    def check(self, answer: Any, **given: Any) -> Checked:
        """Judge ``answer``. ``given`` are the learner's own objects the answer was computed from
        (``model=ranking_model``): ``expected`` and ``mistakes`` compute from them, so a checker
        needs no model of its own."""
        if answer is Ellipsis:
            print(f"✏️  {self.title}: replace `...` with your answer, then run the cell again.")
            return Checked(False)
        missing = [name for name in self.needs if name not in given]
        if missing:
            names = ", ".join(f"{name}=…" for name in missing)
            print(f"✏️  {self.title}: pass what you computed the answer from as well: "
                  f"check(answer, {names}), as the exercise cell does.")
            return Checked(False)
        problem = self.test(answer, **given) if self.test else self._compare(answer, given)
        if isinstance(problem, Unanswered):
            print(f"✏️  {self.title}: {problem}")
            return Checked(False)
        if problem is None:
            print(f"✅ Correct! {self.praise}".rstrip())
            return Checked(True)
        print(f"❌ Not yet: {problem} Try again, or call .hint() for a hint.")
        return Checked(False)

    def _compare(self, answer: Any, given: dict[str, Any]) -> str | None:
        problem = compare(answer, self.expected(**given), self.rel_tol)
        if problem is None or self.mistakes is None:
            return problem
        for value, sentence in self.mistakes(**given):
            if compare(answer, value, self.rel_tol) is None:
                return sentence
        return problem


def letter_choice(choices: dict[str, str], feedback: dict[str, str | None]) -> Callable[[Any], str | None]:
    """A ``test`` for a question answered with one letter of ``choices``: ``feedback[letter]`` is
    None for the one right letter, and for each wrong one a sentence that says why it is wrong
    without naming the answer. Anything but one of the letters is not an answer yet."""
    if set(feedback) != set(choices) or sum(text is None for text in feedback.values()) != 1:
        raise ValueError("feedback needs a sentence for every wrong letter and None for the one right letter")

    def test(answer) -> str | None:
        letter = answer.strip().lower() if isinstance(answer, str) else None
        if letter not in choices:
            return Unanswered(f"answer with one letter of {', '.join(choices)}.")
        return feedback[letter]

    return test


def exercises_of(module: ModuleType) -> dict[int, Exercise]:
    """A notebook's checked exercises by number: the ``q1``, ``q2``, … of its module."""
    return {int(name[1:]): value for name, value in vars(module).items()
            if isinstance(value, Exercise) and name[:1] == "q" and name[1:].isdigit()}


@cache
def standard_split(split: str = "random") -> MovieLensSplit:
    """``helpers.data.movielens_split(split)``, computed once per process for every checker."""
    from helpers.data import movielens_split

    return movielens_split(split)


def compare(answer: Any, expected: Any, rel_tol: float = 1e-3) -> str | None:
    """``None`` when ``answer`` matches ``expected``, else a sentence saying how it differs."""
    if isinstance(expected, bool) or isinstance(expected, str):
        if str(answer).strip().lower() == str(expected).strip().lower():
            return None
        return f"{answer!r} is not the answer."
    if isinstance(expected, (int, float, np.integer, np.floating)):
        try:
            value = float(answer)
        except (TypeError, ValueError):
            return f"expected a number, got {type(answer).__name__}."
        if math.isclose(value, float(expected), rel_tol=rel_tol, abs_tol=1e-9):
            return None
        within = f" (not within {rel_tol:.1%})" if rel_tol else ""
        return f"{value:g} is not the answer{within}."
    if isinstance(expected, (set, frozenset)):
        got = set(np.asarray(list(answer)).tolist()) if not isinstance(answer, set) else answer
        if got == expected:
            return None
        return f"{len(got & expected)} of your {len(got)} items are right; {len(expected)} expected."
    expected_array, answer_array = np.asarray(expected), np.asarray(answer)
    if expected_array.shape != answer_array.shape:
        return f"expected shape {expected_array.shape}, got {answer_array.shape}."
    if expected_array.dtype.kind in "fiu" and answer_array.dtype.kind in "fiu":
        if np.allclose(answer_array, expected_array, rtol=rel_tol):
            return None
        return "the shape is right but some values differ."
    if (answer_array == expected_array).all():
        return None
    return "the shape is right but some values differ."
