"""hsqbo's output reads the same in a terminal, a pipe and a CI log: full values, no "…", no wrapping inside a
value, no markup eating brackets; JSON and JUnit for machines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
ENV = {"PATH": os.environ.get("PATH", ""), "COLUMNS": "80", "TERM": "dumb"}  # what a CI log gives


def serve_into(path: Path, *args: str, until: str, timeout: float = 30) -> tuple[subprocess.Popen, str]:
    """``hsqbo serve ... > path``: started, read once ``until`` shows, left running (the caller kills it)."""
    with path.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "serve", "--quickbooks-port", "0",
                                 "--hubspot-port", "0", "--dashboard-port", "-1", "--seed", "empty", *args], stdout=out,
                                stderr=subprocess.PIPE, text=True, cwd=ROOT, env=ENV)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text()
        if until in text:
            return proc, text
        if proc.poll() is not None:
            raise AssertionError(f"serve exited {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"serve printed no {until!r} in {timeout} s: {path.read_text()}")


def pasted(text: str, title: str) -> str:
    """The code printed under ``title``: every line up to the blank line that ends it."""
    start = text.index(f"{title} (paste as is):\n") + len(f"{title} (paste as is):\n")
    return text[start:text.index("\n\n", start)]


def stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait(timeout=10)


def test_serve_into_a_file_holds_every_value_whole_and_a_snippet_that_runs(tmp_path):
    written = tmp_path / "hsqbo-sync.yaml"
    proc, text = serve_into(tmp_path / "out.txt", "--write-settings", str(written), until="Ctrl-C to stop")
    try:
        assert "…" not in text
        settings = yaml.safe_load(written.read_text())
        q, h = settings["quickbooks"], settings["hubspot"]
        lines = text.splitlines()
        for label, value in [("realmId", q["realm_id"]), ("clientSecret", q["client_secret"]),
                             ("accessToken", q["access_token"]), ("refreshToken", q["refresh_token"]),
                             ("verifierToken", settings["quickbooks_webhook_verifier"]),
                             ("accessToken", h["access_token"]), ("refreshToken", h["refresh_token"]),
                             ("clientSecretForWebhooks", h["client_secret_for_webhooks"])]:
            assert any(line.split() == [label, str(value)] for line in lines), (label, value, text)
        discovery = f"{q['base_url']}/.well-known/openid_sandbox_configuration/"
        assert any(line.split()[-1:] == [discovery] for line in lines)
        # the token printed is the token that works
        token = next(line.split()[1] for line in lines if line.split()[:1] == ["accessToken"])
        r = requests.get(f"{q['base_url']}/v3/company/{q['realm_id']}/companyinfo/{q['realm_id']}",
                         headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}, timeout=10)
        assert r.status_code == 200, r.text
        # the snippet, pasted as printed: brackets kept, minorversion given, every string literal on its line
        snippet = pasted(text, "point python-quickbooks at it")
        assert "print([c.DisplayName for c in Customer.all(qb=qb)])" in snippet and "minorversion=75" in snippet
        done = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=60,
                              cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "[]"  # an empty company: no customer yet
        done = subprocess.run([sys.executable, "-c", pasted(text, "point hubspot-api-client at it")],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "'results': []" in done.stdout
    finally:
        stop(proc)


def test_serve_json_gives_ports_urls_and_credentials(tmp_path):
    proc, text = serve_into(tmp_path / "out.json", "--json", until="\n}\n")
    try:
        doc = json.loads(text)
        q, h = doc["quickbooks"], doc["hubspot"]
        assert isinstance(q["port"], int) and q["url"].endswith(f":{q['port']}")
        assert isinstance(h["port"], int) and h["port"] != q["port"]
        assert set(q["company"]) == {"realmId", "clientId", "clientSecret", "accessToken", "refreshToken",
                                     "verifierToken"}
        r = requests.get(f"{q['apiBase']}/company/{q['company']['realmId']}/query",
                         params={"query": "select * from Customer"}, timeout=10,
                         headers={"Authorization": f"Bearer {q['company']['accessToken']}",
                                  "Accept": "application/json"})
        assert r.status_code == 200, r.text
        r = requests.get(f"{h['url']}/crm/v3/objects/contacts", timeout=10,
                         headers={"Authorization": f"Bearer {h['portal']['accessToken']}"})
        assert r.status_code == 200, r.text
        assert requests.get(q["discoveryUrl"], timeout=10).status_code == 200
    finally:
        stop(proc)


SCENARIO = """\
version: 1
name: {name}
rules: [D3]
generation: current
given:
  records:
    quickbooks:
      - {{ref: ada, entity: Customer, body: {{DisplayName: Ada, PrimaryEmailAddr: {{Address: {email}}}}}}}
when:
  - sync
then:
  quickbooks:
    Customer: {{count: 1, contains: [{{DisplayName: {name_expected}}}]}}
"""


LONG = "Ada_Lovelace_of_the_Analytical_Engine_Company_whose_name_a_narrow_table_would_cut_short"


def scenarios(folder: Path) -> None:
    (folder / "good.yaml").write_text(SCENARIO.format(name="passes", email="ada@x.example", name_expected="Ada"))
    (folder / "bad.yaml").write_text(SCENARIO.format(name="expects [brackets] kept", email="ada@x.example",
                                                     name_expected=LONG))


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=ENV)


def test_scenario_run_piped_shows_whole_failures_progress_and_markup_as_text(tmp_path):
    scenarios(tmp_path)
    result = run("scenario", "run", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "…" not in result.stdout
    assert "expects [brackets] kept" in result.stdout  # not eaten as markup
    assert any(LONG in line for line in result.stdout.splitlines()), result.stdout  # whole, on one line
    # one progress line a scenario as it finishes, on stderr
    progress = result.stderr.splitlines()
    assert [line.split()[:3] for line in progress] == [["[1/2]", "fail", str(tmp_path / "bad.yaml")],
                                                       ["[2/2]", "pass", str(tmp_path / "good.yaml")]]


def test_scenario_run_json_and_junit(tmp_path):
    scenarios(tmp_path)
    junit = tmp_path / "results.xml"
    result = run("scenario", "run", "--json", "--junit", str(junit), str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["passed"], doc["failed"], doc["errors"]) == (1, 1, 0)
    by_file = {Path(s["file"]).name: s for s in doc["scenarios"]}
    assert by_file["good.yaml"]["result"] == "pass" and by_file["good.yaml"]["rules"] == ["D3"]
    assert by_file["bad.yaml"]["result"] == "fail" and by_file["bad.yaml"]["failures"]
    suite = ElementTree.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "0")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["passes"].find("failure") is None
    assert cases["expects [brackets] kept"].find("failure").text == "\n".join(by_file["bad.yaml"]["failures"])


def test_version_is_the_installed_package_version(tmp_path):
    from importlib.metadata import version

    result = run("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == f"hsqbo {version('hsqbo')}\n", result.stderr
