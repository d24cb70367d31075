"""helpers.scaling: the synthetic generator's calibration against the real MovieLens 100k, the
ratings read from disk batch by batch, and the timing table (notebook 09)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.scaling import (
    RELEASE_SHAPES,
    RatingsOnDisk,
    als_seconds,
    epoch_seconds,
    gini,
    movielens_shape,
    shape_report,
    synthetic_ratings,
    write_ratings,
)


@pytest.fixture(scope="module")
def real_shape(movielens):
    ratings, _ = movielens
    return shape_report(ratings, "user_id", "item_id")


@pytest.fixture(scope="module")
def synthetic_100k():
    return synthetic_ratings(100_000)


def test_gini_by_hand():
    assert gini([1, 1, 1, 1]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)  # (n − 1) / n when one holds everything
    assert gini([1, 3]) == pytest.approx(0.25)


def test_movielens_shape_is_exact_at_each_release():
    for n_ratings, shape in RELEASE_SHAPES.items():
        assert movielens_shape(n_ratings) == shape
    users, items = movielens_shape(3_000_000)
    assert RELEASE_SHAPES[1_000_209][0] < users < RELEASE_SHAPES[10_000_054][0]
    assert RELEASE_SHAPES[1_000_209][1] < items < RELEASE_SHAPES[10_000_054][1]
    beyond = movielens_shape(100_000_000)
    assert beyond[0] > RELEASE_SHAPES[32_000_204][0] and beyond[1] > RELEASE_SHAPES[32_000_204][1]


def test_synthetic_ratings_are_well_formed(synthetic_100k):
    ratings = synthetic_100k
    assert len(ratings) == 100_000
    assert list(ratings.columns) == ["user_index", "item_index", "rating"]
    assert ratings.dtypes.astype(str).tolist() == ["int32", "int32", "float32"]
    assert ratings["user_index"].nunique() == 943 and ratings["user_index"].max() == 942
    assert ratings["item_index"].max() < 1_682
    assert not ratings.duplicated(["user_index", "item_index"]).any()
    assert set(np.unique(ratings["rating"])) <= {1.0, 2.0, 3.0, 4.0, 5.0}


def test_synthetic_ratings_are_seeded():
    pd.testing.assert_frame_equal(synthetic_ratings(5_000, seed=3), synthetic_ratings(5_000, seed=3))
    assert not synthetic_ratings(5_000, seed=3).equals(synthetic_ratings(5_000, seed=4))


def test_calibrated_against_the_real_movielens_100k(synthetic_100k, real_shape):
    """The calibration: the same unevenness of ratings over movies and over users as the real
    data, the floor of 20 ratings a user (the lightest synthetic users get a little more), a similar mean rating."""
    fake = shape_report(synthetic_100k)
    assert fake["item_gini"] == pytest.approx(real_shape["item_gini"], abs=0.05)
    assert fake["user_gini"] == pytest.approx(real_shape["user_gini"], abs=0.05)
    assert fake["top_1pct_share"] == pytest.approx(real_shape["top_1pct_share"], rel=0.2)
    assert fake["top_10pct_share"] == pytest.approx(real_shape["top_10pct_share"], rel=0.2)
    assert real_shape["min_per_user"] == 20 and 20 <= fake["min_per_user"] <= 22
    assert fake["mean_rating"] == pytest.approx(real_shape["mean_rating"], abs=0.15)


def test_an_impossible_size_is_a_clear_error():
    with pytest.raises(ValueError, match="do not fit"):
        synthetic_ratings(10_000, n_users=10, n_items=100)
    with pytest.raises(ValueError, match="1,000 ratings or more"):
        synthetic_ratings(10)


def test_ratings_on_disk_give_every_row_once_an_epoch(tmp_path):
    ratings = synthetic_ratings(10_000, seed=1)
    folder = write_ratings(ratings, tmp_path / "ratings")
    assert not list(folder.glob(".*part"))  # nothing temporary is left
    data = RatingsOnDisk(folder, batch_size=3_000, seed=2)
    assert len(data) == 4  # 3,000 · 3 + 1,000
    for _ in range(2):
        batches = [data[index] for index in range(len(data))]
        users = np.concatenate([users for (users, _), _ in batches])
        items = np.concatenate([items for (_, items), _ in batches])
        stars = np.concatenate([stars for _, stars in batches])
        read = pd.DataFrame({"user_index": users, "item_index": items, "rating": stars})
        pd.testing.assert_frame_equal(read.sort_values(["user_index", "item_index"], ignore_index=True),
                                      ratings.sort_values(["user_index", "item_index"], ignore_index=True))
        first_order = data.order.copy()
        data.on_epoch_end()
    assert not np.array_equal(first_order, data.order) or len(data) < 3  # a new order each epoch


def test_ratings_on_disk_refuse_foreign_files(tmp_path):
    folder = write_ratings(synthetic_ratings(2_000), tmp_path)
    np.save(folder / "rating.npy", np.ones(2_000, dtype=np.float64))
    with pytest.raises(ValueError, match="expected float32"):
        RatingsOnDisk(folder, batch_size=100)
    np.save(folder / "rating.npy", np.ones(1_999, dtype=np.float32))
    with pytest.raises(ValueError, match="different lengths"):
        RatingsOnDisk(folder, batch_size=100)


def test_an_epoch_from_disk_trains_the_model(tmp_path):
    ratings = synthetic_ratings(20_000, seed=5)
    n_users, n_items = movielens_shape(20_000)
    timing = epoch_seconds(write_ratings(ratings, tmp_path), n_users, n_items, batch_size=4_096)
    assert timing.n_ratings == 20_000 and timing.batch_size == 4_096
    assert timing.seconds > 0 and timing.ratings_per_second == pytest.approx(20_000 / timing.seconds)


def test_als_reference_runs_on_the_same_pairs():
    ratings = synthetic_ratings(20_000, seed=5)
    n_users, n_items = movielens_shape(20_000)
    timing = als_seconds(ratings, n_users, n_items, iterations=1)
    assert timing.n_ratings == 20_000 and timing.ratings_per_second > 0


def test_the_scaling_table_times_both_variants_and_refuses_an_unknown_one(tmp_path):
    from helpers.scaling import LAZY, scaling_table

    table = scaling_table((20_000,), batch_sizes=(4_096,), folder=tmp_path, als=False,
                          variants=("adam", "lazy"))
    assert list(table["method"]) == ["Keras MF, batch 4,096", f"Keras MF, {LAZY}, batch 4,096"]
    assert (table["seconds"] > 0).all() and table["peak MB"].isna().all()
    with pytest.raises(ValueError, match="unknown variants"):
        scaling_table((20_000,), folder=tmp_path, als=False, variants=("sgd",))
