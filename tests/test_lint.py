"""ruff (configured in pyproject.toml) over the code and the notebooks: `make lint` in the test suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_ruff_is_clean():
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", "--quiet", "helpers", "tests", "tools", "notebooks"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, "ruff found problems (run `make lint`):\n" + result.stdout
