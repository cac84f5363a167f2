"""A user's mistake with the hsqbo CLI is one line on stderr naming what to fix, exit 2, never a traceback.

Each mistake runs ``hsqbo`` in a subprocess, as a user meets it."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_HERE = "192.0.2.1"  # TEST-NET-1: never an address of this machine


def hsqbo(*args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd or ROOT, env={"PATH": "", "COLUMNS": "80"})


def one_line(result: subprocess.CompletedProcess, *words: str, code: int = 2) -> str:
    """The mistake's single stderr line (checked to name ``words``), with exit ``code`` and no traceback."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert result.returncode == code, (result.returncode, result.stderr)
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def busy_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def settings_file(folder: Path, state: str = "sqlite:///sync.db", realm: str = "1", name: str = "s.yaml",
                  secret: str = "b", url: str = "http://127.0.0.1:9") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(f"""\
        quickbooks: {{base_url: "{url}", realm_id: "{realm}", client_id: a, client_secret: {secret},
                     refresh_token: c}}
        hubspot: {{base_url: "{url}", access_token: x, portal_id: "5"}}
        state: "{state}"
        """), encoding="utf-8")
    return path


# -- ports and hosts ---------------------------------------------------------------------------------

def test_serve_on_a_busy_port(busy_port):
    one_line(hsqbo("serve", "--quickbooks-port", str(busy_port), "--hubspot-port", "0"),
             str(busy_port), "already in use", "--quickbooks-port")


def test_demo_on_a_busy_port(busy_port):
    one_line(hsqbo("demo", "--exit", "--quickbooks-port", "0", "--hubspot-port", str(busy_port)),
             str(busy_port), "--hubspot-port")


def test_sync_watch_with_a_busy_webhooks_port(busy_port, tmp_path):
    one_line(hsqbo("sync", "--settings", str(settings_file(tmp_path)), "--watch", "--webhooks-port", str(busy_port)),
             str(busy_port), "--webhooks-port")


def test_serve_on_a_host_that_is_not_this_machine():
    one_line(hsqbo("serve", "--host", NOT_HERE, "--quickbooks-port", "0", "--hubspot-port", "0"), NOT_HERE, "--host")


def test_serve_on_a_host_name_that_does_not_resolve():
    one_line(hsqbo("serve", "--host", "no-such-host.invalid", "--quickbooks-port", "0", "--hubspot-port", "0"),
             "no-such-host.invalid", "--host")


@pytest.mark.parametrize("args", [["serve", "--quickbooks-port", "70000"], ["demo", "--hubspot-port", "65536"],
                                  ["serve", "--quickbooks-port", "-1"], ["serve", "--hubspot-port", "eighty"]])
def test_a_port_out_of_range(args):
    one_line(hsqbo(*args), args[1], "0", "65535")


def test_sync_webhooks_port_out_of_range(tmp_path):
    one_line(hsqbo("sync", "--settings", str(settings_file(tmp_path)), "--watch", "--webhooks-port", "99999"),
             "--webhooks-port", "65535")


# -- databases ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, words", [
    ("sqlte:///state.db", ["sqlte", "--db"]),                                   # a typo in the dialect
    ("postgresql://me:secret@127.0.0.1:9/test", ["127.0.0.1", "--db", "***"]),  # nothing listens there
    ("sqlite:////no/such/folder/state.db", ["/no/such/folder", "--db"]),
    ("state.db", ["state.db", "--db"]),                                         # not a URL at all
])
def test_serve_with_a_database_that_cannot_be_used(url, words):
    line = one_line(hsqbo("serve", "--db", url, "--quickbooks-port", "0", "--hubspot-port", "0"), *words)
    assert "secret" not in line  # a password is never printed


@pytest.mark.parametrize("command", [["sync"], ["status"], ["export", "--out", "x.csv"],
                                     ["action", "add-invoice", "--invoice", "1", "--to", "deals:1"]])
def test_a_state_url_that_cannot_be_used(tmp_path, command):
    path = settings_file(tmp_path, state="postgresql://me@127.0.0.1:9/state")
    at = 2 if command[0] == "action" else 1  # --settings belongs to the action's own parser
    args = [*command[:at], "--settings", str(path), *command[at:]]
    one_line(hsqbo(*args, cwd=tmp_path), "postgresql://me@127.0.0.1:9/state", "state:", str(path))


def test_a_state_url_with_an_unknown_dialect(tmp_path):
    path = settings_file(tmp_path, state="sqlit:///x.db")
    one_line(hsqbo("sync", "--settings", str(path)), "sqlit", "state:")


# -- settings files ----------------------------------------------------------------------------------

def test_an_empty_settings_file(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    one_line(hsqbo("sync", "--settings", str(path)), str(path), "no settings", "--write-settings")


def test_a_settings_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("state: sqlite:///caf\xe9.db\n".encode("latin-1"))
    one_line(hsqbo("status", "--settings", str(path)), str(path), "UTF-8")


def test_a_settings_file_that_does_not_exist(tmp_path):
    one_line(hsqbo("sync", "--settings", str(tmp_path / "nope.yaml")), "nope.yaml")


# -- options of the commands -------------------------------------------------------------------------

@pytest.mark.parametrize("line, word", [("SKU:abc", "quantity"), ("SKU:1:ten", "price"), ("SKU", "SKU:QTY")])
def test_action_line_that_is_not_a_number(tmp_path, line, word):
    one_line(hsqbo("action", "workflow-invoice", "--settings", str(settings_file(tmp_path)), "--deal", "1",
                   "--line", line), word, line)


def test_status_with_an_unknown_reason_lists_the_known_ones(tmp_path):
    result = hsqbo("status", "--settings", str(settings_file(tmp_path)), "--reason", "nosuch")
    one_line(result, "nosuch", "duplicate_display_name", "filtered_out")


def test_an_unknown_option_is_one_line_with_where_the_help_is():
    one_line(hsqbo("serve", "--no-such-option"), "--no-such-option", "--help")


def test_a_state_that_belongs_to_another_company_is_refused(tmp_path):
    from sync.engine import Engine
    from sync.settings import load_settings

    first = load_settings(settings_file(tmp_path, realm="111"))
    Engine(first).state.engine.dispose()  # the state now belongs to company 111
    again = settings_file(tmp_path, realm="222", name="other.yaml")
    one_line(hsqbo("sync", "--settings", str(again)), "111", "222", "state")


def test_a_permanent_invalid_client_is_a_credentials_problem(tmp_path):
    from simulators.sims import Simulators

    sims = Simulators()
    with sims.serve():
        company = sims.new_qbo_company(seed="empty")
        path = settings_file(tmp_path, realm=company["realmId"], secret="not-the-secret", url=sims.qbo_url)
        result = hsqbo("sync", "--settings", str(path), "--pair", "contacts")
    line = one_line(result, "invalid_client", "credentials", str(path))
    assert "next pass" not in line and "next pass" not in result.stdout


# -- scenario files ----------------------------------------------------------------------------------

SCENARIO = """\
version: 1
name: {name}
rules: [D3]
generation: current
given:
  records:
    quickbooks:
      - {record}
when:
  - {step}
then:
  quickbooks:
    Customer: {{count: 1}}
"""


def scenario(folder: Path, name: str, record: str = "{ref: ada, entity: Customer, body: {DisplayName: Ada}}",
             step: str = "sync") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(SCENARIO.format(name=name, record=record, step=step), encoding="utf-8")
    return path


def test_a_scenario_naming_an_unknown_entity(tmp_path):
    path = scenario(tmp_path, "typo", record="{ref: ada, entity: Custmer, body: {DisplayName: Ada}}")
    one_line(hsqbo("scenario", "run", str(path)), "typo.yaml:8", "Custmer", "Customer")


def test_a_scenario_naming_an_unknown_hubspot_type(tmp_path):
    path = scenario(tmp_path, "typo", step="hubspot.create: {ref: c, type: contcts, properties: {email: a@b.c}}")
    one_line(hsqbo("scenario", "run", str(path)), "typo.yaml:10", "contcts", "contacts")


def test_a_scenario_advancing_the_clock_backwards(tmp_path):
    path = scenario(tmp_path, "back", step="advance: -500000")
    one_line(hsqbo("scenario", "run", str(path)), "back.yaml:10", "-500000", "forward")


def test_a_value_quickbooks_refuses_fails_that_scenario_with_quickbooks_answer(tmp_path):
    path = scenario(tmp_path, "refused", record="{ref: ada, entity: Customer, body: {DisplayName: 'Ada:L'}}")
    result = hsqbo("scenario", "run", str(path))
    one_line(result, "refused.yaml", "line 8", "QuickBooks refused it (400)", "2040", code=1)
    assert "0 passed, 1 failed, 0 could not run" in result.stdout


def test_a_step_quickbooks_refuses_fails_that_scenario(tmp_path):
    path = scenario(tmp_path, "dup", step="quickbooks.create: {ref: again, entity: Customer, body: {DisplayName: Ada}}")
    one_line(hsqbo("scenario", "run", str(path)), "line 10", "quickbooks.create", "6240", code=1)


def test_a_folder_run_reports_every_file_whatever_happened_to_the_others(tmp_path):
    scenario(tmp_path, "a-typo", record="{ref: ada, entity: Custmer, body: {DisplayName: Ada}}")
    scenario(tmp_path, "b-refused", record="{ref: ada, entity: Customer, body: {DisplayName: 'Ada:L'}}")
    scenario(tmp_path, "c-good")
    (tmp_path / "d-not-yaml.yaml").write_text("version: [1\n")
    result = hsqbo("scenario", "run", str(tmp_path))
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 2  # a file could not run
    progress = result.stderr.splitlines()
    assert [line.split()[:2] for line in progress] == [["[1/4]", "error"], ["[2/4]", "fail"], ["[3/4]", "pass"],
                                                       ["[4/4]", "error"]]
    assert "1 passed, 1 failed, 2 could not run" in result.stdout
    for name in ("a-typo.yaml", "b-refused.yaml", "c-good.yaml", "d-not-yaml.yaml"):
        assert name in result.stdout


@pytest.mark.parametrize("target", ["empty-folder", "no-such-folder", "no-such-file.yaml"])
def test_no_scenario_found_is_an_error_not_a_green_run(tmp_path, target):
    (tmp_path / "empty-folder").mkdir()
    one_line(hsqbo("scenario", "run", str(tmp_path / target)), target, "nothing was run")


def test_export_to_a_folder_that_does_not_exist(tmp_path):
    path = settings_file(tmp_path)
    from sync.engine import Engine
    from sync.settings import load_settings

    Engine(load_settings(path)).state.engine.dispose()  # the state exists
    one_line(hsqbo("export", "--settings", str(path), "--out", str(tmp_path / "no" / "such" / "x.csv")),
             "--out", "no/such/x.csv")


def test_from_failure_without_a_history(tmp_path):
    one_line(hsqbo("scenario", "from-failure", cwd=tmp_path), "no history", "tests/property")


def test_an_action_whose_system_does_not_answer_is_a_line_not_a_traceback(tmp_path, monkeypatch, capsys):
    """In-process: the clients retry a lost connection for minutes before giving up; what gives up is this."""
    import requests

    from harness.cli import main
    from sync import actions

    def unreachable(*args, **kwargs):
        raise requests.ConnectionError("HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded\nmore")

    monkeypatch.setattr(actions, "workflow_paid_invoice", unreachable)
    assert main(["action", "paid-invoice", "--settings", str(settings_file(tmp_path)), "--payment", "1"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == ["hsqbo: the action stopped: no answer: HTTPConnectionPool(host='127.0.0.1', "
                                "port=9): Max retries exceeded"]
