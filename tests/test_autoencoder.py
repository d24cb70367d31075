"""helpers.autoencoder: the ranking autoencoder's rows, loss, determinism, and its recorded choice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import experiments
from helpers.autoencoder import (
    DAE_CONFIG,
    build_dae,
    dae_scores,
    fit_dae,
    item_rows,
    multinomial_loss,
)

FAST = {"epochs": 3, "hidden": 8}


@pytest.fixture(scope="module")
def data(encoded_synthetic):
    return encoded_synthetic


def test_item_rows_mark_rated_or_positive_items():
    train = pd.DataFrame({"user_index": [0, 0, 1], "item_index": [2, 0, 1], "rating": [5.0, 3.0, 4.0]})
    np.testing.assert_array_equal(item_rows(train, 2, 3), [[1, 0, 1], [0, 1, 0]])
    np.testing.assert_array_equal(item_rows(train, 2, 3, positives_from=4.0), [[0, 0, 1], [0, 1, 0]])


def test_multinomial_loss_by_hand():
    logits = np.array([[0.0, np.log(3.0)]], dtype="float32")  # softmax: 1/4, 3/4
    positives = np.array([[1.0, 1.0]], dtype="float32")
    expected = -(np.log(0.25) + np.log(0.75))
    assert float(np.asarray(multinomial_loss(positives, logits))[0]) == pytest.approx(expected, rel=1e-6)


def test_the_model_maps_a_row_to_one_logit_per_item():
    model = build_dae(11, hidden=4)
    assert [tensor.name for tensor in model.inputs] == ["rated_items"]
    assert model.output.shape == (None, 11)
    assert {"unit_length", "drop_items", "encoder", "item_scores"} <= {layer.name for layer in model.layers}


def test_fit_is_seeded_and_scores_every_user_and_item(data):
    encoded, n_users, n_items = data
    first, history = fit_dae(encoded, n_users, n_items, seed=3, **FAST)
    again, _ = fit_dae(encoded, n_users, n_items, seed=3, **FAST)
    scores = dae_scores(first, encoded, n_users, n_items)
    assert scores.shape == (n_users, n_items) and np.isfinite(scores).all()
    np.testing.assert_array_equal(scores, dae_scores(again, encoded, n_users, n_items))
    assert len(history.history["loss"]) == 3
    np.testing.assert_allclose(dae_scores(first, encoded, n_users, n_items, [2, 0]), scores[[2, 0]], atol=1e-6)


def test_a_user_is_scored_from_their_row_without_retraining(data):
    """No per-user weights: two users with the same rated items get the same scores."""
    encoded, n_users, n_items = data
    model, _ = fit_dae(encoded, n_users, n_items, seed=3, **FAST)
    rows = item_rows(encoded, n_users, n_items)
    twin = np.asarray(model.predict(rows[[0, 0]], verbose=0))
    np.testing.assert_allclose(twin[0], twin[1])


def test_the_settings_are_the_recorded_validation_choice():
    chosen = experiments.load("dae")["chosen"]
    assert {key: DAE_CONFIG[key] for key in chosen} == chosen
