"""Exercises of notebook 05 (recommending). Each checker computes its answer from the data and
from the learner's own ranking model (``check(answer, model=ranking_model)``); none trains a model
of its own or holds a hard-coded result.
"""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise, letter_choice, standard_split

USER_ID = 42
"""The MovieLens id of exercise 1's user."""
SIMILAR_TO = "Fargo"
"""Exercise 2's movie: the rating model's neighbours of it are shown in section 4, the ranking
model's nowhere above the exercise."""


def _ranking_scores(model) -> np.ndarray:
    from helpers.ranking import ranking_scores

    return ranking_scores(model)


def _top10_for(user_id: int, model) -> list[int]:
    from helpers.recommend import recommend_for_user

    split = standard_split()
    table = recommend_for_user(user_id, _ranking_scores(model), split.train, split.encoding,
                               split.movies, n=10)
    return table["item_id"].tolist()


def _test_top10(answer, model) -> str | None:
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
                f"{encoding.user_ids[USER_ID]}: find the row of user id {USER_ID} with "
                "encoding.user_index.")
    train = standard_split().train
    rated = set(train.loc[train["user_id"] == USER_ID, "item_id"])
    if rated & set(answer):
        return (f"{len(rated & set(answer))} of them user {USER_ID} already rated in train: "
                "remove the seen movies before you take the best.")
    if set(answer) == set(expected):
        return "the right movies, but not in the right order (best first)."
    if set(answer) & set(expected):
        return (f"{len(set(answer) & set(expected))} of your 10 are right. Did you use the "
                "ranking model's scores and item ids (not indices)?")
    return "none of them is right. Did you use item ids (not indices) and the ranking model?"


def _most_similar(model, rating_model=None) -> str:
    from helpers.recommend import extract_embeddings, item_id_of, similar_movies

    split = standard_split()
    nearest = similar_movies(item_id_of(split.movies, SIMILAR_TO),
                             extract_embeddings(model)["item_embeddings"], split.encoding,
                             split.movies, n=1)
    return str(nearest["title"].iloc[0])


def _similar_mistakes(model, rating_model=None):
    yield SIMILAR_TO, f"that is {SIMILAR_TO} itself: leave the movie out and take the nearest other one."
    if rating_model is not None:
        yield (_most_similar(rating_model),
               "that is the rating model's nearest (section 4): use extract_embeddings(ranking_model).")


LEAK_CHOICES = {
    "a": "nothing: more ratings make the popularity counts more precise, so the higher score is real",
    "b": "the counts include the test ratings: the baseline knows which movies the test users went "
         "on to watch, and the score is inflated (leakage)",
    "c": "the movies each user already rated were not removed from the lists",
    "d": "NDCG@10 favours popular movies: they should compare recall@10 instead",
}
"""Exercise 3's answers to choose from (answer with the letter)."""


_test_leak_diagnosis = letter_choice(LEAK_CHOICES, {
    "a": "more precise about what? The extra ratings are the test set's: which data may a "
         "model see before it is scored?",
    "b": None,
    "c": "evaluate_ranking removes each user's train movies in both versions. What did the "
         "colleague count the popularity on?",
    "d": "the metric is not the problem: recall@10 rises too. Which ratings went into the "
         "counts?",
})


def _evaluate(scores: np.ndarray, **settings) -> dict[str, float]:
    """``evaluate_ranking`` on the standard split; ``settings``: its ``k`` and ``threshold``."""
    from helpers.ranking import evaluate_ranking

    split = standard_split()
    return evaluate_ranking(scores, split.train, split.test, **settings)


def _popularity_scores(ratings=None) -> np.ndarray:
    """Most-popular scores counted on ``ratings`` (the train ratings unless given)."""
    from helpers.ranking import popularity_scores

    split = standard_split()
    return popularity_scores(split.train if ratings is None else ratings,
                             split.encoding.n_users, split.encoding.n_items)


def _ndcg_with_five_stars(model) -> float:
    return _evaluate(_ranking_scores(model), k=10, threshold=5)["ndcg@10"]


def _ndcg_mistakes(model):
    yield (_evaluate(_ranking_scores(model), k=10)["ndcg@10"],
           "that NDCG counts 4-star ratings as relevant too (the default threshold): only 5 stars count.")
    yield (_evaluate(_popularity_scores(), k=10, threshold=5)["ndcg@10"],
           "that is the most-popular baseline's NDCG: the question asks for the ranking model's.")


TSNE_CHOICES = {
    "a": "the two groups are liked by very different audiences: the farther apart on the map, the "
         "more different",
    "b": "not much: t-SNE keeps near neighbours near, but the distances between its regions (and "
         "their sizes) carry no meaning; compare the groups' vectors in k dimensions instead",
    "c": "the model has learned two genres, one for each region",
    "d": "the same as on the PCA map: both projections keep the distances of the k-dimensional space",
}
"""Exercise 5's answers to choose from (answer with the letter)."""


_test_tsne_reading = letter_choice(TSNE_CHOICES, {
    "a": "that reads t-SNE's distances as if they were the embeddings' own. Which distances "
         "does t-SNE try to keep, and which does it give up?",
    "b": None,
    "c": "the model never saw genres, and a region of a map is not a factor. What does t-SNE "
         "keep from the k-dimensional space?",
    "d": "neither keeps them: PCA drops most of the variance (the share printed in section 5), "
         "t-SNE keeps only who is near whom. Which of the two kept more neighbours?",
})


q1 = Exercise(
    "Exercise 1 (top 10 for user 42, by hand)",
    ("Three steps: user 42's row of scores (which row is that?), the movies they rated in train "
     "pushed below every other, then the 10 best, translated to MovieLens ids.",
     "The row is encoding.user_index([42])[0]; where seen_mask(train, n_users, n_items) is True in "
     "that row, put -np.inf; np.argsort of minus the scores gives the best first; encoding.item_ids "
     "turns indices into ids."),
    test=_test_top10,
    needs=("model",),
    praise="That is what top_n and recommend_for_user do for you: the user's row, the seen movies "
           "masked, the best first, ids instead of indices.",
)
q2 = Exercise(
    "Exercise 2 (the ranking model's nearest to Fargo)",
    ("Similarity lives in an item embedding table: this time the ranking model's, not the rating "
     "model's of section 4.",
     "extract_embeddings(ranking_model) gives the ranking model's tables; similar_movies takes an "
     "item id (item_id_of(movies, 'Fargo')), the item embeddings, the encoding and the movies."),
    expected=_most_similar,
    mistakes=_similar_mistakes,
    needs=("model",),
    praise="Compare with the rating model's nearest in section 4: the ranking model's nearest has "
           "more train ratings, as its vectors also carry popularity (section 9).",
)
q3 = Exercise(
    "Exercise 3 (a baseline that saw the test set)",
    ("Ask which ratings each number was computed from, and whether the test set is among them.",
     "split.ratings holds all 100,000 ratings, the 20,000 of the test set included; section 6 "
     "counts popularity on train only."),
    test=_test_leak_diagnosis,
    praise="Counting on all ratings tells the baseline what the test users watched next: the "
           "inflated score says nothing about new data. Anything fitted, counts included, sees "
           "train only.",
)
q4 = Exercise(
    "Exercise 4 (only 5 stars are relevant)",
    ("Relevance is a threshold on the test rating: which threshold did the notebook use, and "
     "which do you need now?",
     "evaluate_ranking has a threshold argument: the lowest test rating that counts as relevant."),
    expected=_ndcg_with_five_stars,
    mistakes=_ndcg_mistakes,
    needs=("model",),
    praise="Fewer movies count as relevant, so the task is harder and NDCG is lower.",
)
q5 = Exercise(
    "Exercise 5 (reading a t-SNE map)",
    ("What does t-SNE try to keep from the k-dimensional space: all distances, or only who is "
     "near whom?",
     "Section 5 measured how many of each movie's 10 nearest neighbours each map keeps; nothing "
     "there measures distances between far-apart regions."),
    test=_test_tsne_reading,
    praise="A t-SNE map answers 'who sits next to whom'; for 'how different are these two "
           "groups', compute in the embedding space (cosine, as section 4 does).",
)
