"""The threaded server stops cleanly however often it is started and stopped, even with requests in flight."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from flask import Flask

from simulators.core.server import ServerThread

CYCLES = 200


def _app() -> Flask:
    app = Flask("stop-race")

    @app.get("/slow")
    def slow() -> str:
        time.sleep(0.002)  # still answering when stop() runs: its answer pulls the loop's wake-up pipe
        return "x" * 10_000

    return app


def _open_fds() -> set[int]:
    return {int(fd) for fd in os.listdir("/proc/self/fd")}


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())


def test_a_server_started_and_stopped_hundreds_of_times_with_requests_in_flight_stops_cleanly():
    app = _app()
    errors = _Errors()
    logging.getLogger("waitress").addHandler(errors)
    thread_errors: list[str] = []
    previous_hook = threading.excepthook
    threading.excepthook = lambda args: thread_errors.append(f"{args.thread.name}: {args.exc_value!r}")
    before = _open_fds()
    try:
        for cycle in range(CYCLES):
            server = ServerThread(app).start()
            clients = []
            for _ in range(2):
                conn = socket.create_connection(("127.0.0.1", server.port), timeout=5)
                conn.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
                clients.append(conn)
            if cycle % 2:
                time.sleep(0.002)  # half the time, stop while a worker is sending the answer
            server.stop()
            server.stop()  # a second stop is harmless
            for conn in clients:
                conn.close()
        # Workers finishing after stop() wrote to a pipe that is closed only once nobody can use it.
        time.sleep(0.05)
    finally:
        threading.excepthook = previous_hook
        logging.getLogger("waitress").removeHandler(errors)
    assert thread_errors == []
    assert [m for m in errors.records if "Bad file descriptor" in m or "exception" in m.lower()] == []
    # Every listening socket and wake-up pipe was closed (a few descriptors of other tests' threads may come and go).
    assert len(_open_fds() - before) < 10
