"""The result check: does the rewrite compute what the original computed?

``fingerprint(value)`` summarizes a value a cell left behind so that two runs can be compared:

- a DataFrame by its columns, its row count and an order-independent checksum (the sum of
  ``xxhash64`` of each row), both observed in ONE Spark action (a no-op write, so nothing is
  collected and no shuffle is added: one job when the DataFrame's own plan has no shuffle);
  floating-point and decimal values are rounded first, so that sums re-associated by a
  different plan do not count as a different result;
- an RDD by its element count and the sum of a CRC-32 of each element's normalized form, in one job;
- a driver-side value (numbers, strings, lists, dicts, Rows, pandas and numpy values ...) by
  its normalized content.

``compare`` says whether two fingerprints are the same result and, in one line, how they
differ; ``compare_namespaces`` does it for every name the original cell binds.  pyspark is
imported only inside the functions that need it.

>>> bound_names("import os\\nx, (y, z) = 1, (2, 3)\\nfor i in range(3):\\n    total = i\\ndef f(): pass")
['x', 'y', 'z', 'i', 'total']
>>> compare(fingerprint([1, 2.0, "a"]), fingerprint(["a", 1, 2]))
(True, 'same rows, in a different order')
>>> compare(fingerprint({"n": 3}), fingerprint({"n": 4}))
(False, "key 'n': 3 vs 4")
"""

from __future__ import annotations

import ast
import datetime
import math
import uuid
from dataclasses import dataclass
from decimal import Decimal

_MISSING = object()
DIGITS = 6  # decimal places kept of floating-point columns (then stored as float: about 7 significant digits)
REL, ABS = 1e-9, 1e-12  # tolerance for driver-side floats
REORDERED = "same rows, in a different order"
INTEGRAL = {"tinyint", "smallint", "int", "bigint"}
HASHABLE = {"string", "binary", "boolean", "date", "timestamp", "timestamp_ntz"}


@dataclass(frozen=True)
class Fingerprint:
    kind: str  # "DataFrame", "RDD" or "value"
    count: int | None = None  # rows of a DataFrame, elements of an RDD
    checksum: int | None = None  # order-independent; None for an empty DataFrame
    columns: tuple[tuple[str, str], ...] = ()  # a DataFrame's (name, simple type string)
    value: object = None  # a driver-side value, normalized
    unordered: object = None  # a list's or tuple's items in a canonical order


@dataclass(frozen=True)
class _Node:
    """A normalized container: tag ("list", "Row", "pandas DataFrame" ...), what shapes it
    (field names, columns, array shape), and its normalized items."""

    tag: str
    meta: tuple
    items: tuple


class _NotComparable(Exception):
    pass


# -- names a cell binds ---------------------------------------------------------------------------

def bound_names(code: str) -> list[str]:
    """The names the cell's top-level code binds, in first-binding order (not functions, classes,
    imports, nor names local to comprehensions)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    found: dict[str, None] = {}
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
              ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

    def visit(node: ast.AST) -> None:
        if isinstance(node, scopes):
            return
        if isinstance(node, ast.AnnAssign) and node.value is None:
            return  # `x: int` binds nothing
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.setdefault(node.id)
        children = list(ast.iter_child_nodes(node))
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
            children.remove(node.value)
            children.insert(0, node.value)  # the value is evaluated (and its walruses bound) first
        for child in children:
            visit(child)

    visit(tree)
    return list(found)


# -- fingerprints ---------------------------------------------------------------------------------

def spark_kind(obj) -> str | None:
    """"df" for a Spark DataFrame (classic or Connect; not pandas-on-Spark), "rdd" for an RDD, else None."""
    t = type(obj)
    module = t.__module__ or ""
    if t.__name__ == "DataFrame" and module.startswith("pyspark.sql"):
        return "df"
    if t.__name__ in ("RDD", "PipelinedRDD") and module.startswith("pyspark"):
        return "rdd"
    return None


def fingerprint(value) -> Fingerprint | None:
    """What to compare of ``value``; None for values not worth comparing (modules, functions,
    sessions, Columns, broadcasts, streaming DataFrames, objects of unknown types ...).
    DataFrames and RDDs start one Spark action; errors from it propagate."""
    t = type(value)
    if (t.__module__ or "").startswith("pyspark"):
        kind = spark_kind(value)
        if kind == "df":
            return _dataframe(value)
        if kind == "rdd":
            return _rdd(value)
        if t.__name__ != "Row":
            return None
    try:
        norm = _norm(value)
    except (_NotComparable, RecursionError):
        return None
    unordered = None
    if isinstance(norm, _Node) and (norm.tag in ("list", "tuple", "pandas DataFrame", "pandas Series")
                                    or norm.tag == "ndarray" and len(norm.meta[0]) == 1):
        unordered = tuple(sorted(norm.items, key=_canon))
    return Fingerprint("value", value=norm, unordered=unordered)


def _dataframe(df) -> Fingerprint | None:
    if df.isStreaming:
        return None
    dtypes = df.dtypes
    cols = [f"c{i}" for i in range(len(dtypes))]
    if type(df).__module__.startswith("pyspark.sql.connect"):
        from pyspark.sql.connect.functions import expr
        from pyspark.sql.connect.observation import Observation
    else:
        from pyspark.sql.functions import expr
        from pyspark.sql.observation import Observation
    metrics = [expr("count(1)").alias("n")]
    if cols:
        hashed = ", ".join(_normalized(c, t) for c, (_, t) in zip(cols, dtypes))
        metrics.append(expr(f"sum(cast(xxhash64({hashed}) as decimal(38,0)))").alias("s"))
    obs = Observation(f"sparkcoach_fingerprint_{uuid.uuid4().hex}")
    df.toDF(*cols).observe(obs, *metrics).write.format("noop").mode("overwrite").save()
    got = obs.get
    s = got.get("s")
    return Fingerprint("DataFrame", count=int(got["n"]), checksum=None if s is None else int(s),
                       columns=tuple((name, t) for name, t in dtypes))


def _normalized(col: str, t: str) -> str:
    """The SQL expression hashed for a column of simple type string ``t``: integers widened,
    floating-point and decimal values rounded (-0.0 made 0.0), maps and variants as JSON."""
    if t in INTEGRAL:
        return f"cast({col} as bigint)"
    if t in ("float", "double") or t.startswith("decimal"):
        return f"(cast(round(cast({col} as double), {DIGITS}) as float) + cast(0 as float))"
    if "map<" in t or "variant" in t:
        return f"to_json({col})"
    if t in HASHABLE or t.startswith(("struct<", "array<", "char(", "varchar(")):
        return col
    return f"cast({col} as string)"


def _rdd(rdd) -> Fingerprint:
    parts = rdd.mapPartitions(_rdd_summary()).collect()
    return Fingerprint("RDD", count=sum(n for n, _ in parts), checksum=sum(s for _, s in parts))


def _rdd_summary():
    """The per-partition (count, checksum) function.  Everything it uses is defined in here, so
    that cloudpickle ships it by value: executors need not have sparkcoach installed."""

    def canon(x) -> str:
        if type(x).__module__ == "numpy" and hasattr(x, "tolist"):
            x = x.tolist()  # numpy scalars and arrays as Python values
        if x is None or isinstance(x, bool):
            return repr(x)
        if type(x).__name__ == "Decimal":
            x = float(x)
        if isinstance(x, int):
            return f"n{x}"
        if isinstance(x, float):
            if x != x:
                return "nan"
            if x.is_integer() and abs(x) < 2**53:
                return f"n{int(x)}"
            return "n" + format(x, ".9g")
        if isinstance(x, str):
            return "s" + repr(x)
        if isinstance(x, (bytes, bytearray)):
            return "b" + bytes(x).hex()
        if isinstance(x, (list, tuple)):
            return "[" + ",".join(canon(i) for i in x) + "]"
        if type(x).__name__ == "ResultIterable":
            return "[" + ",".join(sorted(canon(i) for i in x)) + "]"
        if isinstance(x, (set, frozenset)):
            return "{" + ",".join(sorted(canon(i) for i in x)) + "}"
        if isinstance(x, dict):
            return "<" + ",".join(sorted(canon(k) + ":" + canon(v) for k, v in x.items())) + ">"
        text = repr(x)
        return type(x).__name__ if " at 0x" in text else "o" + text

    def summarize(rows):
        import zlib

        n = s = 0
        for x in rows:
            n += 1
            s += zlib.crc32(canon(x).encode("utf-8", "surrogatepass"))
        yield n, s

    return summarize


def _norm(v):
    """A driver-side value in a comparable form; raises _NotComparable for unknown types."""
    if v is None or isinstance(v, (bool, int, str, bytes, datetime.date, datetime.time, datetime.timedelta)):
        return v
    if isinstance(v, float):
        return v
    if isinstance(v, Decimal):
        return float(v)
    t = type(v)
    module, name = t.__module__ or "", t.__name__
    if module == "numpy":
        if name == "ndarray":
            return _Node("ndarray", (tuple(v.shape),), tuple(_norm(x) for x in v.ravel().tolist()))
        if hasattr(v, "item"):
            return _norm(v.item())
    if module.startswith("pandas"):
        return _pandas(v, name)
    if isinstance(v, tuple) and hasattr(v, "__fields__") and name == "Row":
        return _Node("Row", (tuple(v.__fields__),), tuple(_norm(x) for x in v))
    if isinstance(v, (list, tuple)):
        return _Node("list" if isinstance(v, list) else "tuple", (), tuple(_norm(x) for x in v))
    if isinstance(v, (set, frozenset)):
        return _Node("set", (), tuple(sorted((_norm(x) for x in v), key=_canon)))
    if isinstance(v, dict):
        pairs = ((_norm(k), _norm(x)) for k, x in v.items())
        return _Node("dict", (), tuple(sorted(pairs, key=lambda p: _canon(p[0]))))
    raise _NotComparable(name)


def _pandas(v, name: str):
    import pandas as pd

    if v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, (pd.DataFrame, pd.Series)):
        default = isinstance(v.index, pd.RangeIndex) and v.index.start == 0 and v.index.step == 1
        index = [()] * len(v) if default else [(_norm(i),) for i in v.index.tolist()]
        if isinstance(v, pd.DataFrame):
            rows = (tuple(_norm(x) for x in r) for r in v.itertuples(index=False, name=None))
            meta = (tuple(str(c) for c in v.columns),)
            return _Node("pandas DataFrame", meta, tuple(_Node("row", (), i + r) for i, r in zip(index, rows)))
        meta = (str(v.name),) if v.name is not None else ()
        items = tuple(_Node("row", (), i + (_norm(x),)) if i else _norm(x) for i, x in zip(index, v.tolist()))
        return _Node("pandas Series", meta, items)
    raise _NotComparable(name)


def _canon(x) -> str:
    """A sort key for normalized values: floats to 9 significant digits."""
    if isinstance(x, _Node):
        return f"{x.tag}{x.meta!r}(" + ",".join(_canon(i) for i in x.items) + ")"
    if isinstance(x, tuple):
        return "(" + ",".join(_canon(i) for i in x) + ")"
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        x = int(x)
    if isinstance(x, float):
        return "#nan" if x != x else "#" + format(x, ".9g")
    if isinstance(x, int) and not isinstance(x, bool):
        return f"#{x}"
    return f"{type(x).__name__}:{x!r}"


# -- comparison -----------------------------------------------------------------------------------

def compare(a: Fingerprint | None, b: Fingerprint | None) -> tuple[bool, str | None]:
    """(same result, how they differ).  A list with the same items in another order is the same,
    with the note REORDERED as the second value."""
    if a is None or b is None or a.kind != b.kind:
        if a is None and b is None:
            return True, None
        return False, f"{_what(a)} vs {_what(b)}"
    if a.kind == "DataFrame":
        names_a, names_b = [n for n, _ in a.columns], [n for n, _ in b.columns]
        if names_a != names_b:
            return False, f"columns [{', '.join(names_a)}] vs [{', '.join(names_b)}]"
        for (name, ta), (_, tb) in zip(a.columns, b.columns):
            if _family(ta) != _family(tb):
                return False, f"column `{name}` is {ta} vs {tb}"
    if a.kind in ("DataFrame", "RDD"):
        unit = "row" if a.kind == "DataFrame" else "element"
        if a.count != b.count:
            return False, f"{unit} count {a.count:,} vs {b.count:,}"
        if a.checksum != b.checksum:
            return False, f"same {unit} count ({a.count:,}), different {unit}s (checksum differs)"
        return True, None
    if _close(a.value, b.value):
        return True, None
    if a.unordered is not None and b.unordered is not None and _same_kind(a.value, b.value) \
            and _close(a.unordered, b.unordered):
        return True, REORDERED
    return False, _diff(a.value, b.value)


def compare_namespaces(before_names: list[str], a: dict, b: dict, last_a=_MISSING,
                       last_b=_MISSING) -> tuple[bool, str | None, list[str]]:
    """Compare the values the original binds (``before_names``, found in ``a``, the original's
    namespace after a run) with the rewrite's (``b``), then the cells' last-expression values.
    Returns (same, the first difference, notes).  Values that cannot be compared are skipped."""
    notes: list[str] = []
    pairs = [(f"`{n}`", a[n], b.get(n, _MISSING)) for n in before_names if n in a]
    if last_a is not _MISSING:
        pairs.append(("the cell's value", last_a, last_b))
    for label, va, vb in pairs:
        if va is vb:
            continue
        try:
            fa = fingerprint(va)
        except Exception as e:  # noqa: BLE001 - the original's value cannot be computed: nothing to check
            notes.append(f"{label} was not checked: {_one_line(e)}")
            continue
        if fa is None:
            continue
        if vb is _MISSING:
            return False, f"{label} is missing from the rewrite", notes
        try:
            fb = fingerprint(vb)
        except Exception as e:  # noqa: BLE001
            return False, f"{label} fails in the rewrite: {_one_line(e)}", notes
        same, how = compare(fa, fb)
        if not same:
            return False, f"{label}: {how}", notes
        if how:
            notes.append(f"{label}: {how}")
    return True, None, notes


def _family(t: str) -> str:
    if t in INTEGRAL:
        return "integer"
    if t in ("float", "double") or t.startswith("decimal"):
        return "fractional"
    return t


def _same_kind(a, b) -> bool:
    return isinstance(a, _Node) and isinstance(b, _Node) and (a.tag, a.meta) == (b.tag, b.meta)


def _close(a, b) -> bool:
    if isinstance(a, _Node) or isinstance(b, _Node):
        return _same_kind(a, b) and len(a.items) == len(b.items) and all(map(_close, a.items, b.items))
    if isinstance(a, tuple) and isinstance(b, tuple):  # the pairs of a dict, the rows of an unordered form
        return len(a) == len(b) and all(map(_close, a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=REL, abs_tol=ABS)
    return type(a) is type(b) and a == b


def _diff(a, b) -> str:
    """One line: where ``a`` and ``b`` (normalized, known to differ) first differ."""
    if not (isinstance(a, _Node) and isinstance(b, _Node)):
        if isinstance(a, _Node) or isinstance(b, _Node):
            return f"{_describe(a)} vs {_describe(b)}"
        return f"value {_show(a)} vs {_show(b)}"
    if a.tag != b.tag:
        return f"{_describe(a)} vs {_describe(b)}"
    if a.meta != b.meta:
        if a.tag == "ndarray":
            return f"shape {a.meta[0]} vs {b.meta[0]}"
        what = {"Row": "fields", "pandas DataFrame": "columns"}.get(a.tag, "name")
        return f"{what} {_show_meta(a.meta)} vs {_show_meta(b.meta)}"
    if a.tag == "dict":
        keys_a, keys_b = [k for k, _ in a.items], [k for k, _ in b.items]
        if not _close(tuple(keys_a), tuple(keys_b)):
            return f"keys {_show(_Node('list', (), tuple(keys_a)))} vs {_show(_Node('list', (), tuple(keys_b)))}"
        for (k, va), (_, vb) in zip(a.items, b.items):
            if not _close(va, vb):
                return f"key {_show(k)}: {_show(va)} vs {_show(vb)}"
    unit = "rows" if a.tag.startswith("pandas") else "items"
    if len(a.items) != len(b.items):
        return f"{len(a.items):,} {unit} vs {len(b.items):,}"
    for i, (x, y) in enumerate(zip(a.items, b.items)):
        if not _close(x, y):
            return f"{unit[:-1]} {i}: {_show(x)} vs {_show(y)}"
    return f"{_show(a)} vs {_show(b)}"


def _describe(v) -> str:
    if isinstance(v, _Node):
        name = v.tag
    else:
        name = "None" if v is None else type(v).__name__
    return ("an " if name[0] in "aeiouAEIOU" else "a ") + name if name != "None" else "None"


def _what(fp: Fingerprint | None) -> str:
    if fp is None:
        return "a value that cannot be compared"
    if fp.kind in ("DataFrame", "RDD"):
        return ("an " if fp.kind == "RDD" else "a ") + fp.kind
    return _describe(fp.value)


def _show(v, limit: int = 60) -> str:
    text = _render(v)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _show_meta(meta: tuple) -> str:
    inner = meta[0] if meta else ()
    return "[" + ", ".join(map(str, inner)) + "]" if isinstance(inner, tuple) else str(inner)


def _render(v) -> str:
    if isinstance(v, _Node):
        items = [_render(i) for i in v.items[:20]] + (["..."] if len(v.items) > 20 else [])
        if v.tag == "Row" and v.meta[0]:
            return "Row(" + ", ".join(f"{k}={x}" for k, x in zip(v.meta[0], items)) + ")"
        if v.tag == "dict":
            return "{" + ", ".join(f"{_render(k)}: {_render(x)}" for k, x in v.items[:20]) + "}"
        open_, close = {"list": "[]", "set": "{}", "ndarray": "[]"}.get(v.tag, "()")
        return open_ + ", ".join(items) + close
    if isinstance(v, tuple):
        return "(" + ", ".join(_render(i) for i in v) + ")"
    return repr(v)


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"[:160]
