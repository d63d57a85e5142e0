"""What a rule is: a code, a name, a severity, the node types it wants and a check.

A rule module's docstring is its documentation, in the sections
``## What it does``, ``## Why is this bad?``, ``## Example`` (with a
"Use instead:" block) and optionally ``## Fix safety``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Callable

REQUIRED_SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "Use instead:")


@dataclass(frozen=True, eq=False)
class Rule:
    code: str
    name: str
    severity: str
    targets: tuple  # ast node types (Python rules) or sqlglot class names (SQL rules)
    check: Callable
    kind: str = "python"  # "python" | "sql" | "plan" | "lineage" | "runtime"

    def __call__(self, *args, **kwargs):
        return self.check(*args, **kwargs)

    @property
    def doc(self) -> str:
        module = sys.modules.get(self.check.__module__)
        return (module.__doc__ or "").strip() if module else ""

    @property
    def why(self) -> str:
        """The first sentence of the "Why is this bad?" section: the one-line why."""
        return first_sentence(section(self.doc, "## Why is this bad?"))

    @property
    def summary(self) -> str:
        """The first sentence of "What it does"."""
        return first_sentence(section(self.doc, "## What it does"))


def section(doc: str, heading: str) -> str:
    start = doc.find(heading)
    if start < 0:
        return ""
    start += len(heading)
    end = doc.find("\n## ", start)
    return doc[start : end if end >= 0 else len(doc)].strip()


_SENTENCE = re.compile(r"(.+?[.!?])(\s|$)", re.S)


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    m = _SENTENCE.match(text)
    return (m.group(1) if m else text).strip()


def python_rule(code: str, name: str, severity: str, *targets: type) -> Callable[[Callable], Rule]:
    """Declare a rule over Python syntax: ``@python_rule("SPK201", "group-by-key", "warning", ast.Call)``."""

    def wrap(fn: Callable) -> Rule:
        return Rule(code, name, severity, tuple(targets), fn, "python")

    return wrap


def sql_rule(code: str, name: str, severity: str, *targets: str) -> Callable[[Callable], Rule]:
    """Declare a rule over a parsed SQL tree; targets are sqlglot expression class names."""

    def wrap(fn: Callable) -> Rule:
        return Rule(code, name, severity, tuple(targets), fn, "sql")

    return wrap


def plan_rule(code: str, name: str, severity: str, *operators: str) -> Callable[[Callable], Rule]:
    """Declare a rule over a captured physical plan; targets are operator names
    (``PlanNode.operator``, e.g. "SortMergeJoin"); the check gets ``(node, ctx)``."""

    def wrap(fn: Callable) -> Rule:
        return Rule(code, name, severity, tuple(operators), fn, "plan")

    return wrap


def lineage_rule(code: str, name: str, severity: str) -> Callable[[Callable], Rule]:
    """Declare a rule over one captured RDD lineage; the check gets ``(lineage, ctx)``."""

    def wrap(fn: Callable) -> Rule:
        return Rule(code, name, severity, (), fn, "lineage")

    return wrap


def runtime_rule(code: str, name: str, severity: str) -> Callable[[Callable], Rule]:
    """Declare a rule over the jobs a cell ran; the check gets ``(stage, ctx)`` for every stage."""

    def wrap(fn: Callable) -> Rule:
        return Rule(code, name, severity, (), fn, "runtime")

    return wrap
