"""Exercises of notebook 01 (MovieLens data). Each checker computes its answer from the data, or
tries the learner's function on it; none holds a hard-coded result."""

from __future__ import annotations

from helpers.exercises import Exercise, Unanswered, letter_choice, standard_split

HEAVY_USER_RATINGS = 100
"""Exercise 2 counts the users with at least this many ratings."""
MIN_RATINGS_LEAST_LIKED = 200
"""Exercise 3 asks for the lowest mean rating among movies with at least this many ratings (the
highest is printed in section 2's table of best-liked movies)."""


DENSITY_FRAMES = ("a toy table", "all ratings", "the standard split's train")


def _density_frames():
    """The frames exercise 1's ``density`` is tried on: a toy table whose ids are not 1…n (3 users,
    2 movies, 4 ratings: 4 of 6 cells; first, since it tells the typical mistakes apart), all
    ratings, and the standard split's train."""
    import pandas as pd

    split = standard_split()
    toy = pd.DataFrame({"user_id": [10, 10, 30, 70], "item_id": [5, 900, 5, 900],
                        "rating": [4.0, 3.0, 5.0, 2.0], "timestamp": [1, 2, 3, 4]})
    return dict(zip(DENSITY_FRAMES, (toy, split.ratings, split.train)))


def _right_density(frame) -> float:
    return len(frame) / (frame["user_id"].nunique() * frame["item_id"].nunique())


def _test_density(density) -> str | None:
    """``density(frame)``: the filled share of the users × movies matrix of ``frame``."""
    if not callable(density):
        return "the answer should be a function density(frame) that returns a number."
    for name, frame in _density_frames().items():
        try:
            value = density(frame.copy())
            if value is None or value is Ellipsis:
                return Unanswered("density(frame) returns nothing yet: replace `...` with code "
                                  "that returns the share, then run the cell again.")
            value = float(value)
        except Exception as error:  # the learner's code: report, don't crash the cell
            return f"density({name}) raised {type(error).__name__}: {error}"
        expected = _right_density(frame)
        if abs(value - expected) <= 1e-9:
            continue
        if abs(value - 100 * expected) <= 1e-7:
            return "that looks like a percentage: return a fraction between 0 and 1."
        if abs(value - len(frame) / (frame["user_id"].max() * frame["item_id"].max())) <= 1e-9:
            return (f"on {name} that divides by the largest ids: ids are names, not counts "
                    "(the toy table's users are 10, 30 and 70). Count the distinct ids.")
        catalogue = standard_split().encoding
        if abs(value - len(frame) / (catalogue.n_users * catalogue.n_items)) <= 1e-9:
            return (f"on {name} that divides by the whole catalogue's size: count this frame's "
                    "distinct users and movies.")
        if abs(value - 1 / frame["item_id"].nunique()) <= 1e-9 or abs(value - 1 / frame["user_id"].nunique()) <= 1e-9:
            return "that divides by the number of rating rows: count the distinct users (nunique())."
        return f"density({name}) gave {value:.6g}, not the filled share of its matrix."
    return None


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


def _least_liked_title() -> str:
    stats = _movie_stats()
    return str(stats.loc[stats[stats["size"] >= MIN_RATINGS_LEAST_LIKED]["mean"].idxmin(), "title"])


def _test_least_liked(answer) -> str | None:
    if not isinstance(answer, str):
        return f"answer with the movie's title (a string), got {type(answer).__name__}."
    title = answer.strip().lower()
    if title == _least_liked_title().lower():
        return None
    stats = _movie_stats()
    found = stats[stats["title"].str.lower() == title]
    if found.empty:
        return f"{answer!r} is not a title in `movies` (titles have no year: 'Star Wars')."
    if found["size"].max() < MIN_RATINGS_LEAST_LIKED:
        return (f"{answer!r} has fewer than {MIN_RATINGS_LEAST_LIKED} ratings "
                f"({found['size'].max()}): keep the movies with at least "
                f"{MIN_RATINGS_LEAST_LIKED} first, then take the lowest mean.")
    if title == stats.loc[stats["size"].idxmax(), "title"].lower():
        return ("that is the most rated movie: among the movies with enough ratings, take the "
                "lowest mean rating.")
    enough = stats[stats["size"] >= MIN_RATINGS_LEAST_LIKED]
    if title == enough.loc[enough["mean"].idxmax(), "title"].lower():
        return "that is the best liked of them (idxmax): the question asks for the lowest mean."
    return f"{answer!r} has enough ratings, but another of those has a lower mean."


SPLIT_CHOICES = {
    "a": "nothing: 20 % of the ratings, chosen at random with a seed, is a fair test set",
    "b": "a random split trains on ratings from after many test ratings: the model learns from the "
         "future, and the users who arrive next, unseen, hardly appear in its test set",
    "c": "the test set is too small: hold out 50 % instead",
    "d": "the seed: a different seed gives a different test RMSE, so no seed can be trusted",
}
"""Exercise 4's answers to choose from (answer with the letter)."""


_test_split_diagnosis = letter_choice(SPLIT_CHOICES, {
    "a": "fair for filling in the matrix, not for next week: which ratings does a random split "
         "put in train that a deployed model could not have had?",
    "b": None,
    "c": "the size is not the problem: a larger random test set has the same flaw. When were "
         "the training ratings given?",
    "d": "every seed has the same flaw. Compare the timestamps of the training and the test "
         "ratings.",
})


def _first_week(ratings):
    """True for each rating given within 7 days of its user's first rating."""
    import pandas as pd

    rated_at = pd.to_datetime(ratings["timestamp"], unit="s")
    return rated_at - rated_at.groupby(ratings["user_id"]).transform("min") < pd.Timedelta(days=7)


def _test_period_first_week_share() -> float:
    """The share of the global temporal split's test ratings given in the rater's first 7 days."""
    from helpers.data import global_temporal_split

    ratings = standard_split().ratings
    _, test = global_temporal_split(ratings)
    return float(_first_week(ratings)[test.index].mean())


def _first_week_mistakes():
    from helpers.data import global_temporal_split

    ratings = standard_split().ratings
    train, test = global_temporal_split(ratings)
    first_week = _first_week(ratings)
    yield float(first_week.mean()), "that is the share over all ratings: take the test period only."
    yield (float(first_week[train.index].mean()),
           "that is the training period: the test period is at or after the cut-off.")
    yield (1 - _test_period_first_week_share(),
           "that is the share by users who came back later (grey): the question asks for blue.")
    yield 100 * _test_period_first_week_share(), "that looks like a percentage: give a fraction between 0 and 1."


q1 = Exercise(
    "Exercise 1 (a density function)",
    ("Filled cells over all cells, for the frame you are given: how many rows, and how many "
     "distinct users and movies does it have?",
     "len(frame) over (the number of distinct user_ids × the number of distinct item_ids): "
     "Series.nunique() counts distinct values. A fraction, not a percentage."),
    test=_test_density,
    praise="One function for any table of ratings: the whole matrix, a split's train, or any "
           "sample of it. Counting distinct ids (never the largest id) is what makes it work on all.",
)
q2 = Exercise(
    "Exercise 2 (heavy users)",
    ('First count how many movies each user rated; then count the users whose count passes the bar.',
               "Count ratings per user with groupby('user_id').size(), then count users with 100 or more."),
    expected=_heavy_users,
    mistakes=_heavy_users_mistakes,
)
q3 = Exercise(
    "Exercise 3 (least liked, with 200+ ratings)",
    ("Two numbers per movie matter here: how many ratings it has and their mean. Filter on the "
     "first, rank by the second.",
     "groupby('item_id')['rating'].agg(['mean', 'size']), keep the rows with enough ratings, "
     "take the index of the smallest mean, then look up the title."),
    test=_test_least_liked,
    praise="A movie two hundred people chose to watch can still be the one they liked least: "
           "being watched and being liked are different signals, as notebook 05 finds again.",
)
q4 = Exercise(
    "Exercise 4 (a split for next week)",
    ("A deployed recommender is trained on everything up to today. Which ratings does a random "
     "split train on?",
     "Section 4's last table counts the random split's training ratings given at or after the "
     "global cut-off, and its test users unseen in training."),
    test=_test_split_diagnosis,
    praise="A random split measures filling in the matrix among users and movies the model "
           "knows; for 'what will people rate next', train on the past only: the global temporal "
           "split.",
)
q5 = Exercise(
    "Exercise 5 (who rates in the test period?)",
    ("Look right of the dashed line in the weekly chart: mostly blue or mostly grey? Then count "
     "only the ratings at or after the cut-off.",
     "in_first_week is True for ratings given in the rater's first 7 days; select the rows of "
     "encoded whose timestamp is at or after cutoff, and take the mean of in_first_week there."),
    expected=_test_period_first_week_share,
    mistakes=_first_week_mistakes,
    praise="Most of the test period's ratings come from people in their first week: a model "
           "trained before the cut-off meets mostly strangers, as the global split's unseen test "
           "users said.",
)
