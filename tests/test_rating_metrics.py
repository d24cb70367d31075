"""Rating metrics of helpers.metrics (notebooks 02-04) on cases worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.metrics import mae, rmse


def test_rmse_by_hand():
    # errors 1 and 2: sqrt((1² + 2²) / 2) = sqrt(5 / 2)
    assert rmse([1, 2], [2, 4]) == pytest.approx(math.sqrt(5 / 2))
    # errors 3, 0, 0, 1 (signs do not matter): sqrt((9 + 0 + 0 + 1) / 4) = sqrt(2.5)
    assert rmse([5, 3, 4, 1], [2, 3, 4, 2]) == pytest.approx(math.sqrt(2.5))


def test_mae_by_hand():
    # the same two cases: (1 + 2) / 2 and (3 + 0 + 0 + 1) / 4
    assert mae([1, 2], [2, 4]) == pytest.approx(1.5)
    assert mae([5, 3, 4, 1], [2, 3, 4, 2]) == pytest.approx(1.0)


def test_metrics_read_any_shape_of_the_same_size():
    # a Keras prediction comes as a column (n × 1); it is scored like a flat array
    assert rmse(np.array([1.0, 2.0]), np.array([[2.0], [4.0]])) == pytest.approx(math.sqrt(5 / 2))


@pytest.mark.parametrize("metric", [rmse, mae])
def test_bad_input_says_what_is_wrong(metric):
    with pytest.raises(ValueError, match="y_true has 2 values but y_pred has 3"):
        metric([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="y_true is empty"):
        metric([], [])
