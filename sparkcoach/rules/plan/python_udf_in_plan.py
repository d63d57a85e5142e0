"""## What it does
Checks physical plans for Python UDFs.  `BatchEvalPython` (row-at-a-time,
pickled) and `ArrowEvalPython` (Arrow batches) operators are read.  The message names the
UDF and, when the cell's static check (SPK405) found the Spark built-in that
computes the same thing, that built-in with the rewrite; a row-at-a-time UDF
with no built-in equivalent is pointed to Arrow.

## Why is this bad?
A Python UDF runs outside the JVM: every row is serialized, sent to a Python
worker process, evaluated by the interpreter and sent back, and the optimizer
cannot see inside it (no filter pushdown through it, no code generation).  A
built-in function runs inside Spark's generated code and is usually many times
faster.  When Python is needed, Arrow-optimized UDFs (`useArrow=True`) and
`pandas_udf` move data in columnar batches instead of pickled rows.

Left alone: Arrow and pandas UDFs for which no built-in is known (that is
already the fast way to run Python).

## Example
```python
@F.udf(StringType())
def upper_udf(s):
    return s.upper() if s is not None else None

people = df.withColumn("name_uc", upper_udf("name"))
```

Use instead:
```python
people = df.withColumn("name_uc", F.upper("name"))
```
"""

from __future__ import annotations

import re

from ...rules.base import plan_rule
from ._plan import arguments, bracketed, closing_bracket, ident, plan_name

_CALL_HEAD = re.compile(r"([A-Za-z_<][\w<>.]*)\(")


def udf_names(node) -> list[str]:
    """The UDFs an eval node runs: ``BatchEvalPython [upper_udf(name#3)#10, f(g(x#1)#2)#4], ...`` -> names of the
    calls whose result carries an expression id (``...)#10``), outermost first, without repeats."""
    a = arguments(node).strip()
    if not a.startswith("["):
        return []
    listed = bracketed(a, 0)
    names: list[str] = []
    for m in _CALL_HEAD.finditer(listed):
        close = closing_bracket(listed, m.end() - 1)
        if close < 0:
            continue
        if re.match(r"#\d+", listed[close + 1:]) and m.group(1) not in names:
            names.append(m.group(1))
    return names


def builtin_for(name: str, ctx) -> str | None:
    """The static SPK405 finding's advice for the UDF called ``name`` ("is `F.upper`: use `F.upper("name")`")."""
    for f in ctx.static:
        if f.code == "SPK405" and f.message.startswith(f"`{name}` "):
            head = f.message.split(" \u2014 ", 1)[0]
            return head[len(name) + 3:].strip()
    return None


@plan_rule("SPK450", "python-udf-in-plan", "warning", "BatchEvalPython", "ArrowEvalPython")
def python_udf_in_plan(node, ctx) -> None:
    names = [n for n in udf_names(node) if n != "<lambda>"] or udf_names(node)
    if not names:
        return
    batch = node.operator.strip().lstrip("*! ").startswith("BatchEvalPython")
    how = ("row by row (pickled, `BatchEvalPython`)" if batch else "in Arrow batches (`ArrowEvalPython`)")
    for name in names:
        label = "a lambda UDF" if name == "<lambda>" else f"the Python UDF `{name}`"
        advice = builtin_for(name, ctx) if name != "<lambda>" else None
        if advice:
            msg = (f"{plan_name(ctx)} runs {label} {how}, shipping every row to a Python worker and back; "
                   f"it {advice}")
        elif batch:
            msg = (f"{plan_name(ctx)} runs {label} {how}: every row is pickled to a Python worker and back; use a "
                   f"Spark built-in if one does the job, else make it Arrow-optimized (`F.udf(..., useArrow=True)` "
                   f"or `spark.sql.execution.pythonUDF.arrow.enabled`) or a `pandas_udf`")
        else:
            continue
        ctx.report(msg, key=("SPK450", name, ident(node)))
