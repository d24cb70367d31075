"""The one formula for the "Time" row of every notebook's header, and the command that writes it.

    reading and running = prose words / 140 + code lines / 8   (minutes, rounded to 5)
    exercises           = 6 minutes per exercise                (rounded to 5)

Prose words are counted in the markdown cells outside the solutions and the hidden asides, a
formula counting as one word; code lines are the non-blank, non-comment lines of the code cells. 140 words a
minute is a careful reading pace for technical prose with equations, and 8 lines a minute leaves
time to read a cell, run it and look at its output. Calibration: a reviewer's reading of the
series' first notebook 02 (the classic model and its improvements in one notebook: 3,645 words,
362 code lines) took 60–75 minutes; the formula gives 70. ``python -m tools.reading_time``
writes the row into every header; ``tests/test_readme.py`` checks that each header says what the
formula gives.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tools import notebook_tools
from tools.notebook_tools import DETAILS, NOTEBOOKS, is_solution, read

WORDS_PER_MINUTE, CODE_LINES_PER_MINUTE, MINUTES_PER_EXERCISE = 140, 8, 6
TIME_ROW = re.compile(r"^\| \*\*Time\*\* \|.*\|$", re.MULTILINE)
EXERCISE = re.compile(r"\bexercises\.q\d+\.check\(")


def _round5(minutes: float) -> int:
    return max(5, 5 * round(minutes / 5))


def counts(path: Path) -> tuple[int, int, int]:
    """(prose words, code lines, exercises) of a notebook, as the formula counts them."""
    words = code = exercises = 0
    for cell in read(path).cells:
        if is_solution(cell):  # hidden until the learner has tried: not part of the reading
            continue
        if cell.cell_type == "markdown":
            prose = DETAILS.sub(" ", cell.source)
            prose = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " formula ", prose, flags=re.DOTALL)
            words += len(re.findall(r"[A-Za-z0-9’']+", prose))
        elif cell.cell_type == "code":
            code += sum(1 for line in cell.source.splitlines()
                        if line.strip() and not line.strip().startswith("#"))
            exercises += len(EXERCISE.findall(cell.source))
    return words, code, exercises


def time_row(path: Path) -> str:
    words, code, exercises = counts(path)
    reading = _round5(words / WORDS_PER_MINUTE + code / CODE_LINES_PER_MINUTE)
    practice = _round5(exercises * MINUTES_PER_EXERCISE)
    return f"| **Time** | {reading} min reading and running · {practice} min exercises |"


def write(path: Path) -> bool:
    """Put the formula's Time row into the notebook's header; True if it changed."""
    notebook = read(path)
    header = notebook.cells[0]
    if not TIME_ROW.search(header.source):
        raise ValueError(f"{path.name}: the header has no '| **Time** | … |' row")
    new = TIME_ROW.sub(time_row(path), header.source)
    if new == header.source:
        return False
    header.source = new
    notebook_tools.write(notebook, path)
    return True


def main() -> int:
    for path in NOTEBOOKS:
        print(f"{path.name}: {time_row(path)}{'  (updated)' if write(path) else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
