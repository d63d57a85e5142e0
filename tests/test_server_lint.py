"""The lint route's pure part: request checks, one-line errors, findings mapped to cell ids."""

from __future__ import annotations

import doctest
import json

import pytest

from sparkcoach import registry
from sparkcoach.engine.lint import Settings, lint_cells
from sparkcoach.server import lint as server_lint
from sparkcoach.server.lint import MAX_BODY_BYTES, MAX_CELLS, BadRequest, lint_body, parse_request, rules

RDD = "rdd = sc.parallelize([(1, 2), (1, 3)])"
GROUP = "total = 0\nrdd.groupByKey().mapValues(sum)"
DF = "df = spark.read.parquet('events')"
COLLECT = "n = 1\nrows = df.collect()"


def body(cells, **extra) -> str:
    return json.dumps({"cells": [{"id": i, "source": s} for i, s in cells], **extra})


def test_findings_carry_their_cell_id_and_lines_within_the_cell():
    out = lint_body(body([("c-0", RDD), ("c-1", GROUP)]))
    assert [(f["code"], f["cell_id"], f["cell"], f["line"], f["column"]) for f in out["findings"]] == [
        ("SPK201", "c-1", 1, 2, 5)]
    assert out["findings"][0]["fix"]["edits"][0]["replacement"].startswith("reduceByKey")
    assert isinstance(out["elapsed_ms"], float) and out["elapsed_ms"] >= 0


def test_names_from_an_earlier_cell_are_seen():
    out = lint_body(body([("load", DF), ("use", COLLECT)]))
    assert [(f["code"], f["cell_id"], f["line"]) for f in out["findings"]] == [("SPK101", "use", 2)]
    # alone, the second cell does not know `df` is a DataFrame
    assert lint_body(body([("use", COLLECT)]))["findings"] == []


def test_findings_are_the_engines_plus_cell_id():
    cells = [("a", DF), ("b", COLLECT), ("c", RDD), ("d", GROUP)]
    out = lint_body(body(cells))
    expected = [f.to_dict() for f in lint_cells([s for _, s in cells], "<notebook>", settings=Settings())]
    assert expected, "the engine should find something in these cells"
    assert [{k: v for k, v in f.items() if k != "cell_id"} for f in out["findings"]] == expected
    assert [f["cell_id"] for f in out["findings"]] == ["abcd"[f["cell"]] for f in expected]


def test_a_cell_that_does_not_parse_gives_spk000_and_others_still_lint():
    out = lint_body(body([("ok", RDD), ("broken", "def f(:\n"), ("later", GROUP)]))
    by_code = {(f["code"], f["cell_id"]) for f in out["findings"]}
    assert ("SPK000", "broken") in by_code
    assert ("SPK201", "later") in by_code


def test_ipython_syntax_and_empty_notebook():
    out = lint_body(body([("m", "%%time\n" + RDD), ("g", "!ls\n" + GROUP)]))
    assert [(f["code"], f["cell_id"], f["line"]) for f in out["findings"]] == [("SPK201", "g", 3)]
    assert lint_body('{"cells": []}')["findings"] == []


def test_select_and_ignore_take_codes_and_prefixes():
    cells = [("a", DF), ("b", COLLECT), ("c", RDD), ("d", GROUP)]
    codes = lambda **kw: {f["code"] for f in lint_body(body(cells, **kw))["findings"]}  # noqa: E731
    everything = codes()
    assert {"SPK101", "SPK201"} <= everything
    assert codes(ignore=["SPK201"]) == everything - {"SPK201"}
    assert codes(select=["SPK2"]) == {"SPK201"}
    assert codes(select=["SPK1"]) == {c for c in everything if c.startswith("SPK1")}
    assert codes(select=["SPK1", "SPK2"], ignore=["SPK101"]) == everything - {"SPK101"}
    assert codes(select=[], ignore=[]) == everything


def test_parse_request_keeps_order_and_fields():
    req = parse_request(body([("x", "a = 1"), ("y", "b = 2")], ignore=["SPK101"], select=["SPK"]).encode())
    assert req.ids == ("x", "y") and req.sources == ("a = 1", "b = 2")
    assert req.ignore == ("SPK101",) and req.select == ("SPK",)
    assert parse_request('{"cells": [], "ignore": null}').ignore == ()


BAD = [
    (b"", "malformed JSON: Expecting value at line 1 column 1"),
    (b'{"cells": [', "malformed JSON: Expecting value at line 1 column 12"),
    (b'{"cells": []}\xff', "malformed JSON: the body is not UTF-8"),
    (b"[]", "the body must be a JSON object, got list"),
    (b'"cells"', "the body must be a JSON object, got string"),
    (b"{}", "missing field 'cells'"),
    (b'{"cells": {}}', "'cells' must be a list, got object"),
    (b'{"cells": "print(1)"}', "'cells' must be a list, got string"),
    (b'{"cells": null}', "'cells' must be a list, got null"),
    (b'{"cells": ["x = 1"]}', "cells[0] must be an object with 'id' and 'source', got string"),
    (b'{"cells": [{"id": "a"}]}', "cells[0] has no 'source'"),
    (b'{"cells": [{"id": "a", "source": "x"}, {"source": "y"}]}', "cells[1] has no 'id'"),
    (b'{"cells": [{"id": "a", "source": ["x = 1\\n"]}]}', "cells[0].source must be a string, got list"),
    (b'{"cells": [{"id": "a", "source": null}]}', "cells[0].source must be a string, got null"),
    (b'{"cells": [{"id": 3, "source": "x"}]}', "cells[0].id must be a string, got number"),
    (b'{"cells": [{"id": true, "source": "x"}]}', "cells[0].id must be a string, got boolean"),
    (b'{"cells": [{"id": "a", "source": "x"}, {"id": "a", "source": "y"}]}', "cells[1].id 'a' repeats cells[0].id"),
    (b'{"cells": [], "ignore": "SPK201"}', "'ignore' must be a list of rule codes, got string"),
    (b'{"cells": [], "ignore": ["SPK201", 201]}',
     "'ignore[1]' must be a string (a rule code such as SPK201), got number"),
    (b'{"cells": [], "select": {"SPK2": true}}', "'select' must be a list of rule codes, got object"),
    (b'{"cells": [], "ignored": []}', "unknown field 'ignored' (expected cells, ignore, select)"),
    (b"[" * 100_000 + b"]" * 100_000, "malformed JSON: nested too deeply"),
]


@pytest.mark.parametrize("raw,message", BAD, ids=[m for _, m in BAD])
def test_bad_request_gives_one_line_message(raw, message):
    with pytest.raises(BadRequest) as err:
        lint_body(raw)
    text = str(err.value)
    assert text.startswith(message), text
    assert "\n" not in text and "Traceback" not in text


def test_too_many_cells_and_too_large_body():
    cells = [{"id": str(i), "source": ""} for i in range(MAX_CELLS + 1)]
    with pytest.raises(BadRequest, match=rf"^too many cells: {MAX_CELLS + 1} \(at most {MAX_CELLS}\)$"):
        parse_request(json.dumps({"cells": cells}))
    assert len(parse_request(json.dumps({"cells": cells[:MAX_CELLS]})).ids) == MAX_CELLS
    big = body([("a", "x = 1\n" + "#" * MAX_BODY_BYTES)])
    with pytest.raises(BadRequest, match=r"^body too large: \d+ bytes \(at most 4194304\)$"):
        parse_request(big.encode())


def test_a_cell_nested_too_deeply_for_the_parser_is_its_spk000_and_the_others_are_linted():
    # CPython's parser gives up (MemoryError) on such input: that cell gets SPK000, the others their findings
    found = lint_body(body([("deep", "-" * 200_000 + "1"), ("fine", RDD + "\n" + GROUP)]))["findings"]
    assert [(f["cell_id"], f["code"]) for f in found] == [("deep", "SPK000"), ("fine", "SPK201")]


def test_rules_lists_every_rule_of_the_registry():
    listed = rules()["rules"]
    assert [r["code"] for r in listed] == [r.code for r in registry.all_rules()]
    for entry, rule in zip(listed, registry.all_rules()):
        assert entry == {"code": rule.code, "name": rule.name, "severity": rule.severity,
                         "kind": rule.kind, "summary": rule.summary}
        assert entry["summary"] and entry["kind"] in ("python", "sql", "plan", "lineage", "runtime")
    json.dumps(listed)


def test_module_docstring_example_runs():
    assert doctest.testmod(server_lint).failed == 0
