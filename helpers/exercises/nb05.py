"""Exercises of notebook 05 (recommending). Each checker computes its answer from the data.

Exercises 1, 2 and 4 compare with the ranking model of notebook 05, trained here once, the same
way (``helpers.ranking.fit_ranking_model`` on the standard split, seeded): the first check of
one of them takes a few seconds.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from helpers.exercises import Exercise, standard_split

USER_ID = 42
"""The MovieLens id of exercise 1's user."""


@cache
def ranking_model():
    """Notebook 05's ``ranking_model``, trained again on the standard split (seeded: the same
    weights), once per process; the checkers of exercises 1, 2 and 4 compare with it."""
    from helpers.ranking import fit_ranking_model

    split = standard_split()
    print("(training the reference ranking model once, a few seconds …)")
    model, _ = fit_ranking_model(split.train, split.encoding.n_users, split.encoding.n_items)
    return model


def _ranking_scores(model=None) -> np.ndarray:
    """The scores of the learner's ``model`` (``check(answer, model=ranking_model)``)."""
    from helpers.ranking import ranking_scores

    return ranking_scores(ranking_model() if model is None else model)


def _top10_for(user_id: int, model=None) -> list[int]:
    from helpers.recommend import recommend_for_user

    split = standard_split()
    table = recommend_for_user(user_id, _ranking_scores(model), split.train, split.encoding,
                               split.movies, n=10)
    return table["item_id"].tolist()


def _test_top10(answer, model=None) -> str | None:
    expected = _top10_for(USER_ID, model)
    try:
        answer = [int(item) for item in answer]
    except (TypeError, ValueError):
        return "give a list of 10 item ids (integers)."
    if len(answer) != 10:
        return f"expected 10 item ids, got {len(answer)}."
    if answer == expected:
        return None
    encoding = standard_split().encoding
    if answer == encoding.item_index(expected).tolist():
        return "those are item indices: answer with item ids (encoding.item_ids[index])."
    if answer == _top10_for(int(encoding.user_ids[USER_ID]), model):
        return (f"that is the list of user index {USER_ID}, whose MovieLens id is "
                f"{encoding.user_ids[USER_ID]}: recommend_for_user takes the user_id.")
    train = standard_split().train
    rated = set(train.loc[train["user_id"] == USER_ID, "item_id"])
    if rated & set(answer):
        return (f"{len(rated & set(answer))} of them user {USER_ID} already rated in train: "
                "exclude them.")
    if set(answer) == set(expected):
        return "the right movies, but not in the right order (best first)."
    if set(answer) & set(expected):
        return (f"{len(set(answer) & set(expected))} of your 10 are right. Did you use the "
                "ranking model's scores and item ids (not indices)?")
    return "none of them is right. Did you use item ids (not indices) and the ranking model?"


def _most_similar_to_star_wars(model=None) -> str:
    from helpers.recommend import extract_embeddings, item_id_of, similar_movies

    split = standard_split()
    item_embeddings = extract_embeddings(ranking_model() if model is None else model)["item_embeddings"]
    nearest = similar_movies(item_id_of(split.movies, "Star Wars"), item_embeddings,
                             split.encoding, split.movies, n=1)
    return str(nearest["title"].iloc[0])


def _star_wars_mistakes(model=None):
    yield "Star Wars", "that is Star Wars itself: leave the movie out and take the nearest other one."


def _evaluate(scores: np.ndarray, **settings) -> dict[str, float]:
    """``evaluate_ranking`` on the standard split; ``settings``: its ``k`` and ``threshold``."""
    from helpers.ranking import evaluate_ranking

    split = standard_split()
    return evaluate_ranking(scores, split.train, split.test, **settings)


def _popularity_scores() -> np.ndarray:
    from helpers.ranking import popularity_scores

    split = standard_split()
    return popularity_scores(split.train, split.encoding.n_users, split.encoding.n_items)


def _popularity_hit_rate_at_5() -> float:
    return _evaluate(_popularity_scores(), k=5)["hit_rate@5"]


def _hit_rate_mistakes():
    """Only mistakes computed without a model: the check takes no model."""
    yield (_evaluate(_popularity_scores(), k=10)["hit_rate@10"],
           "that is the hit rate@10 (evaluate_ranking's default k): pass k=5.")
    yield 100 * _popularity_hit_rate_at_5(), "that looks like a percentage: give a fraction between 0 and 1."
    yield (_evaluate(_popularity_scores(), k=5, threshold=5)["hit_rate@5"],
           "that counts only 5-star ratings as relevant: the question keeps 4 stars and more.")


def _ndcg_with_five_stars(model=None) -> float:
    return _evaluate(_ranking_scores(model), k=10, threshold=5)["ndcg@10"]


def _ndcg_mistakes(model=None):
    yield (_evaluate(_ranking_scores(model), k=10)["ndcg@10"],
           "that NDCG counts 4-star ratings as relevant too (the default threshold): only 5 stars count.")
    yield (_evaluate(_popularity_scores(), k=10, threshold=5)["ndcg@10"],
           "that is the most-popular baseline's NDCG: the question asks for the ranking model's.")


q1 = Exercise(
    "Exercise 1 (top 10 for user 42)",
    ("A ranking model's scores, minus the movies the user already rated in train, best first: the notebook has a helper that does all three.",
               "recommend_for_user(42, ranking_scores(ranking_model), train, encoding, movies, n=10) gives a "
    "table; its item_id column, as a list, is the answer."),
    test=_test_top10,
    praise="Those are user 42's ten best unseen movies according to the ranking model.",
)
q2 = Exercise(
    "Exercise 2 (most similar to Star Wars)",
    ('Similarity lives in the item embedding table of the *ranking* model, not of the rating model.',
               "extract_embeddings(ranking_model)['item_embeddings'], then similar_movies(item_id_of(movies, "
    "'Star Wars'), ..., n=1): the title in the first row."),
    expected=_most_similar_to_star_wars,
    mistakes=_star_wars_mistakes,
)
q3 = Exercise(
    "Exercise 3 (hit rate@5 of popularity)",
    ("The notebook's ranking evaluation takes any score matrix and a k; popularity is a score matrix too.",
               "evaluate_ranking(popularity_scores(train, n_users, n_items), train, test, k=5) returns a dict "
    "with the key 'hit_rate@5'."),
    expected=_popularity_hit_rate_at_5,
    mistakes=_hit_rate_mistakes,
)
q4 = Exercise(
    "Exercise 4 (only 5 stars are relevant)",
    ('Relevance is a threshold on the test rating: which threshold did the notebook use, and which do you need now?',
               "evaluate_ranking has a threshold argument: the lowest test rating that counts as relevant."),
    expected=_ndcg_with_five_stars,
    mistakes=_ndcg_mistakes,
    praise="Fewer movies count as relevant, so the task is harder and NDCG is lower.",
)
