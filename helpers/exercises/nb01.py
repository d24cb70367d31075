"""Exercises of notebook 01 (MovieLens data). Each checker computes its answer from the data."""

from __future__ import annotations

from helpers.data import split_report
from helpers.exercises import Exercise, standard_split

HEAVY_USER_RATINGS = 100
"""Exercise 2 counts the users with at least this many ratings."""
MIN_RATINGS_BEST_LIKED = 200
"""Exercise 3 asks for the best mean rating among movies with at least this many ratings."""


def _density() -> float:
    split = standard_split()
    return len(split.ratings) / (split.ratings["user_id"].nunique() * len(split.movies))


def _density_mistakes():
    split = standard_split()
    yield 100 * _density(), "that looks like a percentage: give a fraction between 0 and 1."
    yield (1 / len(split.movies),
           "that divides by the number of rating rows: count the distinct users (nunique()).")


def _ratings_per(column: str):
    return standard_split().ratings.groupby(column).size()


def _heavy_users() -> int:
    return int((_ratings_per("user_id") >= HEAVY_USER_RATINGS).sum())


def _heavy_users_mistakes():
    at_least = HEAVY_USER_RATINGS
    yield (int((_ratings_per("user_id") > at_least).sum()),
           f"that counts users with more than {at_least} ratings: 'at least {at_least}' includes "
           f"exactly {at_least}.")
    yield (int((_ratings_per("item_id") >= at_least).sum()),
           f"that counts movies with {at_least} or more ratings: group by user_id, not item_id.")


def _movie_stats():
    split = standard_split()
    stats = split.ratings.groupby("item_id")["rating"].agg(["mean", "size"])
    return stats.join(split.movies.set_index("item_id")["title"])


def _best_liked_title() -> str:
    stats = _movie_stats()
    return str(stats.loc[stats[stats["size"] >= MIN_RATINGS_BEST_LIKED]["mean"].idxmax(), "title"])


def _test_best_liked(answer) -> str | None:
    if not isinstance(answer, str):
        return f"answer with the movie's title (a string), got {type(answer).__name__}."
    title = answer.strip().lower()
    if title == _best_liked_title().lower():
        return None
    stats = _movie_stats()
    found = stats[stats["title"].str.lower() == title]
    if found.empty:
        return f"{answer!r} is not a title in `movies` (titles have no year: 'Star Wars')."
    if found["size"].max() < MIN_RATINGS_BEST_LIKED:
        return (f"{answer!r} has fewer than {MIN_RATINGS_BEST_LIKED} ratings "
                f"({found['size'].max()}): keep the movies with at least "
                f"{MIN_RATINGS_BEST_LIKED} first, then take the best mean.")
    if title == stats.loc[stats["size"].idxmax(), "title"].lower():
        return ("that is the most rated movie: among the movies with enough ratings, take the "
                "highest mean rating.")
    return f"{answer!r} has enough ratings, but another of those has a higher mean."


def _star_wars_index() -> int:
    split = standard_split()
    star_wars = split.movies.loc[split.movies["title"] == "Star Wars", "item_id"]
    return int(split.encoding.item_index(star_wars)[0])


def _star_wars_mistakes():
    split = standard_split()
    star_wars = split.movies.loc[split.movies["title"] == "Star Wars", "item_id"].item()
    yield star_wars, "that is Star Wars' item_id: the encoding turns it into an item_index."


def _temporal_unseen_items() -> int:
    split = standard_split("temporal")
    return split_report(split.train, split.test)["test_items_unseen"]


def _temporal_unseen_mistakes():
    temporal, random = standard_split("temporal"), standard_split()
    yield (split_report(random.train, random.test)["test_items_unseen"],
           "that is the random split's count: split with temporal_split.")
    yield (split_report(temporal.train, temporal.test)["test_rows_unseen_item"],
           "that counts test rows: the question asks for distinct movies.")


q1 = Exercise(
    "Exercise 1 (density)",
    ('Filled cells over all cells: how many cells does a users × movies matrix have?',
               "Density = number of ratings / (number of users × number of movies). A fraction, not a percentage."),
    expected=_density,
    mistakes=_density_mistakes,
    praise="About 6 % of the matrix is known: MF has to fill in the other 94 %.",
)
q2 = Exercise(
    "Exercise 2 (heavy users)",
    ('First count how many movies each user rated; then count the users whose count passes the bar.',
               "Count ratings per user with groupby('user_id').size(), then count users with 100 or more."),
    expected=_heavy_users,
    mistakes=_heavy_users_mistakes,
)
q3 = Exercise(
    "Exercise 3 (best liked, with 200+ ratings)",
    ('Two numbers per movie matter here: how many ratings it has and their mean. Filter on the first, rank by the second.',
               "groupby('item_id')['rating'].agg(['mean', 'size']), keep rows with size >= 200, take idxmax of the mean, then look up the title."),
    test=_test_best_liked,
    praise="Enough ratings make a mean trustworthy; a 5.0 from one viewer does not.",
)
q4 = Exercise(
    "Exercise 4 (index of Star Wars)",
    ("item_index is the encoding's 0-based position, not the MovieLens item_id: you need both steps, title → id → index.",
               "Find Star Wars' item_id in `movies`, then ask the encoding: encoding.item_index(...)."),
    expected=_star_wars_index,
    mistakes=_star_wars_mistakes,
    praise="That row of the item embedding table will hold Star Wars.",
)
q5 = Exercise(
    "Exercise 5 (temporal split, unseen movies)",
    ('The split helpers already count what is in the test set and not in train: look at what split_report returns.',
               "temporal_split(ratings), then split_report(train, test) and read 'test_items_unseen'."),
    expected=_temporal_unseen_items,
    mistakes=_temporal_unseen_mistakes,
    praise="New movies appear over time: a temporal split meets more of them than a random one.",
)
