"""The kernel's side of the channel to sparkcoach's JupyterLab extension.

The extension opens a comm to the target ``sparkcoach`` when it connects to a kernel; the
view's "Insert rewritten cell below" button then asks it to insert the cell.  Without the
extension (classic Notebook, VS Code, nbclient), the button falls back to IPython's
``set_next_input`` and shows the rewritten cell for copying, saying so.
"""

from __future__ import annotations

TARGET = "sparkcoach"
COPY_HINT = ("Copy the rewritten cell below into a new cell (the sparkcoach JupyterLab extension "
             "inserts it directly).")


class Frontend:
    def __init__(self, shell):
        self.shell = shell
        self.comms: list = []
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
        self.comms = []

    def _opened(self, comm, _msg) -> None:
        self.comms.append(comm)

        def closed(_msg, c=comm):
            if c in self.comms:
                self.comms.remove(c)

        comm.on_close(closed)

    def insert_cell(self, text: str) -> str | None:
        """Ask the extension to insert ``text`` as a new cell below the running one; None when asked,
        else a hint for the view (the cell is then offered as the next input)."""
        sent = False
        for comm in list(self.comms):
            try:
                comm.send({"action": "insert-cell", "text": text})
                sent = True
            except Exception:
                self.comms.remove(comm)
        if sent:
            return None
        try:
            self.shell.set_next_input(text, replace=False)
        except Exception:
            pass
        return COPY_HINT


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
