"""Notebook 08's exercises: the notebook's own hidden solutions pass their checkers, and typical
mistakes fail with feedback that names them (how: ``helpers.exercises.testing``). No checker
trains a model: exercises 1–3 read small given problems, exercise 4 the learner's probe sweep.
"""

from __future__ import annotations

import pandas as pd

from helpers.exercises import nb08 as exercises
from helpers.exercises.testing import NotebookExercises

MISTAKES = [
    (1, {' - np.log(problem["q"])': ""}, "not corrected"),
    (1, {' - np.log(problem["q"])': ' + np.log(problem["q"])'}, "is added"),
    (1, {' / problem["temperature"]': ""}, "temperature"),
    (1, {' - np.log(problem["q"])': ' - np.log(problem["q"])[:, None]'}, "own movie"),
    (2, {" - len(movies_in_batch)": ""}, "diagonal"),
    (2, {"int(same.sum() - len(movies_in_batch))": "int(same.sum() - len(movies_in_batch)) // 2"},
     "each pair of rows once"),
    (2, "movies_in_batch = exercises.batch_movies()\nanswer = len(movies_in_batch) - len(set(movies_in_batch.tolist()))",
     "repeat an earlier"),
    (3, {'answer = "b"': 'answer = "a"'}, "every logit alike"),
    (3, {'answer = "b"': 'answer = "c"'}, "accidental hits are few"),
    (3, {'answer = "b"': 'answer = "d"'}, "overfitting"),
    (4, {'sweep["n_probe"] == 32': 'sweep["n_probe"] == 64'}, "recall at n_probe = 64"),
    (4, {'.iloc[0])': '.iloc[0]) * 100'}, "percentage"),
    (4, {'answer = float(sweep.loc[sweep["n_probe"] == 32, "recall"].iloc[0])': "answer = 0.2"},
     "not the value on the curve"),
]


class TestExercises(NotebookExercises):
    exercises = exercises
    mistakes = MISTAKES

    def computed(self) -> dict:
        """A probe sweep shaped like ``bulk_table``'s (the checker reads the learner's own)."""
        return {"sweep": pd.DataFrame({"n_probe": [1, 2, 4, 8, 16, 32, 64],
                                       "recall": [0.02, 0.05, 0.11, 0.22, 0.38, 0.63, 0.85]})}
