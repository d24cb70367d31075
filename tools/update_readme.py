"""Regenerate the tables in README.md and notebooks/README.md from their sources, never by hand.

    python tools/update_readme.py          # series tables from the notebooks' header blocks, and
                                           # the results table from build/benchmark/metrics.json
    python tools/update_readme.py --run    # first run `python -m helpers.benchmark` to write it

Blocks between ``<!-- series:start -->`` and ``<!-- series:end -->`` get the route through the
series (title, what you learn, time, prerequisites: read from each ``notebooks/NN_*.ipynb``
header table). The block between ``<!-- results:start -->`` and ``<!-- results:end -->`` in
README.md gets the benchmark's results table; without a metrics.json it is left as it is.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
METRICS = ROOT / "build" / "benchmark" / "metrics.json"
HEADER_ROWS = {"learn": "You will learn", "time": "Time", "prerequisites": "Prerequisites"}
ROW = re.compile(r"^\|\s*\*\*(?P<name>[^*|]+)\*\*\s*\|\s*(?P<value>.*?)\s*\|\s*$")
# metric columns in this order when present; any other numeric metric follows
PREFERRED = ["rmse", "mae", "ndcg@10", "precision@10", "recall@10", "hit_rate@10", "coverage"]
SECONDS = ("fit_seconds", "fit_s", "seconds", "fit_time")
LABELS = {"rmse": "RMSE", "mae": "MAE", "precision@10": "precision@10", "recall@10": "recall@10",
          "ndcg@10": "NDCG@10", "hit_rate@10": "hit rate@10", "coverage": "coverage"}


def notebook_header(path: Path) -> dict[str, str]:
    """Title and header-table rows of a series notebook; ValueError if one is missing."""
    cells = nbformat.read(path, as_version=4).cells
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
    """``{model: {metric: value}}`` from metrics.json, whether models sit under "models" or at
    the top level, as a mapping or as a list of records with a "name"/"model" field."""
    models = metrics.get("models", metrics)
    if isinstance(models, list):
        return {str(m.get("name", m.get("model"))): m for m in models}
    return {name: values for name, values in models.items() if isinstance(values, dict)}


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


def run_benchmark(metrics_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "helpers.benchmark", "--out", str(metrics_path.parent)],
                   cwd=ROOT, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", type=Path, default=METRICS)
    parser.add_argument("--run", action="store_true", help="run the benchmark first")
    args = parser.parse_args(argv)
    if args.run:
        run_benchmark(args.metrics)

    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    readme, route = ROOT / "README.md", ROOT / "notebooks" / "README.md"
    text = replace_block(readme.read_text(encoding="utf-8"), "series",
                         series_table(notebooks, link_prefix="notebooks/"))
    if args.metrics.exists():
        metrics = json.loads(args.metrics.read_text(encoding="utf-8"))
        text = replace_block(text, "results", results_table(metrics))
        print(f"results table from {args.metrics}")
    else:
        print(f"{args.metrics} not found: results table left as it is "
              "(run with --run, or `python -m helpers.benchmark --out build/benchmark`)")
    readme.write_text(text, encoding="utf-8")
    route.write_text(replace_block(route.read_text(encoding="utf-8"), "series",
                                   series_table(notebooks)), encoding="utf-8")
    print(f"series tables: {len(notebooks)} notebooks, in README.md and notebooks/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
