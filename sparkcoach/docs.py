"""Generated documentation: the README's rule table (from the rule docstrings), the lint demo output and
the tutorial's coaching (what ``./dev start`` prints, from the committed notebook 1's outputs).

``python -m sparkcoach.docs`` rewrites these blocks in README.md in place.
"""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stdout
from pathlib import Path

DEMO_NOTEBOOK = "examples/first_steps.ipynb"
TUTORIAL_NOTEBOOK = "notebooks/01_first_steps.ipynb"


def rule_table() -> str:
    from . import registry

    rows = ["| Code | Name | Severity | What it catches |", "| --- | --- | --- | --- |"]
    for r in registry.all_rules():
        rows.append(f"| {r.code} | `{r.name}` | {r.severity} | {r.summary.replace('|', '&#124;')} |")
    return "\n".join(rows)


def demo_output(root: Path) -> str:
    from .cli import main

    buf = io.StringIO()
    with redirect_stdout(buf):
        main(["lint", "--no-config", DEMO_NOTEBOOK] if Path(DEMO_NOTEBOOK).exists() else
             ["lint", "--no-config", str(root / DEMO_NOTEBOOK)])
    return buf.getvalue().rstrip("\n")


def tutorial_output(root: Path) -> str:
    """The coaching ``sparkcoach tutorial --headless`` prints for notebook 1, read from the outputs the
    committed copy was saved with (a real run by notebooks/build.py; tests/test_notebooks.py keeps it fresh)."""
    import json

    from .tutorial import text_report

    path = root / TUTORIAL_NOTEBOOK
    nb = json.loads(path.read_text(encoding="utf-8"))
    return text_report(nb, path.name).rstrip("\n")


def with_block(readme: str, name: str, content: str) -> str:
    start_tag, end_tag = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    start, end = readme.index(start_tag) + len(start_tag), readme.index(end_tag)
    return readme[:start] + "\n" + content + "\n" + readme[end:]


def with_table(readme: str) -> str:
    return with_block(readme, "rules", rule_table())


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    text = path.read_text(encoding="utf-8")
    root = path.resolve().parent
    new = with_block(with_block(with_table(text), "demo", demo_output(root)), "tutorial", tutorial_output(root))
    if new != text:
        path.write_text(new, encoding="utf-8")
        print(f"updated {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
