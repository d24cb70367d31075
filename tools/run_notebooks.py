"""Execute the series' notebooks top to bottom, headless, as `make run` and `make notebooks` do.

    python -m tools.run_notebooks --out build    # every notebook: executed copies + HTML in build/
    python -m tools.run_notebooks --in-place     # maintainers: refresh the committed outputs
    python -m tools.run_notebooks --out build notebooks/03_improving_the_model.ipynb  # just one

Without paths it runs the series (``tools.notebook_tools.NOTEBOOKS``). Each notebook runs in a fresh kernel from its own folder, as "Restart Kernel and Run All" would.
A summary line per notebook gives its time; the exit code is 1 if any notebook failed.

Widgets (notebook 06's try-it panel) are stored as their ``text/plain`` sentence only: a widget's
view points to a model that lives in the kernel that ran it (a random id), so a stored view would
show as "model not found" or as a dead copy; the sentence says to run the cell. No widget state
is written into the notebook's metadata either.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

from tools.notebook_tools import NOTEBOOKS, read, write

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def drop_widget_views(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep a widget's ``text/plain`` in each output and drop its view (and any widget state)."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
    notebook.metadata.pop("widgets", None)
    return notebook


def execute(path: Path, timeout: int = 600) -> tuple[nbformat.NotebookNode, float]:
    notebook = read(path)
    # local sockets in a temporary folder rather than TCP: nothing listens on the network
    with tempfile.TemporaryDirectory() as sockets:
        kernel = KernelManager(kernel_name="python3", transport="ipc", ip=f"{sockets}/kernel")
        client = NotebookClient(notebook, km=kernel, timeout=timeout, store_widget_state=False,
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        client.execute(cleanup_kc=True)  # shut the kernel down: we passed our own manager
        return drop_widget_views(notebook), time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, default=NOTEBOOKS,
                        help="the notebooks to run (default: the whole series)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, help="folder for executed copies and HTML")
    where.add_argument("--in-place", action="store_true", help="overwrite the notebooks")
    args = parser.parse_args(argv)

    failed = []
    rows = []
    for path in args.notebooks:
        print(f"running {path} ...", flush=True)
        try:
            notebook, seconds = execute(path)
        except CellExecutionError as error:
            failed.append(path)
            first_line = str(error).strip().splitlines()[-1] if str(error).strip() else "error"
            rows.append(f"  FAILED  {path.name}: {first_line}")
            continue
        if args.in_place:
            write(notebook, path)
        else:
            (args.out / "notebooks").mkdir(parents=True, exist_ok=True)
            (args.out / "html").mkdir(parents=True, exist_ok=True)
            write(notebook, args.out / "notebooks" / path.name)
            html, _ = HTMLExporter().from_notebook_node(notebook)
            (args.out / "html" / path.with_suffix(".html").name).write_text(html, encoding="utf-8")
        n_cells = sum(cell.cell_type == "code" for cell in notebook.cells)
        rows.append(f"  ok {seconds:6.1f} s  {path.name} ({n_cells} code cells)")

    print("\nSummary")
    print("\n".join(rows))
    if not args.in_place:
        print(f"Executed notebooks in {args.out}/notebooks, HTML in {args.out}/html")
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(p.name for p in failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
