"""Notebook 02's exercises: each hidden solution passes its checker; wrong answers do not.

The solutions are run from the notebook's <details> blocks themselves, so a solution that drifts
from its checker fails here.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT, notebook_solutions, run_solution

from helpers.exercises import nb02 as exercises

NOTEBOOK = ROOT / "notebooks" / "02_keras_matrix_factorization.ipynb"


@pytest.fixture(scope="module")
def solutions() -> dict[int, str]:
    found = notebook_solutions(NOTEBOOK)
    assert set(found) == {1, 2}
    return found


@pytest.fixture(scope="module")
def namespace():
    """What the notebook has defined by the time a reader reaches the exercises."""
    import keras
    from keras import layers

    from helpers.data import encode_ids, load_movielens_100k, random_split
    from helpers.models import fit_classic_mf
    from helpers.selection import carve_validation

    ratings, movies = load_movielens_100k()
    encoded, encoding = encode_ids(ratings, movies)
    train, _ = random_split(encoded)
    fit_part, _ = carve_validation(train)
    return {"keras": keras, "layers": layers, "np": np, "exercises": exercises,
            "fit_classic_mf": fit_classic_mf, "train": train, "n_users": encoding.n_users,
            "n_items": encoding.n_items, "global_mean": float(fit_part["rating"].mean())}


def test_solution_1_passes(solutions, namespace):
    scope = run_solution(solutions[1], namespace)
    assert exercises.q1.check(scope["answer"])


def test_solution_2_passes(solutions, namespace):
    scope = run_solution(solutions[2], namespace)
    assert exercises.q2.check(scope["answer"])


def test_wrong_answers_fail(namespace, capsys):
    keras, layers = namespace["keras"], namespace["layers"]
    n_users, n_items = namespace["n_users"], namespace["n_items"]
    from helpers.models import build_classic_mf, build_tuned_mf

    assert not exercises.q2.check(...)
    assert "replace `...`" in capsys.readouterr().out
    assert not exercises.q2.check(build_classic_mf(n_users, n_items))  # no bias layers
    assert "user_bias" in capsys.readouterr().out
    assert not exercises.q2.check(build_tuned_mf(n_users, n_items, 3.5))  # squashed output
    assert "no squashing" in capsys.readouterr().out

    user = keras.Input(shape=(), dtype="int32")
    item = keras.Input(shape=(), dtype="int32")
    unused = layers.Embedding(n_users, 1, name="user_bias")(user)  # built, but not in the output
    layers.Embedding(n_items, 1, name="item_bias")(item)
    vectors = layers.Dot(axes=1)([layers.Embedding(n_users, 4)(user), layers.Embedding(n_items, 4)(item)])
    not_added = keras.Model([user, item], [vectors, unused])
    assert not exercises.q2.check(not_added)

    assert not exercises.q1.check(np.zeros(n_items))
    assert not exercises.q1.check(np.zeros(10))
    assert not exercises.q1.check(np.random.default_rng(0).normal(size=n_items))


def test_hint_prints(capsys):
    exercises.q1.hint()
    assert capsys.readouterr().out.startswith("💡 Hint:")
