"""Notebook 01's exercises: the notebook's own hidden solutions pass their checkers, and typical
mistakes fail with feedback that names them (how: ``helpers.exercises.testing``).
"""

from __future__ import annotations

from helpers.exercises import nb01 as exercises
from helpers.exercises.testing import NotebookExercises

MISTAKES = [
    (1, {"answer = len": "answer = 100 * len"}, "percentage"),
    (1, {'ratings["user_id"].nunique()': 'len(ratings["user_id"])'}, "distinct users"),
    (2, {">= 100": "> 100"}, "more than 100"),
    (2, {'groupby("user_id")': 'groupby("item_id")'}, "counts movies"),
    (3, {'stats[stats["size"] >= 200]': "stats"}, "fewer than 200 ratings"),
    (3, {'stats[stats["size"] >= 200]["mean"]': 'stats["size"]'}, "most rated movie"),
    (3, {'answer = movies.set_index("item_id").loc[best, "title"]': "answer = best"}, "title"),
    (4, {"answer = encoding.item_index(star_wars)[0]": "answer = star_wars.item()"}, "item_id"),
    (5, {"temporal_split(ratings)": "random_split(ratings)"}, "random split"),
    (5, {'["test_items_unseen"]': '["test_rows_unseen_item"]'}, "counts test rows"),
]


class TestExercises(NotebookExercises):
    exercises = exercises
    mistakes = MISTAKES
