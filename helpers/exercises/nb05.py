"""Exercises of notebook 05 (recommending). Each checker computes its answer from the data.

Exercises 1, 2 and 4 compare with the ranking model of notebook 05, trained here once, the same
way (``helpers.ranking.fit_ranking_model`` on the standard split, seeded): the first check of
one of them takes a few seconds.
"""

from __future__ import annotations

from functools import cache

from helpers.data import encode_ids, load_movielens_100k, random_split
from helpers.exercises import Exercise


@cache
def _split():
    ratings, movies = load_movielens_100k()
    encoded, encoding = encode_ids(ratings, movies)
    train, test = random_split(encoded)
    return train, test, encoding, movies


@cache
def _ranking_model():
    from helpers.ranking import fit_ranking_model

    train, _, encoding, _ = _split()
    print("(training the reference ranking model once, a few seconds …)")
    model, _ = fit_ranking_model(train, encoding.n_users, encoding.n_items)
    return model


def _top10_for_user_42() -> list[int]:
    from helpers.ranking import ranking_scores
    from helpers.recommend import recommend_for_user

    train, _, encoding, movies = _split()
    table = recommend_for_user(42, ranking_scores(_ranking_model()), train, encoding, movies, n=10)
    return table["item_id"].tolist()


def _test_top10(answer) -> str | None:
    expected = _top10_for_user_42()
    try:
        answer = [int(item) for item in answer]
    except (TypeError, ValueError):
        return "give a list of 10 item ids (integers)."
    if len(answer) != 10:
        return f"expected 10 item ids, got {len(answer)}."
    train, _, _, _ = _split()
    rated = set(train.loc[train["user_id"] == 42, "item_id"])
    if rated & set(answer):
        return f"{len(rated & set(answer))} of them user 42 already rated in train: exclude them."
    if answer == expected:
        return None
    if set(answer) == set(expected):
        return "the right movies, but not in the right order (best first)."
    if set(answer) & set(expected):
        return (f"{len(set(answer) & set(expected))} of your 10 are right. Did you use the "
                "ranking model's scores and item ids (not indices)?")
    return "none of them is right. Did you use item ids (not indices) and the ranking model?"


def _most_similar_to_star_wars() -> str:
    from helpers.recommend import extract_embeddings, item_id_of, similar_movies

    _, _, encoding, movies = _split()
    item_embeddings = extract_embeddings(_ranking_model())["item_embeddings"]
    nearest = similar_movies(item_id_of(movies, "Star Wars"), item_embeddings, encoding, movies, n=1)
    return str(nearest["title"].iloc[0])


def _popularity_hit_rate_at_5() -> float:
    from helpers.ranking import evaluate_ranking, popularity_scores

    train, test, encoding, _ = _split()
    scores = popularity_scores(train, encoding.n_users, encoding.n_items)
    return evaluate_ranking(scores, train, test, k=5)["hit_rate@5"]


def _ndcg_with_five_stars() -> float:
    from helpers.ranking import evaluate_ranking, ranking_scores

    train, test, _, _ = _split()
    return evaluate_ranking(ranking_scores(_ranking_model()), train, test, k=10,
                            threshold=5)["ndcg@10"]


q1 = Exercise(
    "Exercise 1 (top 10 for user 42)",
    "recommend_for_user(42, ranking_scores(ranking_model), train, encoding, movies, n=10) gives a "
    "table; its item_id column, as a list, is the answer.",
    test=_test_top10,
    praise="Those are user 42's ten best unseen movies according to the ranking model.",
)
q2 = Exercise(
    "Exercise 2 (most similar to Star Wars)",
    "extract_embeddings(ranking_model)['item_embeddings'], then similar_movies(item_id_of(movies, "
    "'Star Wars'), ..., n=1): the title in the first row.",
    expected=_most_similar_to_star_wars,
)
q3 = Exercise(
    "Exercise 3 (hit rate@5 of popularity)",
    "evaluate_ranking(popularity_scores(train, n_users, n_items), train, test, k=5) returns a dict "
    "with the key 'hit_rate@5'.",
    expected=_popularity_hit_rate_at_5,
)
q4 = Exercise(
    "Exercise 4 (only 5 stars are relevant)",
    "evaluate_ranking has a threshold argument: the lowest test rating that counts as relevant.",
    expected=_ndcg_with_five_stars,
    praise="Fewer movies count as relevant, so the task is harder and NDCG is lower.",
)
