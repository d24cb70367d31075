"""Build the teacher's copy of the series: every notebook with its outputs, its hidden solutions and
the answers to its end-of-notebook questionnaire.

    python -m tools.teacher                  # what `make teacher` runs: build/teacher/
    python -m tools.teacher --out class/     # somewhere else

Each notebook ends with a ``## Questionnaire`` section: numbered questions, fastbook style, that
learners answer in their own words. The model answers are kept out of the notebooks (the
committed ones and the student copies): they live in ``teachers/answers/NN.md``, one numbered item
per question (``1. …``; continuation lines indented), and this tool writes them under each
question of the teacher's copy. ``build/teacher/README.md`` is the route and glossary with the
teachers' notes kept. A questionnaire and its answers file that do not match (a missing file, a
question without an answer, an answer without a question) stop the build with one line naming
the notebook and what to fix.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat

from tools.notebook_tools import NOTEBOOKS_DIR, ROOT, read, series_notebooks, write

ANSWERS_DIR = ROOT / "teachers" / "answers"
QUESTIONNAIRE_HEADING = re.compile(r"^## Questionnaire\b.*$", re.MULTILINE)
ITEM = re.compile(r"^(\d+)\. ", re.MULTILINE)
ANSWER_MARK = "> **Answer.**"

TEACHER_README = """\
# Teacher's copy of the series

These are the series' notebooks with their outputs, their hidden solutions, and the model answers
to each notebook's end-of-notebook questionnaire (under each question, marked **Answer**). Hand
out the student copy (`make student`: no outputs, no solutions, no answers) and keep this one.

---

"""


def numbered_items(text: str) -> dict[int, str]:
    """``{number: text}`` of a markdown list ``1. …`` (continuation lines joined with a space)."""
    starts = list(ITEM.finditer(text))
    items = {}
    for match, following in zip(starts, starts[1:] + [None]):
        end = following.start() if following else len(text)
        body = text[match.end():end]
        items[int(match.group(1))] = " ".join(line.strip() for line in body.splitlines() if line.strip())
    return items


def questionnaire_cell(notebook: nbformat.NotebookNode) -> int | None:
    """The index of the markdown cell that holds the ``## Questionnaire`` heading (None: no such cell)."""
    return next((i for i, cell in enumerate(notebook.cells)
                 if cell.cell_type == "markdown" and QUESTIONNAIRE_HEADING.search(cell.source)), None)


def questions(notebook: nbformat.NotebookNode) -> dict[int, str]:
    """The questionnaire's questions by number (empty when the notebook has none)."""
    index = questionnaire_cell(notebook)
    if index is None:
        return {}
    source = notebook.cells[index].source
    return numbered_items(source[QUESTIONNAIRE_HEADING.search(source).end():])


def answers_path(notebook_path: Path, answers_dir: Path = ANSWERS_DIR) -> Path:
    return Path(answers_dir) / f"{notebook_path.name[:2]}.md"


def answers(notebook_path: Path, answers_dir: Path = ANSWERS_DIR) -> dict[int, str]:
    """The model answers of a notebook's questionnaire, by number."""
    path = answers_path(notebook_path, answers_dir)
    if not path.exists():
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        raise ValueError(f"{notebook_path.name}: no answers file {shown}: write one numbered answer "
                         "per question")
    return numbered_items(path.read_text(encoding="utf-8"))


def teacher_notebook(notebook: nbformat.NotebookNode, name: str, given: dict[int, str]) -> nbformat.NotebookNode:
    """A copy of ``notebook`` with each questionnaire question followed by its answer."""
    asked = questions(notebook)
    if not asked:
        raise ValueError(f"{name}: no '## Questionnaire' section with numbered questions")
    if set(asked) != set(given):
        raise ValueError(f"{name}: questions {sorted(asked)} but answers {sorted(given)}: "
                         "give each question one answer, numbered alike")
    notebook = nbformat.from_dict(notebook)  # deep copy
    cell = notebook.cells[questionnaire_cell(notebook)]
    lines: list[str] = []
    number, end = None, 0  # the open question and where its text ends in ``lines``

    def close() -> None:
        lines.insert(end, f"   {ANSWER_MARK} {given[number]}")

    for line in cell.source.splitlines():
        starts = ITEM.match(line)
        if number is not None and (starts or (line.strip() and not line.startswith(" "))):
            close()
            number = None
        if starts:
            number = int(starts.group(1))
        lines.append(line)
        if number is not None and line.strip():
            end = len(lines)
    if number is not None:
        close()
    cell.source = "\n".join(lines)
    return notebook


def build_teacher(notebooks: Path = NOTEBOOKS_DIR, out: Path = ROOT / "build" / "teacher",
                  answers_dir: Path = ANSWERS_DIR) -> list[Path]:
    """Write the teacher's copy of every ``NN_*.ipynb`` in ``notebooks`` and a README into ``out``;
    nothing is written unless every notebook's questionnaire has its answers."""
    sources = series_notebooks(notebooks)
    if not sources:
        raise ValueError(f"no notebooks named NN_*.ipynb in {notebooks}: nothing to build")
    copies = {path.name: teacher_notebook(read(path), path.name, answers(path, answers_dir)) for path in sources}
    out.mkdir(parents=True, exist_ok=True)
    for stale in series_notebooks(out):
        stale.unlink()
    written = []
    for name, copy in copies.items():
        write(copy, out / name)
        written.append(out / name)
    route = notebooks / "README.md"
    readme = TEACHER_README + (route.read_text(encoding="utf-8") if route.exists() else "")
    (out / "README.md").write_text(readme, encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "teacher")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        written = build_teacher(args.notebooks, args.out)
    except ValueError as error:
        print(f"python -m tools.teacher: {error}", file=sys.stderr)
        return 2
    print(f"{len(written)} teacher notebooks and README.md in {args.out} "
          f"({time.perf_counter() - start:.1f} s): outputs, solutions and questionnaire answers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
