"""Notebook 09's exercises: the notebook's own hidden solutions pass their checkers, and typical
mistakes fail with feedback that names them (how: ``helpers.exercises.testing``). No checker
trains a model or starts a process: exercises 1–3 read small given problems, exercise 4 the
recorded scaling table."""

from __future__ import annotations

from helpers.exercises import nb09 as exercises
from helpers.exercises.testing import NotebookExercises
from helpers.scaling import load_full_scale

MISTAKES = [
    (1, {'"index": 1': '"index": 2'}, "count from 0"),
    (1, {'"type": "worker"': '"type": "chief"'}, "task type"),
    (1, {'exercises.CLUSTER}': 'exercises.CLUSTER[1:2]}'}, "this machine included"),
    (1, {'exercises.CLUSTER}': 'exercises.CLUSTER[::-1]}'}, "another order"),
    (2, {"rows = -(-10_677 // 4)": "rows = 10_677 // 4"}, "padded"),
    (2, {"rows * 32 * 4)": "rows * 32)"}, "4 bytes"),
    (2, {"rows * 32 * 4)": "rows * 32 * 8)"}, "float64"),
    (2, {"rows = -(-10_677 // 4)": "rows = 10_677"}, "not the whole table"),
    (3, {'answer = "b"': 'answer = "a"'}, "repeats it on its full copy"),
    (3, {'answer = "b"': 'answer = "c"'}, "nothing to average"),
    (3, {'answer = "b"': 'answer = "d"'}, "model parallelism"),
    (4, {"(big.loc[10_000_000] / steps[10_000_000]) / (big.loc[1_000_000] / steps[1_000_000])":
         "(big.loc[1_000_000] / steps[1_000_000]) / (big.loc[10_000_000] / steps[10_000_000])"},
     "upside down"),
    (4, {"(big.loc[10_000_000] / steps[10_000_000]) / (big.loc[1_000_000] / steps[1_000_000])":
         "big.loc[10_000_000] / big.loc[1_000_000]"}, "whole epoch"),
    (4, {'"Keras MF, batch 8,192"': '"Keras MF, batch 1,024"', "size / 8_192": "size / 1_024"},
     "batch 1,024"),
]


class TestExercises(NotebookExercises):
    exercises = exercises
    mistakes = MISTAKES

    def computed(self) -> dict:
        """The recorded full-scale table the notebook reads (``notebooks/results/scaling.json``)."""
        return {"recorded": load_full_scale()[0]}
