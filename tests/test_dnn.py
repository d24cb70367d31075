"""helpers.dnn: the network's shape, its start at the mean, its training recipe, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.data import encode_ids
from helpers.dnn import DNN_CONFIG, build_dnn, fit_dnn
from helpers.models import predict_ratings


@pytest.fixture(scope="module")
def encoded(synthetic):
    encoded, encoding = encode_ids(synthetic)
    return encoded, encoding.n_users, encoding.n_items


def test_build_dnn_layers_and_start_at_the_mean():
    import helpers

    helpers.seed_everything()
    model = build_dnn(7, 9, mean_rating=3.6, embedding_dim=4, hidden_units=(8, 4))
    names = [layer.name for layer in model.layers]
    for name in ("user_embedding", "item_embedding", "user_and_item", "dense_1", "dense_2", "rating"):
        assert name in names
    assert model.get_layer("user_embedding").get_weights()[0].shape == (7, 4)
    assert model.get_layer("dense_1").get_weights()[0].shape == (8, 8)  # 4 + 4 concatenated inputs
    predictions = predict_ratings(model, np.arange(7), np.arange(7))
    assert predictions.shape == (7,)
    assert np.abs(predictions - 3.6).max() < 0.5  # untrained, it predicts about the mean


def test_fit_dnn_learns_and_keeps_a_validation_curve(encoded):
    train, n_users, n_items = encoded
    model, history = fit_dnn(train, n_users, n_items, epochs=6, validation_fraction=0.1, dropout=0.0,
                             learning_rate=0.01)
    assert len(history.history["mae"]) == len(history.history["val_mae"]) == 6
    assert history.history["mae"][-1] < history.history["mae"][0]
    assert model.count_params() > 0


def test_fit_dnn_is_deterministic(encoded):
    train, n_users, n_items = encoded
    first, _ = fit_dnn(train, n_users, n_items, epochs=2)
    second, _ = fit_dnn(train, n_users, n_items, epochs=2)
    users, items = train["user_index"].to_numpy(), train["item_index"].to_numpy()
    np.testing.assert_array_equal(predict_ratings(first, users, items),
                                  predict_ratings(second, users, items))


def test_unknown_settings_are_refused(encoded):
    train, n_users, n_items = encoded
    with pytest.raises(ValueError, match="unknown settings"):
        fit_dnn(train, n_users, n_items, layers=3)



def test_the_network_is_built_from_dnn_config_by_hand_count():
    from helpers.dnn import build_dnn

    model = build_dnn(5, 7, 3.5)  # DNN_CONFIG: 32-wide embeddings, dense (64, 32), dropout 0.5
    assert DNN_CONFIG["embedding_dim"] == 32 and DNN_CONFIG["hidden_units"] == (64, 32)
    # embeddings (5 + 7) · 32 = 384; dense 64·64 + 64 = 4,160; 64·32 + 32 = 2,080; output 32 + 1
    assert model.count_params() == 384 + 4_160 + 2_080 + 33
    assert model.get_layer("dropout_1").rate == DNN_CONFIG["dropout"]
    assert float(model.get_layer("rating").bias.numpy()[0]) == 3.5  # starts at the mean rating
