"""Notebook 02's exercises: the notebook's own hidden solutions pass their checkers, and typical
mistakes fail with feedback that names them (how: ``helpers.exercises.testing``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import tensorflow_only
from helpers.exercises import nb02 as exercises
from helpers.exercises import standard_split
from helpers.exercises.testing import NotebookExercises

UNTRAINED = "single_factor = build_classic_mf(n_users, n_items, k=1)\n"
MISTAKES = [
    (1, UNTRAINED + 'answer = single_factor.get_layer("item_embedding").get_weights()[0][:, 0]',
     "did you train"),
    (1, UNTRAINED + 'answer = single_factor.get_layer("user_embedding").get_weights()[0][:, 0]',
     "one number per user"),
    (2, "answer = build_classic_mf(n_users, n_items)", "no layer named 'user_bias'"),
    (2, {"user_vector, item_vector]), user_bias, item_bias]": "user_vector, item_vector]), item_bias]"},
     "add its output into the prediction"),
    (2, {"layers.Rescaling(1.0, offset=global_mean)(score)":
         'layers.Rescaling(4.0, offset=1.0)(layers.Activation("sigmoid")(score))'},
     "no squashing"),
    (3, {'answer = "b"': 'answer = "a"'}, "asks for row 943"),
    (3, {'answer = "b"': 'answer = "c"'}, "training itself breaks"),
    (3, {'answer = "b"': 'answer = "d"'}, "never multiplies its input"),
    (4, {'curves["val_mae"]': 'curves["mae"]'}, "training curve"),
    (4, {'(curves["val_mae"] < baseline["mae"]).idxmax()': 'curves["val_mae"].idxmin()'},
     "lowest"),
    (4, {'(curves["val_mae"] < baseline["mae"]).idxmax()':
         'np.argmax(curves["val_mae"].to_numpy() < baseline["mae"])'}, "numbered from 1"),
]


class TestExercises(NotebookExercises):
    exercises = exercises
    mistakes = MISTAKES

    def computed(self) -> dict:
        from helpers.metrics import mae
        from helpers.records import read_records
        from helpers.selection import carve_validation

        fit_part, validation = carve_validation(standard_split().train)
        global_mean = float(fit_part["rating"].mean())
        # section 3's learning curves, as the committed notebook recorded them (no training here)
        recorded = read_records(self.notebook)["classic_curves"]
        curves = pd.DataFrame(recorded, index=pd.RangeIndex(1, len(recorded["mae"]) + 1, name="epoch"))
        return {"fit_part": fit_part, "validation": validation, "global_mean": global_mean,
                "curves": curves,
                "baseline": {"mae": mae(validation["rating"], np.full(len(validation), global_mean))}}


def test_answers_of_the_wrong_kind(capsys):
    assert not exercises.q2.check(np.zeros(3))
    assert "Keras model" in capsys.readouterr().out
    assert not exercises.q1.check(np.zeros(standard_split().encoding.n_items))
    assert "all the numbers are the same" in capsys.readouterr().out


@tensorflow_only("an index past the table is an error in TensorFlow's CPU kernel; JAX clips or fills it")
def test_ids_past_the_table_fail_on_cpu():
    """Exercise 3's answer: the largest MovieLens id looks up a row past the end of the table."""
    import tensorflow as tf

    from helpers.models import build_classic_mf

    encoding = standard_split().encoding
    model = build_classic_mf(encoding.n_users, encoding.n_items)
    model.predict([np.array([encoding.n_users - 1]), np.array([0])], verbose=0)  # the last index
    with pytest.raises(tf.errors.InvalidArgumentError, match="not in"):
        model.predict([np.array([encoding.n_users]), np.array([0])], verbose=0)  # the last id


def test_validation_beats_the_mean_before_training_does():
    """Exercise 4's praise: the training curve crosses the mean's line after the validation curve."""
    from helpers.exercises.testing import notebook_of
    from helpers.records import read_records

    curves = read_records(notebook_of(exercises))["classic_curves"]
    baseline = exercises._baseline_mae()
    assert exercises._first_below(curves["val_mae"], baseline) < exercises._first_below(curves["mae"], baseline)
