"""Exercises of notebook 02 (the classic Keras MF model). Each checker tests the answer against the data
or against the model itself; none holds a hard-coded result."""

from __future__ import annotations

import numpy as np

from helpers.exercises import Exercise, letter_choice, standard_split


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
    ("With one factor every movie is described by a single number: train with k = 1, then read "
     "the movies' table, not the users'.",
     "fit_classic_mf takes k and epochs as keywords and returns (model, history); the movies' "
     "table is model.get_layer('item_embedding').get_weights()[0], one row per movie: answer "
     "with its only column."),
    test=_test_single_factor,
    praise="With one factor, the movie's number tracks its average rating and the user's number "
           "is a scale: k = 1 learns mean rating × generosity, and nothing about taste.",
)
q2 = Exercise(
    "Exercise 2 (add a bias term)",
    ("A bias is one number per user and one per movie: two more tables, of width 1, whose "
     "outputs are added to the dot product; μ is a constant added at the end.",
     "Start from build_classic_mf's code, with inputs of shape (): two more Embedding(n, 1) "
     "layers named 'user_bias' and 'item_bias' (initializer 'zeros'), an Add layer over the dot "
     "product and the two biases, then a Rescaling layer with scale 1 and offset global_mean."),
    test=_test_bias_model,
    praise="One extra number per user and per movie: the generous rater and the crowd-pleaser.",
)


ID_CHOICES = {
    "a": "nothing: ids and indices are both whole numbers, and the model learns one row per number "
         "either way",
    "b": "the tables have rows 0…n−1: the largest ids point one row past the end, so the lookup "
         "fails (on a CPU; TensorFlow documents that a GPU returns zeros instead), and row 0 is "
         "never trained",
    "c": "the model trains as usual; only the titles printed next to its results come out shifted "
         "by one",
    "d": "the ids must first be converted to floats, because the Embedding layer multiplies them "
         "by its weights",
}
"""Exercise 3's answers to choose from (answer with the letter)."""


_test_id_diagnosis = letter_choice(ID_CHOICES, {
    "a": "an Embedding's input is a row number: user id 943 asks for row 943 of a table whose "
         "rows are 0…942. What do the largest ids look up?",
    "b": None,
    "c": "training itself breaks: the largest ids ask for a row past the end of each table "
         "(try predicting for user id 943).",
    "d": "an Embedding never multiplies its input: it looks a row up by its integer index. "
         "Which rows do the ids 943 and 1,682 look up?",
})


q3 = Exercise(
    "Exercise 3 (ids fed as indices)",
    ("An Embedding's input is a row number. Which row numbers does a table of n_users rows have, "
     "and which numbers are MovieLens' user ids?",
     "Notebook 01's encoding numbers users 0…942 and movies 0…1,681; MovieLens numbers them from "
     "1. Ask what id 943 looks up, and which row no id ever looks up."),
    test=_test_id_diagnosis,
    praise="Ids are names, indices are row numbers. MovieLens 100k's ids happen to be 1…n, so "
           "one row is wasted and the last id crashes the lookup; in MovieLens 1M movie ids run to 3,952 with gaps, and any new id "
           "breaks a table sized by the old ones. Encoding once, as notebook 01 does, maps any ids "
           "to 0…n−1.",
)


def _baseline_mae() -> float:
    """The validation MAE of predicting the fitting part's mean rating (section 1's baseline)."""
    from helpers.metrics import mae
    from helpers.selection import carve_validation

    fit_part, validation = carve_validation(standard_split().train)
    return mae(validation["rating"], np.full(len(validation), fit_part["rating"].mean()))


def _first_below(values, level: float) -> int:
    """The first epoch (numbered from 1) whose value lies below ``level``; 0 when none does."""
    below = np.flatnonzero(np.asarray(values, dtype=np.float64) < level)
    return int(below[0]) + 1 if below.size else 0


def _beats_mean_epoch(curves) -> int:
    """The first epoch whose validation MAE beats predicting the mean, from the learner's curves."""
    return _first_below(curves["val_mae"], _baseline_mae())


def _epoch_mistakes(curves):
    epoch = _beats_mean_epoch(curves)
    yield (_first_below(curves["mae"], _baseline_mae()),
           "that is the training curve. Read the validation curve: in which epoch does it first "
           "drop below the mean's line?")
    yield (int(np.argmin(np.asarray(curves["val_mae"]))) + 1,
           "that is where the validation MAE is lowest; the question is when it first beats "
           "predicting the mean.")
    yield (epoch - 1, "epochs are numbered from 1 (the index of curves), not from 0.")


q4 = Exercise(
    "Exercise 4 (when does the model beat the mean?)",
    ("Look at section 3's right-hand plot: the dashed line is the mean's MAE; follow the "
     "validation curve from epoch 1.",
     "curves['val_mae'] < baseline['mae'] is a column of True/False by epoch: the answer is the "
     "index of its first True."),
    expected=_beats_mean_epoch,
    mistakes=_epoch_mistakes,
    rel_tol=0.0,
    needs=("curves",),
    praise="The validation MAE beats the mean before the training MAE does: Keras "
           "averages the training MAE over the epoch's batches while the model is still learning, "
           "and scores validation once, at the end of the epoch. Curves drawn per epoch lag by "
           "about half an epoch.",
)
