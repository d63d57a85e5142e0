"""Shared test helpers: expected findings from fixture comments, and fix proofs on real Spark."""

from __future__ import annotations

import math
from contextlib import contextmanager
import re
import textwrap
from pathlib import Path

from sparkcoach.engine.lint import Settings, lint_source
from sparkcoach.fixes import apply_fixes

# A notebook's first cell: a local Spark session on loopback, quiet (for tests that run real kernels).
KERNEL_SPARK_SETUP = """from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").config("spark.sql.shuffle.partitions", "4")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.ui.showConsoleProgress", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
sc = spark.sparkContext"""
EXPECT = re.compile(r"#\s*(SPK\d{3})(?::\s*(\d+))?")


def expected_findings(text: str) -> list[tuple[int, str, int | None]]:
    """``x.collect()  # SPK101`` or ``# SPK101: 5`` (with the 1-based column)."""
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        if "#" not in line:
            continue
        comment = line[line.index("#"):] if not line.lstrip().startswith("#") else line
        for m in EXPECT.finditer(comment):
            out.append((i, m.group(1), int(m.group(2)) if m.group(2) else None))
    return sorted(out, key=lambda t: (t[0], t[1]))


def actual_findings(text: str, path: str = "fixture.py", **kw):
    return lint_source(text, path, **kw)


def normalize(value):
    """Compare results order-independently: DataFrames and RDDs become sorted row tuples."""
    try:
        from pyspark.sql import DataFrame
        from pyspark import RDD
    except ImportError:  # pragma: no cover
        DataFrame = RDD = ()  # type: ignore
    if isinstance(value, DataFrame):
        return sorted((_norm(tuple(r)) for r in value.collect()), key=repr)
    if isinstance(value, RDD):
        return sorted((_norm(r) for r in value.collect()), key=repr)
    if isinstance(value, dict):
        return sorted(((_norm(k), _norm(v)) for k, v in value.items()), key=repr)
    if isinstance(value, (list, tuple, set)):
        return sorted((_norm(v) for v in value), key=repr)
    return _norm(value)


def _norm(v):
    if isinstance(v, float):
        return round(v, 6) if math.isfinite(v) else v
    if isinstance(v, (list, tuple)):
        return tuple(_norm(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted(((_norm(k), _norm(x)) for k, x in v.items()), key=repr))
    if hasattr(v, "asDict"):
        return _norm(tuple(v))
    return v


def prove_fix(spark, code: str, source: str, *, unsafe: bool = False, result: str = "result") -> str:
    """Lint ``source``, apply ``code``'s fixes, run original and fixed on real Spark, compare ``result``.

    Returns the fixed source so the test can also check what the rewrite looks like.
    """
    source = textwrap.dedent(source)
    findings = [f for f in lint_source(source, "proof.py", settings=Settings(select=(code,))) if f.fix]
    assert findings, f"{code} produced no fix for:\n{source}"
    fixed, applied = apply_fixes(source, findings, unsafe=unsafe)
    assert applied and fixed != source, f"{code}: no fix applied"
    before = _run(spark, source)[result]
    after = _run(spark, fixed)[result]
    assert normalize(before) == normalize(after), f"{code}: results differ\n--- original\n{source}\n--- fixed\n{fixed}"
    return fixed


def _run(spark, source: str) -> dict:
    ns = {"spark": spark, "sc": spark.sparkContext, "__name__": "__proof__"}
    exec(compile(source, "<proof>", "exec"), ns)
    return ns


def fixture_files(kind: str = "python") -> list[Path]:
    return sorted((Path(__file__).parent / "fixtures" / kind).glob("*.py"))


@contextmanager
def spark_conf(spark, keys: dict):
    """Runtime settings for one test (``{"spark.sql.x": "1"}``), put back afterwards."""
    old = {k: spark.conf.get(k, None) for k in keys}
    try:
        for k, v in keys.items():
            spark.conf.set(k, v)
        yield
    finally:
        for k, v in old.items():
            if v is None:
                spark.conf.unset(k)
            else:
                spark.conf.set(k, v)


def clean_copy(dest: Path) -> None:
    """The checkout as a fresh clone of it would be, plus new untracked files git does not ignore
    (no .venv, node_modules or build outputs)."""
    import shutil
    import subprocess

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                          cwd=root, capture_output=True, text=True, check=True)
    for name in filter(None, proc.stdout.split("\0")):
        src = root / name
        if src.is_file():  # a tracked file deleted in the working tree is skipped
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def run(ip, code: str):
    """Run a cell as a notebook would; returns (ExecutionResult, captured output)."""
    from IPython.utils.capture import capture_output

    with capture_output() as out:
        result = ip.run_cell(code, store_history=True)
    return result, out


# --- the README's Binder badge -------------------------------------------------------

_ROOT = Path(__file__).resolve().parent.parent
BADGE = re.compile(r"\[!\[[^\]]*\]\(https://mybinder\.org/badge_logo\.svg\)\]\((?P<url>[^)\s]+)\)")


def binder_link() -> str:
    """The README badge's link (the one Binder link the README gives)."""
    readme = (_ROOT / "README.md").read_text(encoding="utf-8")
    found = BADGE.findall(readme)
    assert len(found) == 1, f"expected one Binder badge in README.md, found {len(found)}"
    return found[0]


def badge_notebook_path() -> str:
    """The notebook path the badge opens in JupyterLab (``urlpath=lab/tree/<path>``)."""
    from urllib.parse import parse_qs, urlsplit

    urlpath = parse_qs(urlsplit(binder_link()).query)["urlpath"]
    assert len(urlpath) == 1 and urlpath[0].startswith("lab/tree/"), urlpath
    return urlpath[0].removeprefix("lab/tree/")
