"""%%sparklint in a real notebook, executed by a real kernel (nbclient)."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient
from helpers import KERNEL_SPARK_SETUP

pytestmark = pytest.mark.spark

SETUP = KERNEL_SPARK_SETUP


def test_sparklint_in_an_executed_notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(SETUP),
        nbformat.v4.new_code_cell("%load_ext sparkcoach"),
        nbformat.v4.new_code_cell("%%sparklint\npairs = sc.parallelize([('a', 1), ('b', 2), ('a', 3)] * 10)\n"
                                  "counts = pairs.groupByKey().mapValues(sum)\nsorted(counts.collect())"),
        nbformat.v4.new_code_cell("%%sparklint\nboom = 1 / 0"),
        nbformat.v4.new_code_cell("after_error = 'not reached'"),
    ]
    client = NotebookClient(nb, timeout=240, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(Exception) as raised:
        client.execute()
    assert "ZeroDivisionError" in str(raised.value)  # the user's error stops the run, as without the magic

    load_out = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert "classic local" in load_out

    outs = nb.cells[2].outputs
    result = [o for o in outs if o["output_type"] == "execute_result"]
    assert result and "[('a', 40), ('b', 20)]" in result[0]["data"]["text/plain"]
    rich = [o for o in outs if o["output_type"] == "display_data" and
            "application/vnd.sparkcoach.findings+json" in o["data"]]
    assert rich, outs
    data = rich[0]["data"]
    payload = data["application/vnd.sparkcoach.findings+json"]
    assert "SPK201" in {f["code"] for f in payload["findings"]}
    assert "text/html" in data and "text/plain" in data
    assert payload["summary"]["jobs"] >= 1

    err = [o for o in nb.cells[3].outputs if o["output_type"] == "error"]
    assert err and err[0]["ename"] == "ZeroDivisionError"
    assert nb.cells[4].outputs == []  # not run


def _run(nb, tmp_path, allow_errors=False):
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb


def _payloads(cell):
    return [o["data"]["application/vnd.sparkcoach.findings+json"] for o in cell.outputs
            if o["output_type"] == "display_data" and "application/vnd.sparkcoach.findings+json" in o["data"]]


def test_without_spark_the_static_findings_show_with_one_note(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext sparkcoach"),
        nbformat.v4.new_code_cell("%%sparklint\ntotal = sum(range(10))\n"
                                  "counts = pairs.groupByKey().mapValues(sum) if False else None\ntotal"),
    ]
    _run(nb, tmp_path)
    assert "no Spark session" in "".join(o.get("text", "") for o in nb.cells[0].outputs)
    outs = nb.cells[1].outputs
    assert [o for o in outs if o["output_type"] == "execute_result"][0]["data"]["text/plain"] == "45"
    payload = _payloads(nb.cells[1])[0]
    assert [f["code"] for f in payload["findings"]] == ["SPK201"]
    assert any("no Spark session" in n for n in payload["summary"]["notes"])


from servers import standalone_cluster  # noqa: E402,F401  (fixture: a real standalone master and worker)


def test_against_a_standalone_cluster(tmp_path, standalone_cluster):
    setup = SETUP.replace('.master("local[2]")', f'.master("{standalone_cluster}")').replace(
        '.config("spark.sql.shuffle.partitions", "4")',
        '.config("spark.sql.shuffle.partitions", "4").config("spark.executor.memory", "512m")')
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(setup),
        nbformat.v4.new_code_cell("%load_ext sparkcoach"),
        nbformat.v4.new_code_cell("%%sparklint\nevents = spark.range(50000).selectExpr('id % 7 AS k', 'id AS v')\n"
                                  "per_key = events.groupBy('k').count().orderBy('k')\nrows = per_key.collect()\nlen(rows)"),
    ]
    _run(nb, tmp_path)
    assert "classic cluster" in "".join(o.get("text", "") for o in nb.cells[1].outputs)
    payload = _payloads(nb.cells[2])[0]
    assert payload["summary"]["spark"] == "classic cluster"
    assert payload["summary"]["jobs"] >= 1 and payload["plans"]
