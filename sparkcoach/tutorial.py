"""``sparkcoach tutorial``: open a tutorial notebook in JupyterLab, or run it headless and print the coaching.

    sparkcoach tutorial [NOTEBOOK] [--headless | --lab] [--html PATH]

By default JupyterLab opens on the notebook (the extension shows the findings inline).  With
``--headless``, or when there is no display to open a browser on (unless ``--lab``), the notebook is executed by a real
kernel (nbclient) in a scratch folder, and every ``%%sparklint`` report in its outputs is printed as
text (findings, rewrites, measured timings) and written as one HTML page.  The notebook file itself is
not changed.  Never imports pyspark (the kernel does).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .views import MIME

DEFAULT_NOTEBOOK = Path("notebooks") / "01_first_steps.ipynb"
CELL_TIMEOUT = 600  # seconds per cell: a measured rewrite may take a while on a busy machine


class TutorialError(Exception):
    """A clear one-line problem (missing notebook, a cell that failed): exit code 2."""


def has_display() -> bool:
    """Whether a browser can be opened here: a desktop session (X11/Wayland), macOS or Windows."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def reports(nb) -> list[tuple[int, dict]]:
    """(code cell number, 1-based, report) for every findings report in a notebook's outputs."""
    out: list[tuple[int, dict]] = []
    number = 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        number += 1
        for output in cell.get("outputs", []):
            report = (output.get("data") or {}).get(MIME)
            if isinstance(report, dict):
                out.append((number, report))
    return out


def text_report(nb, name: str) -> str:
    """The coaching of an executed notebook, for a terminal."""
    from .views import text

    found = reports(nb)
    lines = [f"sparkcoach: {name}: {len(found)} %%sparklint report(s)"]
    for number, report in found:
        lines.append("")
        lines.append(f"--- code cell {number} " + "-" * 40)
        lines.append(text.render(report).rstrip())
    return "\n".join(lines) + "\n"


def html_report(nb, name: str) -> str:
    """The same as one standalone HTML page (the views' static HTML, one section per report)."""
    from .views import html

    parts = [f"<h2>code cell {number}</h2>\n{html.render(report)}" for number, report in reports(nb)]
    title = html.esc(f"sparkcoach: {name}")
    body = "\n".join(parts) or "<p>No %%sparklint report in this notebook.</p>"
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{title}</title></head>\n"
            f"<body style='font-family: sans-serif; max-width: 1100px; margin: 1em auto'>\n<h1>{title}</h1>\n"
            f"{body}\n</body></html>\n")


def _first_line(source: str) -> str:
    line = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
    return line if len(line) <= 60 else line[:57] + "..."


def _kernel_trouble(log: Path) -> str:
    """The last line of the kernel's stderr worth quoting (an exception or error), or ""."""
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    picked = [ln for ln in lines if "Error" in ln or "Exception" in ln or "error:" in ln]
    return picked[-1][:200] if picked else ""


def _kernel_python() -> str:
    """The interpreter the python3 kernel runs (this one, unless the kernelspec names another)."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        argv = KernelSpecManager().get_kernel_spec("python3").argv
        return argv[0] if argv and os.path.isabs(argv[0]) else sys.executable
    except Exception:
        return sys.executable


def clear_outputs(nb) -> None:
    """Empty every code cell's outputs and execution count (in place), as before a fresh run."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None


def _spark_env() -> dict[str, str]:
    """What a tutorial kernel (or JupyterLab's kernels) needs set: Spark on loopback, and Python workers on
    the kernel's interpreter (with pyarrow for Python UDFs), not the first ``python3`` on PATH."""
    return {"SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": _kernel_python()}


def run_notebook(nb, workdir: str | os.PathLike, timeout: int = CELL_TIMEOUT, progress=None, stderr=None):
    """Execute ``nb`` in place, top to bottom, with the python3 kernel in ``workdir`` (nbclient), with
    :func:`_spark_env` set for the kernel (unless already set) and put back afterwards.  ``progress``, a
    file, gets one line per code cell as it finishes (its first line, seconds); ``stderr``, a file, takes
    the kernel's own stderr.  nbclient's errors (a cell that raised, a dead kernel) propagate."""
    from nbclient import NotebookClient

    total = sum(1 for c in nb.cells if c.cell_type == "code")
    done = {"n": 0, "t": time.monotonic()}

    def started(cell, **_):
        done["t"] = time.monotonic()

    def finished(cell, **_):
        done["n"] += 1
        if progress is not None:
            print(f"  [{done['n']}/{total}] {_first_line(cell.source)}  ({time.monotonic() - done['t']:.0f} s)",
                  file=progress, flush=True)

    env = _spark_env()
    before = {k: os.environ.get(k) for k in env}
    for k, v in env.items():
        os.environ.setdefault(k, v)  # the kernel inherits them
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(workdir)}},
                                on_cell_execute=started, on_cell_executed=finished)
        client.execute(**({"stderr": stderr} if stderr is not None else {}))
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
    return nb


def execute(path: Path, timeout: int = CELL_TIMEOUT, progress=None):
    """Run the notebook at ``path`` afresh in a scratch folder; the executed copy (the file is not changed).

    The kernel's own stderr (Spark's start-up chatter) goes to a log file, quoted only when the kernel
    dies; a failing cell or a dead kernel is a one-line :class:`TutorialError`."""
    import nbformat
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    clear_outputs(nb)
    workdir = Path(tempfile.mkdtemp(prefix="sparkcoach-tutorial-"))
    log = workdir / "kernel.log"
    try:
        with open(log, "wb") as err:
            try:
                run_notebook(nb, workdir, timeout=timeout, progress=progress, stderr=err)
            except CellExecutionError as exc:
                what = f"{exc.ename}: {exc.evalue}".strip().rstrip(":") if getattr(exc, "ename", None) else "error"
                raise TutorialError(f"{path}: a cell failed: {what}") from None
            except DeadKernelError:
                why = _kernel_trouble(log)
                raise TutorialError(f"{path}: the kernel died" + (f": {why}" if why else "")) from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return nb


def _jupyter() -> Path | None:
    """This environment's ``jupyter`` (beside this Python), else the one on PATH."""
    mine = Path(sys.executable).with_name("jupyter")
    if mine.exists():
        return mine
    found = shutil.which("jupyter")
    return Path(found) if found else None


def _jupyter_command() -> str:
    """How to call that ``jupyter`` from here (``.venv/bin/jupyter`` when it is not the one on PATH)."""
    jupyter, found = _jupyter(), shutil.which("jupyter")
    if jupyter is None or (found and Path(found).resolve() == jupyter.resolve()):
        return "jupyter"
    try:
        return str(jupyter.relative_to(Path.cwd()))
    except ValueError:
        return str(jupyter)


def run_headless(path: Path, html_path: Path | None, out=sys.stdout) -> Path:
    """Execute ``path``, print its coaching, write the HTML copy; the HTML path."""
    html_path = html_path or Path(path.stem + ".coaching.html")
    print(f"sparkcoach: running {path} with a real kernel and local Spark (about a minute; "
          f"the first Spark start takes longest)...", file=out, flush=True)
    t0 = time.monotonic()
    nb = execute(path, progress=out)
    print("", file=out)
    print(text_report(nb, path.name), file=out, end="")
    html_path.write_text(html_report(nb, path.name), encoding="utf-8")
    print("", file=out)
    print(f"sparkcoach: ran in {time.monotonic() - t0:.0f} s. The same view as a page: {html_path}", file=out)
    print(f"  Interactive, in JupyterLab (findings inline in the editor, Measure buttons): "
          f"{_jupyter_command()} lab {path}", file=out)
    folder = path.parent
    more = sorted(p.name for p in folder.glob("[0-9][0-9]_*.ipynb") if p.name != path.name)
    if more:
        print(f"  More tutorials in {folder}/: " + ", ".join(more), file=out)
    out.flush()
    return html_path


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_launch(path: Path, display: bool | None = None) -> tuple[list[str], str | None]:
    """``jupyter lab`` arguments for the tutorial, and the URL to print when no browser can be opened.

    With a display, JupyterLab opens the browser on the notebook itself.  Without one it opens none: it is
    given a free port on 127.0.0.1 and a token of ours, so that the URL printed leads to the notebook itself
    (JupyterLab's own banner names only ``/lab``).  Root (a container's usual user) gets ``--allow-root``,
    which JupyterLab refuses to start without."""
    path = path.resolve()
    cwd = Path.cwd().resolve()
    root = cwd if path.is_relative_to(cwd) else path.parent
    argv = ["lab", str(path), f"--ServerApp.root_dir={root}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    if has_display() if display is None else display:
        return argv, None
    import secrets
    from urllib.parse import quote

    port, token = _free_port(), secrets.token_hex(24)
    argv += ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             f"--IdentityProvider.token={token}"]
    return argv, f"http://127.0.0.1:{port}/lab/tree/{quote(path.relative_to(root).as_posix())}?token={token}"


def open_lab(path: Path, out=sys.stdout) -> None:
    """Replace this process with JupyterLab opened on the notebook (Ctrl+C stops it)."""
    jupyter = _jupyter()
    if jupyter is None:
        raise TutorialError("JupyterLab is not installed: pip install 'sparkcoach[lab]'")
    for k, v in _spark_env().items():
        os.environ.setdefault(k, v)  # JupyterLab's kernels inherit them
    argv, url = lab_launch(path)
    if url:
        from urllib.parse import urlsplit

        port = urlsplit(url).port
        print(f"sparkcoach: JupyterLab is starting; open {url}\n"
              f"  (from another machine, forward the port first: ssh -L {port}:127.0.0.1:{port} this-host)",
              file=out, flush=True)
    os.execv(str(jupyter), [str(jupyter), *argv])


def main(path: str | None, headless: bool, html: str | None, out=sys.stdout, lab: bool = False) -> int:
    notebook = Path(path) if path else DEFAULT_NOTEBOOK
    if not notebook.is_file():
        raise TutorialError(f"no such notebook: {notebook}")
    if notebook.suffix != ".ipynb":
        raise TutorialError(f"not a notebook (.ipynb): {notebook}")
    if headless and lab:
        raise TutorialError("--headless and --lab exclude each other")
    if not headless and not lab and not has_display():
        print("sparkcoach: no display to open a browser on, so the notebook runs here and its coaching is printed "
              "(--lab opens JupyterLab anyway and prints its URL)", file=out, flush=True)
        headless = True
    if headless:
        run_headless(notebook, Path(html) if html else None, out=out)
        return 0
    open_lab(notebook, out=out)
    return 0
