"""Notebook 06's exercises: each hidden solution passes its checker; wrong answers do not."""

from __future__ import annotations

import numpy as np

from helpers.baselines import Biases
from helpers.data import encode_ids, random_split
from helpers.exercises import nb06 as exercises
from helpers.nonnegative import factor_matrices
from helpers.recommend import fold_in_user, item_id_of


def test_solution_1_passes_and_wrong_answers_fail():
    problem = exercises.ridge_problem()
    design = np.column_stack([problem["item_embeddings"], np.ones(3)])
    target = problem["ratings"] - problem["global_mean"] - problem["item_bias"]
    answer = np.linalg.solve(design.T @ design + problem["l2"] * np.eye(3), design.T @ target)
    assert exercises.q1.check(answer)
    no_ridge = np.linalg.lstsq(design, target, rcond=None)[0]  # forgot λ
    assert not exercises.q1.check(no_ridge)
    assert not exercises.q1.check(answer[:2])  # forgot the bias
    assert not exercises.q1.check(...)


def test_solution_2_passes_and_wrong_answers_fail(movielens):
    ratings, movies = movielens
    encoded, encoding = encode_ids(ratings, movies)
    train, _ = random_split(encoded)
    biases = Biases().fit(train)
    items = encoding.item_index([item_id_of(movies, title) for title in exercises.BIAS_ONLY_USER])
    stars = np.array(list(exercises.BIAS_ONLY_USER.values()))
    answer = (stars - biases.mean_ - biases.item_bias_[items]).sum() / (len(stars) + 15)
    assert exercises.q2.check(answer)
    as_fold_in = fold_in_user(items, stars, np.zeros((len(biases.item_bias_), 0)),
                              biases.item_bias_, biases.mean_, l2=15)[1]
    assert exercises.q2.check(as_fold_in)
    unshrunk = (stars - biases.mean_ - biases.item_bias_[items]).mean()  # λ = 0
    assert not exercises.q2.check(unshrunk)


def test_solution_3_passes_and_wrong_answers_fail(capsys):
    model = exercises._nonneg_model()  # the same seeded training as the notebook's
    _, item_factors = factor_matrices(model)
    assert exercises.q3.check((item_factors == 0).mean())
    assert not exercises.q3.check((item_factors == 0).sum())  # a count, not a share
    assert not exercises.q3.check((item_factors > 0).mean())
    exercises.q3.hint()
    assert "💡 Hint:" in capsys.readouterr().out
