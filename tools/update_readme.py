"""Regenerate the generated parts of README.md and notebooks/README.md, never by hand.

    make readme                          # re-run the benchmark, then regenerate everything below
    python -m tools.update_readme        # regenerate from the committed sources only (seconds)
    python -m tools.update_readme --run  # what `make readme` runs: the benchmark first

Generated, each from a committed source (``tests/test_readme.py`` fails when one is out of date):
- the blocks between ``<!-- series:start -->`` and ``<!-- series:end -->`` in both READMEs: the
  route through the series (title, what you learn, time, prerequisites), read from each
  ``notebooks/NN_*.ipynb`` header table;
- the block between ``<!-- results:start -->`` and ``<!-- results:end -->`` in README.md: the
  results table, from ``docs/results/benchmark.json``, the metrics.json of the benchmark run
  behind the README (``--run`` runs ``python -m helpers.benchmark --out build/benchmark`` and
  copies its metrics.json there);
- the figures in ``docs/figures/``: the PNG of every notebook cell tagged ``figure:<name>``
  (``tools/export_figures.py``).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tools import export_figures
from tools.notebook_tools import NOTEBOOKS, ROOT, read

README = ROOT / "README.md"
ROUTE = ROOT / "notebooks" / "README.md"
METRICS = ROOT / "docs" / "results" / "benchmark.json"  # committed: the run behind the README
BENCHMARK_OUT = ROOT / "build" / "benchmark"
HEADER_ROWS = {"learn": "You will learn", "time": "Time", "prerequisites": "Prerequisites"}
ROW = re.compile(r"^\|\s*\*\*(?P<name>[^*|]+)\*\*\s*\|\s*(?P<value>.*?)\s*\|\s*$")
# metric columns in this order when present; any other numeric metric follows
PREFERRED = ["rmse", "mae", "ndcg@10", "precision@10", "recall@10", "hit_rate@10", "coverage"]
SECONDS = ("fit_seconds", "fit_s", "seconds", "fit_time")
LABELS = {"rmse": "RMSE", "mae": "MAE", "precision@10": "precision@10", "recall@10": "recall@10",
          "ndcg@10": "NDCG@10", "hit_rate@10": "hit rate@10", "coverage": "coverage"}


def notebook_header(path: Path) -> dict[str, str]:
    """Title and header-table rows of a series notebook; ValueError if one is missing."""
    cells = read(path).cells
    first = cells[0].source if cells and cells[0].cell_type == "markdown" else ""
    lines = first.splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"{path.name}: the first cell must start with the '# NN · Title' line")
    header = {"title": lines[0][2:].strip(), "file": path.name}
    rows = {m["name"].strip(): m["value"] for m in map(ROW.match, lines) if m}
    for key, name in HEADER_ROWS.items():
        if name not in rows:
            raise ValueError(f"{path.name}: the header table has no '| **{name}** | … |' row "
                             "(see CONTRIBUTING.md)")
        header[key] = rows[name]
    return header


RELATIVE_LINK = re.compile(r"\]\((?![a-z]+:|#)(?P<target>[^)\s]+)\)")


def series_table(notebooks: list[Path], link_prefix: str = "") -> str:
    """The route table; ``link_prefix`` is the notebooks' folder as seen from the README, and is
    put in front of every relative link (the headers' links are relative to the notebooks)."""
    lines = ["| Notebook | What you learn | Time | Prerequisites |", "|---|---|---|---|"]
    for path in notebooks:
        h = {key: RELATIVE_LINK.sub(lambda m: f"]({link_prefix}{m['target']})", value)
             for key, value in notebook_header(path).items()}
        lines.append(f"| [{h['title']}]({link_prefix}{h['file']}) | {h['learn']} | {h['time']} "
                     f"| {h['prerequisites']} |")
    return "\n".join(lines)


def model_rows(metrics: dict) -> dict[str, dict]:
    """``{model: {field: value}}`` from a metrics.json's ``models``; a model's ``metrics`` (if
    the benchmark nests them) are flattened in beside ``kind``, ``params`` and ``fit_seconds``."""
    return {name: {**{k: v for k, v in entry.items() if k != "metrics"}, **entry.get("metrics", {})}
            for name, entry in metrics.get("models", {}).items() if isinstance(entry, dict)}


def format_value(value: object, seconds: bool = False) -> str:
    if isinstance(value, bool) or value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.2f}" if seconds else f"{value:.4f}"  # as the benchmark prints them
    return str(value)


def results_table(metrics: dict) -> str:
    rows = model_rows(metrics)
    if not rows:
        raise ValueError("metrics.json holds no models: run `python -m helpers.benchmark` again")
    seen = [k for values in rows.values() for k, v in values.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)]
    timing = next((k for k in SECONDS if k in seen), None)
    columns = [k for k in PREFERRED if k in seen]
    columns += [k for k in dict.fromkeys(seen) if k not in columns and k != timing
                and k not in ("parameters", "params", "n_parameters", "users")]
    size = next((k for k in ("parameters", "params", "n_parameters") if k in seen), None)
    kinds = any(isinstance(values.get("kind"), str) for values in rows.values())
    header = ["Model"] + (["kind"] if kinds else []) + [LABELS.get(c, c) for c in columns]
    header += ["parameters"] if size else []
    header += ["fit time (s)"] if timing else []
    best = {metrics.get("best_rating_model"), metrics.get("best_ranking_model")} - {None}
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, values in rows.items():
        cells = [f"**{name}**" if name in best else name]
        cells += [str(values.get("kind", "")).replace("+", " + ")] if kinds else []
        cells += [format_value(values.get(c)) for c in columns]
        cells += [format_value(values.get(size))] if size else []
        cells += [format_value(values.get(timing), seconds=True)] if timing else []
        lines.append("| " + " | ".join(cells) + " |")
    notes = []
    if metrics.get("best_rating_model"):
        notes.append(f"best rating model: **{metrics['best_rating_model']}**")
    if metrics.get("best_ranking_model"):
        notes.append(f"best ranking model: **{metrics['best_ranking_model']}**")
    if notes:
        lines += ["", "; ".join(notes).capitalize() + "."]
    return "\n".join(lines)


def replace_block(text: str, name: str, content: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"expected one '{start}' … '{end}' block")
    before, rest = text.split(start)
    _, after = rest.split(end)
    return f"{before}{start}\n{content}\n{end}{after}"


def run_benchmark(out: Path = BENCHMARK_OUT, metrics_path: Path = METRICS) -> None:
    """Run ``python -m helpers.benchmark`` into ``out``; its metrics.json becomes ``metrics_path``."""
    subprocess.run([sys.executable, "-m", "helpers.benchmark", "--out", str(out)], cwd=ROOT,
                   check=True)
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out / "metrics.json", metrics_path)


def readme_texts(notebooks: list[Path] = NOTEBOOKS, metrics_path: Path = METRICS) -> dict[Path, str]:
    """README.md and notebooks/README.md as they should read: their blocks regenerated."""
    if not metrics_path.exists():
        raise FileNotFoundError(f"{metrics_path} not found: run `make readme`, which runs the "
                                "benchmark and writes it")
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    readme = replace_block(README.read_text(encoding="utf-8"), "series",
                           series_table(notebooks, link_prefix="notebooks/"))
    readme = replace_block(readme, "results", results_table(metrics))
    route = replace_block(ROUTE.read_text(encoding="utf-8"), "series", series_table(notebooks))
    return {README: readme, ROUTE: route}


def generated(notebooks: list[Path] = NOTEBOOKS, metrics_path: Path = METRICS) -> dict[Path, bytes]:
    """Every file ``make readme`` writes, with the content the committed sources give it."""
    files = {path: text.encode("utf-8") for path, text in readme_texts(notebooks, metrics_path).items()}
    files |= {export_figures.OUT / f"{name}.png": png
              for name, png in export_figures.figures(notebooks).items()}
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="store_true",
                        help=f"first run the benchmark and copy its metrics.json to "
                             f"{METRICS.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    if args.run:
        run_benchmark()
    for path, text in readme_texts().items():
        changed = path.read_text(encoding="utf-8") != text
        path.write_text(text, encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {'updated' if changed else 'up to date'}")
    for path in export_figures.export():
        print(f"{path.relative_to(ROOT)}: exported")
    print(f"series tables from {len(NOTEBOOKS)} notebooks, results from {METRICS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
