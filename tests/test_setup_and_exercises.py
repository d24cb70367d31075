"""helpers.setup / seed_everything, the plot style, and the exercise-checking framework."""

from __future__ import annotations

import random

import matplotlib as mpl
import numpy as np
import pytest

import helpers
from helpers.exercises import Exercise, compare


def test_setup_prints_versions_and_sets_the_style(capsys):
    import keras

    helpers.setup()
    out = capsys.readouterr().out
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        assert out == f"TensorFlow {tf.__version__} · Keras {keras.__version__} · seed 42 · deterministic ops\n"
    else:  # make test-backends: says which backend, and that the stored outputs are TensorFlow's
        backend = keras.backend.backend()
        version = __import__(backend).__version__
        assert out == (f"Keras {keras.__version__} on {backend} {version} · seed 42 · "
                       "numbers differ from the stored TensorFlow outputs\n")
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
    # the seed reaches NumPy and Python: their legacy streams are frozen, so seed 7 always gives
    # np.random.rand(3) = 0.0763, 0.7799, 0.4384 and random.random() = 0.3238
    np.testing.assert_allclose(first[1], [0.07630829, 0.77991879, 0.43840923], rtol=1e-6)
    helpers.seed_everything(7)
    assert random.random() == pytest.approx(0.32383276)


def test_compare_numbers_strings_sets_arrays():
    assert compare(0.0631, 0.06305, rel_tol=1e-2) is None
    # rel_tol 1e-3 is relative to the larger value: |1.0009 − 1| / 1.0009 = 0.0009 passes,
    # |1.002 − 1| / 1.002 = 0.0020 does not
    assert compare(1.0009, 1.0) is None
    # wrong, but no direction: "too high" would let a learner bisect to the answer
    assert compare(1.002, 1.0) == "1.002 is not the answer (not within 0.1%)."
    assert compare(1, 2) == "1 is not the answer (not within 0.1%)."
    assert compare("abc", 2.0) == "expected a number, got str."
    assert compare(" Star Wars ", "star wars") is None
    assert compare("Star Trek", "star wars") == "'Star Trek' is not the answer."
    assert compare([3, 1, 2], {1, 2, 3}) is None
    # {1, 2, 9} ∩ {1, 2, 3} = {1, 2}: two of three given, three expected
    assert compare([1, 2, 9], {1, 2, 3}) == "2 of your 3 items are right; 3 expected."
    assert compare(np.array([1.0, 2.0]), [1.0, 2.0]) is None
    assert compare(np.array([1.0, 2.1]), [1.0, 2.0]) == "the shape is right but some values differ."
    assert compare(np.zeros(3), np.zeros(2)) == "expected shape (2,), got (3,)."


def test_exercise_with_a_custom_test(capsys):
    exercise = Exercise("Ex", "think", test=lambda a: None if a > 0 else "it must be positive.")
    assert exercise.check(5)
    assert not exercise.check(-1)
    assert capsys.readouterr().out.splitlines() == [
        "✅ Correct!", "❌ Not yet: it must be positive. Try again, or call .hint() for a hint."]
    result = exercise.check(...)
    assert not result and result == False  # noqa: E712 - Checked compares like a bool


def test_an_unanswered_test_result_is_a_prompt_not_a_wrong_answer(capsys):
    from helpers.exercises import Unanswered

    exercise = Exercise("Ex", "think", test=lambda a: Unanswered("write the body first."))
    assert not exercise.check(lambda: None)
    out = capsys.readouterr().out
    assert out.startswith("✏️  Ex: write the body first.") and "❌" not in out


def test_a_letter_choice_needs_one_right_letter_and_tells_the_wrong_ones_why(capsys):
    from helpers.exercises import Exercise, letter_choice

    choices = {"a": "right", "b": "wrong"}
    exercise = Exercise("Q", ("nudge", "stronger"), test=letter_choice(choices, {"a": None, "b": "why b is wrong."}))
    assert exercise.check(" A ")
    assert not exercise.check("b") and "why b is wrong." in capsys.readouterr().out
    assert not exercise.check("z") and "one letter of a, b" in capsys.readouterr().out
    assert not exercise.check(3) and "one letter of a, b" in capsys.readouterr().out
    with pytest.raises(ValueError, match="one right letter"):
        letter_choice(choices, {"a": None, "b": None})
    with pytest.raises(ValueError, match="every wrong letter"):
        letter_choice(choices, {"a": None})
