"""Notebook 06's exercises: the notebook's own hidden solutions pass their checkers, and typical
mistakes fail with feedback that names them (how: ``helpers.exercises.testing``).
"""

from __future__ import annotations

import re
from functools import cache

from conftest import run_solution
from helpers.exercises import nb06 as exercises
from helpers.exercises import standard_split
from helpers.exercises.testing import NotebookExercises

MISTAKES = [
    (1, {' + problem["l2"] * np.eye(3)': ""}, "without the ridge term"),
    (1, {'np.column_stack([problem["item_embeddings"], np.ones(3)])': 'problem["item_embeddings"]',
         "np.eye(3)": "np.eye(2)"}, "no bias"),
    (1, {' - problem["global_mean"] - problem["item_bias"]': ""}, "raw ratings"),
    (1, {' - problem["item_bias"]': ""}, "not the item biases"),
    (2, {"(len(stars) + 15)": "len(stars)"}, "λ = 0"),
    (2, {"(len(stars) + 15)": "(len(stars) + 10)"}, "λ = 10"),
    (2, {" - biases.item_bias_[items]": ""}, "item biases in"),
    (3, {"(user_factors == 0).mean()": "(user_factors == 0).sum()"}, "a count"),
    (3, {"== 0": "!= 0"}, "not zero"),
    (3, {"user_factors, _ = factor_matrices": "_, user_factors = factor_matrices"}, "movies' share"),
    (4, {'answer = "b"': 'answer = "d"'}, "is a leak"),
    (4, {'answer = "b"': 'answer = "c"'}, "solver is not the problem"),
]


@cache
def nonneg_model():
    """Notebook 06's ``factor_models["nonneg"]``, trained again on the standard split (seeded: the
    same weights), once per process: the solutions pass it to the checker as the notebook does."""
    from helpers.nonnegative import fit_factor_mf

    split = standard_split()
    model, _ = fit_factor_mf(split.train, split.encoding.n_users, split.encoding.n_items,
                             factors="nonneg")
    return model


class TestExercises(NotebookExercises):
    exercises = exercises
    mistakes = MISTAKES

    def computed(self) -> dict:
        """Of ``factor_models``, only the non-negative one, the checker's own (trained the same way,
        seeded): no solution uses the others."""
        return {"factor_models": {"nonneg": nonneg_model()}}

    def test_solution_2s_remark_fold_in_with_no_factors_gives_the_same_answer(self, namespace):
        """Solution 2 ends: `fold_in_user(...)` with a 0-column embedding matrix gives its answer."""
        remark = re.search(r"`(fold_in_user\(.*?\)\[1\])`", self.notebook.read_text(encoding="utf-8"))
        assert remark, "Solution 2 no longer shows the fold_in_user call"
        scope = run_solution(self.solutions[2], namespace)
        assert exercises.q2.check(eval(remark.group(1), scope))
