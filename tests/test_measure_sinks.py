"""Sink redirection for measured rewrites: writes go to a no-op sink, side effects refuse the cell."""

from __future__ import annotations

import doctest

import pytest

from sparkcoach.measure import sinks
from sparkcoach.measure.sinks import NOOP, redirect, sql_statement

# (code, expected code or None, note or refusal substring); None expected code: refused
REDIRECTED = {
    "parquet chain": (
        "df.write.mode('overwrite').partitionBy('d').parquet(path)",
        f"((df){NOOP})", "`df.write...parquet(...)` redirected to a no-op sink (line 1)"),
    "save": ("df.write.format('delta').save(p)", f"((df){NOOP})", "`df.write...save(...)`"),
    "saveAsTable": ("df.write.saveAsTable('t')", f"((df){NOOP})", "`df.write.saveAsTable(...)` redirected"),
    "insertInto": ("df.write.insertInto('t', overwrite=True)", f"((df){NOOP})", "insertInto"),
    "csv json orc text jdbc": (
        "a.write.csv(p); b.write.json(p); c.write.orc(p); d.write.text(p); e.write.jdbc(u, 't')",
        "; ".join(f"(({x}){NOOP})" for x in "abcde"), "`e.write.jdbc(...)`"),
    "writeTo append": ("df.writeTo('t').append()", f"((df){NOOP})", "`df.writeTo(...).append(...)`"),
    "writeTo chain": ("df.writeTo('t').using('parquet').partitionedBy(c).createOrReplace()",
                      f"((df){NOOP})", "`df.writeTo(...)...createOrReplace(...)`"),
    "writeTo overwrite": ("df.writeTo('t').overwrite(col('d') > 1)", f"((df){NOOP})", "redirected"),
    "expression receiver": ("(a.union(b)).write.parquet(p)", f"((a.union(b)){NOOP})",
                            "`a.union(b).write.parquet(...)`"),
    "multi-line keeps lines": (
        "x = 1\n(out.write\n   .mode('overwrite')  # keep\n   .parquet('/tmp/p'))\ny = 2",
        f"x = 1\n(((out){NOOP}\n\n))\ny = 2", "redirected to a no-op sink (line 2)"),
    "nested in a function": (
        "def save(d):\n    d.write.saveAsTable('t')\nsave(df)",
        f"def save(d):\n    ((d){NOOP})\nsave(df)", "(line 2)"),
    "writer variable": (
        "df = spark.range(3)\nw = df.write.mode('overwrite')\nw.parquet(p)",
        f"df = spark.range(3)\nw = df.write.mode('overwrite')\n((df){NOOP})", "`w.parquet(...)` redirected"),
    "writer variable through a variable": (
        "w = df.write\nw2 = w.option('header', True)\nw2.csv(p)",
        f"w = df.write\nw2 = w.option('header', True)\n((df){NOOP})", "`w2.csv(...)`"),
    "writerV2 variable": ("w = df.writeTo('t')\nw.append()", f"w = df.writeTo('t')\n((df){NOOP})", "`w.append(...)`"),
    "rdd saveAsTextFile": ("rdd.map(str).saveAsTextFile(p)", "((rdd.map(str)).count())",
                           "`rdd.map(str).saveAsTextFile(...)` replaced by a count of its elements (line 1)"),
    "rdd other saves": (
        "r.saveAsPickleFile(p); r.saveAsSequenceFile(p); r.saveAsNewAPIHadoopFile(p, f, k, v)",
        "((r).count()); ((r).count()); ((r).count())", "saveAsNewAPIHadoopFile"),
    "temp view": ("df.createTempView('v')", "((df).createOrReplaceTempView)('v')", "runs as `createOrReplaceTempView`"),
    "nested edits": ("(x.write.save(p), y.saveAsTextFile(p))", f"(((x){NOOP}), ((y).count()))", "(line 1)"),
    "non-ascii columns": ("y = 'é'; df.write.parquet('é')", f"y = 'é'; ((df){NOOP})", "redirected"),
}

REFUSED = {
    "foreach": ("rows.foreach(send)", "`rows.foreach(...)` runs code for its side effects (line 1)"),
    "foreachPartition": ("df.foreachPartition(f)", "foreachPartition"),
    "foreachBatch": ("q = df.writeStream.foreachBatch(f).start()", "writeStream"),
    "writeStream": ("x = 1\ndf.writeStream.format('console').start()",
                    "`df.writeStream` starts a streaming query (line 2)"),
    "sql insert": ("spark.sql('INSERT INTO t SELECT 1')", "runs INSERT"),
    "sql in a name": ("q = 'drop table t'\nspark.sql(q)", "`spark.sql(q)` runs DROP"),
    "sqlContext": ("sqlContext.sql('CREATE TABLE t (a INT)')", "runs CREATE"),
    "sql with comment": ("spark.sql('''-- note\n  MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE''')",
                         "MERGE"),
    "sql cte insert": ("spark.sql('WITH a AS (SELECT 1 AS x) INSERT INTO t SELECT x FROM a')", "runs INSERT"),
    "sql set": ("spark.sql('SET spark.sql.shuffle.partitions = 8')", "runs SET"),
    "sql cache": ("spark.sql(sqlQuery='CACHE TABLE t')", "runs CACHE"),
    "sql loop": ("for q in ['SELECT 1', 'TRUNCATE TABLE t']:\n    spark.sql(q)", "runs TRUNCATE"),
    "sql unknown": ("spark.sql(query)", "runs SQL text that is not known before the cell runs (line 1)"),
    "sql f-string verb": ("spark.sql(f'{verb} TABLE t')", "not known"),
    "sql parameter": ("def run(q):\n    return spark.sql(q)", "not known"),
    "sql built": ("spark.sql(' '.join(parts))", "not known"),
    "sql augmented": ("q = 'SELECT 1'\nq = 'DELETE FROM t'\nspark.sql(q)", "runs DELETE"),
    "to_csv": ("pdf.to_csv('out.csv')", "`pdf.to_csv(...)` writes a file or a table"),
    "to_parquet": ("pdf.to_parquet(p)", "writes a file"),
    "to_excel": ("pdf.to_excel(p)", "writes a file"),
    "to_sql": ("pdf.to_sql('t', con)", "writes a file"),
    "to_json path keyword": ("pdf.to_json(path_or_buf=p)", "writes a file"),
    "open write": ("with open('x.txt', 'w') as f:\n    f.write('a')", "`open(...)` opens a file for writing"),
    "open append keyword": ("open(p, mode='a')", "opens a file for writing"),
    "open unknown mode": ("open(p, m)", "opens a file for writing"),
    "path open": ("Path(p).open('wb')", "opens a file for writing"),
    "write_text": ("Path(p).write_text('x')", "`Path(p).write_text(...)` changes files"),
    "write_bytes": ("p.write_bytes(b)", "changes files"),
    "os.remove": ("os.remove(p)", "`os.remove(...)` changes files"),
    "os.unlink": ("os.unlink(p)", "changes files"),
    "os.rename": ("os.rename(a, b)", "changes files"),
    "shutil": ("shutil.rmtree(p)", "`shutil.rmtree(...)` changes files"),
    "shutil copy": ("import shutil\nshutil.copy(a, b)", "changes files"),
    "dbutils": ("dbutils.fs.rm(p, True)", "`dbutils.fs.rm(...)` changes files"),
    "dbutils put": ("dbutils.fs.put(p, 'x')", "changes files"),
    "catalog": ("spark.catalog.dropTempView('v')", "`spark.catalog.dropTempView(...)` changes the catalog"),
    "catalog create": ("spark.catalog.createTable('t', path=p)", "changes the catalog"),
    "shell": ("get_ipython().system('rm -r out')", "runs a shell command"),
    "subprocess": ("subprocess.run(['rm', p])", "runs a shell command"),
    "delta": ("dt = DeltaTable.forPath(spark, p)\ndt.delete('x > 1')", "`dt.delete(...)` changes a Delta table"),
    "writer escapes": ("def w():\n    return df.write.mode('overwrite')\nw().parquet(p)",
                       "`df.write.mode('overwrite')` is a DataFrame writer used in a way that cannot be redirected"),
    "writer base rebound": ("w = df.write\ndf = other\nw.parquet(p)",
                            "`w.parquet(...)` saves through a writer whose DataFrame cannot be named safely"),
    "first refusal wins": ("df.write.parquet(p)\nos.remove(p)\nrows.foreach(f)", "os.remove"),
    "syntax error": ("df.write.parquet(", "cannot be read as Python"),
    "magic time": ("get_ipython().run_line_magic('time', 'df.write.parquet(p)')",
                   "`%time` runs code that writes or has side effects, which cannot be redirected inside a magic"),
    "magic timeit options": ("get_ipython().run_line_magic('timeit', '-n 1 -r 1 rows.foreach(f)')",
                             "`%timeit` runs code"),
    "cell magic": ("get_ipython().run_cell_magic('time', '', 'x = 1\\nos.remove(p)\\n')", "`%%time` runs code"),
    "sql magic": ("get_ipython().run_line_magic('sql', 'INSERT INTO t VALUES (1)')", "`%sql` runs INSERT"),
    "bash magic": ("get_ipython().run_cell_magic('bash', '', 'rm -r out')", "`%%bash` runs a shell command"),
    "getoutput": ("files = get_ipython().getoutput('ls')", "runs a shell command"),
}

UNCHANGED = {
    "reads": "df = spark.read.parquet(p)\nt = spark.read.format('csv').load(p)\nspark.table('t').show()",
    "actions": "df.cache()\nrows = df.collect()\ndf.show()\ndisplay(df)\nprint(df.count())",
    "query sql": "spark.sql('SELECT * FROM t').show()\nspark.sql(f'SELECT * FROM {t} WHERE x > {v}')",
    "sql cte query": "spark.sql('''\n  WITH a AS (SELECT 1 AS x)\n  SELECT * FROM a''')",
    "sql show describe": "spark.sql('SHOW TABLES'); spark.sql('describe t'); spark.sql('(SELECT 1)')",
    "sql name query": "q = 'SELECT 1'\nq += ' UNION ALL SELECT 2'\nspark.sql(q)",
    "save on other things": "model.save(p)\nfig.savefig(p) if False else None\nckpt.save()",
    "write of a file object": "import sys\nsys.stdout.write('x')\nlog.write('y')",
    "temp views": "df.createOrReplaceTempView('v')\nsc.addFile(p)\nsc.addPyFile(p)",
    "pandas to strings": "s = pdf.to_csv()\nj = pdf.to_json()\nh = pdf.to_html()",
    "open for reading": "with open(p) as f:\n    text = f.read()\nopen(p, 'rb').close()",
    "dbutils read": "dbutils.fs.ls(p)\ndbutils.fs.head(p)",
    "catalog read": "spark.catalog.listTables()\nspark.catalog.tableExists('t')",
    "already noop": "df.write.format('noop').mode('overwrite').save()",
    "dict update": "d = {}\nd.update(a=1)\nrows = df.rdd.map(lambda r: r).collect()",
    "bare writer": "df.write",
    "harmless magics": ("get_ipython().run_line_magic('time', 'n = df.count()')\n"
                        "get_ipython().run_line_magic('timeit', '-n 1 -r 1 df.collect()')\n"
                        "get_ipython().run_line_magic('matplotlib', 'inline')\n"
                        "get_ipython().run_cell_magic('sql', '', 'SELECT 1')"),
}


@pytest.mark.parametrize("case", REDIRECTED)
def test_redirected(case):
    code, expected, note = REDIRECTED[case]
    r = redirect(code)
    assert r.refused is None and r.code == expected, r
    assert any(note in n for n in r.notes), r.notes
    compile(r.code, "cell", "exec")
    assert r.code.count("\n") == code.count("\n")  # line numbers stay


@pytest.mark.parametrize("case", REFUSED)
def test_refused(case):
    code, why = REFUSED[case]
    r = redirect(code)
    assert r.code is None and why in r.refused, r
    assert "\n" not in r.refused


@pytest.mark.parametrize("case", UNCHANGED)
def test_unchanged(case):
    code = UNCHANGED[case]
    r = redirect(code)
    assert r == sinks.Redirected(code, (), None)


def test_sql_text_from_the_namespace():
    assert redirect("spark.sql(q)", {"q": "SELECT 1"}).code == "spark.sql(q)"
    assert "runs TRUNCATE" in redirect("spark.sql(q)", {"q": "TRUNCATE TABLE t"}).refused
    assert "not known" in redirect("spark.sql(q)", {"q": 3}).refused


@pytest.mark.parametrize("text, kind", [
    ("SELECT 1", "query"), ("  /* c */ (select 1) union select 2", "query"), ("values (1)", "query"),
    ("EXPLAIN INSERT INTO t SELECT 1", "query"), ("with a as (select 1) select * from a", "query"),
    ("with a as (select 1) insert into t select * from a", "INSERT"), ("insert overwrite t select 1", "INSERT"),
    ("REFRESH TABLE t", "REFRESH"), ("load data inpath 'x' into table t", "LOAD"), ("UNCACHE TABLE t", "UNCACHE"),
    ("ALTER TABLE t ADD COLUMN c INT", "ALTER"), ("UPDATE t SET a = 1", "UPDATE"),
    (f"{sinks.HOLE} FROM t", None), ("", None), ("WITH a AS (", None),
])
def test_sql_statement(text, kind):
    assert sql_statement(text) == kind


def test_doctests():
    assert doctest.testmod(sinks).failed == 0


def test_never_imports_pyspark():
    import subprocess
    import sys

    probe = ("import sys; from sparkcoach.measure.sinks import redirect; redirect('df.write.parquet(p)');"
             "redirect(\"spark.sql('WITH a AS (SELECT 1) SELECT 1')\"); print('pyspark' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60).stdout
    assert out.strip() == "False"


@pytest.mark.spark
def test_redirected_cell_writes_nothing_and_still_runs_the_plan(spark, tmp_path):
    sc = spark.sparkContext
    paths = {k: str(tmp_path / k) for k in ("parquet", "csv", "text")}
    table = "sparkcoach_sinks_check"
    cell = "\n".join([
        "seen = sc.accumulator(0)",
        "df = spark.range(0, 200, numPartitions=2).selectExpr('id', 'id % 3 AS d')",
        "df.write.mode('overwrite').partitionBy('d').parquet(PATHS['parquet'])",
        "w = df.write.option('header', True)",
        "w.csv(PATHS['csv'])",
        f"df.write.saveAsTable('{table}')",
        "sc.parallelize(range(10), 2).map(lambda x: seen.add(1) or str(x)).saveAsTextFile(PATHS['text'])",
    ])
    r = redirect(cell)
    assert r.code is not None and len(r.notes) == 4, r
    group = "sparkcoach-test-sinks"
    ns = {"spark": spark, "sc": sc, "PATHS": paths}
    sc.setJobGroup(group, "redirected writes")
    try:
        exec(compile(r.code, "cell", "exec"), ns)
    finally:
        sc.setJobGroup("sparkcoach-test-other", "")
    sc._jsc.sc().listenerBus().waitUntilEmpty()
    assert not any((tmp_path / k).exists() for k in paths)
    assert not spark.catalog.tableExists(table)
    assert len(sc.statusTracker().getJobIdsForGroup(group)) == 4  # three no-op writes and one count
    assert ns["seen"].value == 10  # the count went through every element


@pytest.mark.spark
def test_the_noop_sink_executes_the_plan(spark):
    r = redirect("bad = spark.range(3).selectExpr(\"raise_error('the plan ran')\")\nbad.write.parquet(p)")
    with pytest.raises(Exception, match="the plan ran"):
        exec(compile(r.code, "cell", "exec"), {"spark": spark, "p": "/nonexistent/never-written"})
