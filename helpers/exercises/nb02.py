"""Exercises of notebook 02 (the Keras MF model). Each checker tests the answer against the data
or against the model itself; none holds a hard-coded result."""

from __future__ import annotations

from functools import cache

import numpy as np

from helpers.exercises import Exercise, Unanswered


@cache
def _split():
    from helpers.data import encode_ids, load_movielens_100k, random_split

    ratings, movies = load_movielens_100k()
    encoded, encoding = encode_ids(ratings, movies)
    train, _ = random_split(encoded)
    return train, encoding.n_users, encoding.n_items


def _embedding_width(model, name: str) -> tuple[int, int] | None:
    try:
        layer = model.get_layer(name)
    except ValueError:
        return None
    weights = layer.get_weights()
    return tuple(weights[0].shape) if weights else None


def _test_bias_model(model) -> str | None:
    """A biased MF model: width-1 embeddings ``user_bias``/``item_bias`` added to the prediction."""
    if not hasattr(model, "get_layer") or not hasattr(model, "predict"):
        return "the answer should be a Keras model (keras.Model)."
    _, n_users, n_items = _split()
    for name, rows in (("user_bias", n_users), ("item_bias", n_items)):
        shape = _embedding_width(model, name)
        if shape is None:
            return f"the model has no layer named {name!r} with weights."
        if shape != (rows, 1):
            return f"{name!r} should be a table of shape ({rows}, 1), one number per row; got {shape}."
    from helpers.models import predict_ratings

    users, items = np.array([0, 0, 5]), np.array([0, 7, 7])
    before = predict_ratings(model, users, items)
    bias = model.get_layer("user_bias")
    original = bias.get_weights()[0]
    shifted = original.copy()
    shifted[0] += 0.5
    bias.set_weights([shifted])
    after = predict_ratings(model, users, items)
    bias.set_weights([original])
    moved = after - before
    if not (moved[0] > 1e-4 and moved[1] > 1e-4 and abs(moved[2]) < 1e-6):
        return ("raising user 0's bias should raise user 0's predictions and leave other users' "
                "alone: is the bias added to the output?")
    if abs(moved[0] - 0.5) > 1e-3:
        return ("raising user 0's bias by 0.5 should raise the prediction by 0.5 stars: add the "
                "biases to the dot product, with no squashing after it (keep it plain here).")
    return None


def _test_single_factor(item_factor) -> str | None:
    """With k = 1 the item factor tracks the movie's mean rating (up to its sign)."""
    train, _, n_items = _split()
    vector = np.asarray(item_factor, dtype=np.float64).ravel()
    if vector.shape != (n_items,):
        return (f"expected one number per movie ({n_items}), got {vector.size}: take column 0 of "
                "the item_embedding weights.")
    if not np.isfinite(vector).all() or np.ptp(vector) == 0:
        return "all the numbers are the same: did the model train? Read the item_embedding layer."
    stats = train.groupby("item_index")["rating"].agg(["mean", "size"])
    rated = stats[stats["size"] >= 20]
    correlation = np.corrcoef(np.abs(vector[rated.index.to_numpy()]), rated["mean"])[0, 1]
    if not np.isfinite(correlation) or correlation < 0.8:
        return ("these numbers do not look like what a k = 1 model learns: did you train with "
                "k=1 and read the item_embedding layer?")
    return None


def _test_penalty(penalty) -> str | None:
    """``penalty(model, users, items)`` must equal what the PerExampleL2 layers add to the loss."""
    if not callable(penalty):
        return "the answer should be a function penalty(model, user_index, item_index)."
    from helpers.models import build_tuned_mf

    model = build_tuned_mf(12, 17, global_mean=3.5, k=3, l2=0.2)
    rng = np.random.default_rng(7)
    for name in ("user_embedding", "item_embedding"):
        shape = model.get_layer(name).get_weights()[0].shape
        model.get_layer(name).set_weights([rng.normal(size=shape).astype("float32")])
    users, items = rng.integers(0, 12, 9), rng.integers(0, 17, 9)
    user_rows = model.get_layer("user_embedding").get_weights()[0][users]
    item_rows = model.get_layer("item_embedding").get_weights()[0][items]
    expected = 0.2 * (np.square(user_rows).sum(axis=1).mean() + np.square(item_rows).sum(axis=1).mean())
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
    whole = 0.2 * sum(np.square(model.get_layer(name).get_weights()[0]).sum()
                      for name in ("user_embedding", "item_embedding"))
    if np.isclose(value, whole, rtol=1e-4):
        return "that is the whole-table penalty: use only the rows the batch looks up."
    return f"{value:.4g} is not the penalty for this batch."


q1 = Exercise(
    "Exercise 1 (add a bias term)",
    "Start from build_mf's code: two more Embedding(n, 1) layers named 'user_bias' and "
    "'item_bias' (initializer 'zeros'), and layers.Add()([dot, user_bias, item_bias]) before the "
    "global-mean offset.",
    test=_test_bias_model,
    praise="One extra number per user and per movie: the generous rater and the crowd-pleaser.",
)
q2 = Exercise(
    "Exercise 2 (what does k = 1 learn?)",
    "fit_classic_mf(train, n_users, n_items, k=1, epochs=10), then "
    "model.get_layer('item_embedding').get_weights()[0][:, 0].",
    test=_test_single_factor,
    praise="With one factor, the movie's number tracks its average rating and the user's number "
           "is a scale: k = 1 learns mean rating × generosity, and nothing about taste.",
)
q3 = Exercise(
    "Exercise 3 (the per-example penalty)",
    "Read the rows with model.get_layer('user_embedding').get_weights()[0][user_index]; the "
    "penalty is l2 · (mean over the batch of ‖p_u‖² + mean over the batch of ‖q_i‖²). Here "
    "l2 = model.get_layer('user_l2').l2 (the PerExampleL2 layer after the user embedding).",
    test=_test_penalty,
    praise="That is exactly what the two PerExampleL2 layers add to the loss for each batch.",
)
