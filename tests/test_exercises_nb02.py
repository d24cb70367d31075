"""Notebook 02's exercises: the notebook's own hidden solutions pass their checkers, and typical
mistakes fail with feedback that names them (how: ``helpers.exercises.testing``).
"""

from __future__ import annotations

import numpy as np

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
]


class TestExercises(NotebookExercises):
    exercises = exercises
    mistakes = MISTAKES

    def computed(self) -> dict:
        from helpers.selection import carve_validation

        fit_part, validation = carve_validation(standard_split().train)
        return {"fit_part": fit_part, "validation": validation,
                "global_mean": float(fit_part["rating"].mean())}


def test_answers_of_the_wrong_kind(capsys):
    assert not exercises.q2.check(np.zeros(3))
    assert "Keras model" in capsys.readouterr().out
    assert not exercises.q1.check(np.zeros(standard_split().encoding.n_items))
    assert "all the numbers are the same" in capsys.readouterr().out
