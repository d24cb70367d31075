"""Notebook 07's exercises: the notebook's own hidden solutions pass their checkers, and typical
mistakes fail with feedback that names them (how: ``helpers.exercises.testing``). No checker
trains a model: they read small given problems and the committed benchmark record.
"""

from __future__ import annotations

from helpers.benchmark import recorded_run
from helpers.exercises import nb07 as exercises
from helpers.exercises.testing import NotebookExercises

MISTAKES = [
    (1, {"\nnp.fill_diagonal(answer, 0.0)": ""}, "diagonal is −1"),
    (1, {' + problem["l2"] * np.eye(4)': ""}, "no penalty"),
    (1, {"/ np.diag(inverse)": "/ np.diag(inverse)[:, None]"}, "each row is divided"),
    (1, {"np.fill_diagonal(answer, 0.0)": "np.fill_diagonal(answer, 0.0)\nanswer = chosen @ answer"},
     "scores X·B"),
    (2, {' / np.sqrt(len(problem["rated"]))': ""}, "plain sum"),
    (2, {'np.sqrt(len(problem["rated"]))': 'len(problem["rated"])'}, "the mean"),
    (2, {'rated = problem["table"][problem["rated"]]': 'rated = problem["table"]'}, "every movie"),
    (3, {'models["tuned_mf"]["per_seed"]["rmse"], models["svdpp_tuned"]["per_seed"]["rmse"]':
         'models["svdpp_tuned"]["per_seed"]["rmse"], models["tuned_mf"]["per_seed"]["rmse"]'},
     "sign is flipped"),
    (3, {'["rmse"]': '["mae"]'}, "MAE"),
    (3, {'models["svdpp_tuned"]': 'models["svdpp"]'}, "defaults"),
    (4, {'answer = "a"': 'answer = "d"'}, "leak"),
    (4, {'answer = "a"': 'answer = "b"'}, "memory"),
    (4, {'answer = "a"': 'answer = "c"'}, "no star"),
    (4, {'answer = "a"': 'answer = "a, d"'}, "one letter"),
    (5, {".idxmax()": ".idxmin()"}, "loses the least"),
    (5, {'.drop(["global_mean", "item_mean", "biases"])': ""}, "a baseline"),
    (5, {"(temporal - standard)": "temporal"}, "highest temporal RMSE"),
]


class TestExercises(NotebookExercises):
    exercises = exercises
    mistakes = MISTAKES

    def computed(self) -> dict:
        """The notebook's ``run``: the committed record it reads (nothing is trained)."""
        return {"run": recorded_run("random")}
