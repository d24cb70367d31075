"""Ranking metrics (notebook 05) on cases small enough to work out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.metrics import (
    catalog_coverage,
    hit_rate_at_k,
    ndcg_at_k,
    ndcg_per_user,
    precision_at_k,
    ranking_report,
    recall_at_k,
    relevant_items,
)

# user 0 likes {1, 5}: its list [1, 2, 5] hits at ranks 1 and 3
# user 1 likes {7}:    its list [3, 4, 6] misses
# user 2 likes nothing: left out of every average
TOP = np.array([[1, 2, 5], [3, 4, 6], [0, 1, 2]])
RELEVANT = [{1, 5}, {7}, set()]
# NDCG@3 of TOP: user 0's DCG counts its hits at ranks 1 and 3, 1/log2(2) + 1/log2(4) = 1 + 1/2;
# its ideal list has both relevant items on top, 1/log2(2) + 1/log2(3) = 1 + 0.6309; user 1 scores 0
NDCG_TOP_AT_3 = ((1 / math.log2(2) + 1 / math.log2(4)) / (1 / math.log2(2) + 1 / math.log2(3)) + 0) / 2


def test_precision_by_hand():
    assert precision_at_k(TOP, RELEVANT, k=3) == pytest.approx((2 / 3 + 0) / 2)
    assert precision_at_k(TOP, RELEVANT, k=1) == pytest.approx((1 + 0) / 2)


def test_recall_by_hand():
    assert recall_at_k(TOP, RELEVANT, k=3) == pytest.approx((2 / 2 + 0 / 1) / 2)
    assert recall_at_k(TOP, RELEVANT, k=2) == pytest.approx((1 / 2 + 0) / 2)


def test_hit_rate_by_hand():
    assert hit_rate_at_k(TOP, RELEVANT, k=3) == pytest.approx(0.5)
    assert hit_rate_at_k(np.array([[2, 3, 4], [3, 4, 6], [0, 1, 2]]), RELEVANT, k=3) == 0.0


def test_ndcg_by_hand():
    assert NDCG_TOP_AT_3 == pytest.approx(1.5 / 1.6309 / 2, abs=1e-5)  # 0.45987
    assert ndcg_at_k(TOP, RELEVANT, k=3) == pytest.approx(NDCG_TOP_AT_3)


def test_ndcg_per_user_by_hand_leaves_out_users_with_nothing_relevant():
    per_user = ndcg_per_user(TOP, RELEVANT, k=3)
    assert per_user == pytest.approx([1.5 / (1 + 1 / math.log2(3)), 0.0])  # users 0 and 1; user 2 out
    assert per_user.mean() == pytest.approx(ndcg_at_k(TOP, RELEVANT, k=3))


def test_ndcg_is_one_for_a_perfect_list_and_ideal_caps_at_k():
    assert ndcg_at_k(np.array([[5, 1, 0]]), [{1, 5}], k=2) == pytest.approx(1.0)
    # five relevant items but k = 2: two hits at the top are perfect
    assert ndcg_at_k(np.array([[0, 1, 9]]), [{0, 1, 2, 3, 4}], k=2) == pytest.approx(1.0)
    # the same hit scores less lower down
    assert ndcg_at_k(np.array([[9, 0]]), [{0}], k=2) == pytest.approx(1 / math.log2(3))


def test_padding_never_counts_as_a_hit():
    assert precision_at_k(np.array([[-1, -1]]), [{0, 1}], k=2) == 0.0
    assert catalog_coverage(np.array([[0, -1], [0, 1]]), n_items=4) == pytest.approx(0.5)


def test_coverage_by_hand():
    assert catalog_coverage(TOP, n_items=10) == pytest.approx(7 / 10)  # 0..6
    assert catalog_coverage(TOP, n_items=10, k=1) == pytest.approx(3 / 10)  # 1, 3, 0


def test_report_gathers_every_metric():
    report = ranking_report(TOP, RELEVANT, k=3, n_items=10)
    assert report == pytest.approx({"precision@3": 1 / 3, "recall@3": 0.5, "hit_rate@3": 0.5,
                                    "ndcg@3": NDCG_TOP_AT_3, "coverage": 0.7,
                                    "users": 2})


def test_relevant_items_keeps_ratings_at_or_above_the_threshold():
    relevant = relevant_items([0, 0, 1, 2], [3, 4, 3, 1], [4.0, 3.5, 5.0, 1.0], n_users=4)
    assert relevant == [{3}, {3}, set(), set()]
    with pytest.raises(ValueError, match="user_index must lie"):
        relevant_items([7], [0], [5.0], n_users=3)


@pytest.mark.parametrize("top, relevant, k, message", [
    (np.array([1, 2]), [{1}], 1, "2-D integer"),
    (np.array([[1.0, 2.0]]), [{1}], 1, "2-D integer"),
    (TOP, RELEVANT[:2], 3, "one set per user"),
    (TOP, RELEVANT, 4, "k must lie"),
    (TOP, [set(), set(), set()], 3, "no user has a relevant item"),
])
def test_bad_input_raises_a_clear_error(top, relevant, k, message):
    with pytest.raises(ValueError, match=message):
        precision_at_k(top, relevant, k)


def test_paired_bootstrap_by_hand_and_for_rmse():
    from helpers.selection import paired_bootstrap

    same = np.arange(10.0)
    assert paired_bootstrap(same, same) == (0.0, 0.0, 0.0)
    assert paired_bootstrap(same + 0.5, same) == pytest.approx((0.5, 0.5, 0.5))  # a constant shift
    rng = np.random.default_rng(1)
    noisy = rng.normal(0.1, 1.0, 400)
    difference, low, high = paired_bootstrap(noisy, np.zeros(400))
    assert difference == pytest.approx(noisy.mean())
    half = 1.96 * noisy.std() / np.sqrt(400)  # the normal approximation of the percentile interval
    assert low == pytest.approx(difference - half, abs=0.02) and high == pytest.approx(difference + half, abs=0.02)
    assert paired_bootstrap(noisy, np.zeros(400)) == (difference, low, high)  # seeded
    squared = rng.uniform(0, 2, 300)
    rmse_gap = paired_bootstrap(squared, squared * 0.81, statistic=lambda e: np.sqrt(e.mean(axis=-1)))
    assert rmse_gap[0] == pytest.approx(np.sqrt(squared.mean()) * 0.1)  # √e − √(0.81 e) = 0.1 √e
    assert rmse_gap[1] < rmse_gap[0] < rmse_gap[2]
    with pytest.raises(ValueError, match="same test units"):
        paired_bootstrap(np.zeros(3), np.zeros(4))
