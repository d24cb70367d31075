"""Notebook 05's exercises: the notebook's own hidden solutions pass their checkers, and typical
mistakes fail with feedback that names them (how: ``helpers.exercises.testing``). The learner's
``ranking_model`` is ``conftest.reference_ranking_model()``, trained the way the notebook does.
"""

from __future__ import annotations

import numpy as np

from conftest import reference_ranking_model, reference_rating_model
from helpers.exercises import nb05 as exercises
from helpers.exercises.testing import NotebookExercises

NO_MASK = {"np.where(seen_mask(train, n_users, n_items)[row], -np.inf, ranked[row])": "ranked[row]"}
NEAREST_BY_HAND = '''
item_embeddings = extract_embeddings(ranking_model)["item_embeddings"]
unit = item_embeddings / np.linalg.norm(item_embeddings, axis=1, keepdims=True)
cosine = unit @ unit[encoding.item_index([item_id_of(movies, "Fargo")])[0]]
answer = movies.set_index("item_id").loc[encoding.item_ids[np.argmax(cosine)], "title"]
exercises.q2.check(answer, model=ranking_model, rating_model=rating_model)
'''
MISTAKES = [
    (1, NO_MASK, "already rated"),
    (1, {"answer = encoding.item_ids[np.argsort(-user_scores, kind=\"stable\")[:10]].tolist()":
         "answer = np.argsort(-user_scores, kind=\"stable\")[:10].tolist()"}, "item indices"),
    (1, {"row = encoding.user_index([42])[0]": "row = 42"}, "user index 42"),
    (1, {".tolist()\n": ".tolist()\nanswer = sorted(answer)\n"}, "right order"),
    (2, NEAREST_BY_HAND, "Fargo itself"),
    (2, {"extract_embeddings(ranking_model)": "extract_embeddings(rating_model)"}, "rating model's nearest"),
    (3, {'answer = "b"': 'answer = "a"'}, "more precise about what"),
    (3, {'answer = "b"': 'answer = "c"'}, "removes each user's train movies"),
    (3, {'answer = "b"': 'answer = "d"'}, "the metric is not the problem"),
    (4, {", threshold=5": ""}, "4-star ratings"),
    (4, {"ranking_scores(ranking_model)": "popularity_scores(train, n_users, n_items)"},
     "most-popular baseline"),
    (5, {'answer = "b"': 'answer = "a"'}, "reads t-SNE's distances"),
    (5, {'answer = "b"': 'answer = "d"'}, "neither keeps them"),
]


class TestExercises(NotebookExercises):
    exercises = exercises
    mistakes = MISTAKES

    def computed(self) -> dict:
        """The learner's two models (trained the way the notebook does, seeded); the score matrices
        are left out: no solution uses them."""
        return {"ranking_model": reference_ranking_model(), "rating_model": reference_rating_model()}


def test_a_short_list_fails(capsys):
    assert not exercises.q1.check([1, 2, 3], model=reference_ranking_model())
    assert "expected 10 item ids" in capsys.readouterr().out


def test_a_check_without_the_model_says_what_to_pass(capsys):
    assert not exercises.q4.check(0.1)
    assert "check(answer, model=…)" in capsys.readouterr().out


def test_the_diagnosed_leak_inflates_every_metric():
    """Exercise 3's premise and its feedback: popularity counted on all ratings beats the honest
    one on every accuracy metric, recall@10 included (choice d's feedback)."""
    split = exercises.standard_split()
    honest = exercises._evaluate(exercises._popularity_scores())
    leaky = exercises._evaluate(exercises._popularity_scores(split.ratings))
    for metric in ("precision@10", "recall@10", "ndcg@10", "hit_rate@10"):
        assert leaky[metric] > honest[metric], metric


def test_five_star_relevance_lowers_ndcg_and_fargos_neighbour_is_better_known():
    """The praise of exercises 4 and 2: a stricter relevance gives a lower NDCG@10, and the ranking
    model's nearest to Fargo has more train ratings than the rating model's (section 4)."""
    from helpers.recommend import extract_embeddings, item_id_of, similar_movies

    model = reference_ranking_model()
    strict = exercises._ndcg_with_five_stars(model)
    assert strict < exercises._evaluate(exercises._ranking_scores(model))["ndcg@10"]
    split = exercises.standard_split()
    counts = split.train["item_id"].value_counts()
    rating_model = reference_rating_model()
    fargo = item_id_of(split.movies, exercises.SIMILAR_TO)

    def nearest_count(trained):
        table = similar_movies(fargo, extract_embeddings(trained)["item_embeddings"], split.encoding,
                               split.movies, n=1)
        return int(counts[table["item_id"].iloc[0]])

    assert nearest_count(model) > nearest_count(rating_model)
    assert np.isfinite(strict)
