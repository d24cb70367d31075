"""Exercises of notebook 08 (retrieval, cold start, serving, bulk recommendations). The checkers
read small given problems and the learner's own probe sweep: none trains a model."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise, Unanswered, letter_choice


def logits_problem() -> dict:
    """Exercise 1: a batch of three (user, movie) pairs: the users' and the movies' vectors, each
    movie's sampling probability q and the temperature τ."""
    return {"users": np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 2.0]]),
            "items": np.array([[2.0, 1.0], [0.0, 1.0], [1.0, -1.0]]),
            "q": np.array([0.5, 0.1, 0.02]), "temperature": 0.5}


def _logits(correction: str = "subtract", temperature: bool = True, by_row: bool = False) -> np.ndarray:
    problem = logits_problem()
    logits = problem["users"] @ problem["items"].T
    if temperature:
        logits = logits / problem["temperature"]
    log_q = np.log(problem["q"])
    shift = log_q[:, None] if by_row else log_q[None, :]
    return {"subtract": logits - shift, "add": logits + shift, "none": logits}[correction]


def _logits_mistakes():
    yield _logits(correction="none"), "those logits are not corrected: subtract log q_j from column j."
    yield _logits(correction="add"), ("log q_j is added: the correction subtracts it, so a movie that "
                                      "fills many rows gets a lower logit in training.")
    yield _logits(temperature=False), "the dot products are not divided by the temperature τ."
    yield _logits(by_row=True), ("each row is shifted by its own movie's log q: the correction "
                                 "belongs to the column, the candidate movie j.")


q1 = Exercise(
    title="Exercise 1",
    hint_text=("Row i is user i, column j is movie j: start from the 3 × 3 matrix of dot products.",
               "Divide by τ, then subtract np.log(q) from each column (a row vector broadcasts "
               "over the rows)."),
    expected=_logits,
    mistakes=_logits_mistakes,
    praise="A movie that fills many rows of a batch is a negative for many users: subtracting log q "
           "cancels that, so the softmax over the batch estimates the softmax over the catalogue.",
)


def batch_movies() -> np.ndarray:
    """Exercise 2: the movie indices of one training batch of eleven (user, movie) pairs."""
    return np.array([12, 7, 12, 3, 7, 12, 40, 3, 12, 7, 40])


def _masked(ordered: bool = True, diagonal: bool = False) -> int:
    movies = batch_movies()
    same = movies[:, None] == movies[None, :]
    count = int(same.sum()) if diagonal else int(same.sum() - len(movies))
    return count if ordered else count // 2


def _masked_mistakes():
    yield _masked(diagonal=True), ("that counts each row's own positive (the diagonal) too: a "
                                   "row's positive is never masked.")
    yield _masked(ordered=False), ("that counts each pair of rows once: the mask is per logit, and "
                                   "rows i and j each hold the other's copy.")
    movies = batch_movies()
    yield len(movies) - len(np.unique(movies)), ("that is how many rows repeat an earlier movie: "
                                                 "count the masked logits, every (row, column) "
                                                 "pair with the same movie off the diagonal.")


q2 = Exercise(
    title="Exercise 2",
    hint_text=("A logit (i, j) is masked when column j's movie is row i's own movie and j ≠ i.",
               "Compare the batch with itself: movies[:, None] == movies[None, :] gives the 11 × 11 "
               "table of equal movies; leave out the diagonal."),
    expected=_masked,
    mistakes=_masked_mistakes,
    rel_tol=0.0,
    praise="A movie chosen m times in a batch makes m(m − 1) accidental hits: popular movies make "
           "most of them.",
)

CORRECTION_CHOICES = {
    "a": "the temperature is too low, so the scores are too peaked",
    "b": "the in-batch negatives are other rows' chosen movies, so each movie is a negative about "
         "as often as it is chosen: popular movies are pushed down in proportion to their popularity",
    "c": "accidental hits: a user's own movie appears as a negative in their row",
    "d": "too little regularization: the embeddings overfit the training pairs",
}

q3 = Exercise(
    title="Exercise 3",
    hint_text=("Which movies does a random row of a batch carry, and so which movies serve most "
               "often as negatives?",
               "Compare how often a movie is a positive with how often it is a negative, and what "
               "the logQ correction subtracts."),
    test=letter_choice(CORRECTION_CHOICES, {
        "a": "the temperature scales every logit alike; it cannot favour rare movies over popular ones.",
        "b": None,
        "c": "accidental hits are few (a movie has to appear twice in a batch of 1,024) and removing "
             "them is a separate switch; they do not explain a list of obscure movies.",
        "d": "overfitting would lower the scores on the test set, but it has no reason to favour "
             "rarely rated movies.",
    }),
    praise="Without the correction the model learns how much more often a movie is chosen than "
           "sampled, a lift over popularity, which recommends the long tail.",
)


PROBES_ASKED = 32
"""Exercise 4 asks for the recall@10 of the large catalogue's index at this many clusters."""


def _recall_at(sweep, n_probe: int) -> float | None:
    row = sweep[sweep["n_probe"] == n_probe]
    return None if row.empty else float(row["recall"].iloc[0])


def _probe_test(answer, sweep) -> str | None:
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, float, np.integer, np.floating)):
        return Unanswered("answer with a number between 0 and 1, read from the plot.")
    expected = _recall_at(sweep, PROBES_ASKED)
    if expected is None:
        raise ValueError(f"the sweep has no n_probe = {PROBES_ASKED}: pass the large catalogue's sweep")
    if abs(answer - expected) <= 0.05:
        return None
    if abs(answer - 100 * expected) <= 5:
        return "that looks like a percentage: answer as a share between 0 and 1."
    for neighbour in (PROBES_ASKED // 2, PROBES_ASKED * 2):
        value = _recall_at(sweep, neighbour)
        if value is not None and abs(answer - value) <= 0.01 and abs(value - expected) > 0.05:
            return (f"that is the recall at n_probe = {neighbour}: the axis doubles at each tick "
                    "(1, 2, 4, …); count the points from the left.")
    return "not the value on the curve at that n_probe (a reading within 0.05 counts)."


q4 = Exercise(
    title="Exercise 4",
    hint_text=("Use the left-hand plot: the curve of the large catalogue, and the point above "
               f"n_probe = {PROBES_ASKED} on its axis.",
               "The axis doubles at each tick, 1, 2, 4, …: count the points from the left, then read "
               "the height of the point on the y axis."),
    test=_probe_test,
    needs=("sweep",),
    praise="Scanning a few percent of the clusters misses a good part of the exact top 10 here: "
           "the synthetic items have no cluster structure for the index to exploit, so it needs "
           "more probes than real catalogues usually do.",
)
