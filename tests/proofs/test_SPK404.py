"""SPK404 has no fix: its messages give the per-partition rewrite naming the user's function and call."""

import textwrap

from helpers import actual_findings
from sparkcoach.engine.lint import Settings


def _lint(src: str):
    return actual_findings(textwrap.dedent(src), settings=Settings(select=("SPK404",)))


HEADER = """
    import psycopg2
    import requests
    from pyspark.sql import SparkSession
    spark = SparkSession.builder.getOrCreate()
    events = spark.table("events")
"""


def test_foreach_message_names_function_and_connection():
    found = _lint(HEADER + """
    def save_row(row):
        conn = psycopg2.connect("dbname=x")
        conn.cursor().execute("insert", (row.id,))
    events.foreach(save_row)
    """)
    assert len(found) == 1
    f = found[0]
    assert (f.line, f.column, f.fix) == (11, 8, None)
    assert "`save_row` opens `psycopg2.connect(...)` for every record of `events.foreach(...)`" in f.message
    assert "`events.foreachPartition(save_partition)`" in f.message
    assert "`def save_partition(rows): conn = psycopg2.connect(...); for row in rows: ...`" in f.message


def test_requests_in_map_suggests_a_session_per_partition():
    found = _lint(HEADER + """
    codes = events.rdd.map(lambda e: requests.get(e.url).status_code)
    """)
    assert len(found) == 1
    assert "`events.rdd.mapPartitions(fetch_partition)`" in found[0].message
    assert "session = requests.Session(); for row in rows: yield session.get(...)" in found[0].message


def test_through_a_helper():
    found = _lint(HEADER + """
    def connect():
        return psycopg2.connect("dbname=x")
    def save(row):
        connect().cursor().execute("insert", (row.id,))
    events.foreach(save)
    """)
    assert len(found) == 1 and "`save` calls `connect()`, which opens `psycopg2.connect(...)`" in found[0].message


def test_per_partition_and_cached_connections_are_fine():
    assert _lint(HEADER + """
    import functools
    def save_partition(rows):
        conn = psycopg2.connect("dbname=x")
        for row in rows:
            conn.cursor().execute("insert", (row.id,))
    events.foreachPartition(save_partition)
    def fetch_partition(rows):
        session = requests.Session()
        for r in rows:
            yield session.get(r.url).status_code
    events.rdd.mapPartitions(fetch_partition)
    _conn = None
    def save_cached(row):
        global _conn
        if _conn is None:
            _conn = psycopg2.connect("dbname=x")
    events.foreach(save_cached)
    @functools.lru_cache()
    def pool():
        return psycopg2.connect("dbname=x")
    events.foreach(lambda r: pool().cursor().execute("insert", (r.id,)))
    conn = psycopg2.connect("dbname=x")
    events.foreach(lambda r: conn.cursor())
    """) == []
