"""`make teacher`: the teacher's copy holds every questionnaire answer; the notebooks and the
student copies hold none.

Each notebook ends with a fastbook-style questionnaire (8–12 numbered questions); its model
answers live in ``teachers/answers/NN.md`` and only ``tools.teacher`` writes them into notebooks.
"""

from __future__ import annotations

import nbformat
import pytest

from tools import student, teacher
from tools.notebook_tools import NOTEBOOKS, NOTEBOOKS_DIR, is_solution


@pytest.fixture(scope="module")
def teacher_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("teacher")
    teacher.build_teacher(NOTEBOOKS_DIR, out)
    return out


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    student.build_student(NOTEBOOKS_DIR, out)
    return out


def text_of(path) -> str:
    return "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_ends_with_a_questionnaire_of_8_to_12_questions_each_with_an_answer(path):
    notebook = nbformat.read(path, as_version=4)
    asked = teacher.questions(notebook)
    assert 8 <= len(asked) <= 12, f"{path.name}: {len(asked)} questionnaire questions"
    assert sorted(asked) == list(range(1, len(asked) + 1)), f"{path.name}: numbered {sorted(asked)}"
    given = teacher.answers(path)
    assert set(given) == set(asked), f"{path.name}: questions {sorted(asked)}, answers {sorted(given)}"
    assert all(len(answer.split()) >= 5 for answer in given.values()), f"{path.name}: an answer is a stub"
    headings = [line for cell in notebook.cells if cell.cell_type == "markdown"
                for line in cell.source.splitlines() if line.startswith("## ")]
    assert headings.index(next(h for h in headings if h.startswith("## Questionnaire"))) > headings.index(
        next(h for h in headings if h.startswith("## Solutions"))), "the questionnaire comes after the solutions"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_teachers_copy_holds_every_answer_under_its_question_and_keeps_the_outputs(path, teacher_dir):
    copy = nbformat.read(teacher_dir / path.name, as_version=4)
    source = nbformat.read(path, as_version=4)
    cell = copy.cells[teacher.questionnaire_cell(copy)].source
    for number, answer in teacher.answers(path).items():
        question = teacher.questions(source)[number]
        assert answer in cell, f"{path.name}: answer {number} missing"
        assert cell.index(question[:40]) < cell.index(answer), f"{path.name}: answer {number} misplaced"
    assert cell.count(teacher.ANSWER_MARK) == len(teacher.answers(path))
    outputs = [c.outputs for c in copy.cells if c.cell_type == "code"]
    assert outputs == [c.outputs for c in source.cells if c.cell_type == "code"]
    assert text_of(teacher_dir / path.name).count("<details") == text_of(path).count("<details")
    solutions = [c.source for c in source.cells if is_solution(c)]
    assert solutions and [c.source for c in copy.cells if is_solution(c)] == solutions


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_answer_in_the_notebook_or_the_student_copy(path, student_dir):
    for where in (path, student_dir / path.name):
        text = text_of(where)
        assert teacher.ANSWER_MARK not in text
        leaked = [n for n, answer in teacher.answers(path).items() if answer[:60] in text]
        assert not leaked, f"{where}: questionnaire answers {leaked} are in it"
    assert teacher.questions(nbformat.read(student_dir / path.name, as_version=4)), "questions kept"


def test_a_missing_or_mismatched_answers_file_is_a_one_line_error(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 99 · Test"),
        nbformat.v4.new_markdown_cell("## Questionnaire\n\nIn your own words:\n\n1. Why?\n2. How,\n   and when?\n\nNext."),
    ])
    nbformat.write(notebook, notebooks / "99_test.ipynb")
    answers = tmp_path / "answers"
    with pytest.raises(ValueError, match="99_test.ipynb: no answers file"):
        teacher.build_teacher(notebooks, tmp_path / "out", answers)
    answers.mkdir()
    (answers / "99.md").write_text("1. Because it is so, said twice.\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"questions \[1, 2\] but answers \[1\]"):
        teacher.build_teacher(notebooks, tmp_path / "out", answers)
    assert not (tmp_path / "out").exists(), "nothing is written when an answer is missing"
    (answers / "99.md").write_text("1. Because it is so.\n2. Like this,\n   at noon.\n", encoding="utf-8")
    teacher.build_teacher(notebooks, tmp_path / "out", answers)
    built = nbformat.read(tmp_path / "out" / "99_test.ipynb", as_version=4).cells[1].source
    assert built == ("## Questionnaire\n\nIn your own words:\n\n1. Why?\n   > **Answer.** Because it is so.\n"
                     "2. How,\n   and when?\n   > **Answer.** Like this, at noon.\n\nNext.")
