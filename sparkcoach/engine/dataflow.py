"""Light dataflow: which expressions hold a DataFrame, an RDD, a session, ...

``infer(expr, scope)`` looks at how a value was made (``spark.read...``,
``sc.parallelize``, DataFrame and RDD methods) and at names bound earlier.
It is deliberately shallow and conservative: ``None`` means "don't know".
"""

from __future__ import annotations

import ast
import re

from . import values as V
from .values import Value

SMALL_LITERAL = 10_000  # rows in a literal / spark.range(n) still "provably small"
LARGE_LITERAL = 1_000  # elements in a literal collection that make a closure heavy

# DataFrame -> DataFrame methods; those keeping "small" (no row growth) flagged True.
DF_TO_DF = {
    "select": True, "selectExpr": True, "filter": True, "where": True, "withColumn": True,
    "withColumns": True, "withColumnRenamed": True, "withColumnsRenamed": True, "drop": True,
    "dropDuplicates": True, "drop_duplicates": True, "distinct": True, "orderBy": True,
    "sort": True, "sortWithinPartitions": True, "repartition": True, "repartitionByRange": True,
    "coalesce": True, "cache": True, "persist": True, "unpersist": True, "alias": True,
    "hint": True, "sample": True, "fillna": True, "dropna": True, "replace": True, "toDF": True,
    "checkpoint": True, "localCheckpoint": True, "withWatermark": True, "withMetadata": True,
    "offset": True, "to": True, "observe": True, "dropDuplicatesWithinWatermark": True,
    "intersect": True, "intersectAll": True, "subtract": True, "exceptAll": True,
    "transform": False, "join": False, "crossJoin": False, "union": False, "unionAll": False,
    "unionByName": False, "describe": True, "summary": True, "crosstab": False, "melt": False,
    "unpivot": False, "mapInPandas": False, "mapInArrow": False, "limit": True, "agg": True,
    "freqItems": True, "lateralJoin": False,
}
DF_TO_GROUPED = {"groupBy", "groupby", "rollup", "cube", "groupingSets"}
GROUPED_TO_DF = {
    "agg", "count", "sum", "avg", "mean", "max", "min", "apply", "applyInPandas",
    "applyInPandasWithState", "applyInArrow", "cogroup",
}
# Sorts: their output order is what SPK202 follows.
DF_SORTS = {"orderBy", "sort"}
RDD_SORTS = {"sortBy", "sortByKey"}
# Narrow DataFrame methods that keep the order of their input.
DF_KEEP_ORDER = {
    "select", "selectExpr", "filter", "where", "withColumn", "withColumns", "withColumnRenamed",
    "withColumnsRenamed", "drop", "alias", "fillna", "dropna", "replace", "toDF", "hint", "cache",
    "persist", "to", "withMetadata",
}

# RDD -> RDD methods: result facts (pair, partitioned, keeps small)
RDD_TO_RDD = {
    # name: (pair result: True/False/None=same as input, partitioned: True/False/None=keep, keeps small)
    "map": (None, False, True), "flatMap": (False, False, False), "filter": (None, None, True),
    "mapPartitions": (False, False, False), "mapPartitionsWithIndex": (False, False, False),
    "distinct": (None, False, True), "union": (None, False, False), "intersection": (None, False, True),
    "subtract": (None, False, True), "cartesian": (True, False, False), "sortBy": (None, False, True),
    "sample": (None, None, True), "repartition": (None, False, True), "coalesce": (None, None, True),
    "cache": (None, None, True), "persist": (None, None, True), "unpersist": (None, None, True),
    "zip": (True, False, True), "zipWithIndex": (True, False, True), "zipWithUniqueId": (True, False, True),
    "keyBy": (True, False, True), "glom": (False, None, True), "pipe": (False, False, False),
    "keys": (False, False, True), "values": (False, False, True), "partitionBy": (True, True, True),
    "mapValues": (True, None, True), "flatMapValues": (True, None, False), "reduceByKey": (True, True, True),
    "groupByKey": (True, True, True), "aggregateByKey": (True, True, True), "foldByKey": (True, True, True),
    "combineByKey": (True, True, True), "sortByKey": (True, True, True), "join": (True, True, False),
    "leftOuterJoin": (True, True, False), "rightOuterJoin": (True, True, False),
    "fullOuterJoin": (True, True, False), "cogroup": (True, True, False), "groupWith": (True, True, False),
    "subtractByKey": (True, None, True), "groupBy": (True, True, True), "localCheckpoint": (None, None, True),
    "checkpoint": (None, None, True), "setName": (None, None, True), "randomSplit": None,
}
# RDD shuffles leaving one record per key (the RDD side of DataFrame grouped aggregations).
RDD_REDUCES = {"reduceByKey", "aggregateByKey", "foldByKey", "combineByKey", "distinct", "groupByKey", "countByKey"}
# Methods that exist on RDDs and not on DataFrames/pandas/builtins: an unknown receiver
# calling one of them is an RDD.
RDD_ONLY = {
    "flatMap", "mapPartitions", "mapPartitionsWithIndex", "mapValues", "flatMapValues", "reduceByKey",
    "groupByKey", "aggregateByKey", "foldByKey", "combineByKey", "sortByKey", "partitionBy", "keyBy",
    "leftOuterJoin", "rightOuterJoin", "fullOuterJoin", "subtractByKey", "collectAsMap", "countByKey",
    "countByValue", "foreachPartition", "zipWithIndex", "zipWithUniqueId", "glom", "cartesian",
    "saveAsTextFile", "saveAsPickleFile", "toDebugString", "getNumPartitions",
}
DF_ONLY = {
    "withColumn", "withColumns", "withColumnRenamed", "selectExpr", "toPandas", "crossJoin",
    "dropDuplicates", "createOrReplaceTempView", "createTempView", "printSchema", "unionByName",
    "repartitionByRange", "sortWithinPartitions", "groupBy", "orderBy", "explain",
}

READER_CHAIN = {"format", "option", "options", "schema"}
READER_LOADS = {
    "csv": "csv", "json": "json", "parquet": "parquet", "orc": "orc", "text": "text", "load": None,
    "table": "table", "jdbc": "jdbc", "avro": "avro", "xml": "xml", "textFile": "text",
}

SESSION_ATTRS = {"spark", "spark_session", "sparkSession", "ss"}
CONTEXT_ATTRS = {"sc", "sparkContext", "spark_context"}
DF_NAME_HINTS = ("df", "sdf")


def dotted(node: ast.AST) -> str | None:
    """``self.df`` -> "self.df"; None for anything but a chain of names."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def literal_length(node: ast.AST) -> int | None:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return len(node.elts)
    if isinstance(node, ast.Dict):
        return len(node.keys)
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        # [x for x in range(N)] with a literal N
        gen = node.generators[0]
        n = range_length(gen.iter)
        return n
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "range":
            return range_length(node)
        if node.func.id in ("list", "tuple", "set", "zip", "enumerate") and node.args:
            return literal_length(node.args[0])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for a, b in ((node.left, node.right), (node.right, node.left)):
            n = literal_length(a)
            k = int_literal(b)
            if n is not None and k is not None:
                return n * k
    return None


def int_literal(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Pow, ast.Add)):
        a, b = int_literal(node.left), int_literal(node.right)
        if a is not None and b is not None:
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Add):
                return a + b
            if b < 64:
                return a**b
    return None


def range_length(node: ast.AST) -> int | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        nums = [int_literal(a) for a in node.args]
        if not nums or any(n is None for n in nums):
            return None
        if len(nums) == 1:
            return max(nums[0], 0)
        step = nums[2] if len(nums) > 2 else 1
        return max(0, (nums[1] - nums[0]) // (step or 1))
    return None


def is_pair_literal(node: ast.AST) -> bool:
    """A literal list whose elements are 2-tuples (or a comprehension making 2-tuples)."""
    if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
        return all(isinstance(e, ast.Tuple) and len(e.elts) == 2 for e in node.elts)
    if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
        return isinstance(node.elt, ast.Tuple) and len(node.elt.elts) == 2
    return False


def call_name(node: ast.AST) -> str | None:
    """``x.method(...)`` -> "method"; ``f(...)`` -> "f"."""
    if isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Attribute):
            return f.attr
        if isinstance(f, ast.Name):
            return f.id
    return None


def receiver(node: ast.Call) -> ast.AST | None:
    return node.func.value if isinstance(node.func, ast.Attribute) else None


def kwarg(node: ast.Call, name: str) -> ast.AST | None:
    for k in node.keywords:
        if k.arg == name:
            return k.value
    return None


def arg(node: ast.Call, index: int, name: str | None = None) -> ast.AST | None:
    if len(node.args) > index and not any(isinstance(a, ast.Starred) for a in node.args[: index + 1]):
        return node.args[index]
    return kwarg(node, name) if name else None


_ID_SNAKE = re.compile(r"(^|[._])(id|key|uuid)$")
_ID_CAMEL = re.compile(r"[a-z0-9](Id|Key|ID|Uuid|UUID)$")


def id_like(name: str) -> bool:
    """``id``, ``order_id``, ``t.user_key``, ``orderId``; not ``paid`` or ``valid``."""
    return bool(_ID_SNAKE.search(name.lower()) or _ID_CAMEL.search(name))
_KEY_LOOKUP_TEXT = re.compile(r"^\s*`?([\w.]+)`?\s*(==|=)\s*('[^']*'|\"[^\"]*\"|\d+)\s*$")


def _column_name(node: ast.AST) -> str | None:
    """``F.col("x")`` / ``col("x")`` / ``df.x`` / ``df["x"]`` -> "x"."""
    if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and len(node.args) == 1:
        fname = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
        if fname in ("col", "column") and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            return node.args[0].value
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.attr
    return None


def key_lookup(cond: ast.AST) -> bool:
    """A filter on one value of an identifier column (``F.col("order_id") == oid``): one entity's rows."""
    if isinstance(cond, ast.Constant) and isinstance(cond.value, str):
        m = _KEY_LOOKUP_TEXT.match(cond.value)
        return bool(m and id_like(m.group(1)))
    if not (isinstance(cond, ast.Compare) and len(cond.ops) == 1 and isinstance(cond.ops[0], ast.Eq)):
        return False
    left, right = cond.left, cond.comparators[0]
    for a, b in ((left, right), (right, left)):
        name = _column_name(a)
        if name and id_like(name) and _column_name(b) is None and not isinstance(b, ast.Call):
            return True
    return False


def lambda_returns_pair(fn: ast.AST) -> bool:
    return isinstance(fn, ast.Lambda) and isinstance(fn.body, ast.Tuple) and len(fn.body.elts) == 2


class Inference:
    """Infers values of expressions; ``lookup`` resolves names, ``qualname`` resolves imports."""

    def __init__(self, lookup, qualname, is_bound):
        self.lookup = lookup
        self.qualname = qualname
        self.is_bound = is_bound
        # id(node) -> (node, value); valid until a name is bound or a scope opens/closes.
        self._cache: dict[int, tuple[ast.AST, Value | None]] = {}

    def clear(self) -> None:
        if self._cache:
            self._cache = {}

    def __call__(self, node: ast.AST) -> Value | None:
        hit = self._cache.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        try:
            v = self._infer(node)
        except RecursionError:
            v = None
        self._cache[id(node)] = (node, v)
        return v

    # ------------------------------------------------------------------
    def _infer(self, node: ast.AST) -> Value | None:
        t = type(node)
        if t is ast.Name:
            return self.lookup(node.id)
        if t is ast.Call:
            return self._call(node)
        if t is ast.Attribute:
            return self._attribute(node)
        if t in (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.ListComp, ast.DictComp, ast.SetComp):
            n = literal_length(node)
            return Value(V.LOCAL, node, small=n is not None and n <= SMALL_LITERAL,
                         large=n is not None and n >= LARGE_LITERAL, pair=is_pair_literal(node))
        if t is ast.Constant:
            big = isinstance(node.value, (str, bytes)) and len(node.value) >= 100_000
            return Value(V.LOCAL, node, small=not big, large=big)
        if t is ast.JoinedStr:
            return Value(V.LOCAL, node, small=True)
        if t is ast.NamedExpr:
            return self(node.value)
        if t is ast.Subscript:
            base = self(node.value)
            if base is not None and base.kind == V.DATAFRAME:
                return Value(V.COLUMN, node)
            return None
        if t is ast.BinOp and isinstance(node.op, ast.Mult):
            n = literal_length(node)
            if n is not None:
                return Value(V.LOCAL, node, small=n <= SMALL_LITERAL, large=n >= LARGE_LITERAL)
        return None

    def _attribute(self, node: ast.Attribute) -> Value | None:
        key = dotted(node)
        if key is not None and self.is_bound(key):
            return self.lookup(key)
        attr = node.attr
        qual = self.qualname(node)
        if qual:
            if qual.endswith("StorageLevel") or ".StorageLevel." in qual:
                return Value(V.STORAGE, node)
        base = self(node.value)
        if base is None:
            if attr in SESSION_ATTRS:
                return Value(V.SESSION, node)
            if attr in CONTEXT_ATTRS:
                return Value(V.CONTEXT, node)
            if qual and qual.endswith("SparkSession.builder"):
                return Value(V.BUILDER, node)
            return None
        k = base.kind
        if k == V.SESSION:
            if attr in ("read", "readStream"):
                return Value(V.READER, node)
            if attr == "sparkContext":
                return Value(V.CONTEXT, node)
            if attr == "conf":
                return Value(V.CONF, node)
            return None
        if k == V.DATAFRAME:
            if attr == "rdd":
                return Value(V.RDD, node, small=base.small)
            if attr in ("write", "writeStream", "writeTo"):
                return Value(V.WRITER, node)
            if attr in ("na",):
                return Value(V.NA, node, small=base.small)
            if attr == "sparkSession":
                return Value(V.SESSION, node)
            if attr in ("columns", "dtypes", "schema"):
                return Value(V.LOCAL, node, small=True)
            return Value(V.COLUMN, node)
        if k == V.RDD and attr == "context":
            return Value(V.CONTEXT, node)
        if k == V.BROADCAST and attr == "value":
            return Value(V.LOCAL, node)
        if k == V.BUILDER:
            return Value(V.BUILDER, node)
        return None

    def _call(self, node: ast.Call) -> Value | None:
        f = node.func
        if isinstance(f, ast.Name):
            return self._plain_call(node, f.id)
        if not isinstance(f, ast.Attribute):
            return None
        name = f.attr
        qual = self.qualname(f)
        if qual:
            v = self._qualified_call(node, qual)
            if v is not None:
                return v
        base = self(f.value)
        if base is None:
            if name in RDD_ONLY and name in RDD_TO_RDD:
                return self._rdd_method(node, name, Value(V.RDD, f.value))
            if name in ("getOrCreate", "create") and self._chain_root_is(f.value, "SparkSession"):
                return Value(V.SESSION, node)
            return None
        k = base.kind
        if k == V.DATAFRAME:
            return self._df_method(node, name, base)
        if k == V.RDD:
            return self._rdd_method(node, name, base)
        if k == V.GROUPED:
            if name in GROUPED_TO_DF:
                return Value(V.DATAFRAME, node, small=base.small, reduced=True)
            if name == "pivot":
                return base
            return None
        if k == V.SESSION:
            return self._session_method(node, name, base)
        if k == V.CONTEXT:
            return self._context_method(node, name)
        if k == V.READER:
            return self._reader_method(node, name, base)
        if k == V.NA:
            return Value(V.DATAFRAME, node, small=base.small)
        if k == V.BUILDER:
            if name in ("getOrCreate", "create"):
                return Value(V.SESSION, node)
            return Value(V.BUILDER, node)
        if k == V.WINDOW:
            return Value(V.WINDOW, node)
        if k == V.COLUMN:
            return Value(V.COLUMN, node)
        if k == V.LOCAL and name in ("copy",):
            return base
        if k == V.PANDAS and name not in ("to_dict", "to_list", "tolist", "iterrows", "itertuples"):
            return Value(V.PANDAS, node, large=base.large)
        return None

    def _chain_root_is(self, node: ast.AST, name: str) -> bool:
        while isinstance(node, (ast.Attribute, ast.Call)):
            node = node.value if isinstance(node, ast.Attribute) else node.func
        if isinstance(node, ast.Name):
            q = self.qualname(node) or node.id
            return q == name or q.endswith("." + name)
        return False

    def _plain_call(self, node: ast.Call, fname: str) -> Value | None:
        q = self.qualname(node.func) or fname
        v = self._qualified_call(node, q)
        if v is not None:
            return v
        if fname in ("list", "tuple", "set", "dict", "sorted") and node.args:
            inner = self(node.args[0])
            if inner is not None and inner.kind == V.LOCAL:
                return inner.but(node=node)
            n = literal_length(node)
            if n is not None:
                return Value(V.LOCAL, node, small=n <= SMALL_LITERAL, large=n >= LARGE_LITERAL)
        if fname == "range":
            n = range_length(node)
            return Value(V.LOCAL, node, small=n is not None and n <= SMALL_LITERAL,
                         large=n is not None and n >= LARGE_LITERAL) if n is not None else None
        return None

    def _qualified_call(self, node: ast.Call, qual: str) -> Value | None:
        last = qual.rsplit(".", 1)[-1]
        if qual in ("pyspark.SparkContext", "pyspark.context.SparkContext", "SparkContext") or (
            qual.endswith("SparkContext.getOrCreate")
        ):
            return Value(V.CONTEXT, node)
        if last in ("SQLContext", "HiveContext") and (qual.startswith("pyspark") or qual == last):
            return Value(V.SESSION, node)  # Spark 1.x entry points: .sql, .table, .read, createDataFrame
        if qual.endswith("SparkConf") and last == "SparkConf":
            return Value(V.SPARKCONF, node)
        if qual.startswith("pyspark.sql.functions.") or qual.startswith("pyspark.sql.connect.functions."):
            if last in ("udf", "pandas_udf"):
                return Value(V.UDF, node, func=node.args[0] if node.args else None)
            if last == "broadcast" and node.args:
                inner = self(node.args[0])
                return inner.but(node=node) if inner is not None else Value(V.DATAFRAME, node)
            return Value(V.COLUMN, node)
        if qual.startswith("pyspark.sql.window.Window") or qual.startswith("pyspark.sql.Window"):
            return Value(V.WINDOW, node)
        if qual.startswith("pandas.") and last in ("DataFrame", "read_csv", "read_parquet", "read_json",
                                                    "read_sql", "read_excel", "concat", "merge", "read_table"):
            return Value(V.PANDAS, node, large=last.startswith("read_"))
        return None

    def _session_method(self, node: ast.Call, name: str, base: Value) -> Value | None:
        if name == "createDataFrame":
            data = arg(node, 0, "data")
            dv = self(data) if data is not None else None
            if dv is not None and dv.kind == V.PANDAS:
                return Value(V.DATAFRAME, node, small=dv.small)
            if dv is not None and dv.kind == V.RDD:
                return Value(V.DATAFRAME, node, small=dv.small, unsized=True)
            small = dv is not None and dv.kind == V.LOCAL and dv.small
            return Value(V.DATAFRAME, node, small=small, unsized=dv is None or dv.kind == V.LOCAL)
        if name == "range":
            nums = [int_literal(a) for a in node.args]
            small = False
            if nums and all(n is not None for n in nums):
                n = nums[0] if len(nums) == 1 else nums[1] - nums[0]
                small = n <= SMALL_LITERAL
            return Value(V.DATAFRAME, node, small=small)
        if name in ("sql", "table", "read_table"):
            return Value(V.DATAFRAME, node)
        if name == "newSession":
            return Value(V.SESSION, node)
        return None

    def _context_method(self, node: ast.Call, name: str) -> Value | None:
        if name == "parallelize":
            data = arg(node, 0, "c")
            dv = self(data) if data is not None else None
            small = dv is not None and dv.kind == V.LOCAL and dv.small
            pair = (dv is not None and dv.pair) or (data is not None and is_pair_literal(data))
            # Whatever its size, it already fit in the driver's memory.
            driver = (dv is not None and dv.kind == V.LOCAL) or (
                isinstance(data, ast.Call) and isinstance(data.func, ast.Name) and data.func.id in ("range", "list", "zip"))
            return Value(V.RDD, node, small=small, pair=pair, reduced=driver)
        if name in ("textFile", "binaryRecords", "pickleFile", "hadoopFile", "newAPIHadoopFile",
                    "sequenceFile", "union"):
            return Value(V.RDD, node)
        if name in ("wholeTextFiles", "binaryFiles"):
            return Value(V.RDD, node, pair=True)
        if name == "range":
            n = int_literal(node.args[0]) if len(node.args) == 1 else None
            return Value(V.RDD, node, small=n is not None and n <= SMALL_LITERAL)
        if name == "emptyRDD":
            return Value(V.RDD, node, small=True)
        if name == "broadcast":
            return Value(V.BROADCAST, node)
        if name == "getConf":
            return Value(V.SPARKCONF, node)
        return None

    def _reader_method(self, node: ast.Call, name: str, base: Value) -> Value | None:
        if name in READER_CHAIN:
            if name == "format" and node.args and isinstance(node.args[0], ast.Constant):
                return base.but(node=node, fmt=str(node.args[0].value).lower())
            if name == "option" and len(node.args) >= 2 and isinstance(node.args[0], ast.Constant):
                return base.but(node=node, options=base.options + ((str(node.args[0].value), node.args[1]),))
            if name == "options":
                return base.but(node=node, options=base.options + tuple((k.arg, k.value) for k in node.keywords if k.arg))
            if name == "schema":
                return base.but(node=node, has_schema=True)
            return base.but(node=node)
        if name in READER_LOADS:
            return Value(V.DATAFRAME, node)
        return None

    def _df_method(self, node: ast.Call, name: str, base: Value) -> Value | None:
        if name in DF_TO_GROUPED:
            # groupBy() with no keys is a global aggregation: one row.
            return Value(V.GROUPED, node, small=base.small or (not node.args and not node.keywords))
        if name in DF_TO_DF:
            keeps_small = DF_TO_DF[name]
            small = base.small and keeps_small
            if name == "limit":
                n = int_literal(node.args[0]) if node.args else None
                small = small or (n is not None and n <= SMALL_LITERAL)
            if name in ("agg", "describe", "summary"):
                small = True
            if name in ("join", "union", "unionAll", "unionByName") and node.args:
                other = self(node.args[0])
                small = base.small and other is not None and other.small
            sorted_by = None
            if name in DF_SORTS:
                sorted_by = node
            elif name in DF_KEEP_ORDER:
                sorted_by = base.sorted_by
            reduced = base.reduced and keeps_small
            if name == "distinct" or (name in ("filter", "where") and node.args and key_lookup(node.args[0])):
                reduced = True
            cached = node if name in ("cache", "persist") else (base.cached if name == "alias" else None)
            unsized = base.unsized and keeps_small and name not in ("cache", "persist", "limit", "agg")
            return Value(V.DATAFRAME, node, small=small, reduced=reduced, sorted_by=sorted_by,
                         unsized=unsized, cached=cached)
        if name in ("toPandas",):
            return Value(V.PANDAS, node, small=base.small, large=not (base.small or base.reduced))
        if name in ("collect", "take", "head", "tail", "collectAsList"):
            return Value(V.LOCAL, node, small=base.small, large=not (base.small or base.reduced))
        if name in ("count",):
            return Value(V.NUMBER, node)
        if name in ("randomSplit",):
            return Value(V.LOCAL, node, small=True)
        return None

    def _rdd_method(self, node: ast.Call, name: str, base: Value) -> Value | None:
        spec = RDD_TO_RDD.get(name)
        if spec is not None:
            pair, partitioned, keeps_small = spec
            if pair is None:
                pair = base.pair
                if name == "map":
                    fn = node.args[0] if node.args else None
                    pair = lambda_returns_pair(fn) if fn is not None else False
            if partitioned is None:
                partitioned = base.partitioned
            sorted_by = node if name in RDD_SORTS else (base.sorted_by if name in ("cache", "persist", "filter") else None)
            if name in ("sortByKey",) :
                partitioned = True
            cached = node if name in ("cache", "persist") else None
            small = base.small and keeps_small
            if name in ("union", "cartesian", "zip", "intersection", "subtract") and node.args:
                other = self(node.args[0])  # both sides literal-sized: still small
                small = base.small and other is not None and other.small
            elif name in ("flatMap", "mapPartitions", "mapPartitionsWithIndex", "flatMapValues"):
                small = base.small  # from literal data in, a few elements out each
            # One record per key (as DataFrame groupBy().agg()), or driver-sized data carried on.
            reduced = name in RDD_REDUCES or (base.reduced and (keeps_small or name in ("flatMap", "flatMapValues")))
            return Value(V.RDD, node, small=small, pair=pair, partitioned=partitioned,
                         sorted_by=sorted_by, cached=cached, reduced=reduced,
                         grouped=node if name == "groupByKey" else (base.grouped if name in ("cache", "persist") else None))
        if name == "toDF":
            return Value(V.DATAFRAME, node, small=base.small, unsized=True)
        if name in ("collect", "take", "top", "takeOrdered", "collectAsMap", "countByKey", "countByValue",
                    "takeSample", "lookup"):
            return Value(V.LOCAL, node, small=base.small, large=not base.small and name in ("collect", "collectAsMap"))
        if name in ("count",):
            return Value(V.NUMBER, node)
        return None


def annotation_value(ann: ast.AST | None, qualname) -> Value | None:
    """Value for a parameter annotated ``DataFrame``, ``RDD``, ``SparkSession``..."""
    if ann is None:
        return None
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
        text = ann.value
    else:
        text = qualname(ann) or (ann.attr if isinstance(ann, ast.Attribute) else getattr(ann, "id", ""))
    if not text:
        return None
    last = text.rsplit(".", 1)[-1]
    if "." in text and not text.startswith(("pyspark", "DataFrame", "RDD", "SparkSession", "SparkContext")):
        return None  # pd.DataFrame, pl.DataFrame, polars.DataFrame, ...
    if last == "DataFrame":
        return Value(V.DATAFRAME, ann)
    if last == "RDD":
        return Value(V.RDD, ann)
    if last == "SparkSession":
        return Value(V.SESSION, ann)
    if last == "SparkContext":
        return Value(V.CONTEXT, ann)
    return None


def name_hint_value(name: str) -> Value | None:
    """Conventional names in PySpark code: ``spark``, ``sc``, ``df``/``*_df``, ``rdd``/``*_rdd``."""
    if name in ("spark", "sqlContext", "sql_context", "hiveContext", "hive_context", "sqlCtx"):
        return Value(V.SESSION)
    if name in ("sc",):
        return Value(V.CONTEXT)
    low = name.lower()
    if low in ("df", "sdf") or low.endswith("_df") or low.startswith("df_") or low.endswith("_sdf"):
        return Value(V.DATAFRAME)
    if low == "rdd" or low.endswith("_rdd") or low.startswith("rdd_"):
        return Value(V.RDD)
    return None
