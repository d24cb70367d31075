"""A private JupyterLab server and a headless Chromium for tests/test_browser.py.

``JupyterLabServer`` serves a temporary copy of a folder of notebooks (the student copy, in
tests/test_browser.py; outputs cleared, so everything the browser shows comes from the run it
watches) on 127.0.0.1, a free port and a random token. All of
Jupyter's and IPython's folders point into a temporary directory, so the test never reads or
writes the user's own settings; the settings written there turn off the "Jupyter news" toast and
the update check, and attach every cell to the page so the test can see all outputs.

Chromium is Debian's ``/usr/bin/chromium`` driven by the PyPI ``playwright`` package (Playwright's
own browser download is not needed). ``MF_SERIES_CHROMIUM`` names another binary.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tools.notebook_tools import clear_outputs, read, series_notebooks, write

CHROMIUM = Path(os.environ.get("MF_SERIES_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",  # containers often give /dev/shm only 64 MB, too little for pages
]

# JupyterLab settings, keyed by plugin: no news toast, no update check, every cell in the DOM
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def copy_without_outputs(source: Path, target: Path) -> list[Path]:
    """Copy every ``NN_*.ipynb`` of ``source`` into ``target`` with outputs and counts cleared."""
    target.mkdir(parents=True, exist_ok=True)
    copies = []
    for path in series_notebooks(source):
        write(clear_outputs(read(path)), target / path.name)
        copies.append(target / path.name)
    for other in source.iterdir():  # data files or images a notebook might read, if any
        if other.is_file() and other.suffix != ".ipynb":
            shutil.copy2(other, target / other.name)
    return copies


def jupyter_command() -> list[str]:
    """The ``jupyter`` of the Python running the tests (the series' .venv under ``make test``)."""
    script = Path(sys.executable).with_name("jupyter")
    return [str(script)] if script.exists() else [sys.executable, "-m", "jupyter"]


class JupyterLabServer:
    """``with JupyterLabServer(notebooks, workdir) as lab:`` — started, and always stopped."""

    def __init__(self, notebooks: Path, workdir: Path, start_timeout: float = 90.0) -> None:
        self.workdir = workdir
        self.root = workdir / "notebooks"
        self.notebooks = copy_without_outputs(notebooks, self.root)
        self.port = free_port()
        self.token = os.urandom(24).hex()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "jupyterlab.log"
        self.start_timeout = start_timeout
        self.process: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
            folder = self.workdir / name.lower()
            folder.mkdir(exist_ok=True)
            env[name] = str(folder)
        # a learner's kernel draws inline; a batch-mode MPLBACKEND=Agg would hide every plot
        env.pop("MPLBACKEND", None)
        env.pop("JUPYTERLAB_SETTINGS_DIR", None)
        env.pop("JUPYTERLAB_WORKSPACES_DIR", None)
        return env

    def write_settings(self, config_dir: Path) -> None:
        for plugin, values in LAB_SETTINGS.items():
            path = config_dir / "lab" / "user-settings" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values, indent=2), encoding="utf-8")

    def start(self) -> None:
        env = self.environment()
        self.write_settings(Path(env["JUPYTER_CONFIG_DIR"]))
        command = jupyter_command() + [
            "lab",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.open_browser=False",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        log = self.log_path.open("wb")
        # its own process group, so stopping it also stops the kernels it started
        self.process = subprocess.Popen(command, cwd=self.root, env=env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n"
                                   + self.log_tail())
            try:
                self.api("GET", "/api/status", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)  # polling the port: there is nothing to wait on before it listens
        raise RuntimeError(f"JupyterLab did not answer within {self.start_timeout:.0f} s:\n"
                           + self.log_tail())

    def api(self, method: str, path: str, timeout: float = 10) -> object:
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """End every session (and its kernel) the browser opened, to free memory between notebooks."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def lab_url(self, notebook: Path) -> str:
        # `reset` starts from an empty workspace: only this notebook is opened
        return f"{self.url}/lab/tree/{notebook.name}?reset&token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the server and its kernels, then SIGKILL to whatever of the group is left."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def __enter__(self) -> JupyterLabServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
