"""Exercises of notebook 02 (the classic Keras MF model). Each checker tests the answer against the data
or against the model itself; none holds a hard-coded result."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise, standard_split


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
    encoding = standard_split().encoding
    for name, rows in (("user_bias", encoding.n_users), ("item_bias", encoding.n_items)):
        shape = _embedding_width(model, name)
        if shape is None:
            return (f"the model has no layer named {name!r} with weights: give that name to "
                    "the width-1 Embedding, and add its output into the prediction (a layer that "
                    "does not lead to the output is not part of the model).")
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
    split = standard_split()
    train, n_items = split.train, split.encoding.n_items
    vector = np.asarray(item_factor, dtype=np.float64).ravel()
    if vector.size == split.encoding.n_users != n_items:
        return ("that is one number per user (the user_embedding layer): read the "
                "item_embedding layer, one number per movie.")
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


q1 = Exercise(
    "Exercise 1 (what does k = 1 learn?)",
    "fit_classic_mf(train, n_users, n_items, k=1, epochs=10), then "
    "model.get_layer('item_embedding').get_weights()[0][:, 0].",
    test=_test_single_factor,
    praise="With one factor, the movie's number tracks its average rating and the user's number "
           "is a scale: k = 1 learns mean rating × generosity, and nothing about taste.",
)
q2 = Exercise(
    "Exercise 2 (add a bias term)",
    "Start from build_classic_mf's code, with inputs of shape (): two more Embedding(n, 1) layers named 'user_bias' and "
    "'item_bias' (initializer 'zeros'), and layers.Add()([dot, user_bias, item_bias]), then "
    "layers.Rescaling(1.0, offset=global_mean) for the global mean.",
    test=_test_bias_model,
    praise="One extra number per user and per movie: the generous rater and the crowd-pleaser.",
)
