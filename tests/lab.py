"""A real JupyterLab and a real Chromium for browser tests.

``running_lab(workdir)`` starts the venv's own ``jupyter lab`` as a subprocess on 127.0.0.1 and a
free port, with a token, ``window.jupyterapp`` exposed, the sparkcoach server extension enabled on
the command line, and private config, data, runtime, settings, workspaces and root folders (an
``overrides.json`` turns off the news and update pop-up that would cover screenshots).  Kernels it
starts can run Spark on loopback.  It waits until ``/api/status`` answers and, at the end (even
after a failure), shuts the server down with its kernels, then ends whatever is left of the
processes it started (each carries a marker in its environment: Spark's JVM too).

Chromium is Debian's ``/usr/bin/chromium`` driven by Playwright's sync API (never
``playwright install``).  Use the fixtures from a test module by importing them::

    from lab import browser, console, lab, page  # noqa: F401

- ``lab`` (module scope): a running ``Lab`` (``.url``, ``.token``, ``.root``, ``.api()``,
  ``.write_notebook()``, ``.jupyter()``, ``.log``).
- ``browser`` (module scope): a Playwright ``Browser``.
- ``page`` (per test): a new page in its own context; when the test fails, a screenshot and the
  console log go to ``tests/output/e2e/`` (git-ignored).
- ``console``: the page's console messages (``.texts``, ``.errors``, ``.wait_for(text)``).

Helpers: ``open_notebook(page, lab, name)``, ``wait_for_kernel_idle(page)``,
``run_all_cells(page)``, ``screenshot(page, name)``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

from servers import _wait, free_ports, pid_alive, port_open, server_env

BIN = Path(sys.executable).parent
TESTS = Path(__file__).resolve().parent
OUTPUT = TESTS / "output" / "e2e"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
STARTUP_TIMEOUT = float(os.environ.get("SPARKCOACH_SERVER_TIMEOUT", "180"))
MARKER = "SPARKCOACH_TEST_LAB"  # in the environment of the server and of every process it starts
OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}
# Spark in a kernel: loopback only, 2 cores, no console progress bars in cell outputs
PYSPARK_SUBMIT_ARGS = ("--master local[2] --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1"
                       " --conf spark.ui.showConsoleProgress=false pyspark-shell")


@dataclass
class Lab:
    workdir: Path
    port: int = 0
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    marker: str = field(default_factory=lambda: secrets.token_hex(8))
    proc: subprocess.Popen | None = None

    @property
    def root(self) -> Path:
        return self.workdir / "root"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def notebook_url(self, name: str) -> str:
        return f"{self.url}lab/tree/{quote(name)}?token={self.token}"

    @property
    def log(self) -> str:
        return (self.workdir / "lab.log").read_text(errors="replace")

    @property
    def env(self) -> dict[str, str]:
        """The server's (and its kernels') environment: no user config, Spark on loopback."""
        env = server_env(SPARK_LOCAL_HOSTNAME="127.0.0.1", PYSPARK_SUBMIT_ARGS=PYSPARK_SUBMIT_ARGS)
        env.update({
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "JUPYTER_CONFIG_DIR": str(self.workdir / "config"),
            "JUPYTER_DATA_DIR": str(self.workdir / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.workdir / "runtime"),
            "IPYTHONDIR": str(self.workdir / "ipython"),
            MARKER: self.marker,
        })
        return env

    def start(self) -> Lab:
        for sub in ("config", "data", "runtime", "ipython", "root", "app-settings", "user-settings", "workspaces"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        (self.workdir / "app-settings" / "overrides.json").write_text(json.dumps(OVERRIDES))
        self.port = free_ports(1)[0]
        log = open(self.workdir / "lab.log", "wb")
        self.proc = subprocess.Popen(
            [str(BIN / "jupyter"), "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={self.port}",
             "--port-retries=0", f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
             "--ServerApp.jpserver_extensions={'sparkcoach': True}", "--LabApp.expose_app_in_browser=True",
             f"--LabApp.app_settings_dir={self.workdir / 'app-settings'}",
             f"--LabApp.user_settings_dir={self.workdir / 'user-settings'}",
             f"--LabApp.workspaces_dir={self.workdir / 'workspaces'}"],
            cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        try:
            _wait(lambda: port_open(self.port) and self.api("GET", "api/status")[0] == 200, what="jupyter lab",
                  timeout=STARTUP_TIMEOUT, logs=[self.workdir / "lab.log"], alive=lambda: self.proc.poll() is None)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Shut the server down with its kernels; then end what is left of the processes it started."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.api("POST", "api/shutdown", timeout=10)  # stops the kernels, then the server
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)
        self._end_leftovers()

    def leftover_pids(self) -> list[int]:
        """Processes (kernels, Spark JVMs) that still carry this server's marker."""
        tag = f"{MARKER}={self.marker}".encode()
        pids = []
        for proc_dir in Path("/proc").iterdir():
            if not proc_dir.name.isdigit() or int(proc_dir.name) == os.getpid():
                continue
            try:
                if tag in (proc_dir / "environ").read_bytes().split(b"\0") and pid_alive(int(proc_dir.name)):
                    pids.append(int(proc_dir.name))
            except OSError:
                continue
        return pids

    def _end_leftovers(self) -> None:
        for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            pids = self.leftover_pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and any(pid_alive(p) for p in pids):
                time.sleep(0.2)

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 30) -> tuple[int, object]:
        """One REST call (``path`` relative to the server root) with the token; (status, parsed JSON or None)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None

    def write_notebook(self, name: str, cells: list[str]) -> Path:
        """A notebook of code cells in the root folder, with the python3 kernel (no kernel picker)."""
        import nbformat

        nb = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(src) for src in cells],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                      "language_info": {"name": "python"}})
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        return path

    def jupyter(self, *args: str, timeout: float = 120) -> str:
        """``jupyter ARGS`` from the venv, in the server's environment; stdout and stderr."""
        proc = subprocess.run([str(BIN / "jupyter"), *args], cwd=self.workdir, env=dict(self.env, NO_COLOR="1"),
                              capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, f"jupyter {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}"
        return proc.stdout + proc.stderr


@contextlib.contextmanager
def running_lab(workdir: Path) -> Iterator[Lab]:
    lab = Lab(Path(workdir)).start()
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running JupyterLab with the sparkcoach extensions, one per test module."""
    with running_lab(tmp_path_factory.mktemp("lab")) as server:
        yield server
    assert not pid_alive(server.proc.pid), "jupyter lab still running after stop"
    assert not server.leftover_pids(), "processes started by jupyter lab still running after stop"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: ./dev test installs Debian's chromium"
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class ConsoleLog:
    """The console messages of a page, as ``"type: text"`` strings, from when it is attached."""

    def __init__(self, page):
        self.page = page
        self.messages: list[tuple[str, str]] = []
        page.on("console", lambda msg: self.messages.append((msg.type, msg.text)))
        page.on("pageerror", lambda err: self.messages.append(("pageerror", str(err))))

    @property
    def texts(self) -> list[str]:
        return [text for _, text in self.messages]

    @property
    def errors(self) -> list[str]:
        return [text for kind, text in self.messages if kind in ("error", "pageerror")]

    def wait_for(self, text: str, timeout: float = 30) -> str:
        """The first message containing ``text``, waiting up to ``timeout`` s for it."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((t for t in self.texts if text in t), None)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no console message with {text!r} after {timeout:.0f} s; got:\n"
                                     + "\n".join(f"{k}: {t}" for k, t in self.messages[-40:]))
            self.page.wait_for_timeout(100)  # lets Playwright deliver events

    def dump(self) -> str:
        return "\n".join(f"{kind}: {text}" for kind, text in self.messages)


_CONSOLE = pytest.StashKey[ConsoleLog]()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(60_000)
    page = context.new_page()
    request.node.stash[_CONSOLE] = ConsoleLog(page)
    name = request.node.name.replace("/", "_")
    for stale in OUTPUT.glob(f"FAILED-{name}.*"):  # from an earlier run of this test
        stale.unlink()
    failed_before = request.session.testsfailed
    yield page
    if request.session.testsfailed > failed_before:  # this test failed: keep what the page showed
        with contextlib.suppress(Exception):
            screenshot(page, f"FAILED-{name}")
        OUTPUT.mkdir(parents=True, exist_ok=True)
        (OUTPUT / f"FAILED-{name}.console.log").write_text(request.node.stash[_CONSOLE].dump())
    context.close()


@pytest.fixture
def console(page, request) -> ConsoleLog:
    return request.node.stash[_CONSOLE]


def wait_for_app(page, timeout: float = 90) -> None:
    """Wait until JupyterLab has started and restored its layout (``window.jupyterapp``)."""
    page.wait_for_function(
        "() => window.jupyterapp !== undefined && window.jupyterapp.shell !== undefined"
        " && document.querySelector('#jupyterlab-splash') === null",
        timeout=timeout * 1000)
    page.evaluate("() => window.jupyterapp.restored")


def open_notebook(page, lab: Lab, name: str, timeout: float = 90) -> None:
    """Open ``name`` (relative to the root folder) and wait until its panel shows it, loaded."""
    page.goto(lab.notebook_url(name))
    wait_for_app(page, timeout)
    page.wait_for_function(
        """name => {
          const w = window.jupyterapp.shell.currentWidget;
          return !!(w && w.context && w.context.path === name && w.context.isReady && w.content
                    && w.node.querySelector('.jp-Notebook .jp-Cell'));
        }""", arg=name, timeout=timeout * 1000)


_KERNEL_IDLE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const kernel = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle' || kernel.connectionStatus !== 'connected') return false;
  // no cell waiting or running ('[*]:' prompts)
  return ![...w.node.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'));
}"""


def wait_for_kernel_idle(page, timeout: float = 120) -> None:
    """Wait until the current notebook's kernel is connected and idle, with no cell queued."""
    page.wait_for_function(_KERNEL_IDLE, timeout=timeout * 1000)


def run_all_cells(page, timeout: float = 300) -> None:
    """Run every cell of the current notebook and wait until all have run and the kernel is idle."""
    wait_for_kernel_idle(page, timeout)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """() => {
          const w = window.jupyterapp.shell.currentWidget;
          return w.content.widgets.every(c => c.model.type !== 'code' || c.model.executionCount !== null);
        }""", timeout=timeout * 1000)
    wait_for_kernel_idle(page, timeout)


def screenshot(page, name: str) -> Path:
    """Save a screenshot of the page as ``tests/output/e2e/<name>.png``."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path))
    return path
