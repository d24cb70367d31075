"""Exercises of notebook 03 (improving the model, measured over seeds). Each checker computes its
answer from the model or from the recorded experiments; none holds a hard-coded result."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise, Unanswered, letter_choice

CHECK_L2 = 0.2
"""The λ of the small model exercise 1's checker builds (not ``TUNED_CONFIG``'s, on purpose)."""


def _test_penalty(penalty) -> str | None:
    """``penalty(model, users, items)`` must equal what the PerExampleL2 layers add to the loss."""
    if not callable(penalty):
        return "the answer should be a function penalty(model, user_index, item_index)."
    from helpers.models import build_tuned_mf

    model = build_tuned_mf(12, 17, global_mean=3.5, k=3, l2=CHECK_L2)
    rng = np.random.default_rng(7)
    for name in ("user_embedding", "item_embedding"):
        shape = model.get_layer(name).get_weights()[0].shape
        model.get_layer(name).set_weights([rng.normal(size=shape).astype("float32")])
    users, items = rng.integers(0, 12, 9), rng.integers(0, 17, 9)
    user_rows = model.get_layer("user_embedding").get_weights()[0][users]
    item_rows = model.get_layer("item_embedding").get_weights()[0][items]
    expected = CHECK_L2 * (np.square(user_rows).sum(axis=1).mean() + np.square(item_rows).sum(axis=1).mean())
    try:
        value = penalty(model, users, items)
        if value is None or value is Ellipsis:
            return Unanswered("penalty(...) returns nothing yet: replace `...` with code that "
                              "returns the penalty, then run the cell again.")
        value = float(value)
    except Exception as error:  # the learner's code: report, don't crash the cell
        return f"calling penalty(model, user_index, item_index) raised {type(error).__name__}: {error}"
    if np.isclose(value, expected, rtol=1e-4):
        return None
    if np.isclose(value, expected * len(users), rtol=1e-4):
        return "that is the sum over the batch: the penalty takes the mean over the batch."
    whole = CHECK_L2 * sum(np.square(model.get_layer(name).get_weights()[0]).sum()
                           for name in ("user_embedding", "item_embedding"))
    if np.isclose(value, whole, rtol=1e-4):
        return "that is the whole-table penalty: use only the rows the batch looks up."
    from helpers.models import TUNED_CONFIG

    if np.isclose(value, expected / CHECK_L2 * TUNED_CONFIG["l2"], rtol=1e-4):
        return ("that uses λ from TUNED_CONFIG: read it from the model "
                "(model.get_layer('user_l2').l2), whose λ the checker chose.")
    return f"{value:.4g} is not the penalty for this batch."


def _test_interval(answer) -> str | None:
    """(mean, low, high) of step 5 minus step 4b over the recorded seeds: a paired 95 % t-interval."""
    from helpers import experiments
    from helpers.selection import paired_interval

    scores = experiments.load("steps")["val_rmse"]
    with_range, without = scores["5 · + output range (0.5, 5.5)"], scores["4b · + per-example L2"]
    expected = paired_interval(with_range, without)
    if answer is Ellipsis or answer is None:
        return Unanswered("replace `...` with your (mean, low, high), then run the cell again.")
    try:
        values = np.asarray(answer, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return "the answer should be three numbers: (mean, low, high)."
    if values.shape != (3,):
        return f"the answer should be three numbers, (mean, low, high); got {values.size}."
    if np.allclose(values, expected, atol=1e-6):
        return None
    mean, low, high = expected
    if np.allclose(values, [-mean, -high, -low], atol=1e-6):  # the same interval, mirrored
        return "that is step 4b minus step 5: subtract the other way round (step 5 − step 4b)."
    if np.isclose(values[0], expected[0], atol=1e-6):
        return _interval_mistake(values, with_range, without) or (
            "the mean is right; the interval is not: use the standard deviation of the "
            "per-seed differences (ddof=1), divided by √5, times t = 2.776 (4 degrees of freedom).")
    return "not the paired interval of step 5 − step 4b over the five recorded seeds."


def _interval_mistake(values: np.ndarray, scores, reference) -> str | None:
    """Which typical mistake gives this half-width, for an answer whose mean is right."""
    scores, reference = np.asarray(scores, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    differences, n, t = scores - reference, len(scores), 2.776
    half_widths = {
        "that ignores the pairing (the two steps' own spreads): use the spread of the per-seed "
        "differences.": t * np.hypot(scores.std(ddof=1), reference.std(ddof=1)) / np.sqrt(n),
        "that uses ddof=0: the sample standard deviation of the per-seed differences has ddof=1.":
            t * differences.std(ddof=0) / np.sqrt(n),
        "that uses 1.96, the normal quantile: with 5 seeds use Student's t, 2.776 for 4 degrees "
        "of freedom.": 1.96 * differences.std(ddof=1) / np.sqrt(n),
    }
    for sentence, half in half_widths.items():
        if np.allclose(values[1:], [values[0] - half, values[0] + half], atol=1e-6):
            return sentence
    return None


q1 = Exercise(
    "Exercise 1 (the per-example penalty)",
    ('The penalty is per example: which embedding rows does one batch touch, and is it their sum or their mean over the batch?',
               "Read the rows with model.get_layer('user_embedding').get_weights()[0][user_index]; the "
    "penalty is l2 · (mean over the batch of ‖p_u‖² + mean over the batch of ‖q_i‖²). Here "
    "l2 = model.get_layer('user_l2').l2 (the PerExampleL2 layer after the user embedding)."),
    test=_test_penalty,
    praise="That is exactly what the two PerExampleL2 layers add to the loss for each batch.",
)
q2 = Exercise(
    "Exercise 2 (a paired interval by hand)",
    ("Pair the seeds: one difference per seed, then an interval for the mean of five numbers (Student's t, not the normal's 1.96).",
               "Subtract seed by seed (step 5 − step 4b: five differences), take their mean, and a half-width "
    "of t · s / √n, with s their sample standard deviation (ddof=1), n = 5 and t = 2.776, Student's "
    "t for 4 degrees of freedom."),
    test=_test_interval,
    praise="Pairing by seed cancels what two runs with the same seed share: the interval is "
           "narrower than one that ignores the pairing, and it does not contain 0.",
)


TEST_TUNING_CHOICES = {
    "a": "the grid of λ is too coarse to find the best value",
    "b": "the test set chose λ, so the reported test RMSE is optimistic: no data left unseen",
    "c": "RMSE is the wrong metric: MAE should choose λ",
    "d": "nothing, as long as every fit uses the same seed",
}
"""Exercise 3's answers to choose from (answer with the letter)."""


_test_tuning_diagnosis = letter_choice(TEST_TUNING_CHOICES, {
    "a": "a finer grid would make it worse, not better: more choices made on the same test set. "
         "Which data chose λ?",
    "b": None,
    "c": "the metric is not the problem: the same mistake happens with MAE. Which data chose λ?",
    "d": "a fixed seed makes the mistake reproducible, not right: the test set was used for tuning.",
})


def _tuned_mf_size() -> int:
    """The numbers ``build_tuned_mf`` learns on MovieLens 100k: a k-vector and a bias per user and
    per movie (μ is a constant, not learned)."""
    from helpers.exercises import standard_split
    from helpers.models import TUNED_CONFIG

    encoding = standard_split().encoding
    return (encoding.n_users + encoding.n_items) * (TUNED_CONFIG["k"] + 1)


def _size_mistakes():
    from helpers.exercises import standard_split
    from helpers.models import TUNED_CONFIG

    encoding, k = standard_split().encoding, TUNED_CONFIG["k"]
    yield ((encoding.n_users + encoding.n_items) * k,
           "that counts the embeddings only: each user and each movie also has a bias.")
    yield (_tuned_mf_size() + 1, "μ is a constant computed from the training ratings, not a learned weight.")
    yield (encoding.n_users * encoding.n_items,
           "that is the size of the full ratings matrix: MF learns far fewer numbers than that.")


q3 = Exercise(
    "Exercise 3 (a λ chosen on the test set)",
    ("Ask which data each number was computed on, and whether any choice was made by looking at it.",
     "Section 8 chose settings on the validation split carved from train; the colleague chose on "
     "the set that is meant to report only."),
    test=_test_tuning_diagnosis,
    praise="Choosing on the test set turns it into a validation set: the reported number is the "
           "best of several tries on it, and it no longer tells how the model does on new data.",
)

q4 = Exercise(
    "Exercise 4 (how many numbers the final model learns)",
    ("Which layers of build_tuned_mf hold weights, and how many rows does each have?",
     "model.count_params() counts them; build the model with the split's numbers of users and "
     "movies and the training mean, no training needed."),
    expected=_tuned_mf_size,
    mistakes=_size_mistakes,
    rel_tol=0.0,
    praise="Most of them are the embeddings; the biases add one number per user and per movie. "
           "The 1.6 million cells of the ratings matrix are described by these few.",
)
