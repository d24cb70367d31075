"""helpers.setup / seed_everything, the plot style, and the exercise-checking framework."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

import helpers
from helpers.exercises import Exercise, compare


def test_setup_prints_versions_and_sets_the_style(capsys):
    helpers.setup()
    out = capsys.readouterr().out
    assert out.startswith("TensorFlow ") and "seed 42" in out
    assert mpl.rcParams["axes.spines.top"] is False and mpl.rcParams["axes.grid"] is True


def test_seed_everything_makes_models_repeatable():
    import keras

    def fresh_weights():
        helpers.seed_everything(7)
        layer = keras.layers.Embedding(10, 3)
        layer.build((None,))
        return layer.get_weights()[0], np.random.rand(3)

    first, second = fresh_weights(), fresh_weights()
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_compare_numbers_strings_sets_arrays():
    assert compare(0.0631, 0.06305, rel_tol=1e-2) is None
    assert "too low" in compare(1, 2)
    assert "expected a number" in compare("abc", 2.0)
    assert compare(" Star Wars ", "star wars") is None
    assert compare([3, 1, 2], {1, 2, 3}) is None
    assert "2 of your 3" in compare([1, 2, 9], {1, 2, 3})
    assert compare(np.array([1.0, 2.0]), [1.0, 2.0]) is None
    assert "shape" in compare(np.zeros(3), np.zeros(2))


def test_exercise_with_a_custom_test(capsys):
    exercise = Exercise("Ex", "think", test=lambda a: None if a > 0 else "it must be positive.")
    assert exercise.check(5)
    assert not exercise.check(-1)
    assert "it must be positive" in capsys.readouterr().out
    result = exercise.check(...)
    assert not result and result == False  # noqa: E712 - Checked compares like a bool


def test_an_unanswered_test_result_is_a_prompt_not_a_wrong_answer(capsys):
    from helpers.exercises import Unanswered

    exercise = Exercise("Ex", "think", test=lambda a: Unanswered("write the body first."))
    assert not exercise.check(lambda: None)
    out = capsys.readouterr().out
    assert out.startswith("✏️  Ex: write the body first.") and "❌" not in out
