"""Which DataFrames and RDDs a cell created, rebound or used: a namespace diff plus the names in its code."""

from __future__ import annotations

import ast
import sys

MAX_OBJECTS = 12  # plans captured per cell, at most


def _spark_types() -> tuple:
    if "pyspark" not in sys.modules:
        return ()
    types = []
    try:
        from pyspark.sql import DataFrame

        types.append(DataFrame)
    except Exception:
        pass
    try:
        from pyspark.sql.connect.dataframe import DataFrame as ConnectDataFrame

        types.append(ConnectDataFrame)
    except Exception:
        pass
    try:
        from pyspark import RDD

        types.append(RDD)
    except Exception:
        pass
    return tuple(types)


def snapshot(user_ns: dict) -> dict[str, int]:
    """name -> id(object) for every DataFrame/RDD in the namespace (cheap: no Spark calls)."""
    types = _spark_types()
    if not types:
        return {}
    return {k: id(v) for k, v in list(user_ns.items()) if not k.startswith("_") and isinstance(v, types)}


def lines_of_names(code: str, line_offset: int = 0) -> tuple[dict[str, int], dict[str, int]]:
    """(last assignment line, first use line) per name in the code, in the cell's numbering."""
    assigned: dict[str, int] = {}
    used: dict[str, int] = {}
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return assigned, used
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            line = node.lineno + line_offset
            if isinstance(node.ctx, ast.Store):
                assigned[node.id] = max(assigned.get(node.id, 0), line)
            elif node.id not in used or line < used[node.id]:
                used[node.id] = line
    return assigned, used


ACTIONS = {"collect", "count", "show", "toPandas", "take", "first", "head", "tail", "write", "save", "saveAsTable",
           "insertInto", "foreach", "foreachPartition", "toLocalIterator", "isEmpty", "reduce", "collectAsMap",
           "countByKey", "saveAsTextFile", "display", "writeTo", "checkpoint", "cache", "persist"}


def _grouped_count(call: ast.Call) -> bool:
    """``df.groupBy(k).count()`` is a transformation, not the ``count()`` action."""
    f = call.func
    return (isinstance(f, ast.Attribute) and f.attr == "count" and isinstance(f.value, ast.Call)
            and isinstance(f.value.func, ast.Attribute)
            and f.value.func.attr in ("groupBy", "groupby", "rollup", "cube", "pivot", "groupingSets"))


def intermediates(code: str) -> set[str]:
    """Names the cell assigns and then only feeds into other assignments (``people`` in
    ``joined = people.join(states)``): their plans are inside the later one's, so capturing
    them again would only cost planning time."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set()
    assigned = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    fed, acted = set(), set()
    for stmt in ast.walk(tree):
        if not isinstance(stmt, ast.stmt) or isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        names = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        calls = {n.func.attr for n in ast.walk(stmt) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                 and not _grouped_count(n)}
        if isinstance(stmt, ast.Assign) and not (calls & ACTIONS):
            fed |= names
        elif not isinstance(stmt, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
            acted |= names
    return (assigned & fed) - acted


def touched(before: dict[str, int], user_ns: dict, code: str, line_offset: int = 0) -> list[tuple[str, object, int | None]]:
    """DataFrames/RDDs the cell created or rebound, then those it only used: (name, object, line)."""
    after = snapshot(user_ns)
    assigned, used = lines_of_names(code, line_offset)
    skip = intermediates(code)
    changed = [n for n, i in after.items() if before.get(n) != i and n not in skip]
    only_used = [n for n in after if n not in changed and n in used and n not in skip]
    out = []
    for n in sorted(changed, key=lambda n: assigned.get(n, 10**9)) + sorted(only_used, key=lambda n: used[n]):
        out.append((n, user_ns[n], assigned.get(n) or used.get(n)))
    return out[:MAX_OBJECTS]
