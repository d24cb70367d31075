"""Notebook 04's exercises: the notebook's own hidden solutions pass their checkers, and typical
mistakes fail with feedback that names them (how: ``helpers.exercises.testing``).
"""

from __future__ import annotations

from helpers.exercises import nb04 as exercises
from helpers.exercises.testing import NotebookExercises

ITEM_MEAN = 'ItemMean().fit(train).predict(test["user_index"], test["item_index"])'
MISTAKES = [
    (1, {"answer = mae(": "answer = rmse("}, "asks for the MAE"),
    (1, {"user_index": "item_index"}, "item mean"),
    (1, {"user_means = train.groupby": "user_means = split.ratings.groupby"},
     "include the test ratings"),
    (2, {"(10 + 2)": "2"}, "unshrunk"),
    (2, {"(10 + 2)": "10"}, "λ_i alone"),
    (2, {"(2 * (5 - mu))": "(5 - mu)"}, "both of them"),
    (3, f'answer = rmse(test["rating"], {ITEM_MEAN})', "plain item mean"),
    (3, {"answer = rmse(": "answer = mae("}, "asks for the RMSE"),
    (3, {"stats = train.groupby": "stats = split.ratings.groupby"}, "include the test ratings"),
    (4, 'answer = rmse(test["rating"], Biases().fit(train).predict(test["user_index"], '
        'test["item_index"]))', "random split"),
    (4, {'movielens_split("global_temporal")': 'movielens_split("temporal")'}, "per-user temporal split"),
    (4, {"answer = rmse(": "answer = mae("}, "asks for the RMSE"),
    (5, {'answer = "b"': 'answer = "a"'}, "rising by 0.05"),
    (5, {'answer = "b"': 'answer = "d"'}, "closed form"),
]


class TestExercises(NotebookExercises):
    exercises = exercises
    mistakes = MISTAKES
