"""Export the README's figures from the committed notebooks' outputs into docs/figures/.

    python -m tools.export_figures      # after `make notebooks`; `make readme` runs it too

A figure is a code cell tagged ``figure:<name>`` (in its ``metadata.tags``; JupyterLab's
property inspector edits them): its first PNG output is written to ``docs/figures/<name>.png``.
Every tagged cell of every notebook is exported, and a PNG in docs/figures/ that no tag names any
more is removed, so every image there is one a reader gets by running a notebook.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.notebook_tools import NOTEBOOKS, ROOT, first_png, read, tagged_cells

OUT = ROOT / "docs" / "figures"
TAG = "figure:"


def figures(notebooks: list[Path] = NOTEBOOKS) -> dict[str, bytes]:
    """``{name: PNG}`` of every code cell tagged ``figure:<name>`` in ``notebooks``."""
    found, where = {}, {}
    for path in notebooks:
        for name, cell in tagged_cells(read(path), TAG):
            if cell.cell_type != "code" or not name:
                raise ValueError(f"{path.name}: the tag '{TAG}{name}' must be on a code cell and "
                                 f"name the figure ('{TAG}learning_curves')")
            if name in found:
                raise ValueError(f"two cells are tagged '{TAG}{name}': in {where[name]} and "
                                 f"{path.name}; give each figure its own name")
            png = first_png(cell)
            if png is None:
                raise ValueError(f"{path.name}: the cell tagged '{TAG}{name}' has no PNG output: "
                                 "run `make notebooks` first")
            found[name], where[name] = png, path.name
    return found


def export(notebooks: list[Path] = NOTEBOOKS, out: Path = OUT) -> list[Path]:
    """Write every figure into ``out`` (only those that changed) and remove untagged PNGs."""
    images = figures(notebooks)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.png"):
        if stale.stem not in images:
            stale.unlink()
    written = []
    for name, png in images.items():
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
