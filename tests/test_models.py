"""helpers.models on synthetic ratings: shapes, layer names, ranges, determinism, errors."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.metrics import rmse
from helpers.models import (
    TUNED_CONFIG,
    build_classic_mf,
    build_tuned_mf,
    fit_classic_mf,
    fit_tuned_mf,
    predict_ratings,
)

FAST = {"epochs": 4, "batch_size": 256}


@pytest.fixture(scope="module")
def data(encoded_synthetic):
    return encoded_synthetic


@pytest.fixture(scope="module")
def tuned(data):
    encoded, n_users, n_items = data
    return fit_tuned_mf(encoded, n_users, n_items, **FAST)


def layer_names(model) -> set[str]:
    return {layer.name for layer in model.layers}


def test_classic_model_layers_inputs_and_compile():
    model = build_classic_mf(7, 9, k=4)
    assert [tensor.name for tensor in model.inputs] == ["user_index", "item_index"]
    assert {"user_embedding", "item_embedding", "dot", "rating"} <= layer_names(model)
    assert model.get_layer("user_embedding").get_weights()[0].shape == (7, 4)
    assert model.get_layer("item_embedding").get_weights()[0].shape == (9, 4)
    assert model.count_params() == (7 + 9) * 4
    assert type(model.optimizer).__name__ == "Adam"
    scores = model.evaluate([np.arange(5), np.arange(5)], np.full(5, 3.0), verbose=0,
                            return_dict=True)
    assert {"loss", "mae", "rmse"} <= set(scores)


def test_classic_prediction_is_the_dot_product():
    model = build_classic_mf(4, 6, k=3)
    users, items = model.get_layer("user_embedding").get_weights()[0], \
        model.get_layer("item_embedding").get_weights()[0]
    predicted = predict_ratings(model, [0, 3, 2], [5, 1, 0])
    expected = [users[0] @ items[5], users[3] @ items[1], users[2] @ items[0]]
    np.testing.assert_allclose(predicted, expected, rtol=1e-5, atol=1e-7)


def test_tuned_model_layers_and_untrained_prediction_is_the_mean():
    model = build_tuned_mf(7, 9, global_mean=3.6, k=5)
    assert {"user_embedding", "item_embedding", "user_bias", "item_bias"} <= layer_names(model)
    assert model.get_layer("user_bias").get_weights()[0].shape == (7, 1)
    predicted = predict_ratings(model, np.arange(7), np.arange(7))
    np.testing.assert_allclose(predicted, 3.6, atol=0.01)  # zero biases, tiny embeddings


@pytest.mark.parametrize("rating_range", [(0.5, 5.5), (1.0, 5.0), None])
def test_tuned_output_range_and_mean(rating_range):
    model = build_tuned_mf(3, 3, global_mean=3.5, k=2, rating_range=rating_range)
    model.get_layer("user_bias").set_weights([np.array([[40.0], [-40.0], [0.0]])])
    predicted = predict_ratings(model, [0, 1, 2], [0, 1, 2])
    if rating_range is None:
        np.testing.assert_allclose(predicted, [43.5, -36.5, 3.5], atol=0.01)
    else:
        np.testing.assert_allclose(predicted, [rating_range[1], rating_range[0], 3.5], atol=0.01)


def test_predict_ratings_returns_flat_float64(tuned, data):
    encoded, *_ = data
    model, _ = tuned
    predicted = predict_ratings(model, encoded["user_index"], encoded["item_index"])
    assert predicted.dtype == np.float64 and predicted.shape == (len(encoded),)
    assert predict_ratings(model, [], []).shape == (0,)


def test_fits_learn_and_report_history(tuned, data):
    encoded, n_users, n_items = data
    model, history = tuned
    mean_rmse = rmse(encoded["rating"], np.full(len(encoded), encoded["rating"].mean()))
    fitted_rmse = rmse(encoded["rating"], predict_ratings(model, encoded["user_index"],
                                                          encoded["item_index"]))
    assert fitted_rmse < mean_rmse
    assert len(history.history["loss"]) == FAST["epochs"]
    classic, classic_history = fit_classic_mf(encoded, n_users, n_items, k=3, epochs=2,
                                              batch_size=256)
    assert {"loss", "val_loss", "val_mae", "val_rmse"} <= set(classic_history.history)


def test_fits_are_deterministic(data):
    encoded, n_users, n_items = data
    first, _ = fit_tuned_mf(encoded, n_users, n_items, **FAST)
    second, _ = fit_tuned_mf(encoded, n_users, n_items, **FAST)
    pairs = encoded["user_index"], encoded["item_index"]
    np.testing.assert_array_equal(predict_ratings(first, *pairs), predict_ratings(second, *pairs))
    classic_a, _ = fit_classic_mf(encoded, n_users, n_items, k=3, epochs=2, batch_size=256)
    classic_b, _ = fit_classic_mf(encoded, n_users, n_items, k=3, epochs=2, batch_size=256)
    np.testing.assert_array_equal(predict_ratings(classic_a, *pairs),
                                  predict_ratings(classic_b, *pairs))


def test_validation_fraction_is_carved_from_train(data):
    encoded, n_users, n_items = data
    _, history = fit_tuned_mf(encoded, n_users, n_items, validation_fraction=0.2, epochs=2,
                              batch_size=256)
    assert len(history.history["val_rmse"]) == 2


def test_unseen_item_falls_back_to_mean_plus_user_bias(data):
    encoded, n_users, n_items = data
    without_last_item = encoded[encoded["item_index"] != n_items - 1]
    model, _ = fit_tuned_mf(without_last_item, n_users, n_items, **FAST)
    assert not model.get_layer("item_embedding").get_weights()[0][n_items - 1].any()
    assert model.get_layer("item_bias").get_weights()[0][n_items - 1, 0] == 0
    predicted = predict_ratings(model, np.arange(n_users), np.full(n_users, n_items - 1))
    assert np.all((predicted > 1) & (predicted < 5))


@pytest.mark.parametrize("bad, message", [
    ({"n_users": 0}, "n_users must be a positive integer"),
    ({"k": 2.5}, "k must be a positive integer"),
])
def test_bad_sizes_raise(bad, message, data):
    arguments = {"n_users": 5, "n_items": 5, "k": 2, **bad}
    with pytest.raises(ValueError, match=message):
        fit_classic_mf(data[0], **arguments)


def test_bad_training_data_raises(data):
    encoded, n_users, n_items = data
    with pytest.raises(ValueError, match=r"train has no column \['rating'\]"):
        fit_tuned_mf(encoded.drop(columns="rating"), n_users, n_items)
    with pytest.raises(ValueError, match="item_index must lie in"):
        fit_classic_mf(encoded, n_users, n_items - 1)
    with pytest.raises(ValueError, match="empty"):
        fit_tuned_mf(encoded.iloc[:0], n_users, n_items)
    with pytest.raises(ValueError, match=r"unknown settings \['epochz'\]"):
        fit_tuned_mf(encoded, n_users, n_items, epochz=3)
    with pytest.raises(ValueError, match=r"unknown settings \['l2'\]"):
        build_classic_mf(3, 3, l2=0.1)  # the classic model has no penalty to set


def test_bad_prediction_input_raises():
    model = build_classic_mf(3, 3, k=2)
    with pytest.raises(ValueError, match="pass one user and one item per pair"):
        predict_ratings(model, [0, 1], [0])
    with pytest.raises(ValueError, match="must hold integers"):
        predict_ratings(model, [0.5], [1])


def test_builders_read_their_settings_from_the_config_once():
    """No setting is repeated as a default argument: the built model follows the config dict."""
    from helpers.models import CLASSIC_CONFIG

    tuned = build_tuned_mf(5, 7, 3.5)
    assert tuned.get_layer("user_embedding").output_dim == TUNED_CONFIG["k"]
    assert tuned.get_layer("user_l2").l2 == TUNED_CONFIG["l2"]
    low, high = TUNED_CONFIG["rating_range"]
    assert tuned.get_layer("rating_range").offset == low and tuned.get_layer("rating_range").scale == high - low
    assert build_tuned_mf(5, 7, 3.5, k=3).get_layer("item_embedding").output_dim == 3
    classic = build_classic_mf(5, 7)
    assert classic.get_layer("item_embedding").output_dim == CLASSIC_CONFIG["k"]
    assert float(classic.optimizer.learning_rate) == pytest.approx(CLASSIC_CONFIG["learning_rate"])


def test_per_example_l2_on_a_hand_worked_batch():
    """λ · (mean ‖p_u‖² + mean ‖q_i‖²) over the batch, by hand: the value does not depend on how a
    Keras release reduces activity regularisers, because the series writes the penalty out."""
    model = build_tuned_mf(2, 2, global_mean=3.0, k=2, l2=0.5, rating_range=None)
    model.get_layer("user_embedding").set_weights([np.array([[1.0, 2.0], [0.0, 3.0]])])  # ‖·‖² 5, 9
    model.get_layer("item_embedding").set_weights([np.array([[1.0, 0.0], [2.0, 2.0]])])  # ‖·‖² 1, 8
    users, items = np.array([0, 1, 1]), np.array([1, 0, 1])
    model([users, items])
    # users' squared norms 5, 9, 9 → mean 23/3; items' 8, 1, 8 → mean 17/3; λ = 0.5
    expected = 0.5 * (23 / 3 + 17 / 3)
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-6)
    # and it is what training minimises: the loss Keras reports is the MSE plus the penalty
    predicted = predict_ratings(model, users, items)  # 3 + 2 + 0·… : no bias, rows as set above
    targets = np.array([4.0, 2.0, 5.0])
    reported = model.evaluate([users, items], targets, verbose=0, return_dict=True)["loss"]
    assert reported == pytest.approx(np.mean((targets - predicted) ** 2) + expected, rel=1e-5)


def test_an_untested_keras_release_fails_loudly_at_import():
    from helpers.models import KERAS_TESTED, _check_keras_version

    low, high = KERAS_TESTED
    _check_keras_version(f"{high[0]}.{high[1]}.9")
    for version in (f"{low[0]}.{low[1] - 1}.0", f"{high[0]}.{high[1] + 1}.0", "4.0.0"):
        with pytest.raises(ImportError, match="make setup"):
            _check_keras_version(version)


def test_one_api_for_every_model(data):
    """Every build_* returns a compiled model whose inputs are named user_index (and item_index);
    every fit_* takes (train, n_users, n_items, seed=…, **overrides) and returns (model, history)."""
    from helpers.autoencoder import build_dae, fit_dae
    from helpers.dnn import build_dnn, fit_dnn
    from helpers.models import build_mf
    from helpers.nonnegative import build_factor_mf, fit_factor_mf
    from helpers.ranking import build_ranking_model, fit_ranking_model
    from helpers.svdpp import build_svdpp, fit_svdpp

    built = {"classic": build_classic_mf(5, 7), "mf": build_mf(5, 7, k=3, learning_rate=0.01),
             "tuned": build_tuned_mf(5, 7, 3.5), "dnn": build_dnn(5, 7, 3.5),
             "factor": build_factor_mf(5, 7, 3.5), "ranking": build_ranking_model(5, 7),
             "autoencoder": build_dae(7), "svdpp": build_svdpp(5, 7, 3.5, data[0].iloc[:0])}
    for name, model in built.items():
        assert model.compiled and model.optimizer is not None, f"build_* of {name} is not compiled"
        # the autoencoder reads a user's whole row of rated items, not a user's index
        expected = {"ranking": ["user_index"], "autoencoder": ["rated_items"]}.get(
            name, ["user_index", "item_index"])
        assert [tensor.name for tensor in model.inputs] == expected, name
    encoded, n_users, n_items = data
    for fit in (fit_classic_mf, fit_tuned_mf, fit_dnn, fit_factor_mf, fit_ranking_model, fit_dae,
                fit_svdpp):
        model, history = fit(encoded, n_users, n_items, seed=1, epochs=1)
        assert list(history.epoch) == [0], fit.__name__  # one epoch, as asked
        assert model.name and history.model is model
