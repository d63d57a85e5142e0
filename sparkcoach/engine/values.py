"""What the light dataflow knows about a value: its kind and a few facts."""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

# Kinds
DATAFRAME = "DataFrame"
RDD = "RDD"
SESSION = "SparkSession"
CONTEXT = "SparkContext"
BROADCAST = "Broadcast"
GROUPED = "GroupedData"
READER = "DataFrameReader"
WRITER = "DataFrameWriter"
NA = "DataFrameNaFunctions"
COLUMN = "Column"
WINDOW = "WindowSpec"
CONF = "RuntimeConfig"
BUILDER = "Builder"
SPARKCONF = "SparkConf"
UDF = "UserDefinedFunction"
FUNCTION = "function"
LOCAL = "local"  # driver-side Python data (lists, dicts, rows)
PANDAS = "pandas.DataFrame"
NUMBER = "number"
STORAGE = "StorageLevel"

DISTRIBUTED = (DATAFRAME, RDD)


@dataclass(frozen=True, slots=True)
class Value:
    kind: str
    node: ast.AST | None = None  # the expression that made it
    small: bool = False  # provably small (a literal, a limit, a global aggregation, ...)
    reduced: bool = False  # a grouped aggregation or distinct projection: usually small, not provably
    unsized: bool = False  # Spark has no size estimate for it (createDataFrame(list), rdd.toDF())
    pair: bool = False  # RDD of (key, value)
    partitioned: bool = False  # RDD carrying a partitioner
    sorted_by: ast.AST | None = None  # the sort call whose order this value still carries
    large: bool = False  # driver data known to be big (collect() of big data, pandas frames)
    cached: ast.AST | None = None  # the cache()/persist() call that made it
    fmt: str | None = None  # reader: the data source format
    options: tuple = ()  # reader: (key, value-node) options seen so far
    has_schema: bool = False  # reader: .schema(...) given
    func: ast.AST | None = None  # FUNCTION / UDF: the def or lambda
    grouped: ast.AST | None = None  # RDD: the groupByKey() call whose groups this value holds

    def but(self, **changes) -> "Value":
        return replace(self, **changes)

    @property
    def distributed(self) -> bool:
        return self.kind in DISTRIBUTED
