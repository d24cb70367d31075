"""Notebook 04's exercises: each hidden solution passes its checker; wrong answers do not."""

from __future__ import annotations

import pytest

from helpers.baselines import Biases, ItemMean
from helpers.data import encode_ids, random_split, temporal_split
from helpers.exercises import nb04 as exercises
from helpers.metrics import mae, rmse


@pytest.fixture(scope="module")
def split(movielens):
    encoded, _ = encode_ids(*movielens)
    return encoded, *random_split(encoded)


def test_solutions_pass(split):
    encoded, train, test = split
    # the code of the notebook's hidden solutions
    user_means = train.groupby("user_index")["rating"].mean()
    predicted = test["user_index"].map(user_means).fillna(train["rating"].mean())
    assert exercises.q1.check(mae(test["rating"], predicted))

    mu = train["rating"].mean()
    assert exercises.q2.check((2 * (5 - mu)) / (10 + 2))

    stats = train.groupby("item_index")["rating"].agg(["sum", "size"])
    damped = (stats["sum"] + 5 * mu) / (stats["size"] + 5)
    assert exercises.q3.check(rmse(test["rating"], test["item_index"].map(damped).fillna(mu)))

    temporal_train, temporal_test = temporal_split(encoded)
    model = Biases().fit(temporal_train)
    assert exercises.q4.check(rmse(temporal_test["rating"],
                                   model.predict(temporal_test["user_index"],
                                                 temporal_test["item_index"])))


def test_wrong_answers_fail(split, capsys):
    _, train, test = split
    item_mean = ItemMean().fit(train).predict(test["user_index"], test["item_index"])
    assert not exercises.q1.check(mae(test["rating"], item_mean))  # the item mean, not the user mean
    assert not exercises.q2.check(5 - train["rating"].mean())  # the unshrunk offset
    assert "too high" in capsys.readouterr().out
    assert not exercises.q3.check(rmse(test["rating"], item_mean))  # not damped
    random_biases = Biases().fit(train).predict(test["user_index"], test["item_index"])
    assert not exercises.q4.check(rmse(test["rating"], random_biases))  # the random split
    assert not exercises.q1.check(...)
    assert "replace `...`" in capsys.readouterr().out


def test_hints_print(capsys):
    for question in (exercises.q1, exercises.q2, exercises.q3, exercises.q4):
        question.hint()
        assert capsys.readouterr().out.startswith("💡 Hint:")
