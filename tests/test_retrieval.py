"""The two-tower model, its in-batch softmax, the feature towers and the cold-start split
(helpers.retrieval, notebook 08): values worked out by hand on tiny inputs, then the real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.retrieval import (
    AGE_EDGES,
    RETRIEVAL_CONFIG,
    cold_start_report,
    cold_start_split,
    fit_two_tower,
    genre_popularity_scores,
    id_dropout_layer,
    in_batch_layers,
    item_features,
    item_probability,
    retrieval_vectors,
    two_tower_scores,
    user_features,
)


def test_item_probability_is_each_movies_share_of_the_pairs():
    train = pd.DataFrame({"item_index": [0, 0, 2, 2, 2, 3]})
    np.testing.assert_allclose(item_probability(train, 5), [2 / 6, 0, 3 / 6, 1 / 6, 0], rtol=1e-6)


def test_in_batch_softmax_by_hand():
    """Two users, two movies: logits u·v/τ − log q; the loss is the mean cross-entropy of each
    row against its own column."""
    InBatchLogits, InBatchSoftmax = in_batch_layers()
    users = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    items = np.array([[2.0, 0.0], [1.0, 1.0]], "float32")
    q = np.array([0.5, 0.25], "float32")
    logits = np.asarray(InBatchLogits(temperature=0.5, correction=True)(users, items, q))
    expected = users @ items.T / 0.5 - np.log(q)[None, :]
    np.testing.assert_allclose(logits, expected, rtol=1e-6)
    plain = np.asarray(InBatchLogits(temperature=0.5, correction=False)(users, items, q))
    np.testing.assert_allclose(plain, users @ items.T / 0.5, rtol=1e-6)
    loss = float(InBatchSoftmax(remove_accidental_hits=False)(np.array([7, 9]), expected))
    by_hand = np.mean([np.log(np.exp(row).sum()) - row[i] for i, row in enumerate(expected)])
    assert loss == pytest.approx(by_hand, rel=1e-5)


def test_an_accidental_hit_is_not_a_negative():
    """Rows 0 and 1 chose the same movie: each row's copy of it in the other column is removed,
    so each row's loss is over its own column and the third one only."""
    _, InBatchSoftmax = in_batch_layers()
    logits = np.array([[1.0, 3.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]], "float32")
    movies = np.array([5, 5, 8])
    loss = float(InBatchSoftmax(remove_accidental_hits=True)(movies, logits))
    kept = [np.array([1.0, 0.0]), np.array([1.0, 0.0]), np.array([0.0, 0.0, 1.0])]
    by_hand = np.mean([np.log(np.exp(row).sum()) - row[0 if i < 2 else 2] for i, row in enumerate(kept)])
    assert loss == pytest.approx(by_hand, rel=1e-5)
    kept_all = float(InBatchSoftmax(remove_accidental_hits=False)(movies, logits))
    assert kept_all > loss  # the hit counted as a negative costs more


def test_id_dropout_hides_ids_only_in_training_and_shifts_them():
    layer = id_dropout_layer()(0.5, seed=1)
    ids = np.arange(1000, dtype="int32")
    assert np.array_equal(np.asarray(layer(ids, training=False)), ids + 1)
    hidden = np.asarray(layer(ids, training=True)) == 0
    assert 0.4 < hidden.mean() < 0.6
    assert np.array_equal(np.asarray(id_dropout_layer()(0.0)(ids, training=True)), ids + 1)


def test_user_and_item_features_by_hand():
    users = pd.DataFrame({"user_id": [3, 1, 2], "age": [17, 18, 60], "gender": ["F", "M", "F"],
                          "occupation": ["writer", "artist", "writer"], "zip_code": ["1", "2", "3"]})
    features = user_features(users, np.array([1, 2, 3]))
    assert features["age"].tolist() == [1, len(AGE_EDGES), 0]  # 18 → group 1, 60 → last, 17 → 0
    assert features["gender"].tolist() == [0, 1, 1]
    assert features["occupation"].tolist() == [0, 1, 1]
    with pytest.raises(ValueError, match=r"no features for user_id \[4\]"):
        user_features(users, np.array([1, 4]))
    movies = pd.DataFrame({"item_id": [10, 20], "title": ["a", "b"],
                           "year": pd.array([1995, None], dtype="Int64"),
                           "genres": ["Comedy|Drama", "unknown"]})
    items = item_features(movies, np.array([10, 20]))
    assert items["genres"][0].sum() == 2 and items["genres"][1].sum() == 1
    assert items["year"].tolist()[1] == 0 and items["year"][0] > 0


def test_cold_start_split_holds_movies_and_users_out_entirely(movielens):
    from helpers.data import encode_ids

    ratings, movies = movielens
    encoded, _ = encode_ids(ratings, movies)
    split = cold_start_split(encoded, fraction=0.1)
    assert not split.train["item_index"].isin(split.cold_items).any()
    assert not split.train["user_index"].isin(split.cold_users).any()
    assert split.new_items["item_index"].isin(split.cold_items).all()
    assert not split.new_items["user_index"].isin(split.cold_users).any()
    assert split.new_users["user_index"].isin(split.cold_users).all()
    assert not split.new_users["item_index"].isin(split.cold_items).any()
    assert len(split.cold_users) == round(0.1 * 943) and len(split.cold_items) == round(0.1 * 1682)
    dropped = (encoded["item_index"].isin(split.cold_items) & encoded["user_index"].isin(split.cold_users)).sum()
    assert len(split.train) + len(split.new_items) + len(split.new_users) + dropped == len(encoded)
    again = cold_start_split(encoded, fraction=0.1)
    assert np.array_equal(again.cold_items, split.cold_items)  # seeded
    with pytest.raises(ValueError, match="fraction"):
        cold_start_split(encoded, fraction=0.7)


def test_genre_popularity_by_hand():
    train = pd.DataFrame({"item_index": [0, 0, 0, 1]})  # movie 0: 3 ratings, movie 1: 1, movie 2: none
    genres = np.array([[1, 0], [0, 1], [1, 1]], "float32")
    scores = genre_popularity_scores(train, genres, n_users=2)
    # genre 0: mean over the trained movie 0 = 3; genre 1: movie 1 = 1; movie 2 has both: 2
    np.testing.assert_allclose(scores[0], [3.0, 1.0, 2.0])
    assert scores.shape == (2, 3)


def test_cold_start_report_ranks_only_the_held_out_movies():
    from helpers.retrieval import ColdStartSplit

    new_items = pd.DataFrame({"user_index": [0, 1], "item_index": [2, 3], "rating": [5.0, 4.0]})
    split = ColdStartSplit(train=pd.DataFrame(), new_items=new_items, new_users=new_items.iloc[:0],
                           cold_items=np.array([2, 3]), cold_users=np.array([], int))
    scores = np.array([[9.0, 8.0, 1.0, 0.0], [9.0, 8.0, 1.0, 0.0]])  # warm movies score higher
    report = cold_start_report(scores, split, "items", k=1)
    assert report["hit_rate@1"] == pytest.approx(0.5)  # user 0's top-1 is movie 2: a hit; user 1's not
    with pytest.raises(ValueError, match="'items' or 'users'"):
        cold_start_report(scores, split, "movies")


def test_fit_is_seeded_and_scores_are_the_towers_dot_products(encoded_synthetic):
    encoded, n_users, n_items = encoded_synthetic
    settings = {"epochs": 2, "batch_size": 64, "embedding_dim": 4}
    model, history = fit_two_tower(encoded, n_users, n_items, **settings)
    assert len(history.history["loss"]) == 2
    users, items = retrieval_vectors(model)
    assert users.shape == (n_users, 4) and items.shape == (n_items, 4)
    np.testing.assert_allclose(two_tower_scores(model), users @ items.T, rtol=1e-5)
    again, _ = fit_two_tower(encoded, n_users, n_items, **settings)
    np.testing.assert_allclose(two_tower_scores(again), users @ items.T, rtol=1e-5)


def test_fit_refuses_bad_input(encoded_synthetic):
    encoded, n_users, n_items = encoded_synthetic
    with pytest.raises(ValueError, match="unknown settings"):
        fit_two_tower(encoded, n_users, n_items, temprature=0.1)
    with pytest.raises(ValueError, match="item_index must lie in"):
        fit_two_tower(encoded, n_users, n_items - 5)
    with pytest.raises(ValueError, match="both users= and items="):
        fit_two_tower(encoded, n_users, n_items, users={"age": np.zeros(n_users, "int32")})


def test_saved_model_gives_the_same_recommendations(tmp_path, encoded_synthetic):
    """Save as .keras and load: the same top-10 for every user (issue 16)."""
    import keras

    from helpers.recommend import seen_mask, top_n

    encoded, n_users, n_items = encoded_synthetic
    model, _ = fit_two_tower(encoded, n_users, n_items, epochs=2, batch_size=64, embedding_dim=4)
    model.save(tmp_path / "two_tower.keras")
    loaded = keras.saving.load_model(tmp_path / "two_tower.keras")
    exclude = seen_mask(encoded, n_users, n_items)
    assert np.array_equal(top_n(two_tower_scores(loaded), exclude, 10), top_n(two_tower_scores(model), exclude, 10))
    np.testing.assert_array_equal(two_tower_scores(loaded), two_tower_scores(model))


def test_feature_towers_answer_for_unknown_ids(encoded_synthetic):
    encoded, n_users, n_items = encoded_synthetic
    users = {"age": np.arange(n_users, dtype="int32") % 7, "gender": np.arange(n_users, dtype="int32") % 2,
             "occupation": np.arange(n_users, dtype="int32") % 21}
    items = {"genres": np.eye(n_items, 19, dtype="float32"), "year": np.arange(n_items, dtype="int32") % 16}
    model, _ = fit_two_tower(encoded, n_users, n_items, users=users, items=items, epochs=1,
                             batch_size=64, embedding_dim=4, user_id_dropout=0.3, item_id_dropout=0.3)
    known, _ = retrieval_vectors(model, users, items)
    hidden, _ = retrieval_vectors(model, users, items, unknown_users=[0, 1])
    assert not np.allclose(hidden[0], known[0]) and np.allclose(hidden[2:], known[2:])
    # two unknown users with the same features get the same vector
    same = {name: np.zeros_like(values) for name, values in users.items()}
    twins, _ = retrieval_vectors(model, same, items, unknown_users=[0, 1])
    np.testing.assert_allclose(twins[0], twins[1])
    with pytest.raises(ValueError, match="feature towers"):
        retrieval_vectors(model, unknown_users=[0])


def test_keras_rs_remove_accidental_hits_is_still_a_no_op():
    """Why helpers.retrieval masks the hits itself: Keras RS 0.4.0's layer adds ~1e-40, which
    leaves every logit as it was (keras-team/keras-rs#206). When this fails, the pinned Keras RS
    works: use its layer again."""
    import keras_rs

    from helpers.retrieval import remove_accidental_hits

    logits = np.array([[1.0, 3.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]], "float32")
    movies = np.array([5, 5, 8])
    theirs = np.asarray(keras_rs.layers.RemoveAccidentalHits()(logits, np.eye(3, dtype="float32"), movies))
    np.testing.assert_array_equal(theirs, logits)
    ours = np.asarray(remove_accidental_hits(logits, movies))
    assert ours[0, 1] < -1e30 and ours[1, 0] < -1e30  # each row's copy of its own movie
    np.testing.assert_array_equal(np.delete(ours.ravel(), [1, 3]), np.delete(logits.ravel(), [1, 3]))
def test_config_holds_the_recorded_choice():
    from helpers import experiments

    chosen = experiments.load("retrieval")["chosen"]
    assert {key: RETRIEVAL_CONFIG[key] for key in chosen} == chosen
    dropouts = experiments.load("cold_start")["chosen"]
    assert {key: RETRIEVAL_CONFIG[key] for key in dropouts} == dropouts


