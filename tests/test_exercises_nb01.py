"""Notebook 01's exercises: each hidden solution passes its checker; wrong answers do not."""

from __future__ import annotations

from helpers.data import encode_ids, split_report, temporal_split
from helpers.exercises import nb01 as exercises


def test_solutions_pass(movielens):
    ratings, movies = movielens
    assert exercises.q1.check(len(ratings) / (ratings["user_id"].nunique() * len(movies)))
    assert exercises.q2.check((ratings.groupby("user_id").size() >= 100).sum())
    stats = ratings.groupby("item_id")["rating"].agg(["mean", "size"])
    best = stats[stats["size"] >= 200]["mean"].idxmax()
    assert exercises.q3.check(movies.set_index("item_id").loc[best, "title"])
    _, encoding = encode_ids(ratings, movies)
    star_wars = movies.loc[movies["title"] == "Star Wars", "item_id"]
    assert exercises.q4.check(encoding.item_index(star_wars)[0])
    temporal_train, temporal_test = temporal_split(ratings)
    assert exercises.q5.check(split_report(temporal_train, temporal_test)["test_items_unseen"])


def test_wrong_answers_fail(capsys):
    assert not exercises.q1.check(6.3)  # a percentage, not a fraction
    assert "too high" in capsys.readouterr().out
    assert not exercises.q2.check(0)
    assert not exercises.q3.check("Close Shave, A")  # best mean, but under 200 ratings
    assert not exercises.q4.check(50)  # the id, not the index
    assert not exercises.q5.check(...)
    assert "replace `...`" in capsys.readouterr().out


def test_hint_prints(capsys):
    exercises.q3.hint()
    assert capsys.readouterr().out.startswith("💡 Hint:")
