"""%%sparklint in a real notebook, executed by a real kernel (nbclient)."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.spark

SETUP = """from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").config("spark.sql.shuffle.partitions", "4")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.ui.showConsoleProgress", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
sc = spark.sparkContext"""


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
