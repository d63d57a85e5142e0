"""The kernel's side of the channel to sparkcoach's JupyterLab extension (comm target ``sparkcoach``).

Messages (JSON objects, never JSON inside JSON):

- kernel → frontend ``{"action": "insert-cell", "text": ...}``: the view's "Insert rewritten cell
  below" button; the extension inserts a code cell below the notebook's active cell.
- frontend → kernel ``{"action": "measure", "request": id, "snapshot": key, "finding": index}``:
  the extension's "Measure" button; the answer, on the same comm, is
  ``{"action": "measurement", "request": id, "measurement": {...}}`` or
  ``{"action": "error", "request": id, "message": "<one line>"}``.

Either side may open the comm.  The extension opens one whenever a kernel becomes ready; the kernel
closes it while sparkcoach is not loaded.  ``%load_ext sparkcoach`` therefore *offers* a comm to
the frontend (:meth:`Frontend.offer`); the extension answers by opening its own.  Only comms the
extension opened count as a listening frontend: an offer nobody answers (nbclient, a frontend
without the extension) never swallows a cell.  Without the extension the insert button falls back
to IPython's ``set_next_input`` and shows the rewritten cell for copying, saying so.
"""

from __future__ import annotations

from typing import Callable

TARGET = "sparkcoach"
COPY_HINT = ("Copy the rewritten cell below into a new cell (the sparkcoach JupyterLab extension "
             "inserts it directly).")
MAX_MESSAGE = 300  # characters of an error sent to the frontend

MeasureHandler = Callable[[int, int], dict]


class Frontend:
    """The comms to the extension of one kernel.  ``on_measure(snapshot, finding_index)`` returns a
    measurement dict (schema ``$defs/measurement``) or raises; it answers the extension's requests."""

    def __init__(self, shell, on_measure: MeasureHandler | None = None):
        self.shell = shell
        self.on_measure = on_measure
        self.comms: list = []  # opened by the extension: a frontend listens at the other end
        self.offers: list = []  # opened from here (``offer``), until the extension answers
        self._manager = None

    def register(self) -> None:
        manager = _comm_manager(self.shell)
        if manager is None:
            return
        try:
            manager.register_target(TARGET, self._opened)
            self._manager = manager
        except Exception:
            self._manager = None

    def unregister(self) -> None:
        if self._manager is not None:
            try:
                self._manager.unregister_target(TARGET, self._opened)
            except Exception:
                pass
        self._manager = None
        for comm in self.comms + self.offers:
            try:
                comm.close()
            except Exception:
                pass
        self.comms = []
        self.offers = []

    def offer(self) -> None:
        """Open a comm to the frontend's ``sparkcoach`` target (the extension answers by opening its
        own).  Nothing without a kernel (a plain IPython shell) or before :meth:`register`."""
        if self._manager is None:
            return
        try:
            from comm import create_comm

            comm = create_comm(target_name=TARGET, data={})
        except Exception:
            return
        self.offers.append(comm)
        comm.on_close(lambda _msg, c=comm: _discard(self.offers, c))

    def _opened(self, comm, _msg) -> None:
        self.comms.append(comm)
        comm.on_close(lambda _msg, c=comm: _discard(self.comms, c))
        comm.on_msg(lambda msg, c=comm: self._received(c, msg))

    def _received(self, comm, msg) -> None:
        data = (msg.get("content") or {}).get("data")
        if not isinstance(data, dict) or data.get("action") != "measure":
            return  # nothing else is asked of the kernel
        try:
            comm.send(self.answer(data))
        except Exception:
            _discard(self.comms, comm)

    def answer(self, data: dict) -> dict:
        """The reply to one ``measure`` request: the measurement, or an error of one line."""
        request = data.get("request")
        snapshot, index = data.get("snapshot"), data.get("finding")
        if not _is_int(snapshot) or not _is_int(index):
            return _error(request, "a measure request needs an integer snapshot and finding")
        if self.on_measure is None:
            return _error(request, "sparkcoach cannot measure here")
        try:
            measurement = self.on_measure(snapshot, index)
        except KeyboardInterrupt:
            return _error(request, "measurement interrupted")
        except LookupError as exc:  # no such snapshot or finding: said as it is
            return _error(request, _one_line(exc))
        except Exception as exc:
            return _error(request, _one_line(exc, f"measurement failed: {type(exc).__name__}: "))
        return {"action": "measurement", "request": request, "measurement": measurement}

    def insert_cell(self, text: str) -> str | None:
        """Ask the extension to insert ``text`` as a new cell below the active one; None when asked,
        else a hint for the view (the cell is then offered as the next input)."""
        sent = False
        for comm in list(self.comms):
            try:
                comm.send({"action": "insert-cell", "text": text})
                sent = True
            except Exception:
                _discard(self.comms, comm)
        if sent:
            return None
        try:
            self.shell.set_next_input(text, replace=False)
        except Exception:
            pass
        return COPY_HINT


def _discard(items: list, item) -> None:
    if item in items:
        items.remove(item)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _error(request, message: str) -> dict:
    return {"action": "error", "request": request, "message": message}


def _one_line(exc: BaseException, lead: str = "") -> str:
    """The first line of what ``exc`` says (a KeyError's key unquoted), after ``lead``, capped."""
    said = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    lines = str(said).strip().splitlines()
    text = lead + lines[0] if lines else (lead.rstrip(": ") or type(exc).__name__)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "\u2026"


def _comm_manager(shell):
    kernel = getattr(shell, "kernel", None)
    manager = getattr(kernel, "comm_manager", None)
    if manager is not None:
        return manager
    if kernel is None:
        return None
    try:
        from comm import get_comm_manager

        return get_comm_manager()
    except Exception:
        return None
