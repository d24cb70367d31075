"""Notebook 01's claims about its three splits, held to the values the notebook records.

The notebook records its numbers with ``helpers.records.record``; these tests read them from the
committed outputs (never the printed prose) and hold each sentence of section 4 to them.
"""

from __future__ import annotations

import pytest

from conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "01_movielens_data.ipynb"
SPLITS = ("random", "per-user temporal", "global temporal")


@pytest.fixture(scope="module")
def reports(records):
    return records["split_reports"]


def share(report, key):
    return report[key] / report["test_rows"]


def test_the_notebook_records_what_the_tests_read(records):
    for name in ("global_cutoff", "global_latest_train", "global_test_rows", "global_ties_at_cutoff",
                 "weeks", "weekly_min", "weekly_max", "busiest_weeks", "first_week_share",
                 "users_joining_after_cutoff", "split_reports"):
        assert name in records, f"notebook 01 records no {name!r}: run `make notebooks`"
    assert sorted(records["split_reports"]) == sorted(SPLITS)


def test_no_test_rating_is_before_the_cut_off(records, reports):
    assert records["global_latest_train"] < records["global_cutoff"]
    assert reports["global temporal"]["train_rows_at_or_after_cutoff"] == 0


def test_ties_at_the_cut_off_put_one_rating_more_in_test(records, reports):
    """'All four ratings at the cut-off second go to test … 20,001 ratings, one more than 20 %.'"""
    assert records["global_ties_at_cutoff"] == 4
    assert records["global_test_rows"] == reports["global temporal"]["test_rows"] == 20_001
    assert reports["global temporal"]["train_rows"] == 79_999


def test_the_other_splits_train_on_the_future(reports):
    """'15,939 of its 80,000 training ratings' (random); '14,839 training ratings' (per-user)."""
    assert reports["random"]["train_rows_at_or_after_cutoff"] == 15_939
    assert reports["per-user temporal"]["train_rows_at_or_after_cutoff"] == 14_839
    for name in ("random", "per-user temporal"):
        assert reports[name]["train_rows"] == 80_000


def test_ratings_arrive_every_week_unevenly_and_mostly_from_newcomers(records):
    assert records["weeks"] == 32
    assert (records["weekly_min"], records["weekly_max"]) == (800, 9_064)
    assert records["first_week_share"] == pytest.approx(0.85, abs=0.005)  # "85 %"


def test_the_cut_off_falls_between_the_two_busiest_weeks(records):
    first, second = sorted(records["busiest_weeks"])
    assert first < records["global_cutoff"] < second  # the second burst lands in the test period


def test_the_global_test_is_mostly_users_never_seen(records, reports):
    """'85.2 % of its test ratings (17,048 of 20,001) come from the 192 users without a training
    rating, and 1.0 % are of a movie nobody rated before the cut-off.'"""
    global_report = reports["global temporal"]
    assert global_report["test_rows_unseen_user"] == 17_048
    assert share(global_report, "test_rows_unseen_user") == pytest.approx(0.852, abs=0.0005)
    assert global_report["test_users_unseen"] == records["users_joining_after_cutoff"] == 192
    assert share(global_report, "test_rows_unseen_item") == pytest.approx(0.010, abs=0.0005)


def test_the_global_split_meets_more_unseen_users_and_movies_than_the_others(reports):
    for name in ("random", "per-user temporal"):
        assert reports[name]["test_rows_unseen_user"] == reports[name]["test_users_unseen"] == 0
        for key in ("test_rows_unseen_user", "test_rows_unseen_item"):
            assert share(reports["global temporal"], key) > share(reports[name], key)
    # "0.0 % and 0.2 % unseen" for the random split
    assert share(reports["random"], "test_rows_unseen_item") == pytest.approx(0.002, abs=0.0005)
