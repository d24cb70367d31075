"""Notebook 03's exercises: each hidden solution passes its checker; wrong answers do not.

The solutions are run from the notebook's <details> blocks themselves, so a solution that drifts
from its checker fails here.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT, notebook_solutions, run_solution

from helpers import experiments
from helpers.exercises import nb03 as exercises

NOTEBOOK = ROOT / "notebooks" / "03_improving_the_model.ipynb"


@pytest.fixture(scope="module")
def solutions() -> dict[int, str]:
    found = notebook_solutions(NOTEBOOK)
    assert set(found) == {1, 2}
    return found


@pytest.fixture(scope="module")
def namespace():
    """What the notebook has defined by the time a reader reaches the exercises."""
    scores = experiments.load("steps")["val_rmse"]
    return {"np": np, "exercises": exercises, "scores": scores}


def test_solution_1_passes(solutions, namespace):
    scope = run_solution(solutions[1], namespace)
    assert exercises.q1.check(scope["penalty"])


def test_solution_2_passes(solutions, namespace):
    scope = run_solution(solutions[2], namespace)
    assert exercises.q2.check(scope["answer"])


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


def test_wrong_answers_fail(namespace, capsys):
    def sum_penalty(model, user_index, item_index):
        l2 = model.get_layer("user_l2").l2
        user_rows = model.get_layer("user_embedding").get_weights()[0][user_index]
        item_rows = model.get_layer("item_embedding").get_weights()[0][item_index]
        return l2 * ((user_rows ** 2).sum() + (item_rows ** 2).sum())

    def table_penalty(model, user_index, item_index):
        l2 = model.get_layer("user_l2").l2
        return l2 * sum((model.get_layer(name).get_weights()[0] ** 2).sum()
                        for name in ("user_embedding", "item_embedding"))

    capsys.readouterr()
    assert not exercises.q1.check(sum_penalty)
    assert "mean over the batch" in capsys.readouterr().out
    assert not exercises.q1.check(table_penalty)
    assert "whole-table" in capsys.readouterr().out

    def placeholder(model, user_index, item_index):
        ...  # the stub as the notebook shows it: a prompt, not a wrong answer

    assert not exercises.q1.check(placeholder)
    assert capsys.readouterr().out.startswith("✏️  Exercise 1")
    assert not exercises.q1.check("not a function")
    capsys.readouterr()

    scores = namespace["scores"]
    differences = np.array(scores["5 · + output range (0.5, 5.5)"]) - np.array(scores["4b · + per-example L2"])
    mean, spread = differences.mean(), differences.std(ddof=1)
    assert not exercises.q2.check(...)
    assert capsys.readouterr().out.startswith("✏️  Exercise 2")
    assert not exercises.q2.check((-mean, -mean - 0.001, -mean + 0.001))
    capsys.readouterr()
    unpaired = 2.776 * np.hypot(np.std(scores["5 · + output range (0.5, 5.5)"], ddof=1),
                                np.std(scores["4b · + per-example L2"], ddof=1)) / np.sqrt(5)
    assert not exercises.q2.check((mean, mean - unpaired, mean + unpaired))
    assert "per-seed differences" in capsys.readouterr().out
    assert not exercises.q2.check((mean, mean - spread))
    assert not exercises.q2.check("no")


def test_hint_prints(capsys):
    exercises.q2.hint()
    assert capsys.readouterr().out.startswith("💡 Hint:")
