"""CPU priority of the batch work (a full sweep's worker processes, the roster import's): requests go first.

A batch process lowers its own priority (`lower_priority`): on a machine shared with the API, the kernel then
gives the CPU to the service's requests first and the batch takes what is left. Its PostgreSQL session is a
process too, the server's backend, and it runs at the server's priority: a sweep worker's backend writes
every row it evaluates (~0.7 s of CPU per 10,000 certifications, as much as a third of the sweep's work), so
on the machine that also serves it competes with the requests' own backends and with the serving process.
Where the database server runs on this machine and this process may change the backend's priority (it runs
as the server's user, or with the right to: root, CAP_SYS_NICE), `lower_backend_priority` lowers it to the
same niceness for the life of the connection (a backend serves one connection and ends with it). Elsewhere (a
server on another host or in another container, another user) it does nothing: the batch's own process is
niced as before.

The backend is the one this connection talks to, checked before it is touched: psycopg's `backend_pid` names a
process of this machine only when the server's process title names this connection's own end (`host(port)`
of this socket over TCP) or, over a Unix socket, when the process is a child of the process that accepted the
connection (the postmaster, SO_PEERCRED). A pid that is not proved so (another machine's or container's
numbering, process titles turned off) is left alone.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger("peer_ce.priority")


def lower_priority(niceness: int, pid: int = 0) -> bool:
    """Run this process (or `pid`) at least this nice; False when it was not changed (not allowed, not on this
    platform, or `niceness` <= 0)."""
    if niceness <= 0:
        return False
    try:
        current = os.getpriority(os.PRIO_PROCESS, pid)
        if current < niceness:
            os.setpriority(os.PRIO_PROCESS, pid, niceness)
        return True
    except (AttributeError, OSError) as exc:  # not on this platform, or not allowed
        log.log(
            logging.DEBUG if pid else logging.WARNING,
            "%s stays at its priority: %s",
            f"process {pid}" if pid else "worker process",
            exc,
        )
        return False


def lower_backend_priority(engine: Engine, niceness: int) -> None:
    """Each new connection of `engine` gets its server backend run at least `niceness` nice, where that backend
    is a process of this machine that this process may renice (see the module's doc). Only for an engine whose
    connections serve batch work alone: a backend keeps its niceness as long as its connection lives."""
    if niceness <= 0 or engine.dialect.name != "postgresql" or not sys.platform.startswith("linux"):
        return
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        pid = local_backend_pid(dbapi_connection)
        if pid is not None and lower_priority(niceness, pid):
            log.debug("database backend %s runs at niceness >= %s", pid, niceness)


def local_backend_pid(dbapi_connection: Any) -> int | None:
    """The pid of this (psycopg) connection's server backend when it is proved a process of this machine; None
    otherwise."""
    try:
        pid = int(dbapi_connection.info.backend_pid)
        fd = int(dbapi_connection.pgconn.socket)
        title = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode("utf-8", "replace")
        if not title.startswith("postgres:"):
            return None
        sock = socket.socket(fileno=os.dup(fd))
        try:
            if sock.family == socket.AF_UNIX:
                if " [local] " not in f"{title} ":
                    return None
                creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
                accepted_by = struct.unpack("3i", creds)[0]
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                return pid if int(stat[1]) == accepted_by else None
            host, port = sock.getsockname()[:2]
            return pid if f" {host}({port}) " in f"{title} " else None
        finally:
            sock.close()
    except (AttributeError, OSError, TypeError, ValueError, struct.error):
        return None
