"""Notebook 05's exercises: each hidden solution passes its checker; wrong answers do not."""

from __future__ import annotations

import pytest

from helpers.exercises import nb05 as exercises
from helpers.ranking import evaluate_ranking, popularity_scores, ranking_scores
from helpers.recommend import extract_embeddings, item_id_of, recommend_for_user, similar_movies


@pytest.fixture(scope="module")
def notebook(movielens):
    """The objects the notebook has when its reader reaches the exercises."""
    train, test, encoding, movies = exercises._split()
    return {"train": train, "test": test, "encoding": encoding, "movies": movies,
            "n_users": encoding.n_users, "n_items": encoding.n_items,
            "ranking_model": exercises._ranking_model()}


def test_solutions_pass(notebook):
    train, test, encoding, movies = (notebook[name] for name in ("train", "test", "encoding", "movies"))
    ranking_model, n_users, n_items = notebook["ranking_model"], notebook["n_users"], notebook["n_items"]

    table = recommend_for_user(42, ranking_scores(ranking_model), train, encoding, movies, n=10)
    assert exercises.q1.check(table["item_id"].tolist())

    item_embeddings = extract_embeddings(ranking_model)["item_embeddings"]
    nearest = similar_movies(item_id_of(movies, "Star Wars"), item_embeddings, encoding, movies, n=1)
    assert exercises.q2.check(nearest["title"].iloc[0])

    popular = popularity_scores(train, n_users, n_items)
    assert exercises.q3.check(evaluate_ranking(popular, train, test, k=5)["hit_rate@5"])

    strict = evaluate_ranking(ranking_scores(ranking_model), train, test, k=10, threshold=5)
    assert exercises.q4.check(strict["ndcg@10"])


def test_wrong_answers_fail(notebook, capsys):
    train, test, encoding, movies = (notebook[name] for name in ("train", "test", "encoding", "movies"))
    right = exercises._top10_for_user_42()
    assert not exercises.q1.check(right[::-1])
    assert "not in the right order" in capsys.readouterr().out
    rated = train.loc[train["user_id"] == 42, "item_id"].head(10).tolist()  # seen movies
    assert not exercises.q1.check(rated)
    assert "already rated" in capsys.readouterr().out
    indices = encoding.item_index(right).tolist()  # indices instead of ids
    assert not exercises.q1.check(indices)
    assert not exercises.q1.check(right[:5])
    assert not exercises.q2.check("Star Wars")
    popular = popularity_scores(train, notebook["n_users"], notebook["n_items"])
    assert not exercises.q3.check(evaluate_ranking(popular, train, test, k=10)["hit_rate@10"])
    lenient = evaluate_ranking(ranking_scores(notebook["ranking_model"]), train, test, k=10)
    assert not exercises.q4.check(lenient["ndcg@10"])  # the 4-star threshold
    assert not exercises.q4.check(...)
    assert "replace `...`" in capsys.readouterr().out


def test_hints_print(capsys):
    for exercise in (exercises.q1, exercises.q2, exercises.q3, exercises.q4):
        exercise.hint()
    assert capsys.readouterr().out.count("💡 Hint:") == 4
