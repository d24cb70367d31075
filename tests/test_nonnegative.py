"""helpers.nonnegative: the MF with free, NonNeg-constrained or softplus factors (notebook 06)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.data import encode_ids
from helpers.nonnegative import (
    FACTORS,
    build_factor_mf,
    factor_matrices,
    fit_factor_mf,
    predict_factor_mf,
)


@pytest.fixture(scope="module")
def encoded(synthetic):
    table, encoding = encode_ids(synthetic)
    return table, encoding


@pytest.fixture(scope="module")
def fitted(encoded):
    table, encoding = encoded
    return {factors: fit_factor_mf(table, encoding.n_users, encoding.n_items, factors=factors, k=4)[0]
            for factors in FACTORS}


def test_layers_are_named_for_extraction():
    model = build_factor_mf(5, 7, 3.5, k=3, factors="softplus")
    names = {layer.name for layer in model.layers}
    assert {"user_embedding", "item_embedding", "user_bias", "item_bias", "item_factors"} <= names
    assert model.get_layer("item_embedding").get_weights()[0].shape == (7, 3)


def test_signs_of_the_factors(fitted):
    _, free_items = factor_matrices(fitted["free"])
    nonneg_users, nonneg_items = factor_matrices(fitted["nonneg"])
    softplus_users, softplus_items = factor_matrices(fitted["softplus"])
    assert (free_items < 0).any()
    assert (nonneg_items >= 0).all() and (nonneg_users >= 0).all()
    assert (nonneg_items == 0).any()  # the projection reaches exactly zero
    assert (softplus_items > 0).all() and (softplus_users > 0).all()  # softplus never does


def test_softplus_factors_are_what_the_model_multiplies(fitted, encoded):
    table, _ = encoded
    model = fitted["softplus"]
    users, items = factor_matrices(model)
    user_bias = model.get_layer("user_bias").get_weights()[0].ravel()
    item_bias = model.get_layer("item_bias").get_weights()[0].ravel()
    u, i = table["user_index"].to_numpy()[:20], table["item_index"].to_numpy()[:20]
    by_hand = table["rating"].mean() + user_bias[u] + item_bias[i] + np.sum(users[u] * items[i], axis=1)
    np.testing.assert_allclose(predict_factor_mf(model, u, i), np.clip(by_hand, 1, 5), atol=1e-4)


def test_every_variant_learns(fitted, encoded):
    table, _ = encoded
    spread = table["rating"].std()
    for factors, model in fitted.items():
        predicted = predict_factor_mf(model, table["user_index"], table["item_index"])
        assert predicted.min() >= 1.0 and predicted.max() <= 5.0
        train_rmse = np.sqrt(np.mean((predicted - table["rating"].to_numpy()) ** 2))
        assert train_rmse < spread, f"{factors} does not beat predicting the mean"


def test_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="factors must be one of"):
        fit_factor_mf(pd.DataFrame({"user_index": [0], "item_index": [0], "rating": [4.0]}), 5, 7,
                      factors="positive")
