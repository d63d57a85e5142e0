"""The comm between the kernel and the JupyterLab extension, through a real ipykernel.

The test plays the extension's side with a real ``jupyter_client`` connection: it opens comms and
sends requests exactly as the extension does (``comm_open`` / ``comm_msg`` on the shell channel)
and reads the kernel's answers on iopub.  The kernel runs real local Spark.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import time
import uuid
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from sparkcoach.frontend import COPY_HINT, TARGET
from sparkcoach.views import bundle
from sparkcoach.views.bundle import MIME
from helpers import KERNEL_SPARK_SETUP

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parent.parent
SETUP = KERNEL_SPARK_SETUP
CELL = """%%sparklint --runs 1
pairs = sc.parallelize([(w % 7, 1) for w in range(200)], 2)
counts = pairs.groupByKey().mapValues(sum)
result = sorted(counts.collect())"""


class Kernel:
    """A real kernel and a client that speaks for the extension."""

    def __init__(self):
        env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable,
               "PYSPARK_DRIVER_PYTHON": sys.executable,
               "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
               "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(env=env, cwd=str(ROOT))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def stop(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def send(self, msg_type: str, content: dict) -> str:
        """A shell message as the extension's KernelConnection sends it; returns its msg id."""
        msg = self.kc.session.msg(msg_type, content)
        self.kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def iopub_until_idle(self, parent: str, timeout: float = 240) -> list[dict]:
        """The iopub messages answering ``parent``, up to the kernel going idle after it."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no idle after {parent} in {timeout} s: {out}") from None
            if msg["parent_header"].get("msg_id") != parent:
                continue
            out.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return out

    def execute(self, code: str) -> list[dict]:
        msg_id = self.kc.execute(code, store_history=True)
        msgs = self.iopub_until_idle(msg_id)
        errors = [m["content"] for m in msgs if m["msg_type"] == "error"]
        assert not errors, errors[0]["evalue"]
        return msgs

    def evaluate(self, expr: str):
        """The value of ``expr`` in the kernel, through JSON."""
        msgs = self.execute(f"import json as _j; print(_j.dumps({expr}))")
        text = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream"
                       and m["content"]["name"] == "stdout")
        return json.loads(text.strip().splitlines()[-1])

    def open_comm(self) -> tuple[str, list[dict]]:
        comm_id = uuid.uuid4().hex
        parent = self.send("comm_open", {"comm_id": comm_id, "target_name": TARGET, "data": {}})
        return comm_id, self.iopub_until_idle(parent)

    def request(self, comm_id: str, data: dict) -> dict:
        """A frontend→kernel message on ``comm_id``; the kernel's one comm_msg answer."""
        parent = self.send("comm_msg", {"comm_id": comm_id, "data": data})
        answers = [m["content"] for m in self.iopub_until_idle(parent) if m["msg_type"] == "comm_msg"]
        assert len(answers) == 1, answers
        assert answers[0]["comm_id"] == comm_id
        return answers[0]["data"]


def _closed(msgs: list[dict], comm_id: str) -> bool:
    return any(m["msg_type"] == "comm_close" and m["content"]["comm_id"] == comm_id for m in msgs)


@pytest.fixture(scope="module")
def kernel():
    k = Kernel()
    try:
        yield k
    finally:
        k.stop()


@pytest.fixture(scope="module")
def loaded(kernel):
    """The kernel after the setup cell and %load_ext, with the messages %load_ext sent."""
    # Before sparkcoach is loaded the kernel refuses the extension's comm (quietly, by closing it).
    comm_id, msgs = kernel.open_comm()
    assert _closed(msgs, comm_id), msgs
    kernel.execute(SETUP)
    return kernel, kernel.execute("%load_ext sparkcoach")


@pytest.fixture(scope="module")
def channel(loaded):
    """The extension's answer to the kernel's offer: its own comm, which the kernel keeps open."""
    kernel, _ = loaded
    comm_id, msgs = kernel.open_comm()
    assert not _closed(msgs, comm_id), msgs
    return kernel, comm_id


def test_load_ext_offers_a_comm_to_the_frontend_target(loaded):
    kernel, msgs = loaded
    offers = [m["content"] for m in msgs if m["msg_type"] == "comm_open"]
    assert [o["target_name"] for o in offers] == [TARGET]
    # An offer nobody answered is no listening extension: the insert button says to copy the cell.
    hint = kernel.evaluate("get_ipython()._sparkcoach_magics._insert_cell('x = 1\\n')")
    assert hint == COPY_HINT


def test_insert_cell_reaches_the_extensions_comm(channel):
    kernel, comm_id = channel
    msg_id = kernel.kc.execute("said = get_ipython()._sparkcoach_magics._insert_cell('y = 2\\n')")
    msgs = kernel.iopub_until_idle(msg_id)
    sent = [m["content"] for m in msgs if m["msg_type"] == "comm_msg"]
    assert sent == [{"comm_id": comm_id, "data": {"action": "insert-cell", "text": "y = 2\n"}}]
    assert kernel.evaluate("said") is None  # asked the extension: no copy hint


@pytest.fixture(scope="module")
def shown(channel):
    """A %%sparklint run's display: the MIME payload and its metadata."""
    kernel, comm_id = channel
    msgs = kernel.execute(CELL)
    displays = [m["content"] for m in msgs if m["msg_type"] == "display_data" and MIME in m["content"]["data"]]
    assert len(displays) == 1, [m["msg_type"] for m in msgs]
    return kernel, comm_id, displays[0]


def test_the_display_carries_the_snapshot_key(shown):
    kernel, _, display = shown
    key = display["metadata"][MIME]["snapshot"]
    assert isinstance(key, int) and not isinstance(key, bool)
    assert key == kernel.evaluate("max(get_ipython()._sparkcoach_magics._snapshots._items)")
    bundle.validate(display["data"][MIME])


def test_measure_request_returns_a_measurement_of_that_finding(shown):
    kernel, comm_id, display = shown
    report = display["data"][MIME]
    index = next(i for i, f in enumerate(report["findings"]) if f["code"] == "SPK201")
    assert report["findings"][index]["rewrite"], report["findings"][index]
    answer = kernel.request(comm_id, {"action": "measure", "request": "r-1",
                                      "snapshot": display["metadata"][MIME]["snapshot"], "finding": index})
    assert answer["action"] == "measurement" and answer["request"] == "r-1", answer
    m = answer["measurement"]
    bundle.validate({**report, "measurements": [m]})  # the schema's $defs/measurement, through the whole report
    assert (m["code"], m["line"]) == ("SPK201", report["findings"][index]["line"])
    assert m["status"] == "done" and m["same_result"] is True, m
    assert m["runs"] == 1  # the cell's own --runs 1, kept with its snapshot
    assert [v["label"] for v in m["variants"]] == ["original", "rewrite"]
    assert all(len(v["times_s"]) == 1 for v in m["variants"])


@pytest.mark.parametrize("data, said", [
    ({"snapshot": 999, "finding": 0}, "no longer held"),
    ({"snapshot": None, "finding": 0}, "integer snapshot"),
    ({"finding": "0"}, "integer snapshot"),
])
def test_bad_measure_requests_get_a_one_line_error(shown, data, said):
    kernel, comm_id, _ = shown
    answer = kernel.request(comm_id, {"action": "measure", "request": "bad", **data})
    assert answer["action"] == "error" and answer["request"] == "bad", answer
    assert said in answer["message"] and "\n" not in answer["message"], answer


def test_a_finding_outside_the_report_gets_a_one_line_error(shown):
    kernel, comm_id, display = shown
    n = len(display["data"][MIME]["findings"])
    answer = kernel.request(comm_id, {"action": "measure", "request": "far",
                                      "snapshot": display["metadata"][MIME]["snapshot"], "finding": n})
    assert answer == {"action": "error", "request": "far",
                      "message": f"finding {n} is not in that cell's report (it has {n})"}


def test_closing_the_comm_falls_back_to_the_copy_hint(shown):
    kernel, comm_id, _ = shown
    parent = kernel.send("comm_close", {"comm_id": comm_id, "data": {}})
    kernel.iopub_until_idle(parent)
    assert kernel.evaluate("get_ipython()._sparkcoach_magics._insert_cell('z = 3\\n')") == COPY_HINT
