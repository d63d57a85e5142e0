"""A real ``jupyter server`` for tests, and a small HTTP client for it.

The server is the venv's own ``jupyter server`` as a subprocess on 127.0.0.1 and a free
port, with a token, a non-root ``base_url`` (``request`` paths are relative to it), the
sparkcoach extension enabled on the command line (so tests do not depend on the install
step), and private config, runtime and root directories.  It is stopped with SIGTERM (then
SIGKILL) when the fixture ends.

    from jupyter_servers import jupyter_server  # noqa: F401  (a module-scoped fixture)
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from servers import _wait, free_ports, log_tail, pid_alive, port_open

BIN = Path(sys.executable).parent
STARTUP_TIMEOUT = float(os.environ.get("SPARKCOACH_SERVER_TIMEOUT", "180"))


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)

    def cookies(self) -> dict[str, str]:
        """The cookies this response sets, name -> value."""
        out = {}
        for header in self.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            out[name.strip()] = value.strip().strip('"')
        return out


@dataclass
class JupyterServer:
    workdir: Path
    port: int = 0
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    base_url: str = "/coach-test/"
    proc: subprocess.Popen | None = None

    @property
    def env(self) -> dict[str, str]:
        """The server's environment: private config and runtime directories (no user config)."""
        env = dict(os.environ)
        env.update({"JUPYTER_CONFIG_DIR": str(self.workdir / "config"),
                    "JUPYTER_RUNTIME_DIR": str(self.workdir / "runtime"),
                    "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
        return env

    def start(self) -> JupyterServer:
        for sub in ("config", "runtime", "root"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        self.port = free_ports(1)[0]
        log = open(self.workdir / "server.log", "wb")
        self.proc = subprocess.Popen(
            [str(BIN / "jupyter"), "server", "--allow-root", "--no-browser", "--ip=127.0.0.1",
             f"--port={self.port}", "--port-retries=0", f"--IdentityProvider.token={self.token}",
             "--ServerApp.open_browser=False", f"--ServerApp.root_dir={self.workdir / 'root'}",
             f"--ServerApp.base_url={self.base_url}",
             "--ServerApp.jpserver_extensions={'sparkcoach': True}"],
            cwd=self.workdir / "root", env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        _wait(lambda: port_open(self.port) and self.request("GET", "/api/status").status == 200,
              what="jupyter server", timeout=STARTUP_TIMEOUT, logs=[self.workdir / "server.log"],
              alive=lambda: self.proc.poll() is None)
        if self.request("GET", "/sparkcoach/rules").status == 404:
            self.stop()
            raise RuntimeError("jupyter server runs without the sparkcoach extension (does sparkcoach/__init__.py "
                               f"define _jupyter_server_extension_points?)\n{log_tail(self.workdir / 'server.log')}")
        return self

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    @property
    def log(self) -> str:
        return (self.workdir / "server.log").read_text(errors="replace")

    def request(self, method: str, path: str, body: bytes | str | dict | None = None, *,
                token: bool = True, headers: dict | None = None, timeout: float = 60) -> Response:
        """One HTTP request to ``base_url + path``; ``token=False`` sends no Authorization header;
        a dict body is sent as JSON."""
        hdrs = dict(headers or {})
        if token:
            hdrs.setdefault("Authorization", f"token {self.token}")
        if isinstance(body, dict):
            body = json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, self.base_url.rstrip("/") + path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return Response(resp.status, resp.headers, resp.read())
        finally:
            conn.close()

    def lint(self, body, **kw) -> Response:
        return self.request("POST", "/sparkcoach/lint", body, **kw)


@pytest.fixture(scope="module")
def jupyter_server(tmp_path_factory):
    """A running ``jupyter server`` with the sparkcoach extension, one per test module."""
    server = JupyterServer(tmp_path_factory.mktemp("jupyter")).start()
    try:
        yield server
    finally:
        server.stop()
        assert not pid_alive(server.proc.pid), "jupyter server still running after stop"


def wait_for(predicate, timeout: float, what: str, step: float = 0.1):
    """Poll ``predicate()`` until it returns a truthy value (returned) or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
