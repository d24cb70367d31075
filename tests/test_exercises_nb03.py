"""Notebook 03's exercises: the notebook's own hidden solutions pass their checkers, and typical
mistakes fail with feedback that names them (how: ``helpers.exercises.testing``).
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers.exercises import nb03 as exercises
from helpers.exercises.testing import NotebookExercises

ANSWER = {1: "penalty"}  # the name each solution gives its answer, where it is not `answer`

WITH_RANGE, WITHOUT = '"5 · + output range (0.5, 5.5)"', '"4b · + per-example L2"'
TABLE_PENALTY = '''
def penalty(model, user_index, item_index):
    l2 = model.get_layer("user_l2").l2
    return l2 * sum((model.get_layer(name).get_weights()[0] ** 2).sum()
                    for name in ("user_embedding", "item_embedding"))
'''
UNPAIRED = f'''
mean = np.mean(scores[{WITH_RANGE}]) - np.mean(scores[{WITHOUT}])
half = 2.776 * np.hypot(np.std(scores[{WITH_RANGE}], ddof=1), np.std(scores[{WITHOUT}], ddof=1)) / np.sqrt(5)
answer = (mean, mean - half, mean + half)
'''
MISTAKES = [
    (1, {".sum(axis=1).mean()": ".sum()"}, "sum over the batch"),
    (1, TABLE_PENALTY, "whole-table"),
    (1, {'model.get_layer("user_l2").l2': 'TUNED_CONFIG["l2"]'}, "TUNED_CONFIG"),
    (2, {f"np.array(scores[{WITH_RANGE}]) - np.array(scores[{WITHOUT}])":
         f"np.array(scores[{WITHOUT}]) - np.array(scores[{WITH_RANGE}])"}, "other way round"),
    (2, UNPAIRED, "ignores the pairing"),
    (2, {"ddof=1": "ddof=0"}, "ddof=0"),
    (2, {"2.776": "1.96"}, "Student's t"),
    (3, {'answer = "b"': 'answer = "a"'}, "finer grid"),
    (3, {'answer = "b"': 'answer = "d"'}, "reproducible, not right"),
    (4, {"model.count_params()": "(n_users + n_items) * 32"}, "embeddings only"),
    (4, {"model.count_params()": "model.count_params() + 1"}, "μ is a constant"),
    (4, {"model.count_params()": "n_users * n_items"}, "full ratings matrix"),
]


class TestExercises(NotebookExercises):
    exercises = exercises
    mistakes = MISTAKES
    answers = ANSWER

    def computed(self) -> dict:
        from helpers import experiments

        recorded = experiments.load("steps")
        return {"recorded": recorded, "scores": recorded["val_rmse"]}


def test_penalty_formula_is_what_the_model_adds():
    """The claim behind exercise 1: the PerExampleL2 layers add the batch mean of the squared norms."""
    from helpers.models import build_tuned_mf

    model = build_tuned_mf(6, 8, global_mean=3.5, k=3, l2=0.3)
    users, items = np.array([0, 1, 1, 5]), np.array([7, 2, 2, 0])
    model([users.astype("int32"), items.astype("int32")])
    user_rows = model.get_layer("user_embedding").get_weights()[0][users]
    item_rows = model.get_layer("item_embedding").get_weights()[0][items]
    expected = 0.3 * (np.square(user_rows).sum(1).mean() + np.square(item_rows).sum(1).mean())
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-4)


def test_the_stub_is_a_prompt_and_answers_of_the_wrong_kind_fail(capsys):
    def placeholder(model, user_index, item_index):
        ...  # the stub as the notebook shows it: a prompt, not a wrong answer

    assert not exercises.q1.check(placeholder)
    assert capsys.readouterr().out.startswith("✏️  Exercise 1")
    assert not exercises.q1.check("not a function")
    assert "should be a function" in capsys.readouterr().out
    assert not exercises.q2.check((0.1, 0.0))
    assert "three numbers" in capsys.readouterr().out
