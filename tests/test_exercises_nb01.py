"""Notebook 01's exercises: the notebook's own hidden solutions pass their checkers, and typical
mistakes fail with feedback that names them (how: ``helpers.exercises.testing``).
"""

from __future__ import annotations

from helpers.exercises import nb01 as exercises
from helpers.exercises.testing import NotebookExercises

ANSWER = {1: "density"}  # the name each solution gives its answer, where it is not `answer`
DISTINCT = 'frame["user_id"].nunique() * frame["item_id"].nunique()'
MISTAKES = [
    (1, {"return len": "return 100 * len"}, "percentage"),
    (1, {DISTINCT: 'frame["user_id"].max() * frame["item_id"].max()'}, "largest ids"),
    (1, {DISTINCT: 'len(frame["user_id"]) * frame["item_id"].nunique()'}, "distinct users"),
    (1, {DISTINCT: "943 * 1682"}, "whole catalogue"),
    (2, {">= 100": "> 100"}, "more than 100"),
    (2, {'groupby("user_id")': 'groupby("item_id")'}, "counts movies"),
    (3, {'stats[stats["size"] >= 200]': "stats"}, "fewer than 200 ratings"),
    (3, {'stats[stats["size"] >= 200]["mean"].idxmin()': 'stats["size"].idxmax()'}, "most rated movie"),
    (3, {".idxmin()": ".idxmax()"}, "best liked of them"),
    (3, {'answer = movies.set_index("item_id").loc[worst, "title"]': "answer = worst"}, "title"),
    (4, {'answer = "b"': 'answer = "a"'}, "not for next week"),
    (4, {'answer = "b"': 'answer = "c"'}, "size is not the problem"),
    (4, {'answer = "b"': 'answer = "d"'}, "every seed has the same flaw"),
    (5, {'in_first_week[encoded["timestamp"] >= cutoff]': "in_first_week"}, "over all ratings"),
    (5, {">= cutoff": "< cutoff"}, "training period"),
    (5, {".mean()": ".mean() * 100"}, "percentage"),
    (5, {"answer = in_first_week[": "answer = (~in_first_week)["}, "came back later"),
]


class TestExercises(NotebookExercises):
    exercises = exercises
    mistakes = MISTAKES
    answers = ANSWER

    def computed(self) -> dict:
        """Section 4's names exercise 5 reads: who rated in their first week, and the cut-off."""
        from helpers.data import global_temporal_split

        ratings = exercises.standard_split().ratings
        _, test = global_temporal_split(ratings)
        return {"in_first_week": exercises._first_week(ratings), "cutoff": test["timestamp"].min()}


def test_a_density_that_is_not_a_function_is_told_so(capsys):
    assert not exercises.q1.check(0.063)
    assert "should be a function" in capsys.readouterr().out
