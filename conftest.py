"""The test groups, set in one place for every test pytest collects (``tests/`` and nbval's
notebook cells alike): select them with ``-m`` (``make unit`` runs ``-m "not notebooks and not
browser and not slow"``). The markers are registered in ``pyproject.toml``.

- ``notebooks``: nbval's cells of ``notebooks/NN_*.ipynb`` (every item from an ``.ipynb`` file);
- ``browser``: the JupyterLab-in-Chromium check;
- ``slow``: tests that run the series or the experiments again (minutes each).
"""

from __future__ import annotations

import pytest

# a test file, or a test function of one (every parametrized case of it), and its group
GROUPS = {
    "tests/test_browser.py": "browser",
    "tests/test_selection.py::test_recorded_experiments_reproduce": "slow",
    "tests/test_selection.py::test_recorded_reports_reproduce": "slow",
    "tests/test_readme.py::test_committed_results_match_a_fresh_benchmark_run": "slow",
}


@pytest.hookimpl(tryfirst=True)  # before pytest's own hook deselects by -m
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    matched = set()
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker("notebooks")
        file, _, name = item.nodeid.partition("::")
        for key in (file, f"{file}::{name.split('[')[0]}"):
            if key in GROUPS:
                item.add_marker(GROUPS[key])
                matched.add(key)
    # a renamed test would silently leave its group: a listed function must exist in its module
    modules = {item.nodeid.partition("::")[0]: getattr(item, "module", None) for item in items}
    for key in GROUPS.keys() - matched:
        file, _, name = key.partition("::")
        if name and modules.get(file) is not None and not hasattr(modules[file], name):
            raise pytest.UsageError(f"conftest.py puts {key} in the group {GROUPS[key]!r}, but "
                                    f"{file} has no {name}: update GROUPS")
