"""The in-process transport: answers as the threaded server does, streams, fails like a socket, refuses strays."""

from __future__ import annotations

import re
import threading
import time

import pytest
import requests
import responses
import urllib3
from flask import Flask, Response, request, stream_with_context

from simulators.core.inprocess import NotRouted
from simulators.core.server import ServerThread
from simulators.sims import QBO_URL, Simulators

WIRE_ONLY = {"server", "connection", "keep-alive", "transfer-encoding", "via"}  # added by a socket server


def _frozen() -> Simulators:
    sims = Simulators()
    sims.runtime.clock.set_mode("frozen")  # Date headers agree between the two transports
    sims.runtime.limits.enabled = False
    return sims


def _answer(r: requests.Response) -> tuple:
    headers = {k.lower(): v for k, v in r.headers.items() if k.lower() not in WIRE_ONLY}
    # a Fault without a company is stamped with the host's clock, not the simulator's: the one thing that differs
    return r.status_code, r.reason, headers, re.sub(rb'"time": "[^"]*"', b'"time": ...', r.content)


def test_in_process_answers_exactly_what_the_threaded_server_answers():
    sims = _frozen()
    with sims.serve() as servers:
        company = requests.post(f"{servers['quickbooks'].url}/_sim/tenants", json={"seed": "sample"}).json()
    realm, token = company["realmId"], company["accessToken"]
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    calls = [
        ("GET", f"/v3/company/{realm}/customer/1?minorversion=75", auth, None),
        ("GET", f"/v3/company/{realm}/query?query=select%20*%20from%20Customer%20where%20DisplayName%20"
                f"like%20%27%25e%25%27%20maxresults%203", auth, None),  # percent-decoding of the query
        ("POST", f"/v3/company/{realm}/customer", {**auth, "Content-Type": "application/json"},
         b'{"DisplayName": "Caf\xc3\xa9 \xe2\x82\xac"}'),  # UTF-8 body
        ("POST", f"/v3/company/{realm}/customer", {**auth, "Content-Type": "application/json"}, b"{not json"),
        ("GET", f"/v3/company/{realm}/customer/99999", auth, None),  # 400 Fault
        ("GET", f"/v3/company/{realm}/customer/1", {"Authorization": "Bearer wrong"}, None),  # 401
        ("GET", "/nowhere/%E2%82%AC", {}, None),  # an unknown, percent-encoded path
        ("DELETE", f"/v3/company/{realm}/customer/1", auth, None),  # a method the route lacks
    ]
    # the same calls on two fresh copies of one state: once over loopback, once in-process
    snapshot = requests.Session()
    with sims.serve() as servers:
        url = servers["quickbooks"].url
        snap = snapshot.post(f"{url}/_sim/snapshots").json()["id"]
        over_socket = [_answer(requests.request(m, f"{url}{p}", headers=h, data=b, timeout=5)) for m, p, h, b in calls]
        snapshot.post(f"{url}/_sim/snapshots/{snap}/restore")
    with sims.in_process():
        in_process = [_answer(requests.request(m, f"{QBO_URL}{p}", headers=h, data=b, timeout=5))
                      for m, p, h, b in calls]
    assert [a[0] for a in in_process] == [200, 200, 200, 400, 400, 401, 400, 400]
    for wire, here in zip(over_socket, in_process, strict=True):
        assert here == wire


def _streaming_app(produced: list[int], closed: list[bool]) -> Flask:
    app = Flask("stream")

    @app.get("/chunks")
    def chunks() -> Response:
        def generate():
            try:
                for i in range(5):
                    produced.append(i)
                    yield f"chunk{i};".encode()
            finally:
                closed.append(True)
        return Response(stream_with_context(generate()), mimetype="text/plain")

    @app.get("/p/<path:name>")
    def path(name: str) -> dict:
        return {"name": name, "path": request.path, "args": request.args.to_dict(flat=False),
                "host": request.host, "scheme": request.scheme, "remote": request.remote_addr}

    @app.post("/echo")
    def echo() -> Response:
        r = Response(request.get_data(), mimetype="application/octet-stream")
        r.headers["X-Length"] = str(request.content_length)
        r.headers["X-Chunked"] = str(request.environ.get("wsgi.input_terminated", False))
        r.headers.add("X-Twice", "a")
        r.headers.add("X-Twice", "b")
        r.set_cookie("session", "s1")
        return r

    return app


def test_a_streamed_answer_is_read_lazily_and_its_iterator_closed():
    produced: list[int] = []
    closed: list[bool] = []
    sims = Simulators()
    with sims.in_process(extra={"http://stream.test": _streaming_app(produced, closed)}):
        r = requests.get("http://stream.test/chunks", stream=True, timeout=5)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
        first = r.raw.read(7)
        assert first == b"chunk0;" and produced == [0]  # nothing read ahead
        rest = b"".join(r.iter_content(4))
        assert rest == b"chunk1;chunk2;chunk3;chunk4;" and closed == [True]
        # not streamed: the whole body at once, iterator closed too
        closed.clear()
        assert requests.get("http://stream.test/chunks", timeout=5).text.count("chunk") == 5 and closed == [True]
        # a streamed answer closed early closes the app's iterator
        closed.clear()
        r = requests.get("http://stream.test/chunks", stream=True, timeout=5)
        assert r.raw.read(3) == b"chu"
        r.close()
        assert closed == [True] and len(produced) == 5 + 5 + 1


def test_paths_and_queries_are_decoded_as_the_threaded_server_decodes_them():
    app = _streaming_app([], [])
    paths = ["/p/caf%C3%A9/%2F%20x?q=a%20b&q=%E2%82%AC&r=1+2", "/p/plain", "/p/a%40b.com?idProperty=email"]
    with ServerThread(app) as server:
        port = server.port
        wire = [requests.get(f"{server.url}{p}", timeout=5).json() for p in paths]
    with Simulators().in_process(extra={f"http://127.0.0.1:{port}": app}):  # the same URL, now routed
        here = [requests.get(f"http://127.0.0.1:{port}{p}", timeout=5).json() for p in paths]
    assert here == wire and wire[0]["name"] == "café// x" and wire[0]["args"]["q"] == ["a b", "€"]


def test_request_bodies_headers_and_cookies_as_on_the_wire():
    sims = Simulators()
    with sims.in_process(extra={"http://stream.test": _streaming_app([], [])}), requests.Session() as s:
        r = s.post("http://stream.test/echo", data=b"abc", timeout=5)
        assert r.content == b"abc" and r.headers["X-Length"] == "3" and r.headers["X-Chunked"] == "False"
        assert r.headers["X-Twice"] == "a, b"  # a header sent twice reads as one, comma-joined (urllib3's way)
        assert s.cookies.get("session") == "s1"
        r = s.post("http://stream.test/echo", data=(part for part in (b"ab", b"cd")), timeout=5)  # chunked upload
        assert r.content == b"abcd" and r.headers["X-Chunked"] == "True"
        # urllib3 directly (hubspot-api-client's path): Content-Length added as its connection would
        r = urllib3.PoolManager().request("POST", "http://stream.test/echo", body=b"xyz")
        assert r.data == b"xyz" and r.headers["X-Length"] == "3" and r.status == 200


def test_faults_fail_like_a_socket_through_requests_and_urllib3():
    sims = Simulators()
    sims.runtime.limits.enabled = False
    with sims.in_process():
        company = sims.new_qbo_company(seed="empty")
        url = f"{QBO_URL}/v3/company/{company['realmId']}/customer/1"
        auth = {"Authorization": f"Bearer {company['accessToken']}", "Accept": "application/json"}
        requests.post(f"{QBO_URL}/_sim/faults", json=[{"path": "*/customer/*", "nth": 1, "action": "drop"},
                                                      {"path": "*/customer/*", "nth": 2, "action": "timeout"},
                                                      {"path": "*/customer/*", "nth": 3, "action": "delay",
                                                       "seconds": 0.3}])
        with pytest.raises(requests.exceptions.ConnectionError, match="dropped"):
            requests.get(url, headers=auth, timeout=5)
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(url, headers=auth, timeout=5)
        with pytest.raises(requests.exceptions.ReadTimeout):  # answered later than the client waits
            requests.get(url, headers=auth, timeout=(5, 0.1))
        assert requests.get(url, headers=auth, timeout=5).status_code == 400  # no such customer: a Fault
        requests.post(f"{QBO_URL}/_sim/faults", json=[{"path": "*/customer/*", "nth": 1, "action": "drop"},
                                                      {"path": "*/customer/*", "nth": 2, "action": "timeout"}])
        pool = urllib3.PoolManager()
        with pytest.raises(urllib3.exceptions.ProtocolError):
            pool.request("GET", url, headers=auth)
        with pytest.raises(urllib3.exceptions.ReadTimeoutError):
            pool.request("GET", url, headers=auth)


def test_unrouted_hosts_are_refused_by_name_and_allowed_ones_reach_responses():
    sims = Simulators()
    with sims.in_process():
        with pytest.raises(NotRouted, match=r"https://api\.example\.com/x\?y=1"):
            requests.get("https://api.example.com/x?y=1", timeout=5)
        with pytest.raises(NotRouted, match="http://elsewhere.test/v1"):
            urllib3.PoolManager().request("GET", "http://elsewhere.test/v1")
        with pytest.raises(NotRouted):  # a prefix route does not cover its host's other paths
            requests.get("https://developer.intuit.com/app/developer", timeout=5)
    with sims.in_process(allow=["https://api.example.com"]), responses.RequestsMock() as mock:
        mock.get("https://api.example.com/ping", json={"pong": True})
        assert requests.get("https://api.example.com/ping", timeout=5).json() == {"pong": True}
        assert requests.get(f"{QBO_URL}/_sim/health", timeout=5).status_code == 200  # still the simulator
        assert [c.request.url for c in mock.calls] == ["https://api.example.com/ping"]  # responses saw only its own
        with pytest.raises(NotRouted):  # only the allowed prefix passes
            requests.get("https://api.example.company/ping", timeout=5)


def test_loopback_passes_and_sessions_made_before_are_routed_and_restored_after():
    sims = Simulators()
    before = requests.Session()
    original = requests.Session.get_adapter
    with sims.serve() as servers, sims.in_process():
        assert before.get(f"{QBO_URL}/_sim/health", timeout=5).status_code == 200  # a session older than the routing
        assert requests.get(f"{servers['quickbooks'].url}/_sim/health", timeout=5).status_code == 200  # loopback
        with Simulators().in_process(extra={"http://inner.test": _streaming_app([], [])}):  # nested routings
            assert requests.post("http://inner.test/echo", data=b"q", timeout=5).content == b"q"
            assert requests.get(f"{QBO_URL}/_sim/health", timeout=5).status_code == 200
        with pytest.raises(NotRouted):
            requests.post("http://inner.test/echo", data=b"q", timeout=5)
    assert requests.Session.get_adapter is original
    with pytest.raises(requests.exceptions.ConnectionError):  # outside the routing nothing answers this name
        before.get(f"{QBO_URL}/_sim/health", timeout=2)


def test_the_transport_serves_threads_at_once():
    sims = Simulators()
    sims.runtime.limits.enabled = False
    errors: list[BaseException] = []
    with sims.in_process():
        company = sims.new_qbo_company(seed="empty")
        base = f"{QBO_URL}/v3/company/{company['realmId']}"
        auth = {"Authorization": f"Bearer {company['accessToken']}", "Accept": "application/json"}

        def work(n: int) -> None:
            try:
                with requests.Session() as s:
                    for i in range(10):
                        r = s.post(f"{base}/customer", json={"DisplayName": f"T{n}-{i}"}, headers=auth, timeout=5)
                        assert r.status_code == 200, r.text
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert time.perf_counter() - started < 30 and errors == []
        count = requests.post(f"{base}/query", data="select count(*) from Customer",
                              headers={**auth, "Content-Type": "application/text"}).json()
        assert count["QueryResponse"]["totalCount"] == 40
