"""helpers.svdpp: the neighbourhood matrices and sums by hand, dense = sparse, fit, recorded choice."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import experiments, svdpp
from helpers.models import predict_ratings

FAST = {"epochs": 2, "k": 4}


@pytest.fixture(scope="module")
def data(encoded_synthetic):
    return encoded_synthetic


def test_neighbourhoods_by_hand():
    # user 0 rated items 0 and 2 (item 2 twice: counted once), user 1 rated item 1, user 2 nothing
    scaled, mean = svdpp.neighbourhoods([0, 0, 0, 1], [0, 2, 2, 1], n_rows=3, n_columns=3)
    np.testing.assert_allclose(scaled, [[2 ** -0.5, 0, 2 ** -0.5], [0, 1, 0], [0, 0, 0]], rtol=1e-6)
    np.testing.assert_allclose(mean, [[0.5, 0, 0.5], [0, 1, 0], [0, 0, 0]])


@pytest.mark.parametrize("dense_limit", [svdpp.DENSE_LIMIT, 0])
def test_implicit_sum_by_hand_dense_or_sparse(monkeypatch, dense_limit):
    monkeypatch.setattr(svdpp, "DENSE_LIMIT", dense_limit)
    layer = svdpp.ImplicitSum(*svdpp.neighbourhoods([0, 0, 1], [0, 2, 1], 2, 3), k=2, rows_l2=0.5)
    layer.build(None)
    table = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype="float32")
    layer.table.assign(table)
    sums = keras.ops.convert_to_numpy(layer(np.array([0, 1, 0], dtype="int32")))
    np.testing.assert_allclose(sums, [(table[0] + table[2]) / np.sqrt(2), table[1], (table[0] + table[2]) / np.sqrt(2)],
                               rtol=1e-6)
    assert layer.sparse == (dense_limit == 0)
    # the penalty: λ · batch mean of mean_{j∈N(u)} ‖y_j‖² = 0.5 · mean(37, 25, 37)
    penalty = float(keras.ops.convert_to_numpy(layer.losses[-1]))
    assert penalty == pytest.approx(0.5 * np.mean([(5 + 61) / 2, 25, (5 + 61) / 2]), rel=1e-6)


def test_fit_is_seeded_and_a_user_without_ratings_gets_the_item_bias_only(data):
    encoded, n_users, n_items = data
    without_0 = encoded[encoded["user_index"] != 0]
    model, history = svdpp.fit_svdpp(without_0, n_users, n_items, seed=3, **FAST)
    again, _ = svdpp.fit_svdpp(without_0, n_users, n_items, seed=3, **FAST)
    users, items = encoded["user_index"].to_numpy(), encoded["item_index"].to_numpy()
    np.testing.assert_array_equal(predict_ratings(model, users, items), predict_ratings(again, users, items))
    assert len(history.history["loss"]) == 2
    assert not model.get_layer("user_embedding").get_weights()[0][0].any()
    assert not model.get_layer("user_bias").get_weights()[0][0].any()


def test_the_neighbourhoods_come_from_train_only(data):
    """A rating not in train cannot reach the model: adding test rows to the frame a model is
    *evaluated* on changes nothing, and N(u) is built from the fitted frame."""
    encoded, n_users, n_items = data
    half = encoded.iloc[: len(encoded) // 2]
    model, _ = svdpp.fit_svdpp(half, n_users, n_items, seed=3, **FAST)
    scaled = np.asarray(model.get_layer("user_implicit").scaled)
    expected, _ = svdpp.neighbourhoods(half["user_index"], half["item_index"], n_users, n_items)
    np.testing.assert_array_equal(scaled, expected)


def test_the_settings_are_the_recorded_validation_choice():
    chosen = experiments.load("svdpp")["chosen"]
    assert {key: svdpp.SVDPP_CONFIG[key] for key in chosen} == chosen
    assert set(chosen) == set(experiments.SVDPP_GRID)


def test_the_choice_lies_inside_the_grid_or_on_a_plateau():
    """As for the peers: an edge of the grid is accepted only when it is no measurable gain over
    its neighbour (the paired interval over the seeds holds 0); else the grid must move."""
    from helpers.selection import paired_interval

    recorded = experiments.load("svdpp")
    chosen, scores = recorded["chosen"], recorded["val_rmse"]
    for key, values in experiments.SVDPP_GRID.items():
        values = sorted(values)
        if values[0] < chosen[key] < values[-1]:
            continue
        neighbour = values[1] if chosen[key] == values[0] else values[-2]
        other = experiments._setting_name({**chosen, key: neighbour})
        _, low, high = paired_interval(scores[experiments._setting_name(chosen)], scores[other])
        assert low <= 0 <= high, f"{key}={chosen[key]} is on the edge of {values} and beats {neighbour}"
