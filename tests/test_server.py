"""The lint routes on a real ``jupyter server``: auth, XSRF, errors, answers while a kernel is busy."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sparkcoach import registry
from sparkcoach.server.lint import MAX_BODY_BYTES, MAX_CELLS

from conftest import ROOT
from jupyter_servers import BIN, jupyter_server, wait_for  # noqa: F401  (fixtures are found by name)

NOTEBOOK = {"cells": [
    {"id": "load", "source": "rdd = sc.parallelize([(1, 2), (1, 3)])\ndf = spark.read.parquet('events')"},
    {"id": "broken", "source": "def f(:\n    pass"},
    {"id": "group", "source": "%%time\nrdd.groupByKey().mapValues(sum)"},
    {"id": "collect", "source": "rows = df.collect()"},
]}


def test_importing_the_server_extension_does_not_import_pyspark():
    code = ("import sys, sparkcoach.server, sparkcoach.server.handlers, sparkcoach.server.lint;"
            "print(sorted(m for m in ('pyspark', 'py4j', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_lint_finds_across_cells_and_survives_a_broken_cell(jupyter_server):
    resp = jupyter_server.lint(NOTEBOOK)
    assert resp.status == 200, resp.body
    assert resp.headers["Content-Type"].startswith("application/json")
    out = resp.json()
    assert [(f["code"], f["cell_id"], f["line"]) for f in out["findings"]] == [
        ("SPK000", "broken", 1), ("SPK201", "group", 2), ("SPK101", "collect", 1)]
    assert isinstance(out["elapsed_ms"], float) and 0 <= out["elapsed_ms"] < 60_000
    assert set(out["findings"][1]) == {"code", "name", "severity", "message", "path", "cell", "line", "column",
                                       "end_line", "end_column", "fix", "doc", "cell_id"}
    ignored = jupyter_server.lint({**NOTEBOOK, "ignore": ["SPK000", "SPK2"]}).json()
    assert [f["code"] for f in ignored["findings"]] == ["SPK101"]


def test_rules_lists_the_registry(jupyter_server):
    resp = jupyter_server.request("GET", "/sparkcoach/rules")
    assert resp.status == 200, resp.body
    listed = resp.json()["rules"]
    assert [r["code"] for r in listed] == [r.code for r in registry.all_rules()]
    assert all(set(r) == {"code", "name", "severity", "kind", "summary"} for r in listed)
    assert {r["kind"] for r in listed} >= {"python", "sql"}


@pytest.mark.parametrize("method,path", [("GET", "/sparkcoach/rules"), ("POST", "/sparkcoach/lint")])
def test_no_token_is_forbidden(jupyter_server, method, path):
    body = json.dumps(NOTEBOOK) if method == "POST" else None
    headers = {"Content-Type": "application/json"}
    assert jupyter_server.request(method, path, body, token=False, headers=headers).status == 403
    wrong = {**headers, "Authorization": "token not-the-token"}
    assert jupyter_server.request(method, path, body, token=False, headers=wrong).status == 403
    assert jupyter_server.request(method, path, body, headers=headers).status == 200


def test_a_cookie_session_needs_the_xsrf_token(jupyter_server):
    login = jupyter_server.request("GET", "/api/status").cookies()  # token auth sets the login cookie
    xsrf = jupyter_server.request("GET", "/login", token=False).cookies()["_xsrf"]
    session = "; ".join(f"{k}={v}" for k, v in login.items() if k.startswith("username-"))
    assert session, login
    headers = {"Cookie": session, "Content-Type": "application/json"}
    # the cookie alone authenticates a GET...
    assert jupyter_server.request("GET", "/sparkcoach/rules", token=False, headers=headers).status == 200
    # ...but a POST without the XSRF token is refused
    refused = jupyter_server.lint(NOTEBOOK, token=False, headers={**headers, "Cookie": f"{session}; _xsrf={xsrf}"})
    assert refused.status == 403
    assert "_xsrf" in refused.json()["message"]
    ok = jupyter_server.lint(NOTEBOOK, token=False,
                             headers={**headers, "Cookie": f"{session}; _xsrf={xsrf}", "X-XSRFToken": xsrf})
    assert ok.status == 200, ok.body
    assert any(f["code"] == "SPK201" for f in ok.json()["findings"])


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"])
def test_wrong_content_type_is_415(jupyter_server, ctype):
    headers = {"Content-Type": ctype} if ctype else {}
    resp = jupyter_server.lint(json.dumps(NOTEBOOK), headers=headers)
    assert resp.status == 415
    assert resp.json()["error"].startswith("Content-Type must be application/json, got ")
    ok = jupyter_server.lint(json.dumps(NOTEBOOK), headers={"Content-Type": "application/json; charset=utf-8"})
    assert ok.status == 200


def test_body_over_4_mib_is_413(jupyter_server):
    source = "x = 1\n" + "#" * (MAX_BODY_BYTES - 100)
    fits = jupyter_server.lint({"cells": [{"id": "a", "source": source}]})
    assert fits.status == 200, fits.body
    resp = jupyter_server.lint({"cells": [{"id": "a", "source": source + "#" * 200}]})
    assert resp.status == 413
    assert re.fullmatch(r"body too large: \d+ bytes \(at most 4194304\)", resp.json()["error"])


BAD = [
    ("{", "malformed JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
    ('{"cells": {"id": "a"}}', "'cells' must be a list, got object"),
    ('{"cells": [{"id": "a"}]}', "cells[0] has no 'source'"),
    ('{"cells": [{"id": "a", "source": 1}]}', "cells[0].source must be a string, got number"),
    ('{"cells": [{"id": 1, "source": ""}]}', "cells[0].id must be a string, got number"),
    ('{"cells": [], "ignore": "SPK201"}', "'ignore' must be a list of rule codes, got string"),
    ('{"cells": [], "ignore": [201]}', "'ignore[0]' must be a string (a rule code such as SPK201), got number"),
    (json.dumps({"cells": [{"id": str(i), "source": ""} for i in range(MAX_CELLS + 1)]}),
     f"too many cells: {MAX_CELLS + 1} (at most {MAX_CELLS})"),
]


@pytest.mark.parametrize("raw,message", BAD, ids=[m[:40] for _, m in BAD])
def test_bad_shapes_are_400_with_one_line(jupyter_server, raw, message):
    resp = jupyter_server.lint(raw, headers={"Content-Type": "application/json"})
    assert resp.status == 400
    assert resp.json() == {"error": message}


def test_linting_runs_off_the_event_loop(jupyter_server):
    """A notebook that takes seconds to lint does not hold up other requests to the server."""
    source = (ROOT / "sparkcoach" / "engine" / "python.py").read_text()
    cell_bytes = len(json.dumps({"id": "0000", "source": source})) + 2
    cells = [{"id": f"{i:04}", "source": source} for i in range(int(MAX_BODY_BYTES * 0.9) // cell_bytes)]
    done: dict = {}

    def lint():
        done["lint"] = jupyter_server.lint({"cells": cells})
        done["lint_at"] = time.monotonic()

    thread = threading.Thread(target=lint)
    thread.start()
    time.sleep(0.5)  # the 3-4 MB body is uploaded and linting has begun
    start = time.monotonic()
    status = jupyter_server.request("GET", "/api/status")
    status_at = time.monotonic()
    thread.join(120)
    assert status.status == 200 and done["lint"].status == 200, done["lint"].body[:300]
    elapsed_ms = done["lint"].json()["elapsed_ms"]
    print(f"{len(cells)} cells linted in {elapsed_ms:.0f} ms; /api/status answered in {status_at - start:.3f} s")
    assert elapsed_ms > 1000, "the notebook linted too fast to show anything"
    assert status_at < done["lint_at"], "the server did not answer while linting"
    assert status_at - start < 1.0


def test_answers_while_a_kernel_is_busy(jupyter_server):
    from jupyter_client import BlockingKernelClient

    resp = jupyter_server.request("POST", "/api/kernels", {"name": "python3"})
    assert resp.status == 201, resp.body
    kernel_id = resp.json()["id"]
    state = lambda: jupyter_server.request("GET", f"/api/kernels/{kernel_id}").json()["execution_state"]  # noqa: E731
    client = BlockingKernelClient()
    try:
        client.load_connection_file(str(jupyter_server.workdir / "runtime" / f"kernel-{kernel_id}.json"))
        client.start_channels()
        client.wait_for_ready(timeout=120)
        client.execute("import time; time.sleep(20)")
        wait_for(lambda: state() == "busy", 30, "the kernel to be busy")
        start = time.monotonic()
        resp = jupyter_server.lint(NOTEBOOK)
        took = time.monotonic() - start
        assert resp.status == 200 and any(f["code"] == "SPK201" for f in resp.json()["findings"])
        assert state() == "busy", "the kernel finished before the lint request was checked"
        print(f"lint answered in {took:.3f} s while the kernel was busy")
        assert took < 2.0
    finally:
        client.stop_channels()
        assert jupyter_server.request("DELETE", f"/api/kernels/{kernel_id}").status == 204


ANSI = re.compile(r"\x1b\[[0-9;]*m")
CONFIG = ROOT / "jupyter-config" / "jupyter_server_config.d" / "sparkcoach.json"


def _extension_list(config_dir: Path) -> dict[str, str]:
    """``jupyter server extension list`` with ``config_dir`` as the user's config directory:
    what it prints under each ``Config dir:``, by directory."""
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir)}
    proc = subprocess.run([str(BIN / "jupyter"), "server", "extension", "list"], env=env,
                          capture_output=True, text=True, timeout=120)
    out = ANSI.sub("", proc.stdout + proc.stderr)
    parts = re.split(r"^Config dir: (.*)$", out, flags=re.M)
    return {d.strip(): text for d, text in zip(parts[1::2], parts[2::2])}


def _assert_enabled_and_ok(out: str) -> None:
    assert re.search(r"^\s*sparkcoach enabled\s*$", out, re.M), out
    assert re.search(r"^\s*- Validating sparkcoach\.\.\.\s*$", out, re.M), out
    assert re.search(r"^\s*sparkcoach \S* ?OK\s*$", out, re.M), out


def test_config_file_enables_the_extension(tmp_path):
    """The repository's jupyter-config file, put in a config directory, enables and validates sparkcoach."""
    assert json.loads(CONFIG.read_text()) == {"ServerApp": {"jpserver_extensions": {"sparkcoach": True}}}
    assert "sparkcoach" not in _extension_list(tmp_path)[str(tmp_path)]
    (tmp_path / "jupyter_server_config.d").mkdir()
    (tmp_path / "jupyter_server_config.d" / "sparkcoach.json").write_text(CONFIG.read_text())
    _assert_enabled_and_ok(_extension_list(tmp_path)[str(tmp_path)])


def test_installed_extension_is_listed_as_enabled_and_ok(tmp_path):
    """Needs the packaging step: the wheel puts the config file in the venv's etc/jupyter."""
    installed = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d" / "sparkcoach.json"
    assert installed.is_file(), f"{installed} is missing: reinstall the package (pip install -e .)"
    assert json.loads(installed.read_text()) == json.loads(CONFIG.read_text())
    _assert_enabled_and_ok(_extension_list(tmp_path)[str(installed.parent.parent)])
