"""helpers.baselines: the maths, the fallbacks for unknown users and items, and the real numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.baselines import Biases, GlobalMean, ItemMean, known_pairs
from helpers.data import encode_ids, movielens_split
from helpers.metrics import rmse


def frame(users, items, ratings) -> pd.DataFrame:
    return pd.DataFrame({"user_index": np.asarray(users, dtype="int32"),
                         "item_index": np.asarray(items, dtype="int32"),
                         "rating": np.asarray(ratings, dtype="float32")})


TINY = frame([0, 0, 1, 1, 2], [0, 1, 0, 2, 2], [5, 3, 4, 2, 1])


def test_global_mean_predicts_the_mean_for_every_pair():
    model = GlobalMean().fit(TINY)
    assert model.mean_ == pytest.approx(3.0)
    np.testing.assert_allclose(model.predict([0, 7, 99], [0, 1, 500]), 3.0)
    assert model.n_params == 1


def test_item_mean_by_hand_and_its_fallback():
    model = ItemMean().fit(TINY)
    np.testing.assert_allclose(model.predict([0, 0, 0], [0, 1, 2]), [4.5, 3.0, 1.5])
    # an item beyond every train index, and a negative one, get the global mean
    np.testing.assert_allclose(model.predict([0, 0], [3, -1]), [3.0, 3.0])


def test_item_mean_fills_gaps_inside_the_index_range_with_the_global_mean():
    model = ItemMean().fit(frame([0, 1], [0, 2], [5, 1]))  # item 1 has no rating
    np.testing.assert_allclose(model.predict([0], [1]), [3.0])


def test_biases_without_regularisation_fit_an_additive_table_exactly():
    users, items = np.meshgrid(np.arange(4), np.arange(5), indexing="ij")
    user_offset, item_offset = np.array([-1.0, 0, 0.5, 0.5]), np.array([0.2, -0.2, 0, 1, -1])
    ratings = 3 + user_offset[users] + item_offset[items]
    model = Biases(reg_user=0, reg_item=0, n_sweeps=50).fit(frame(users.ravel(), items.ravel(),
                                                                  ratings.ravel()))
    np.testing.assert_allclose(model.predict(users.ravel(), items.ravel()), ratings.ravel(),
                               atol=1e-6)


# One ALS sweep on TINY with reg_item = 1, reg_user = 2, by hand. μ = (5+3+4+2+1)/5 = 3.
# Items first, user offsets still 0:   b_i = Σ (r − μ) / (λ_i + n_i)
#   item 0: (2 + 1) / (1 + 2) = 1     item 1: 0 / (1 + 1) = 0     item 2: (−1 − 2) / (1 + 2) = −1
# residuals r − μ − b_i, row by row: 1, 0, 0, 0, −1;   then b_u = Σ residual / (λ_u + n_u)
#   user 0: (1 + 0) / (2 + 2) = 1/4   user 1: (0 + 0) / (2 + 2) = 0   user 2: −1 / (2 + 1) = −1/3
ONE_SWEEP = {"item_bias": [1.0, 0.0, -1.0], "user_bias": [0.25, 0.0, -1 / 3]}


def one_sweep_biases() -> Biases:
    return Biases(reg_user=2, reg_item=1, n_sweeps=1).fit(TINY)


def test_biases_one_sweep_by_hand():
    model = one_sweep_biases()
    np.testing.assert_allclose(model.item_bias_, ONE_SWEEP["item_bias"], atol=1e-12)
    np.testing.assert_allclose(model.user_bias_, ONE_SWEEP["user_bias"], atol=1e-12)
    # the loss after it: residuals r − μ − b_u − b_i = 3/4, −1/4, 0, 0, −2/3
    #   squares 9/16 + 1/16 + 4/9 = 77/72;  λ_u Σ b_u² = 2 (1/16 + 1/9) = 25/72;  λ_i Σ b_i² = 1 · 2
    assert model.loss_history_ == pytest.approx([77 / 72 + 25 / 72 + 2])  # = 41/12


def test_biases_loss_never_increases_and_regularisation_shrinks(synthetic):
    encoded, _ = encode_ids(synthetic)
    model = Biases(n_sweeps=15).fit(encoded)
    assert np.all(np.diff(model.loss_history_) <= 1e-9)
    loose = Biases(reg_user=0.1, reg_item=0.1).fit(encoded)
    assert np.abs(model.item_bias_).sum() < np.abs(loose.item_bias_).sum()


def test_biases_fallback_keeps_what_is_known():
    model = one_sweep_biases()  # μ = 3, b_u = (1/4, 0, −1/3), b_i = (1, 0, −1), as worked above
    np.testing.assert_allclose(model.predict([0, 2, 1], [0, 2, 1]),
                               [3 + 1 / 4 + 1, 3 - 1 / 3 - 1, 3 + 0 + 0])  # μ + b_u + b_i
    # an unknown user (50) or item (50) has offset 0: μ + b_i, μ + b_u, then μ alone
    np.testing.assert_allclose(model.predict([50, 0, 50], [0, 50, 50]), [3 + 1, 3 + 1 / 4, 3])
    assert model.n_params == 1 + 3 + 3


@pytest.mark.parametrize("bad, message", [
    (pd.DataFrame({"user_index": [0], "rating": [4.0]}), "no column"),
    (frame([], [], []), "empty"),
    (frame([0], [0], [np.nan]), "missing or infinite"),
    (pd.DataFrame({"user_index": [-1], "item_index": [0], "rating": [4.0]}), "0 or more"),
    (pd.DataFrame({"user_index": ["a"], "item_index": [0], "rating": [4.0]}), "integers"),
    ([1, 2, 3], "DataFrame"),
])
@pytest.mark.parametrize("model", [GlobalMean, ItemMean, Biases])
def test_bad_train_gives_one_clear_error(model, bad, message):
    with pytest.raises(ValueError, match=message):
        model().fit(bad)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="0 or more"):
        Biases(reg_user=-1)
    with pytest.raises(ValueError, match="at least 1"):
        Biases(n_sweeps=0)


def test_on_movielens_each_baseline_beats_the_one_before():
    split = movielens_split()
    train, test = split.train, split.test
    errors = [rmse(test["rating"], model.fit(train).predict(test["user_index"], test["item_index"]))
              for model in (GlobalMean(), ItemMean(), Biases())]
    assert errors[0] > errors[1] > errors[2]
    # the published BaselineOnly (5-fold CV) is 0.944; one 80/20 split lands close to it
    assert errors[2] == pytest.approx(0.944, abs=0.015)


def test_known_pairs_marks_rows_whose_user_and_item_have_train_ratings():
    train = frame([0, 1, 3], [0, 2, 2], [4, 3, 5])  # user 2 and item 1 have no rating
    known = known_pairs(train, [0, 2, 1, 0, 9, 3], [2, 0, 1, 0, 0, 7])
    assert known.tolist() == [True, False, False, True, False, False]


def test_with_fallback_replaces_only_the_cold_rows():
    from helpers.baselines import with_fallback

    train = pd.DataFrame({"user_index": [0, 0, 1, 1], "item_index": [0, 1, 0, 1],
                          "rating": [5.0, 3.0, 4.0, 2.0]})
    rows = pd.DataFrame({"user_index": [0, 1, 2, 0], "item_index": [1, 0, 0, 2]})  # user 2, item 2 new
    predicted = np.array([1.0, 2.0, 3.0, 4.0])
    biases = Biases().fit(train).predict(rows["user_index"], rows["item_index"])
    np.testing.assert_allclose(with_fallback(predicted, train, rows), [1.0, 2.0, biases[2], biases[3]])
    with pytest.raises(ValueError, match="2 values for 4 rows"):
        with_fallback([1.0, 2.0], train, rows)
