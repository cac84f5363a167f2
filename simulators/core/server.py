"""The threaded server: each simulator on its own port, all in one process sharing one runtime.

Served by waitress (keep-alive connections, a pool of worker threads): about three times the
requests per second of werkzeug's development server, which opens a connection and a thread
per request.
"""

from __future__ import annotations

import threading

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import WSGITask

from .pipeline import SOCKET  # the client's socket, for faults that kill the connection

# Worker threads: far more than the requests one realm may have in flight (10), so a delayed or
# timed-out request never makes others queue, as with one thread per connection.
THREADS = 48


class _Task(WSGITask):
    def get_environment(self) -> dict:
        environ = super().get_environment()
        environ[SOCKET] = self.channel.socket
        return environ


class _Channel(HTTPChannel):
    task_class = _Task

    def writable(self) -> bool:
        # A task thread sending its own output holds outbuf_lock. Waitress's loop would see the socket
        # writable meanwhile and spin until the send ends, taking the GIL from the task (about ten idle
        # turns a request, a third of the server's time here). The task wakes the loop if data is left.
        if self.requests:
            if not self.outbuf_lock.acquire(blocking=False):
                return False
            self.outbuf_lock.release()
        return super().writable()


class ServerThread:
    """One Flask app served on ``host:port`` from a daemon thread (port 0 picks a free one)."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        # Keep-alive clients each hold a connection (limit 100 by default); poll() has no 1024-descriptor
        # ceiling; a connection a fault kills is no error to log; X-Forwarded-* headers reach the app as
        # they did under werkzeug's server.
        self.server = create_server(app, host=host, port=port, threads=THREADS, ident="hsqbo",
                                    connection_limit=1000, asyncore_use_poll=True, log_socket_errors=False,
                                    clear_untrusted_proxy_headers=False)
        self.server.channel_class = _Channel
        self.host = host
        self.port = self.server.effective_port
        self._thread = threading.Thread(target=self.server.run, name=f"hsqbo-{port}", daemon=True)
        self._stopped = False
        # Workers pull the loop's wake-up pipe when an answer is ready, even after stop() began: the pipe is
        # closed only after the loop thread is joined, and from then on a pull does nothing (a closed
        # descriptor raises EBADF, a reused one would get a byte meant for this loop).
        self._pipe_lock = threading.Lock()
        self._pipe_closed = False
        pull = self.server.trigger._physical_pull

        def guarded_pull() -> None:
            with self._pipe_lock:
                if not self._pipe_closed:
                    pull()

        self.server.trigger._physical_pull = guarded_pull

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        server = self.server
        trigger = server.trigger

        def leave_loop() -> None:
            # On the loop thread: close the connections and take the listening socket and the pipe out of
            # the loop's map without closing them; the loop returns once its map is empty.
            for channel in list(server._map.values()):
                if channel is server or channel is trigger:
                    channel.del_channel()
                else:
                    channel.close()

        if self._thread.is_alive():
            trigger.pull_trigger(leave_loop)
            self._thread.join(timeout=5)
        joined = not self._thread.is_alive()
        if joined:  # a loop that did not stop in time keeps its descriptors: closing them under it is the race
            with self._pipe_lock:
                self._pipe_closed = True
            server.close()  # the listening socket and the pipe (its read end is the loop's no more)
            for channel in list(server._map.values()):  # never started: nobody closed the connections
                channel.close()
        # Let the workers go without waiting: one may be sleeping out a fault (they are daemon threads).
        server.task_dispatcher.set_thread_count(0)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
