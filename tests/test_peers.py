"""The peer libraries as the benchmark runs them (helpers/peers.py) and EASE (helpers/ranking.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import synthetic_ratings
from helpers import experiments, peers
from helpers.data import encode_ids
from helpers.ranking import EASE_CONFIG, ease_scores


@pytest.fixture(scope="module")
def encoded():
    ratings, encoding = encode_ids(synthetic_ratings(n_users=30, n_items=40, seed=11))
    return ratings, encoding.n_users, encoding.n_items


RATING_PEERS = [("svd", {}), ("svdpp", {"cache_ratings": True}),
                ("knn_baseline", {"sim_options": {"name": "pearson_baseline", "user_based": False}})]


@pytest.mark.parametrize("algorithm, settings", RATING_PEERS)
def test_surprise_models_predict_within_the_scale_and_repeat_exactly(encoded, algorithm, settings):
    ratings, _, _ = encoded
    first = peers.SurpriseModel(algorithm, seed=3, **settings).fit(ratings)
    again = peers.SurpriseModel(algorithm, seed=3, **settings).fit(ratings)
    users, items = ratings["user_index"].to_numpy(), ratings["item_index"].to_numpy()
    predicted = first.predict(users, items)
    low, high = peers.rating_range(ratings)
    assert predicted.shape == (len(ratings),) and (low <= predicted).all() and (predicted <= high).all()
    np.testing.assert_array_equal(predicted, again.predict(users, items))
    # fitted on these very ratings, each model does better than the global mean on them
    assert np.sqrt(np.mean((predicted - ratings["rating"]) ** 2)) < ratings["rating"].std()
    assert first.n_params > 0


def test_surprise_predicts_an_unknown_user_with_its_own_fallback(encoded):
    ratings, _, _ = encoded
    model = peers.SurpriseModel("svd", seed=3).fit(ratings[ratings["user_index"] != 0])
    assert np.isfinite(model.predict([0], [0])).all()


def test_myfm_is_quiet_seeded_and_clipped(encoded, capfd):
    ratings, n_users, n_items = encoded
    users, items = ratings["user_index"].to_numpy(), ratings["item_index"].to_numpy()
    runs = [peers.MyFMModel(n_users, n_items, seed=5, n_iter=30, n_kept_samples=20).fit(ratings)
            for _ in range(2)]
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == "", "myFM's progress bar must not reach the terminal"
    predicted = runs[0].predict(users, items)
    np.testing.assert_array_equal(predicted, runs[1].predict(users, items))
    assert predicted.min() >= ratings["rating"].min() and predicted.max() <= ratings["rating"].max()
    assert runs[0].n_params == (1 + (n_users + n_items) * 11) * 20


def test_one_hot_rows_have_a_user_column_then_an_item_column():
    matrix = peers.one_hot([0, 2], [1, 0], n_users=3, n_items=2).toarray()
    np.testing.assert_array_equal(matrix, [[1, 0, 0, 0, 1], [0, 0, 1, 1, 0]])


@pytest.mark.parametrize("algorithm", ["als", "bpr"])
def test_implicit_models_score_every_item_and_repeat_exactly(encoded, algorithm, recwarn):
    ratings, n_users, n_items = encoded
    models = [peers.ImplicitModel(algorithm, n_users, n_items, seed=9, iterations=5).fit(ratings)
              for _ in range(2)]
    scores = models[0].scores(np.arange(n_users))
    assert scores.shape == (n_users, n_items) and np.isfinite(scores).all()
    np.testing.assert_array_equal(scores, models[1].scores(np.arange(n_users)))
    assert not [w for w in recwarn if "OpenBLAS" in str(w.message)], "implicit's BLAS warning leaked"


def test_interactions_count_a_pair_once_and_can_keep_the_positives_only():
    train = pd.DataFrame({"user_index": [0, 0, 1, 1], "item_index": [1, 1, 0, 2], "rating": [5, 4, 2, 4.0]})
    np.testing.assert_array_equal(peers.interactions(train, 2, 3).toarray(), [[0, 1, 0], [1, 0, 1]])
    np.testing.assert_array_equal(peers.interactions(train, 2, 3, positives_from=4).toarray(),
                                  [[0, 1, 0], [0, 0, 1]])


def test_a_missing_package_is_named_with_the_command_that_installs_it(monkeypatch):
    assert peers.missing_package("surprise") is None
    monkeypatch.setitem(peers.PACKAGES, "no_such_module_here", "no-such-package==1.0")
    message = peers.missing_package("no_such_module_here")
    assert "no-such-package==1.0 is not installed" in message and "pip install" in message
    with pytest.raises(peers.MissingPackage, match="not installed"):
        peers._require("no_such_module_here")


def test_ease_solves_a_ridge_regression_per_item_without_the_item_itself(encoded):
    """EASE's closed form, column by column: item j's weights are the ridge regression of the
    column X_j on the other columns, with penalty λ (the zero diagonal)."""
    ratings, n_users, n_items = encoded
    l2 = 7.0
    scores = ease_scores(ratings, n_users, n_items, l2=l2, positives_from=None)
    chosen = np.zeros((n_users, n_items))
    chosen[ratings["user_index"], ratings["item_index"]] = 1.0
    for item in (0, 5, n_items - 1):
        others = np.delete(np.arange(n_items), item)
        weights = np.linalg.solve(chosen[:, others].T @ chosen[:, others] + l2 * np.eye(n_items - 1),
                                  chosen[:, others].T @ chosen[:, item])
        np.testing.assert_allclose(scores[:, item], chosen[:, others] @ weights, atol=1e-9)


def test_ease_on_positives_ignores_the_low_ratings(encoded):
    ratings, n_users, n_items = encoded
    positives = ratings[ratings["rating"] >= 4]
    np.testing.assert_allclose(ease_scores(ratings, n_users, n_items, positives_from=4.0),
                               ease_scores(positives, n_users, n_items, positives_from=None))
    assert EASE_CONFIG == experiments.peer_choices()["ease"]


def test_the_tuned_settings_are_the_recorded_validation_choices():
    chosen = experiments.peer_choices()
    assert peers.SURPRISE_TUNED == {name: chosen[name] for name in peers.SURPRISE_TUNED}
    for name, config in (("als", peers.ALS_CONFIG), ("bpr", peers.BPR_CONFIG)):
        assert {key: config[key] for key in chosen[name]} == chosen[name], name


def test_each_peer_grid_has_a_budget_like_the_series_models():
    """The tuned MF and the DNN each searched nine settings over five seeds; every peer's grid has
    at least six settings (KNNBaseline and EASE are deterministic: one run each)."""
    for name, grid in {**peers.PEER_GRIDS, "ease": experiments.EASE_GRID}.items():
        assert np.prod([len(values) for values in grid.values()]) >= 6, name


def test_every_numeric_choice_lies_inside_its_grid_or_on_a_plateau():
    """A choice on the edge of a grid means the best setting may lie beyond it: the peer would be
    under-tuned. Every numeric axis with three or more values has its chosen value inside, or on
    an edge that is no measurable gain over its neighbour (paired interval over the seeds holds 0)."""
    from helpers.selection import paired_interval

    chosen = experiments.peer_choices()
    recorded = {**experiments.load("rating_peers")["val_rmse"], **experiments.load("ranking_peers")["val_ndcg"]}
    for name, grid in {**peers.PEER_GRIDS, "ease": experiments.EASE_GRID}.items():
        flat = {**chosen[name], **chosen[name].get("sim_options", {})}
        scores = recorded[name]
        for key, values in grid.items():
            numbers = sorted(v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool))
            if len(numbers) < 3 or flat[key] is None or numbers[0] < flat[key] < numbers[-1]:
                continue
            neighbour = numbers[1] if flat[key] == numbers[0] else numbers[-2]
            best_name = next(n for n in scores if all(f"{k}={v}" in n or f"'{k}': {v!r}" in n
                                                      for k, v in flat.items() if k in grid))
            other = best_name.replace(f"{key}={flat[key]}", f"{key}={neighbour}")
            assert other in scores and len(scores[best_name]) > 1, f"{name}: {key}={flat[key]} on the edge of {values}"
            _, low, high = paired_interval(scores[best_name], scores[other])
            assert low <= 0 <= high, f"{name}: {key}={flat[key]} is on the edge of {values} and beats {neighbour}"


def test_myfm_implicit_features_are_svdpp_rows_of_train_only():
    """``implicit`` adds each rating's user row (|N(u)|^-½ over the items u rated in TRAIN) and item
    row (|N(i)|^-½ over the users who rated i) to the one-hot columns; the count of parameters
    per sample doubles its embedding part."""
    import pandas as pd

    from helpers.peers import MyFMModel, implicit_blocks

    train = pd.DataFrame({"user_index": [0, 0, 1, 2, 0], "item_index": [0, 1, 1, 2, 1],
                          "rating": [4.0, 3.0, 5.0, 2.0, 3.0]})  # (0, 1) twice: one pair
    by_user, by_item = implicit_blocks(train, 4, 3)
    assert by_user.toarray() == pytest.approx(np.array([[2 ** -0.5, 2 ** -0.5, 0], [0, 1, 0], [0, 0, 1],
                                                         [0, 0, 0]]))
    assert by_item.toarray() == pytest.approx(np.array([[1, 0, 0, 0], [2 ** -0.5, 2 ** -0.5, 0, 0],
                                                         [0, 0, 1, 0]]))
    model = MyFMModel(4, 3, implicit=True, n_iter=6, n_kept_samples=3).fit(train)
    features = model.features(np.array([0, 3]), np.array([1, 2])).toarray()
    assert features.shape == (2, 4 + 3 + 3 + 4)
    assert features[0] == pytest.approx([1, 0, 0, 0, 0, 1, 0, 2 ** -0.5, 2 ** -0.5, 0, 2 ** -0.5, 2 ** -0.5, 0, 0])
    assert features[1, 7:10].sum() == 0  # user 3 rated nothing in train: an empty implicit row
    plain = MyFMModel(4, 3, n_iter=6, n_kept_samples=3)
    assert model.n_params == (1 + 2 * 7 * 11) * 3 and plain.n_params == (1 + 7 * 11) * 3
    assert np.isfinite(model.predict(np.array([0, 3]), np.array([1, 2]))).all()
