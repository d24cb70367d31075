"""Exercises of notebook 01 (MovieLens data). Each checker computes its answer from the data."""

from __future__ import annotations

from functools import cache

from helpers.data import encode_ids, load_movielens_100k, split_report, temporal_split
from helpers.exercises import Exercise


@cache
def _data():
    return load_movielens_100k()


def _density() -> float:
    ratings, movies = _data()
    return len(ratings) / (ratings["user_id"].nunique() * len(movies))


def _heavy_users() -> int:
    ratings, _ = _data()
    return int((ratings.groupby("user_id").size() >= 100).sum())


def _best_liked_title() -> str:
    ratings, movies = _data()
    stats = ratings.groupby("item_id")["rating"].agg(["mean", "size"])
    best = stats[stats["size"] >= 200]["mean"].idxmax()
    return str(movies.set_index("item_id").loc[best, "title"])


def _star_wars_index() -> int:
    ratings, movies = _data()
    _, encoding = encode_ids(ratings, movies)
    star_wars = movies.loc[movies["title"] == "Star Wars", "item_id"]
    return int(encoding.item_index(star_wars)[0])


def _temporal_unseen_items() -> int:
    ratings, _ = _data()
    train, test = temporal_split(ratings)
    return split_report(train, test)["test_items_unseen"]


q1 = Exercise(
    "Exercise 1 (density)",
    "Density = number of ratings / (number of users × number of movies). A fraction, not a percentage.",
    expected=_density,
    praise="About 6 % of the matrix is known: MF has to fill in the other 94 %.",
)
q2 = Exercise(
    "Exercise 2 (heavy users)",
    "Count ratings per user with groupby('user_id').size(), then count users with 100 or more.",
    expected=_heavy_users,
)
q3 = Exercise(
    "Exercise 3 (best liked, with 200+ ratings)",
    "groupby('item_id')['rating'].agg(['mean', 'size']), keep rows with size >= 200, take idxmax of the mean, then look up the title.",
    expected=_best_liked_title,
    praise="Enough ratings make a mean trustworthy; a 5.0 from one viewer does not.",
)
q4 = Exercise(
    "Exercise 4 (index of Star Wars)",
    "Find Star Wars' item_id in `movies`, then ask the encoding: encoding.item_index(...).",
    expected=_star_wars_index,
    praise="That row of the item embedding table will hold Star Wars.",
)
q5 = Exercise(
    "Exercise 5 (temporal split, unseen movies)",
    "temporal_split(ratings), then split_report(train, test) and read 'test_items_unseen'.",
    expected=_temporal_unseen_items,
    praise="New movies appear over time: a temporal split meets more of them than a random one.",
)
