"""The series as learners meet it: each student notebook, run in JupyterLab in a real browser.

A private JupyterLab serves the copy ``make student`` hands out (no outputs, no solutions: built
into a temporary folder by ``tools.student``); headless Chromium opens each notebook, runs it with
*Run → Run All Cells*, and waits until every code cell has run and the kernel is idle (or an error
shows up: a run that hits an error stops there). The test then asserts that no cell shows an error
or a warning, that no exercise shows as solved (its `...` placeholders are left as handed out),
that every figure rendered as an image, and that the prose rendered (MathJax typeset every
formula, every image loaded), and saves a screenshot to ``build/screenshots/NN_name.png``. This
is also the check that the student copies run top to bottom; nbval runs the full notebooks.

A notebook with an interactive part is then driven in the same session, while its kernel is still
up (``INTERACTIONS``): notebook 06's try-it panel gets a title typed into its search box, three
movies rated, and its recommendation list must appear after the first rating and change after
each later one (screenshot ``build/screenshots/06_try_it_panel.png``).

Needs Debian's Chromium (``/usr/bin/chromium``; ``MF_SERIES_CHROMIUM`` names another binary).
Without it the test is skipped, saying how to install it, except under CI (``CI=true``), where
``make setup`` installs it and a missing browser fails the test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser_lab import CHROMIUM, CHROMIUM_ARGS, JupyterLabServer

from tools import student
from tools.notebook_tools import NOTEBOOKS, NOTEBOOKS_DIR, ROOT, read

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # reported by require_browser(), which skips or fails the test
    PlaywrightTimeout = TimeoutError

SCREENSHOTS = ROOT / "build" / "screenshots"
KERNEL_READY_TIMEOUT_S = 120
RUN_TIMEOUT_S = 180  # one notebook runs in about 45 s on a laptop; the UI and a busy CI add some
VIEWPORT = {"width": 1280, "height": 900}
IN_CI = os.environ.get("CI", "").lower() == "true"

STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
IMAGES = ".jp-OutputArea-output img"
INDICATOR = ".jp-Notebook-ExecutionIndicator"

# the notebook's toolbar says "idle" even before a kernel exists; the status bar names the kernel
KERNEL_READY = """(indicator) => {
    const status = document.querySelector(indicator);
    const items = [...document.querySelectorAll(".jp-StatusBar-TextItem")];
    const kernel = items.some((i) => /^(?!No Kernel).+ \\| Idle$/.test(i.textContent.trim()));
    return kernel && status && status.dataset.status === "idle";
}"""

# true once an error/warning is shown, or once `expected` cells carry an execution count and the
# kernel is idle again
RUN_FINISHED = """([stderr, indicator, expected]) => {
    if (document.querySelector(stderr)) return "error";
    const status = document.querySelector(indicator);
    if (!status || status.dataset.status !== "idle") return false;
    const prompts = document.querySelectorAll(".jp-CodeCell .jp-InputPrompt");
    const executed = [...prompts].filter((p) => /\\[\\d+\\]/.test(p.textContent)).length;
    return executed >= expected ? "done" : false;
}"""

# rendered prose in which MathJax left a LaTeX command as text (code spans aside), or an image
# that did not load: what a reader would see as broken. MathJax typesets asynchronously, so the
# test waits for this list to empty before it fails.
BROKEN_MARKDOWN = """() => {
    const problems = [];
    for (const cell of document.querySelectorAll(".jp-MarkdownCell .jp-RenderedMarkdown")) {
        const prose = cell.cloneNode(true);
        prose.querySelectorAll("code, pre, mjx-container, script").forEach((e) => e.remove());
        const raw = prose.textContent.match(/\\\\[A-Za-z]{2,}/);
        if (raw) problems.push(`LaTeX not rendered near "${raw[0]}": ${prose.textContent.trim().slice(0, 120)}`);
        for (const img of cell.querySelectorAll("img")) {
            if (img.complete && img.naturalWidth === 0) problems.push(`image not found: ${img.alt || img.src}`);
        }
    }
    return problems.length ? problems : null;
}"""

PAGE_STATE = """([stderr, images]) => ({
    errors: [...document.querySelectorAll(stderr)].map((o) => o.innerText.slice(0, 800)),
    images: [...document.querySelectorAll(images)].map((i) => [i.complete, i.naturalWidth]),
    solved: [...document.querySelectorAll(".jp-OutputArea-output")]
        .filter((o) => o.innerText.includes("\u2705")).map((o) => o.innerText.slice(0, 200)),
    executed: [...document.querySelectorAll(".jp-CodeCell .jp-InputPrompt")]
        .filter((p) => /\\[\\d+\\]/.test(p.textContent)).length,
    dialogs: [...document.querySelectorAll(".jp-Dialog")].map((d) => d.innerText.slice(0, 200)),
})"""


def drive_try_it_panel(page, screenshot: Path) -> None:
    """Notebook 06's try-it panel (helpers.try_it), as a learner uses it: type part of a title,
    pick the movie, choose its stars, press Rate; three times. The list must appear after the first
    rating (the popularity list gives way to the fold-in's) and change after each later one."""
    from playwright.sync_api import expect

    panel = page.locator(".try-it-panel")
    try:
        panel.wait_for(timeout=30_000)
    except PlaywrightTimeout:
        pytest.fail("notebook 06: the try-it panel did not render as widgets (is jupyterlab_widgets "
                    "installed in .venv? `make setup`)")
    panel.scroll_into_view_if_needed()
    heading, table = page.locator(".try-it-heading"), page.locator(".try-it-recommendations table")
    expect(heading).to_contain_text("No ratings yet", timeout=10_000)
    shown = table.inner_text()  # the popularity list, before any rating
    for count, (query, movie, stars) in enumerate((("star wars", "Star Wars (1977)", 5),
                                                   ("farg", "Fargo (1996)", 2),
                                                   ("toy sto", "Toy Story (1995)", 4)), start=1):
        page.locator(".try-it-search input").fill(query)
        results = page.locator(".try-it-results select")
        expect(results).to_contain_text(movie, timeout=20_000)  # the kernel answered the search
        results.select_option(label=movie)
        page.locator(".try-it-stars button", has_text=f"{stars} ★").click()
        page.locator("button.try-it-rate").click()
        expect(heading).to_contain_text(f"over {count} rating", timeout=20_000)
        expect(page.locator(".try-it-ratings option")).to_have_count(count)
        expect(page.locator(".try-it-recommendations tbody tr")).to_have_count(10)
        expect(table).not_to_have_text(shown, timeout=20_000)  # the list changed
        shown = table.inner_text()
        rated = page.locator(".try-it-ratings").inner_text().replace("\xa0", " ")  # Select: nbsp
        assert f"{movie} · {stars} ★" in rated, rated
    message = page.locator(".try-it-message").inner_text().strip()
    assert not message, f"notebook 06: the try-it panel shows a message after rating: {message}"
    panel.screenshot(path=str(screenshot.with_name("06_try_it_panel.png")))


# a notebook's interactive part, driven after its run while the kernel is up
INTERACTIONS = {"06_nonnegative_and_cold_start.ipynb": drive_try_it_panel}


def require_browser() -> None:
    """Skip (or, under CI, fail) with a message that says how to get the browser."""
    problems = []
    if not CHROMIUM.exists():
        problems.append(f"{CHROMIUM} not found: install Chromium (`sudo apt-get install chromium` "
                        "on Debian/Ubuntu) or set MF_SERIES_CHROMIUM to a Chromium binary")
    try:
        import playwright  # noqa: F401
    except ImportError:
        problems.append("the `playwright` package is missing: run `make setup`")
    if not problems:
        return
    message = "browser check not run: " + "; ".join(problems)
    if IN_CI:
        pytest.fail(message + " (CI=true: `make setup` installs Chromium; the check must run)")
    pytest.skip(message)


def expected_from(path: Path) -> tuple[int, int]:
    """Code cells to run, and figures to draw, according to the committed notebook: the cells the
    student copy keeps (a code cell in the Solutions section is not handed out)."""
    notebook = read(path)
    solutions = student.solutions_section(notebook.cells)
    code_cells = [c for i, c in enumerate(notebook.cells)
                  if c.cell_type == "code" and c.source.strip() and i not in solutions]
    # JupyterLab shows PNG, JPEG and SVG outputs alike as an <img> in the output area
    figures = sum(any(mime.startswith("image/") for mime in output.get("data", {}))
                  for c in code_cells for output in c.outputs)
    return len(code_cells), figures


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    require_browser()
    workdir = tmp_path_factory.mktemp("jupyterlab")
    handed_out = workdir / "student"
    student.build_student(NOTEBOOKS_DIR, handed_out)
    with JupyterLabServer(handed_out, workdir) as server:
        # the kernel runs in the copy, outside the repo, as a learner's `make lab` kernel does
        probe = subprocess.run([sys.executable, "-c", "import helpers"], cwd=server.root,
                               env=server.environment(), capture_output=True, text=True)
        if probe.returncode != 0:
            pytest.fail("`import helpers` fails outside the repo: run `make setup`, which makes "
                        "the repo importable from .venv\n" + probe.stderr[-800:])
        yield server


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_jupyterlab(path, lab, browser):
    expected_cells, expected_figures = expected_from(path)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOTS / path.with_suffix(".png").name
    try:
        page.goto(lab.lab_url(path))
        page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(timeout=60_000)
        if page.locator(".jp-FileBrowser").is_visible():  # hide it: the notebook gets the width
            page.keyboard.press("Control+b")
            page.locator(".jp-FileBrowser").wait_for(state="hidden")
        page.wait_for_function(KERNEL_READY, arg=INDICATOR, polling=250,
                               timeout=KERNEL_READY_TIMEOUT_S * 1000)

        start = time.perf_counter()
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        try:
            outcome = page.wait_for_function(RUN_FINISHED, arg=[STDERR, INDICATOR, expected_cells],
                                             polling=250, timeout=RUN_TIMEOUT_S * 1000).json_value()
        except PlaywrightTimeout:
            state = page.evaluate(PAGE_STATE, [STDERR, IMAGES])
            pytest.fail(f"{path.name}: not finished after {RUN_TIMEOUT_S} s: {state['executed']} of "
                        f"{expected_cells} code cells ran, dialogs {state['dialogs']}; see {screenshot}"
                        f"\nJupyterLab log:\n{lab.log_tail(15)}")
        seconds = time.perf_counter() - start
        print(f"{path.name}: {outcome} after {seconds:.1f} s in JupyterLab")

        state = page.evaluate(PAGE_STATE, [STDERR, IMAGES])
        assert not state["errors"], f"{path.name} shows an error or warning:\n" + "\n---\n".join(
            state["errors"])
        assert not state["dialogs"], f"{path.name}: a dialog is open: {state['dialogs']}"
        assert not state["solved"], f"{path.name}: an exercise shows as solved in the student copy"
        assert state["executed"] == expected_cells, (
            f"{path.name}: {state['executed']} of {expected_cells} code cells ran")
        drawn = [width for complete, width in state["images"] if complete and width > 0]
        assert len(state["images"]) == expected_figures, (
            f"{path.name}: {len(state['images'])} figures in the browser, the committed notebook "
            f"has {expected_figures}")
        assert len(drawn) == len(state["images"]), f"{path.name}: a figure did not render"
        try:
            page.wait_for_function(f"() => !({BROKEN_MARKDOWN})()", polling=250, timeout=20_000)
        except PlaywrightTimeout:
            broken = page.evaluate(BROKEN_MARKDOWN)
            pytest.fail(f"{path.name}: the prose does not render:\n" + "\n".join(broken))
        if path.name in INTERACTIONS:
            start = time.perf_counter()
            INTERACTIONS[path.name](page, screenshot)
            errors = page.evaluate(PAGE_STATE, [STDERR, IMAGES])["errors"]
            assert not errors, f"{path.name} shows an error after its interaction:\n" + "\n---\n".join(errors)
            print(f"{path.name}: interaction checked in {time.perf_counter() - start:.1f} s")
        if expected_figures:
            page.locator(IMAGES).first.scroll_into_view_if_needed()
    finally:
        page.screenshot(path=str(screenshot))  # also on failure: it shows what went wrong
        context.close()
        lab.shut_down_kernels()
