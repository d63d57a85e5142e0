"""## What it does
Checks for `persist(StorageLevel.MEMORY_ONLY)` (and `MEMORY_ONLY_2`, or a
`StorageLevel(False, True, False, ...)` built by hand) on a DataFrame or RDD.

## Why is this bad?
With a memory-only level, cached partitions that do not fit in executor memory
(or are evicted to make room for others) are silently dropped and recomputed
from the source every time they are needed, which can cost more than not
caching at all.  `MEMORY_AND_DISK` keeps the same in-memory speed for what fits
and spills the rest to local disk instead of recomputing it.

`cache()` and `persist()` without a level are not reported: for DataFrames
they use a memory-and-disk level (for RDDs memory-only is Spark's default,
not a level someone chose).

## Example
```python
from pyspark import StorageLevel

events = spark.read.parquet("s3://bucket/events").persist(StorageLevel.MEMORY_ONLY)
```

Use instead:
```python
from pyspark import StorageLevel

events = spark.read.parquet("s3://bucket/events").persist(StorageLevel.MEMORY_AND_DISK)
```

## Fix safety
The fix is safe: only where evicted blocks live changes (local disk instead of
nowhere), never what the data is.
"""

from __future__ import annotations

import ast

from ...engine import values as V
from ...findings import Edit
from ...rules.base import python_rule

# memory-only level -> the level that spills instead of recomputing
SPILLING = {"MEMORY_ONLY": "MEMORY_AND_DISK", "MEMORY_ONLY_2": "MEMORY_AND_DISK_2"}
NOT_SPARK = ("dask", "polars", "ray", "modin", "cudf", "vaex")


def _level_arg(call: ast.Call) -> ast.AST | None:
    if call.args:
        return None if isinstance(call.args[0], ast.Starred) else call.args[0]
    for k in call.keywords:
        if k.arg == "storageLevel":
            return k.value
    return None


def _is_level_name(node: ast.AST, ctx) -> str | None:
    """``StorageLevel.MEMORY_ONLY`` (any import spelling) or an imported ``MEMORY_ONLY``: the level's name."""
    if isinstance(node, ast.Attribute):
        if node.attr not in SPILLING:
            return None
        q = ctx.qualname(node) or ""
        if q.startswith("pyspark") and (q.endswith("StorageLevel." + node.attr)):
            return node.attr
        return None
    if isinstance(node, ast.Name):
        q = ctx.qualname(node) or ""
        if node.id in SPILLING and q.startswith("pyspark") and q.endswith("." + node.id):
            return node.id
        # ``level = StorageLevel.MEMORY_ONLY`` earlier, then ``persist(level)``
        v = ctx.lookup(node.id) if ctx.is_bound(node.id) else None
        if v is not None and v.kind == V.STORAGE and isinstance(v.node, ast.Attribute) and v.node.attr in SPILLING:
            q = ctx.qualname(v.node) or ""
            if q.startswith("pyspark"):
                return v.node.attr
    return None


def _handmade_memory_only(node: ast.AST, ctx) -> ast.Constant | None:
    """``StorageLevel(False, True, False, ...)``: the ``useDisk=False`` constant, or None."""
    if not isinstance(node, ast.Call):
        return None
    q = ctx.qualname(node.func) or ""
    if not (q.startswith("pyspark") and q.endswith("StorageLevel")):
        return None
    if len(node.args) < 3 or node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        return None
    disk, memory, off_heap = node.args[:3]
    if all(isinstance(a, ast.Constant) for a in (disk, memory, off_heap)) and (
            disk.value is False and memory.value is True and off_heap.value is False):
        return disk
    return None


def _receiver_is_spark(call: ast.Call, ctx) -> bool:
    recv = call.func.value  # type: ignore[attr-defined]
    v = ctx.value(recv)
    if v is not None:
        if v.kind not in V.DISTRIBUTED:
            return False
        if v.node is None:  # known only from its name (``df``): not when other frame libraries are around
            imports = ctx.state.imports.values()
            return not any(i.split(".", 1)[0] in NOT_SPARK for i in imports)
    return True  # the level is pyspark's StorageLevel: Spark data whatever we know about the receiver


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@python_rule("SPK502", "memory-only-persist", "warning", ast.Call)
def memory_only_persist(node: ast.Call, ctx) -> None:
    f = node.func
    if not isinstance(f, ast.Attribute) or f.attr != "persist":
        return
    level = _level_arg(node)
    if level is None:
        return
    name = _is_level_name(level, ctx)
    handmade = None if name is not None else _handmade_memory_only(level, ctx)
    if name is None and handmade is None:
        return
    if not _receiver_is_spark(node, ctx):
        return
    recv = _short(ctx.segment(f.value), 40)
    src = ctx.source
    if name is not None:
        new = SPILLING[name]
        if isinstance(level, ast.Attribute):
            line, col, end_line, end_col = src.attr_span(level)
            edit = Edit(line, col, end_line, end_col, new)
            shown = _short(ctx.segment(level.value), 30) + "." + new
        else:
            # an imported ``MEMORY_ONLY`` name or a variable holding the level: name the spilling
            # level at the call, when ``StorageLevel`` itself means pyspark's class here.
            q = ctx.state.imports.get("StorageLevel", "")
            shown = f"StorageLevel.{new}"
            edit = src.replace(level, shown) if q.startswith("pyspark") and q.endswith("StorageLevel") else None
        message = (f"`{recv}.persist({_short(ctx.segment(level), 40)})` drops partitions that do not fit in "
                   f"memory and recomputes them on every use: use `{recv}.persist({shown})` to spill them "
                   f"to disk instead")
    else:
        edit = src.replace(handmade, "True")
        message = (f"`{recv}.persist({_short(ctx.segment(level), 40)})` is memory-only (`useDisk=False`): "
                   f"evicted partitions are recomputed on every use; pass `True` as `useDisk` "
                   f"(or use `StorageLevel.MEMORY_AND_DISK`)")
    fix = None
    if edit is not None:
        fix = ctx.fix("Persist with a level that spills to disk", [edit], safe=True)
    ctx.report(src.method_span(node), message, fix=fix)
