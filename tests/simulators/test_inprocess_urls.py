"""In-process routing keeps prepared URLs (simulators/core/inprocess.py ``_prepare_url_kept``): a request prepares to
the very URL requests makes of it outside the routing, the first time and every time after; a URL requests
refuses is refused alike each time."""

from __future__ import annotations

import pytest
import requests

from simulators.sims import Simulators

URLS = [
    ("http://quickbooks.sim/v3/company/1/query?minorversion=75&query=SELECT%20%2A%20FROM%20Customer%20WHERE"
     "%20Id%20%3D%20%271%27", None),
    ("http://quickbooks.sim/v3/company/1/query?query=SELECT * FROM Item WHERE Name = 'Zoë'", {}),
    ("https://api.hubapi.com/crm/v3/objects/contacts", {"limit": 100, "archived": "false",
                                                        "properties": "email,firstname"}),
    ("https://api.hubapi.com/crm/v3/objects/contacts?archived=true", {"after": "12", "limit": 10}),
    ("https://api.hubapi.com/crm/v3/objects/contacts", {"flag": True, "ids": ["1", "2"]}),  # not kept: as usual
    ("https://api.hubapi.com/crm/v3/objects/contacts", [("a", "1"), ("a", "2")]),
    ("https://api.hubapi.com/crm/v3/objects/contacts", "a=1&b=%20"),
    ("  https://api.hubapi.com/path with space/ü?x=[1]#frag", None),
    ("HTTPS://API.HUBAPI.COM", None),
    ("http://quickbooks.sim:80/v3/company/1/companyinfo/1", {"minorversion": 75}),
]
BAD = ["http://", "quickbooks.sim/v3", "http://*.example/", "https://api.hubapi.com:notaport/"]


def _prepared(url: object, params: object) -> str | None:
    return requests.Request("GET", url, params=params).prepare().url


def _refusal(url: str) -> str:
    with pytest.raises(requests.exceptions.RequestException) as caught:
        _prepared(url, None)
    return f"{type(caught.value).__name__}: {caught.value}"


def test_prepared_urls_are_requests_own_every_time() -> None:
    outside = [_prepared(u, p) for u, p in URLS]
    refusals = [_refusal(u) for u in BAD]
    with Simulators().in_process(allow=["https://api.example.com"]):
        for _ in range(3):
            assert [_prepared(u, p) for u, p in URLS] == outside
            assert [_refusal(u) for u in BAD] == refusals
    assert [_prepared(u, p) for u, p in URLS] == outside  # and after the routing, as before it


def test_a_routed_call_goes_to_the_prepared_url() -> None:
    sims = Simulators()
    with sims.in_process():
        for _ in range(2):
            r = requests.get(f"{sims.qbo_url}/v3/company/nope/query", params={"query": "SELECT * FROM Customer"})
            assert r.status_code == 401 and r.url.endswith("/query?query=SELECT+%2A+FROM+Customer")
