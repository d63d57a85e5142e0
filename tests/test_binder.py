"""Binder: repo2docker picks up ``binder/`` and would build the image the Binder link opens.

``repo2docker --no-build`` renders the Dockerfile without a container engine (in about a second).
It runs on a clean copy of the checkout, the files a fresh clone has: the files git tracks plus new
untracked ones, without anything git ignores (.venv, node_modules, builds). The generated Dockerfile
must install Java from ``apt.txt``, create the Python 3.11 environment (whose pinned lock file must
bring a Node.js new enough to build the JupyterLab extension), copy the repository in and only then
run ``postBuild`` (which installs sparkcoach from it), and start through ``binder/start``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import badge_notebook_path, binder_link, clean_copy

ROOT = Path(__file__).resolve().parent.parent
REPO2DOCKER = Path(sys.executable).parent / "repo2docker"
JAVA = "openjdk-17-jre-headless"
NODE_MIN = (20, 19)  # the extension build (@jupyter/builder, rspack) needs Node.js 20.19+


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, str, str]:
    """(the clean copy, the Dockerfile repo2docker generates for it, repo2docker's log)."""
    if not REPO2DOCKER.exists():
        pytest.fail(f"{REPO2DOCKER} is missing: install the test extra (pip install -e '.[test]'), "
                    "which brings jupyter-repo2docker", pytrace=False)
    tmp = tmp_path_factory.mktemp("binder")
    repo = tmp / "repo"
    clean_copy(repo)
    # cwd is an empty directory: repo2docker reads a repo2docker_config.py from its working directory.
    proc = subprocess.run([str(REPO2DOCKER), "--no-build", "--debug", str(repo)], cwd=tmp,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"repo2docker exited with {proc.returncode}:\n{proc.stderr[-3000:]}"
    return repo, proc.stdout, proc.stderr


def _lock_file(dockerfile: str) -> Path:
    """The conda lock file the Dockerfile installs as the notebook environment.

    repo2docker copies it from its own package under a build-context name ending in the first six
    hex digits of the sha256 of its absolute path; find the file with that hash.
    """
    m = re.search(r"^COPY \S+ build_script_files/\S+-([0-9a-f]{6}) /tmp/env/environment\.lock$", dockerfile, re.M)
    assert m, "the Dockerfile installs no conda environment lock file"
    spec = importlib.util.find_spec("repo2docker")  # finds the package without importing it
    assert spec and spec.submodule_search_locations, "repo2docker is not importable"
    conda = Path(spec.submodule_search_locations[0]) / "buildpacks" / "conda"
    for path in conda.iterdir():
        if hashlib.sha256(str(path).encode()).hexdigest()[:6] == m.group(1):
            return path
    pytest.fail(f"no file in {conda} has the hash {m.group(1)}")


def test_binder_config_is_what_repo2docker_reads(rendered):
    repo, _, log = rendered
    assert sorted(p.name for p in (repo / "binder").iterdir()) == ["apt.txt", "postBuild", "runtime.txt", "start"]
    assert (repo / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    assert "Building conda environment for python=3.11" in log, log


def test_dockerfile_installs_java_from_apt_txt(rendered):
    repo, dockerfile, _ = rendered
    wanted = [line.split("#")[0].strip() for line in (repo / "binder" / "apt.txt").read_text().splitlines()]
    wanted = [p for p in wanted if p]
    assert wanted == [JAVA]
    installs = re.findall(r"apt-get install --yes --no-install-recommends ([^&\\]+)", dockerfile)
    assert any(p.split() == wanted for p in installs), installs


def test_python_311_environment_brings_node_for_the_extension_build(rendered):
    _, dockerfile, _ = rendered
    lock = _lock_file(dockerfile)
    assert lock.name.startswith("environment.py-3.11-"), lock.name
    text = lock.read_text()
    assert re.search(r"/python-3\.11\.\d+-", text), f"{lock} pins no Python 3.11"
    node = re.search(r"/nodejs-(\d+)\.(\d+)\.\d+-", text)
    assert node, f"{lock} has no nodejs: the wheel build in postBuild would have no Node.js"
    assert (int(node.group(1)), int(node.group(2))) >= NODE_MIN, node.group(0)
    # conda's bin directory (node, and jlpm once jupyterlab is installed) comes first on PATH
    assert re.search(r"^ENV PATH=\$\{NB_PYTHON_PREFIX\}/bin:", dockerfile, re.M), "conda env not on PATH"


def test_postbuild_installs_the_package_from_the_copied_repository(rendered):
    repo, dockerfile, _ = rendered
    lines = dockerfile.splitlines()
    copy_repo = lines.index("COPY --chown=0:0 src/ ${REPO_DIR}/")
    post_build = lines.index("RUN ./binder/postBuild")
    assert copy_repo < post_build
    # as the notebook user (who owns the environment), from the repository root
    assert [ln for ln in lines[copy_repo:post_build] if ln.startswith("USER ")][-1] == "USER ${NB_USER}"
    assert re.search(r"^WORKDIR \$\{REPO_DIR\}$", "\n".join(lines[:copy_repo]), re.M)
    script = (repo / "binder" / "postBuild").read_text()
    assert script.startswith("#!/bin/bash\n") and "set -euo pipefail" in script
    assert re.search(r"^python3 -m pip install --no-cache-dir '\.\[spark,lab\]'$", script, re.M), script
    # nothing else installs packages: no requirements.txt / environment.yml next to it
    assert "requirements.txt" not in dockerfile and "environment.yml" not in dockerfile


def test_start_script_runs_spark_on_loopback(rendered):
    repo, dockerfile, _ = rendered
    assert 'ENV R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in dockerfile
    start = repo / "binder" / "start"
    assert os.access(start, os.X_OK)
    env = {k: v for k, v in os.environ.items() if k != "SPARK_LOCAL_IP"}
    out = subprocess.run([str(start), "env"], env=env, capture_output=True, text=True, check=True).stdout
    assert "SPARK_LOCAL_IP=127.0.0.1" in out.splitlines()


def test_binder_badge_opens_notebook_1_in_jupyterlab():
    from urllib.parse import urlsplit

    link = binder_link()
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc) == ("https", "mybinder.org"), link
    # /v2/gh/<owner>/<repo>/<branch>: the default branch, where binder/ is
    assert re.fullmatch(r"/v2/gh/[\w.-]+/[\w.-]+/main", parts.path), link
    path = badge_notebook_path()
    assert path == "notebooks/01_first_steps.ipynb", path
    assert (ROOT / path).is_file()
    # every other mention of a Binder link in the README is the same link
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert set(re.findall(r"https://mybinder\.org/v2/[^)\s]+", readme)) == {link}


def test_the_package_metadata_names_the_same_repository_and_binder_link():
    import tomllib

    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    owner_repo = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)", urls["Repository"]).group(1)
    assert binder_link() == urls["Tutorial"]
    assert f"/v2/gh/{owner_repo}/main?" in binder_link()
