"""## What it does
Checks RDD lineages for groupByKey shuffles.  An RDD the cell built or used
whose lineage has a `groupByKey` step (call site "groupByKey at helpers.py:12")
in an imported module or an earlier cell is reported when its groups are then
reduced per key: that code is read from its file and checked like the cell
itself (the static `group-by-key` rule, SPK201), and the finding names the file
and line and gives the `reduceByKey` / `aggregateByKey` rewrite.

## Why is this bad?
`groupByKey` ships every value across the network and holds all values of a key
in one executor's memory before they are reduced; `reduceByKey` and
`aggregateByKey` combine values on the map side first, so only one partial
result per key and partition is shuffled.  Large keys make `groupByKey` spill or
fail with out-of-memory errors.  The call may sit in a helper module the cell
imports, where the notebook's static check does not look.

Left alone: `groupByKey` in the cell itself (the static check SPK201 sees that
code and reports it there), groups that are kept whole (`mapValues(list)`), and
call sites whose source cannot be read.

## Example
```python
# helpers.py
def totals(pairs):
    return pairs.groupByKey().mapValues(sum)

# the notebook cell
counts = helpers.totals(pairs)
```

Use instead:
```python
# helpers.py
def totals(pairs):
    return pairs.reduceByKey(lambda a, b: a + b)
```
"""

from __future__ import annotations

import linecache
import os
import re
from functools import lru_cache

from ...rules.base import lineage_rule

_CALL = re.compile(r"^\s*groupByKey at (.+?):(\d+)\s*$")
_IPYKERNEL = re.compile(r"(ipykernel_\d+[/\\]\d+\.py|<ipython-input-[\w-]+>)$")


def _where(node) -> tuple[str | None, int | None]:
    if node.file is not None and node.line is not None:
        return node.file, node.line
    m = _CALL.match(node.call or "")
    if m:
        return m.group(1), int(m.group(2))
    return node.file, node.line


def _source(path: str) -> str | None:
    """The text of the file (or IPython cell) a call site names, when it can be read."""
    lines = linecache.getlines(path)
    if lines:
        return "".join(lines)
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError, ValueError):
        return None


@lru_cache(maxsize=64)
def _group_by_key_findings(path: str, text: str) -> tuple:
    from ...engine.lint import Settings, lint_file_source

    try:
        found = lint_file_source(text, path, settings=Settings(select=("SPK201",)))
    except Exception:
        return ()
    return tuple(f for f in found if f.code == "SPK201")


def _shown(path: str) -> str:
    if _IPYKERNEL.search(path):
        return "an earlier cell"
    try:
        rel = os.path.relpath(path)
    except ValueError:
        rel = path
    return rel if not rel.startswith("..") else path


@lineage_rule("SPK253", "lineage-group-by-key", "warning")
def lineage_group_by_key(lineage, ctx) -> None:
    seen = set()
    for node in lineage.nodes:
        if not (node.call or "").lstrip().startswith("groupByKey at "):
            continue
        path, line = _where(node)
        if path is None or line is None or (path, line) in seen:
            continue
        seen.add((path, line))
        if path == "<cell>":
            continue  # the cell's own code: the static SPK201 reports it (or rightly leaves it alone)
        text = _source(path)
        if not text:
            continue
        hits = [f for f in _group_by_key_findings(path, text) if f.line <= line <= max(f.end_line, f.line)]
        if not hits:
            continue  # the groups are kept whole, or reduced in a way the static check cannot prove
        where = _shown(path)
        at = f"{where}, line {line}" if where == "an earlier cell" else f"{where}:{line}"
        name = f"`{lineage.name}`" if lineage.name else "this RDD"
        ctx.report(f"{name} is built with a `groupByKey` shuffle at {at}: {hits[0].message}",
                   key=("SPK253", path, line), rdd=node.id)
