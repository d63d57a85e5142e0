"""``sparkcoach lint|rules|rule|tutorial``: the command line.  Never imports pyspark."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__

SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "env", "node_modules", "__pycache__", ".ipynb_checkpoints",
             ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", "build", "dist"}


class UsageError(Exception):
    """Bad input or usage: one line on stderr, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sparkcoach", description="A Spark optimization coach: lint PySpark code and notebooks.")
    p.add_argument("--version", action="version", version=f"sparkcoach {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    lint = sub.add_parser("lint", help="lint .py files, .ipynb notebooks and directories")
    lint.add_argument("paths", nargs="+", metavar="PATH")
    lint.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    lint.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    lint.add_argument("--diff", action="store_true", help="print the fixes as a diff; change nothing")
    lint.add_argument("--unsafe-fixes", action="store_true", help="also apply (or show) unsafe fixes")
    lint.add_argument("--select", action="append", default=[], metavar="CODES",
                      help="only these rule codes or prefixes (comma-separated)")
    lint.add_argument("--ignore", action="append", default=[], metavar="CODES",
                      help="skip these rule codes or prefixes (comma-separated)")
    lint.add_argument("--no-config", action="store_true", help="ignore [tool.sparkcoach] in pyproject.toml")
    lint.add_argument("--show-fixes", action="store_true", help="text format: print each finding's why and fix")
    lint.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    rules = sub.add_parser("rules", help="list the rule catalogue")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    rule = sub.add_parser("rule", help="print one rule's documentation")
    rule.add_argument("code")
    tut = sub.add_parser("tutorial", help="open a tutorial notebook in JupyterLab, or run it headless and print "
                                           "the coaching")
    tut.add_argument("notebook", nargs="?", default=None, help="default: notebooks/01_first_steps.ipynb")
    tut.add_argument("--headless", action="store_true",
                     help="run the notebook with a real kernel and print the findings, rewrites and timings "
                          "(automatic when there is no display)")
    tut.add_argument("--lab", action="store_true",
                     help="open JupyterLab even without a display (it prints the URL to open)")
    tut.add_argument("--html", metavar="PATH", help="where to write the HTML copy (default: <notebook>.coaching.html)")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.command == "lint":
            return _lint(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "rule":
            return _rule(args)
        if args.command == "tutorial":
            return _tutorial(args)
        raise UsageError("missing command: use 'sparkcoach lint PATH...', 'sparkcoach rules', 'sparkcoach rule CODE' "
                         "or 'sparkcoach tutorial'")
    except UsageError as exc:
        print(f"sparkcoach: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def run() -> None:
    """Console entry point: like ``main``, then exit at once.

    Tearing down the interpreter (the syntax trees, sqlglot's modules) takes longer
    than many lint runs; everything is flushed, and nothing else needs cleaning up.
    """
    import gc

    gc.disable()  # the run allocates many long-lived objects and frees nothing worth collecting
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    os._exit(code)


# --- tutorial -----------------------------------------------------------------------

def _tutorial(args) -> int:
    from . import tutorial

    try:
        return tutorial.main(args.notebook, args.headless, args.html, lab=args.lab)
    except tutorial.TutorialError as exc:
        raise UsageError(str(exc)) from None
    except ImportError as exc:
        raise UsageError(f"the tutorial needs JupyterLab and Spark: pip install 'sparkcoach[spark,lab]' ({exc})") from None


# --- rules --------------------------------------------------------------------------

def _rules(args) -> int:
    from . import registry

    rules = registry.all_rules()
    if args.format == "json":
        import json

        print(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity, "status": registry.status(r.code),
                           "summary": r.summary, "why": r.why} for r in rules], indent=2))
        return 0
    width = max(len(r.name) for r in rules)
    for r in rules:
        print(f"{r.code}  {r.name:<{width}}  {r.severity:<7}  {r.summary}")
    return 0


def _rule(args) -> int:
    from . import registry

    r = registry.by_name_or_code(args.code)
    if r is None:
        raise UsageError(f"unknown rule {args.code!r} (see 'sparkcoach rules')")
    print(f"# {r.code} {r.name}\n\nSeverity: {r.severity}. Status: {registry.status(r.code)}.\n")
    print(r.doc)
    return 0


# --- lint ---------------------------------------------------------------------------

def _split_codes(values: list[str]) -> tuple[str, ...]:
    out = []
    for v in values:
        out.extend(c.strip().upper() for c in v.split(",") if c.strip())
    return tuple(out)


def _check_codes(codes: tuple[str, ...], where: str) -> None:
    from . import registry

    known = list(registry.RULES) + [registry.SYNTAX_ERROR[0]]
    for c in codes:
        if not any(k.startswith(c) for k in known):
            raise UsageError(f"unknown rule code or prefix {c!r} in {where}")


def _collect(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise UsageError(f"{raw}: no such file or directory")
        if p.is_dir():
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                for n in sorted(names):
                    if n.endswith((".py", ".ipynb")):
                        files.append(Path(root) / n)
        elif p.suffix in (".py", ".ipynb"):
            files.append(p)
        else:
            raise UsageError(f"{raw}: not a .py file, .ipynb notebook or directory")
    seen = set()
    out = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def _write_atomic(path: Path, text: str) -> None:
    mode = path.stat().st_mode
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=f".{path.name}.", suffix=".sparkcoach")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@dataclass
class _FileResult:
    path: Path
    findings: list = field(default_factory=list)
    new_text: str | None = None  # after fixes
    diffs: list[str] = field(default_factory=list)
    fixed: int = 0


def _lint_file(path: Path, settings, want_fixes: bool, unsafe: bool) -> _FileResult:
    from .engine.lint import file_source_parses, lint_cells, lint_file_source
    from .fixes import apply_fixes

    text = _read(path)
    shown = str(path)
    res = _FileResult(path)
    if path.suffix == ".ipynb":
        from .notebook import NotebookError, parse_notebook, replace_cell_sources

        try:
            nb = parse_notebook(text)
        except NotebookError as exc:
            raise UsageError(f"{path}: {exc}") from None
        if nb.language not in (None, "python", "python3", "ipython", "ipython3"):
            return res
        sources = [s for _, s in nb.code_cells]
        res.findings = lint_cells(sources, shown, settings=settings)
        if want_fixes and nb.nbformat < 4:
            print(f"sparkcoach: note: {path} is an nbformat {nb.nbformat} notebook: fixes are not applied to it "
                  f"(upgrade it with `jupyter nbconvert --to notebook --nbformat 4`)", file=sys.stderr)
        elif want_fixes:
            from .engine.cells import cell_to_python

            new_sources = {}
            for k, (nb_index, src) in enumerate(nb.code_cells):
                mine = [f for f in res.findings if f.cell == k]
                if not any(f.fix for f in mine):
                    continue
                new_src, applied = apply_fixes(src, mine, unsafe=unsafe, parses=_cell_parses(cell_to_python))
                if applied and new_src != src:
                    new_sources[nb_index] = new_src
                    res.fixed += len(applied)
                    res.diffs.append("".join(difflib.unified_diff(
                        src.splitlines(keepends=True), new_src.splitlines(keepends=True),
                        f"{shown}[cell {k + 1}]", f"{shown}[cell {k + 1}]")))
            if new_sources:
                try:
                    res.new_text = replace_cell_sources(nb, new_sources)
                except NotebookError as exc:
                    raise UsageError(f"{path}: {exc}") from None
    else:
        res.findings = lint_file_source(text, shown, settings=settings)
        if want_fixes:
            new_text, applied = apply_fixes(text, res.findings, unsafe=unsafe, parses=file_source_parses)
            if applied and new_text != text:
                res.new_text = new_text
                res.fixed = len(applied)
                res.diffs.append("".join(difflib.unified_diff(
                    text.splitlines(keepends=True), new_text.splitlines(keepends=True), shown, shown)))
    return res


def _cell_parses(to_python):
    import ast
    import warnings

    def parses(text: str) -> bool:
        code = to_python(text)
        if code.python is None:
            return False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(code.python)
            return True
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return False

    return parses


def _lint(args) -> int:
    from . import output, registry
    from .config import ConfigError, load
    from .engine.lint import Settings

    select = _split_codes(args.select)
    ignore = _split_codes(args.ignore)
    _check_codes(select, "--select")
    _check_codes(ignore, "--ignore")
    if not args.no_config:
        try:
            conf, conf_path = load(Path(args.paths[0]) if Path(args.paths[0]).exists() else Path.cwd())
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        if conf:
            _check_codes(conf.get("select", ()), str(conf_path))
            _check_codes(conf.get("ignore", ()) + conf.get("extend-ignore", ()), str(conf_path))
        if not select:
            select = conf.get("select", ())
        ignore = ignore + conf.get("ignore", ()) + conf.get("extend-ignore", ())
    settings = Settings(select=select, ignore=ignore)
    files = _collect(args.paths)
    want_fixes = args.fix or args.diff
    results = []
    errors = []
    for path in files:
        try:
            results.append(_lint_file(path, settings, want_fixes, args.unsafe_fixes))
        except UsageError as exc:
            errors.append(str(exc))
    if args.diff:
        for r in results:
            for d in r.diffs:
                sys.stdout.write(d if d.endswith("\n") else d + "\n")
    fixed = 0
    if args.fix:
        for r in results:
            if r.new_text is not None:
                _write_atomic(r.path, r.new_text)
                fixed += r.fixed
                # What remains after fixing is what we report.
                again = _lint_file(r.path, settings, False, False)
                r.findings = again.findings
    findings = [f for r in results for f in r.findings]
    if not args.diff:
        if args.format == "json":
            sys.stdout.write(output.as_json(findings))
        elif args.format == "sarif":
            sys.stdout.write(output.sarif(findings, registry.selected(settings.select, settings.ignore)))
        else:
            sys.stdout.write(output.text(findings, show_fixes=args.show_fixes))
    if args.fix and fixed:
        print(f"sparkcoach: fixed {fixed} finding{'s' if fixed != 1 else ''}.", file=sys.stderr)
    for e in errors:
        print(f"sparkcoach: error: {e}", file=sys.stderr)
    if errors:
        return 2
    if args.exit_zero:
        return 0
    if args.diff:
        return 1 if any(r.diffs for r in results) else 0
    return 1 if findings else 0
