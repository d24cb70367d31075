"""Regenerate the generated parts of README.md and notebooks/README.md, never by hand.

    make readme                          # re-run the benchmark, then regenerate everything below
    python -m tools.update_readme        # regenerate from the committed sources only (seconds)
    python -m tools.update_readme --run  # what `make readme` runs: the benchmark first

Generated, each from a committed source (``tests/test_readme.py`` fails when one is out of date):
- the blocks between ``<!-- series:start -->`` and ``<!-- series:end -->`` in both READMEs: the
  route through the series (title, what you learn, time, prerequisites), read from each
  ``notebooks/NN_*.ipynb`` header table;
- the block between ``<!-- results:start -->`` and ``<!-- results:end -->`` in README.md: the
  results tables, from ``docs/results/benchmark.json``, the metrics.json of the five-seed
  benchmark run behind the README (``--run`` runs ``python -m helpers.benchmark --seeds
  42,43,44,45,46`` and copies its metrics.json there, and the same on ``--split temporal`` into
  ``docs/results/benchmark_temporal.json``, which the README's temporal sentence is tested against);
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

from helpers.benchmark import RECORDED_RUNS
from tools import export_figures
from tools.notebook_tools import NOTEBOOKS, ROOT, read

README = ROOT / "README.md"
ROUTE = ROOT / "notebooks" / "README.md"
METRICS = RECORDED_RUNS["random"]  # committed: the run behind the README
BENCHMARK_OUT = ROOT / "build" / "benchmark"
HEADER_ROWS = {"learn": "You will learn", "time": "Time", "prerequisites": "Prerequisites"}
ROW = re.compile(r"^\|\s*\*\*(?P<name>[^*|]+)\*\*\s*\|\s*(?P<value>.*?)\s*\|\s*$")
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


KIND_COLUMNS = {"rating": ["rmse", "mae"],
                "ranking": ["ndcg@10", "precision@10", "recall@10", "hit_rate@10", "coverage"]}
"""The metrics of each kind of model, in the order the tables show them; the first decides best."""
KERAS = "keras"


def _kind_table(rows: dict[str, dict], kind: str, best: str | None) -> list[str]:
    columns = [c for c in KIND_COLUMNS[kind] if any(c in values for values in rows.values())]
    families = any(isinstance(values.get("family"), str) for values in rows.values())
    header = ["Model"] + (["family"] if families else []) + [LABELS.get(c, c) for c in columns]
    header += ["parameters", "fit time (s)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, values in rows.items():
        cells = [f"**{name}**" if name == best else name]
        cells += [str(values.get("family", ""))] if families else []
        cells += [format_value(values.get(c)) + (f" ± {values[c + '_sd']:.4f}" if c + "_sd" in values else "")
                  for c in columns]
        size = next((values[k] for k in ("params", "parameters", "n_parameters") if k in values), None)
        timing = next((values[k] for k in SECONDS if k in values), None)
        cells += [format_value(size), format_value(timing, seconds=True)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _verdict(rows: dict[str, dict], kind: str, best: str | None) -> str | None:
    """One sentence: the series' best model of ``kind``, the best model outside the series, and —
    when the run had several seeds — the paired difference with its 95 % interval, and whether
    it is a measurable lead, a measurable deficit or no measurable difference."""
    key = KIND_COLUMNS[kind][0]
    pick = min if key == "rmse" else max
    others = {name: values[key] for name, values in rows.items()
              if key in values and values.get("family") not in (KERAS, "baseline")}
    if not best:
        return None
    label = LABELS.get(key, key)
    sentence = f"Best {kind} model of the series: **{best}** ({label} {rows[best][key]:.4f})"
    if not others:
        return sentence + "."
    peer = pick(others, key=others.get)
    sentence += f"; best peer: {peer} ({label} {others[peer]:.4f})"
    ours, theirs = (rows[name].get("per_seed", {}).get(key) for name in (best, peer))
    if ours and theirs and len(ours) == len(theirs) > 1:
        from helpers.selection import paired_interval

        difference, low, high = paired_interval(ours, theirs)
        better = -1 if key == "rmse" else 1  # the sign of a lead for the series' model
        verdict = ("the series' model is measurably better" if (low > 0 if better > 0 else high < 0)
                   else "the peer is measurably better" if (high < 0 if better > 0 else low > 0)
                   else "no measurable difference")
        sentence += (f". Over {len(ours)} seeds (training runs on this split), {best} − {peer} = "
                     f"{difference:+.4f} (95 % interval {low:+.4f} to {high:+.4f}): "
                     f"{verdict}").replace("-0.", "−0.")
    return sentence + "."


def results_table(metrics: dict) -> str:
    """Two tables, rating models then ranking models (a model with both outputs is in both), each
    in the benchmark's order, with the family, metrics, size and fit time, and the best model of
    the series in bold; under each, the best of the series beside the best peer."""
    rows = model_rows(metrics)
    if not rows:
        raise ValueError("metrics.json holds no models: run `python -m helpers.benchmark` again")
    blocks = []
    for kind in KIND_COLUMNS:
        of_kind = {name: values for name, values in rows.items()
                   if any(c in values for c in KIND_COLUMNS[kind])}
        if not of_kind:
            continue
        best = metrics.get(f"best_{kind}_model")
        lines = [f"**{kind.capitalize()} models**", "", *_kind_table(of_kind, kind, best)]
        verdict = _verdict(of_kind, kind, best)
        blocks.append("\n".join(lines + (["", verdict] if verdict else [])))
    return "\n\n".join(blocks)


def replace_block(text: str, name: str, content: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"expected one '{start}' … '{end}' block")
    before, rest = text.split(start)
    _, after = rest.split(end)
    return f"{before}{start}\n{content}\n{end}{after}"


README_SEEDS = "42,43,44,45,46"
"""The seeds of the benchmark run behind the README: its tables give the mean ± spread over them."""


TEMPORAL_METRICS = RECORDED_RUNS["temporal"]  # committed: the README's temporal claims


def run_benchmark(out: Path = BENCHMARK_OUT, metrics_path: Path = METRICS, seeds: str = README_SEEDS,
                  split: str = "random", models: list[str] | None = None) -> None:
    """Run ``python -m helpers.benchmark --seeds … --split …`` (``--models …`` when given) into
    ``out``; its metrics.json becomes ``metrics_path``."""
    chosen = ["--models", ",".join(models)] if models else []
    subprocess.run([sys.executable, "-m", "helpers.benchmark", "--out", str(out), "--seeds", seeds,
                    "--split", split, *chosen], cwd=ROOT, check=True)
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
                        help=f"first run the benchmark (five seeds, the standard and the temporal "
                             f"split) and copy its metrics.json files to {METRICS.relative_to(ROOT)} "
                             f"and {TEMPORAL_METRICS.relative_to(ROOT)} (about 20 minutes on 2 cores)")
    args = parser.parse_args(argv)
    if args.run:
        run_benchmark()
        run_benchmark(BENCHMARK_OUT.with_name("benchmark_temporal"), TEMPORAL_METRICS, split="temporal")
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
