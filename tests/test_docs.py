"""Rule documentation: every docstring has its sections, and the README table matches them."""

from __future__ import annotations

import re

import pytest

from sparkcoach import registry
from sparkcoach.docs import with_table
from sparkcoach.rules.base import REQUIRED_SECTIONS

from conftest import ROOT

RULES = registry.all_rules()


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_docstring_has_every_section(rule):
    doc = rule.doc
    for section in REQUIRED_SECTIONS:
        assert section in doc, f"{rule.code} docstring lacks {section!r}"
    example = doc[doc.index("## Example"):]
    assert example.count("```python") >= 2, f"{rule.code}: Example needs a bad and a 'Use instead:' block"
    assert rule.why and rule.summary, rule.code


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_identity(rule):
    assert re.fullmatch(r"SPK\d{3}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.severity in ("error", "warning", "info")
    assert not rule.name.startswith(("no-", "banned"))


def test_names_are_unique():
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))


def test_readme_rule_table_is_in_sync():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == with_table(readme), "README rule table is stale: run `python -m sparkcoach.docs`"


def test_readme_demo_output_is_current(monkeypatch):
    from sparkcoach.docs import demo_output, with_block

    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == with_block(readme, "demo", demo_output(ROOT)), "README demo output is stale: run `python -m sparkcoach.docs`"


def test_readme_tutorial_output_is_current():
    from sparkcoach.docs import tutorial_output, with_block

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = tutorial_output(ROOT)
    assert "SPK201" in block and "Result check: same result" in block, block
    assert readme == with_block(readme, "tutorial", block), \
        "README tutorial output is stale: run `python -m sparkcoach.docs`"


def test_missing_section_fails_the_check():
    from sparkcoach.rules.base import Rule

    def check(node, ctx):
        """## What it does\nSomething.\n"""

    r = Rule("SPK999", "x", "info", (), check)
    assert any(s not in (r.doc or check.__doc__) for s in REQUIRED_SECTIONS)
