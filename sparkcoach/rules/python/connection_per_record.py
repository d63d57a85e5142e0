"""## What it does
Checks for a function given to `foreach`, `map`, `flatMap` or `filter` (on an
RDD, or `DataFrame.foreach`) that opens a database connection or a network
client for every record.  That is `psycopg2.connect(...)`, `pymysql.connect(...)`,
`redis.Redis(...)`, `pymongo.MongoClient(...)`, `boto3.client(...)`,
`requests.get(...)`, `KafkaProducer(...)`, `sqlalchemy.create_engine(...)`, ...
directly or through a helper function it calls.

## Why is this bad?
Opening a connection costs a network round trip, a TLS handshake and an
authentication — often far more than the work done per record — and millions of
records open millions of connections, which can also exhaust the server's
connection limit.  `foreachPartition` / `mapPartitions` call the function once
per partition with an iterator over its records, so one connection serves
thousands of records.

Functions given to `foreachPartition` / `mapPartitions`, connections created
once per executor and cached (a module-level `if _conn is None:` guard, an
`lru_cache`d factory), and functions run over a small literal list of items are
not reported.

## Example
```python
events = spark.table("events")

def save(row):
    conn = psycopg2.connect(DSN)
    conn.cursor().execute("INSERT INTO events VALUES (%s, %s)", (row.id, row.kind))
    conn.commit()
    conn.close()

events.foreach(save)
```

Use instead:
```python
events = spark.table("events")

def save_partition(rows):
    conn = psycopg2.connect(DSN)
    cur = conn.cursor()
    for row in rows:
        cur.execute("INSERT INTO events VALUES (%s, %s)", (row.id, row.kind))
    conn.commit()
    conn.close()

events.foreachPartition(save_partition)
```
"""

from __future__ import annotations

import ast

from ...engine import values as V
from ...rules.base import python_rule
from . import _closures as C

PER_RECORD = frozenset({"foreach", "map", "flatMap", "filter"})
PARTITION_METHOD = {"foreach": "foreachPartition", "map": "mapPartitions", "flatMap": "mapPartitions",
                    "filter": "mapPartitions"}

# qualified name -> the variable a per-partition rewrite would hold it in
CONNECTIONS: dict[str, str] = {
    # databases
    "psycopg2.connect": "conn", "psycopg.connect": "conn", "psycopg2.pool.SimpleConnectionPool": "pool",
    "pymysql.connect": "conn", "pymysql.Connect": "conn", "MySQLdb.connect": "conn",
    "mysql.connector.connect": "conn", "sqlite3.connect": "conn", "pyodbc.connect": "conn",
    "cx_Oracle.connect": "conn", "oracledb.connect": "conn", "pymssql.connect": "conn",
    "snowflake.connector.connect": "conn", "jaydebeapi.connect": "conn", "ibm_db.connect": "conn",
    "teradatasql.connect": "conn", "vertica_python.connect": "conn", "trino.dbapi.connect": "conn",
    "clickhouse_driver.Client": "client", "clickhouse_connect.get_client": "client",
    "sqlalchemy.create_engine": "engine", "pymongo.MongoClient": "client", "motor.motor_asyncio.AsyncIOMotorClient": "client",
    "cassandra.cluster.Cluster": "cluster", "happybase.Connection": "conn", "neo4j.GraphDatabase.driver": "driver",
    "elasticsearch.Elasticsearch": "es", "opensearchpy.OpenSearch": "client", "influxdb_client.InfluxDBClient": "client",
    # key-value stores and queues
    "redis.Redis": "client", "redis.StrictRedis": "client", "redis.Redis.from_url": "client",
    "redis.StrictRedis.from_url": "client", "redis.from_url": "client", "redis.ConnectionPool": "pool",
    "kafka.KafkaProducer": "producer", "kafka.KafkaConsumer": "consumer", "confluent_kafka.Producer": "producer",
    "pika.BlockingConnection": "conn", "pymemcache.client.base.Client": "client", "memcache.Client": "client",
    # cloud SDKs
    "boto3.client": "client", "boto3.resource": "resource", "boto3.Session": "session",
    "boto3.session.Session": "session", "google.cloud.storage.Client": "client",
    "google.cloud.bigquery.Client": "client", "google.cloud.pubsub_v1.PublisherClient": "publisher",
    "azure.storage.blob.BlobServiceClient": "client", "azure.storage.blob.BlobServiceClient.from_connection_string": "client",
    "azure.cosmos.CosmosClient": "client",
    # HTTP and sockets
    "requests.Session": "session", "requests.session": "session", "requests.get": "session",
    "requests.post": "session", "requests.put": "session", "requests.delete": "session",
    "requests.patch": "session", "requests.head": "session", "requests.request": "session",
    "httpx.Client": "client", "httpx.get": "client", "httpx.post": "client", "httpx.put": "client",
    "httpx.delete": "client", "httpx.request": "client", "urllib3.PoolManager": "http",
    "urllib.request.urlopen": "opener", "http.client.HTTPConnection": "conn",
    "http.client.HTTPSConnection": "conn", "socket.socket": "sock", "socket.create_connection": "sock",
    "smtplib.SMTP": "smtp", "smtplib.SMTP_SSL": "smtp", "ftplib.FTP": "ftp", "paramiko.SSHClient": "ssh",
    "pysftp.Connection": "sftp", "websocket.create_connection": "ws", "hvac.Client": "client",
    "pyhive.hive.connect": "conn",
}
_REQUEST_LIKE = ("requests.", "httpx.")
_LAST_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in CONNECTIONS)


@python_rule("SPK404", "connection-per-record", "warning", ast.Call)
def connection_per_record(node, ctx) -> None:
    f = node.func
    if not isinstance(f, ast.Attribute) or f.attr not in PER_RECORD:
        return
    if not ctx.state.imports:
        return  # no import, no connection library
    for sh in C.shipped(node, ctx):
        if sh.fn is None and not isinstance(sh.arg, ast.Attribute):
            continue
        recv = ctx.value(sh.receiver) if sh.receiver is not None else None
        if recv is not None and (recv.small or _after_glom(recv.node)) or _after_glom(sh.receiver):
            continue  # a handful of records (a literal list of tables, URLs), or whole partitions
        fn = sh.fn if sh.fn is not None else _bound_method(sh, ctx)
        if fn is None:
            continue
        found = _opens(fn, ctx, depth=2, seen=set())
        if found is None:
            continue
        conn_call, chain = found
        ctx.report(ctx.source.method_span(node), _message(sh, fn, conn_call, chain, ctx))


def _after_glom(recv: ast.AST | None) -> bool:
    return isinstance(recv, ast.Call) and isinstance(recv.func, ast.Attribute) and recv.func.attr == "glom"


def _bound_method(sh: C.Shipped, ctx) -> ast.AST | None:
    """``rdd.foreach(self.save)``: the method def in the enclosing class."""
    a = sh.arg
    if not (isinstance(a, ast.Attribute) and isinstance(a.value, ast.Name)):
        return None
    m = C.method_of(sh.site, ctx)
    if m is None or a.value.id != m[1]:
        return None
    return C.class_method_def(m[2], a.attr)


def _opens(fn: ast.AST, ctx, depth: int, seen: set) -> tuple[ast.Call, list[str]] | None:
    """The first connection call ``fn`` makes on every call (not cached), and the helpers leading to it."""
    if id(fn) in seen or _cached_factory(fn):
        return None
    seen.add(id(fn))
    body = fn.body if isinstance(fn.body, list) else [fn.body]
    helpers = []
    outer = None
    for call in _calls(body):
        q = _connection(call, ctx)
        if q is not None:
            if outer is None:
                outer = {n for s in ast.walk(fn) if isinstance(s, (ast.Global, ast.Nonlocal)) for n in s.names}
            if not _guarded(call, fn, outer):
                return call, []
            continue
        if depth and isinstance(call.func, ast.Name):
            helpers.append(call)
    for call in helpers:
        h = ctx.function_of(call.func)
        if isinstance(h, C.DEF_TYPES):
            found = _opens(h, ctx, depth - 1, seen)
            if found is not None:
                return found[0], [call.func.id] + found[1]
    return None


def _calls(body: list):
    """Calls in ``body`` in source order, not descending into nested defs, lambdas or classes."""
    stack = list(reversed(body))
    out = []
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Call):
            out.append(n)
        for child in reversed(list(ast.iter_child_nodes(n))):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            child._cl_parent = n  # type: ignore[attr-defined]
            stack.append(child)
    return out


def _connection(call: ast.Call, ctx) -> str | None:
    f = call.func
    last = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
    if last not in _LAST_NAMES:
        return None
    q = ctx.qualname(f)
    if q is None:
        return None
    if q in CONNECTIONS:
        return q
    # `from cassandra.cluster import Cluster` style imports of a submodule path
    for known in CONNECTIONS:
        if q.endswith("." + known):
            return known
    return None


def _guarded(call: ast.Call, fn: ast.AST, outer: set[str]) -> bool:
    """Created once and kept: assigned to a global / attribute / cache entry, or under an ``is None`` check."""
    node = call
    while True:
        p = C.cl_parent(node)
        if p is None or p is fn:
            return False
        if isinstance(p, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = p.targets if isinstance(p, ast.Assign) else [p.target]
            for t in targets:
                if isinstance(t, (ast.Attribute, ast.Subscript)) or (isinstance(t, ast.Name) and t.id in outer):
                    return True
        if isinstance(p, (ast.If, ast.IfExp, ast.While)) and node is not p.test and _cache_test(p.test):
            return True
        if isinstance(p, ast.Call) and isinstance(p.func, ast.Attribute) and p.func.attr == "setdefault":
            return True
        if isinstance(p, ast.BoolOp) and isinstance(p.op, ast.Or) and node is not p.values[0]:
            return True  # `_conn = _conn or connect()`
        node = p


def _cache_test(test: ast.AST) -> bool:
    for n in ast.walk(test):
        if isinstance(n, ast.Compare) and any(isinstance(c, ast.Constant) and c.value is None for c in n.comparators):
            return True
        if isinstance(n, ast.Compare) and any(isinstance(o, (ast.In, ast.NotIn)) for o in n.ops):
            return True
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("hasattr", "getattr"):
            return True
    return False


def _cached_factory(fn: ast.AST) -> bool:
    for d in getattr(fn, "decorator_list", ()):
        target = d.func if isinstance(d, ast.Call) else d
        n = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if n in ("lru_cache", "cache", "cached", "cached_property", "memoize"):
            return True
    return False


def _message(sh: C.Shipped, fn: ast.AST, call: ast.Call, chain: list[str], ctx) -> str:
    q = _connection(call, ctx) or ""
    opener = f"`{C.short(ctx.segment(call.func), 36)}(...)`"
    var = CONNECTIONS.get(q, "conn")
    fname = fn.name if isinstance(fn, C.DEF_TYPES) else None
    subj = f"`{fname}`" if fname else "the lambda"
    if chain:
        subj += f" calls `{chain[0]}()`, which" if len(chain) == 1 else \
            f" calls `{chain[0]}()`, which through `{'()`, `'.join(chain[1:])}()`"
    recv = C.short_receiver(sh.receiver, ctx) if sh.receiver is not None else "rdd"
    method = sh.method
    if sh.recv_kind == V.WRITER:
        return (f"{subj} opens {opener} for every record streamed to `{recv}.foreach(...)`: use `foreachBatch` "
                f"and write each micro-batch with `batch_df.foreachPartition(...)`, or pass `foreach` an object "
                f"whose `open()` creates the connection once per partition and epoch")
    new_method = PARTITION_METHOD[method]
    base = fname or ("fetch" if q.startswith(_REQUEST_LIKE) else "process")
    for suffix in ("_row", "_record", "_one", "_each", "_item"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    part = f"{base}_partition"
    if q.startswith(_REQUEST_LIKE) and q.rsplit(".", 1)[-1] not in ("Session", "session", "Client"):
        session = "requests.Session()" if q.startswith("requests.") else "httpx.Client()"
        setup = f"{var} = {session}"
        per = f"{var}.{q.rsplit('.', 1)[-1]}(...)"
        what = f"opens a new connection with {opener} for every record"
    else:
        setup = f"{var} = {C.short(ctx.segment(call.func), 36)}(...)"
        per = "..."
        what = f"opens {opener} for every record"
    if method == "foreach":
        body = f"for row in rows: {per}"
    elif method == "filter":
        body = f"for row in rows: if {per}: yield row"
    else:
        body = f"for row in rows: yield {per}"
    return (f"{subj} {what} of `{recv}.{method}(...)`: open it once per partition — "
            f"`{recv}.{new_method}({part})` with `def {part}(rows): {setup}; {body}`")
