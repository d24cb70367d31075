"""Export the README's figures from the committed notebooks' outputs into docs/figures/.

    python tools/export_figures.py      # every figure in FIGURES, after `make notebooks`

A figure is named by the notebook and a line of the code cell that draws it; the first PNG that
cell outputs is written to ``docs/figures/<name>.png``. The README shows only figures made this
way, so every image in it is one a reader gets by running the notebook.
"""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "figures"
# name: (notebook, a line of the code cell that draws the figure)
FIGURES = {
    "learning_curves": ("04_evaluation_and_baselines.ipynb", "for name, history, color in curves:"),
}


def figure_png(notebook_path: Path, cell_line: str) -> bytes:
    """The first PNG output of the first code cell that has ``cell_line`` as one of its lines."""
    notebook = nbformat.read(notebook_path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code" or cell_line.strip() not in map(str.strip,
                                                                     cell.source.splitlines()):
            continue
        for output in cell.outputs:
            if "image/png" in output.get("data", {}):
                return base64.b64decode(output["data"]["image/png"])
        raise ValueError(f"{notebook_path.name}: the cell with {cell_line!r} has no PNG output: "
                         "run `make notebooks` first")
    raise ValueError(f"{notebook_path.name}: no code cell has the line {cell_line!r}: update "
                     "FIGURES in tools/export_figures.py")


def export(figures: dict[str, tuple[str, str]] = FIGURES, notebooks: Path = ROOT / "notebooks",
           out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (notebook, cell_line) in figures.items():
        png = figure_png(notebooks / notebook, cell_line)
        target = out / f"{name}.png"
        if not target.exists() or target.read_bytes() != png:
            target.write_bytes(png)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    for path in export(out=args.out):
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
              f"({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
