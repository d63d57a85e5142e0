"""Packaging: the wheel and the sdist carry the built JupyterLab extension and the server config.

The wheel is built as ``pip install .`` builds it (in an isolated build environment, where the
pyproject's jupyter-builder hook runs ``jlpm install`` and ``jlpm build:prod``) from a clean copy of
the checkout: the files git tracks plus new untracked ones, without anything git ignores
(node_modules, .venv, earlier builds).  The sdist must carry the built extension, so a wheel built
from it needs no Node.js: that wheel is built with no ``node`` or ``jlpm`` on PATH.  The wheel is
then installed into a private prefix and ``jupyter labextension list`` / ``jupyter server extension
list`` must see it working; the same lists must also show the developer install of ``./dev test``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from helpers import clean_copy

import sparkcoach

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LABEXT = "share/jupyter/labextensions/sparkcoach"
SERVER_CONFIG = "etc/jupyter/jupyter_server_config.d/sparkcoach.json"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BUILD_TIMEOUT = 900


def _run(cmd: list[str], *, cwd: Path = ROOT, env: dict | None = None, timeout: float = 120) -> str:
    """Run a command; fail the test with its output tail when it fails. Returns stdout+stderr, no colours."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    out = ANSI.sub("", proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join(out.splitlines()[-60:])
        pytest.fail(f"{' '.join(map(str, cmd))} exited with {proc.returncode}:\n{tail}", pytrace=False)
    return out


def _build_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("HATCH_JUPYTER_BUILDER_SKIP_NPM", "SKIP_JUPYTER_BUILDER"):
        env.pop(key, None)
    env.setdefault("YARN_ENABLE_GLOBAL_CACHE", "true")  # one package cache per machine, as ./dev uses
    env.update(extra)
    return env


class Dists:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.timings: dict[str, float] = {}

    def build(self) -> Dists:
        src, out = self.tmp / "src", self.tmp / "dist"
        clean_copy(src)
        assert not (src / "sparkcoach" / "labextension").exists(), "the clean copy must not hold a build"
        t0 = time.monotonic()
        # As `pip install .` does: an isolated build environment from build-system.requires.
        _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(src)],
             env=_build_env(), timeout=BUILD_TIMEOUT)
        t1 = time.monotonic()
        self.timings["wheel (isolated, jlpm install + build:prod)"] = t1 - t0
        _run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--skip-dependency-check",
              "--outdir", str(out), str(src)], env=_build_env(), timeout=BUILD_TIMEOUT)
        self.timings["sdist"] = time.monotonic() - t1
        (self.wheel,) = out.glob("sparkcoach-*.whl")
        (self.sdist,) = out.glob("sparkcoach-*.tar.gz")
        return self

    def wheel_from_sdist(self) -> Path:
        """Unpack the sdist and build a wheel from it with no Node.js and no jlpm on PATH."""
        unpacked = self.tmp / "from-sdist"
        with tarfile.open(self.sdist) as tar:
            tar.extractall(unpacked, filter="data")
        (top,) = unpacked.iterdir()
        nobin = self.tmp / "empty-bin"  # PATH holds nothing: the hook must not need node or jlpm
        nobin.mkdir()
        t0 = time.monotonic()
        _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--skip-dependency-check",
              "--outdir", str(self.tmp / "dist-from-sdist"), str(top)],
             env=_build_env(PATH=str(nobin)), timeout=BUILD_TIMEOUT)
        self.timings["wheel from sdist"] = time.monotonic() - t0
        (wheel,) = (self.tmp / "dist-from-sdist").glob("sparkcoach-*.whl")
        return wheel


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    d = Dists(tmp_path_factory.mktemp("packaging")).build()
    yield d
    print("\npackaging timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in d.timings.items()))


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def _data(names: set[str]) -> set[str]:
    """The wheel's data files, relative to the install prefix."""
    out = set()
    for n in names:
        head, sep, rest = n.partition(".data/data/")
        if sep and "/" not in head:
            out.add(rest)
    return out


def _check_wheel_contents(names: set[str]) -> None:
    data = _data(names)
    assert f"{LABEXT}/package.json" in data
    assert f"{LABEXT}/schemas/sparkcoach/plugin.json" in data
    assert f"{LABEXT}/static/style.js" in data
    assert any(re.fullmatch(rf"{LABEXT}/static/remoteEntry\.[0-9a-f]+\.js", n) for n in data), sorted(data)
    assert f"{LABEXT}/install.json" in data
    assert SERVER_CONFIG in data
    for module in ("__init__.py", "handlers.py"):
        assert f"sparkcoach/server/{module}" in names
    assert "sparkcoach/schema/findings.schema.json" in names
    assert not any("node_modules" in n for n in names)
    # the extension is installed as shared data only, not a second time inside the package
    assert not any(n.startswith("sparkcoach/labextension/") for n in names)


def test_wheel_from_a_clean_checkout_carries_the_extension(dists):
    _check_wheel_contents(_names(dists.wheel))
    with zipfile.ZipFile(dists.wheel) as z:
        built = z.read(next(n for n in z.namelist() if n.endswith(f"{LABEXT}/package.json"))).decode()
        config = z.read(next(n for n in z.namelist() if n.endswith(SERVER_CONFIG))).decode()
    assert '"_build"' in built  # jupyter-builder's output, not the source package.json
    assert '"sparkcoach": true' in config.replace(" ", "").replace('":true', '": true')


def test_sdist_carries_the_built_extension_and_no_npm_packages(dists):
    with tarfile.open(dists.sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for needed in ("sparkcoach/labextension/package.json", "sparkcoach/labextension/static/style.js",
                   "labextension/package.json", "labextension/yarn.lock", "labextension/src/index.ts",
                   "install.json", "jupyter-config/jupyter_server_config.d/sparkcoach.json"):
        assert needed in names, needed
    for unwanted in ("labextension/node_modules/", "labextension/lib/", "labextension/.yarn/", ".venv/"):
        assert not any(n.startswith(unwanted) for n in names), unwanted


def test_wheel_from_the_sdist_needs_no_node(dists):
    names = _names(dists.wheel_from_sdist())
    _check_wheel_contents(names)
    assert _data(names) == _data(_names(dists.wheel))


def _section(listing: str, header: str) -> str:
    """The lines of a `jupyter ... list` output under the line that contains ``header``."""
    lines = listing.splitlines()
    start = next((i for i, line in enumerate(lines) if header in line), None)
    assert start is not None, f"{header!r} not in:\n{listing}"
    body = []
    for line in lines[start + 1:]:
        if line.startswith(("/", "Config dir:")):  # the next folder's section
            break
        body.append(line)
    return "\n".join(body)


def _assert_listed(labext: str, server: str, labext_dir: Path, config_dir: Path) -> None:
    """`jupyter labextension list` shows the extension enabled and OK (compatible with this
    JupyterLab) in ``labext_dir``; `jupyter server extension list` shows it enabled in
    ``config_dir`` and validated (imported, extension points found)."""
    version = re.escape(sparkcoach.__version__)
    section = _section(labext, str(labext_dir))
    assert re.search(rf"^\s+sparkcoach v{version} enabled\s+OK\b", section, re.M), labext
    section = _section(server, f"Config dir: {config_dir}")
    assert re.search(r"^\s+sparkcoach enabled\s*$", section, re.M), server
    assert re.search(rf"^\s+sparkcoach\s+{version} OK\s*$", section, re.M), server


def test_installed_wheel_is_listed_enabled_and_ok(dists, tmp_path):
    """A user's install: the wheel in a fresh virtual environment, where JupyterLab and
    jupyter_server come from the test venv (a .pth line) but sparkcoach only from the wheel."""
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = str(venv / "bin" / "python")
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).strip())
    (site / "test_venv_packages.pth").write_text(sysconfig.get_path("purelib") + "\n")
    # --ignore-installed: without it, pip "upgrades" the sparkcoach of the venv running this test
    # (the developer install) by uninstalling it there before installing into the prefix.
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--ignore-installed",
          "--prefix", str(venv), str(dists.wheel)])
    _run([sys.executable, "-m", "pip", "show", "--quiet", "sparkcoach"], cwd=tmp_path)  # still installed here
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_DATA_DIR=str(tmp_path / "data"),
               NO_COLOR="1")
    # (run outside the checkout: `python -c` and `-m` put the working directory first on sys.path)
    probe = _run([python, "-c", "import sparkcoach; print(sparkcoach.__file__)"], cwd=tmp_path, env=env)
    assert probe.strip() == str(site / "sparkcoach" / "__init__.py"), probe
    labext = _run([python, "-m", "jupyterlab.labextensions", "list"], cwd=tmp_path, env=env)
    server = _run([python, "-m", "jupyter_server.extension.serverextension", "list"], cwd=tmp_path, env=env)
    labext_dir = venv / "share" / "jupyter" / "labextensions"
    _assert_listed(labext, server, labext_dir, venv / "etc" / "jupyter")
    assert "(python, sparkcoach)" in _section(labext, str(labext_dir))  # install.json: uninstall with pip


def test_dev_install_serves_the_current_build(tmp_path):
    """``./dev test`` links the checkout's build into .venv and rebuilds it when sources change."""
    prefix = Path(sys.prefix)
    link = prefix / LABEXT
    out = ROOT / "sparkcoach" / "labextension"
    assert link.is_symlink() and link.resolve() == out.resolve(), (
        f"{link} is not a link to {out}: run ./dev test (it runs `jupyter labextension develop`)")
    built = (out / "package.json").stat().st_mtime
    sources = [p for d in ("src", "style", "schema") for p in (ROOT / "labextension" / d).rglob("*")
               if p.is_file() and "generated" not in p.parts]
    stale = [str(p.relative_to(ROOT)) for p in sources if p.stat().st_mtime > built]
    assert not stale, f"the extension build is older than {stale[:5]}: run ./dev test (it rebuilds)"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"), NO_COLOR="1")
    labext = _run([str(BIN / "jupyter"), "labextension", "list"], env=env)
    server = _run([str(BIN / "jupyter"), "server", "extension", "list"], env=env)
    _assert_listed(labext, server, prefix / "share" / "jupyter" / "labextensions", prefix / "etc" / "jupyter")
