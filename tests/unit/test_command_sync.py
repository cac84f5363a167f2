"""A foreign sync behind the scenarios (harness/command_sync.py): a shell command run once per pass against the
simulators served on loopback. Our own engine run as a process (``python -m harness.cli sync``) is the foreign
sync here; each process costs about half a second, so few scenarios run."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from harness.cli import main
from harness.command_sync import CommandSync, _documents, _rows
from harness.scenario import run

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
HSQBO = f"{sys.executable} -m harness.cli"  # the `hsqbo` entry point of pyproject.toml (harness.cli:main)
SYNC = f'{HSQBO} sync --settings "$HSQBO_SETTINGS"'
# the same sync, then every record's status as `hsqbo status --json` prints it, into the status file
SYNC_AND_STATUS = (f'{SYNC} && for s in synced excluded; do {HSQBO} status --settings "$HSQBO_SETTINGS" --json '
                   f'--status $s --per-page 1000; done > "$HSQBO_STATUS_FILE"')


def test_the_engine_as_a_process_passes_the_record_expectations_and_status_is_not_supported():
    # d2: two passes and last_pass {writes: 0}: the second process recognises the first one's writes (its state
    # file is kept in the working folder) and the virtual clock moved between them
    result = run(SCENARIOS / "d2-duplicate-display-name.yaml", make_sync=CommandSync.factory(SYNC, 60))
    assert result.steps == 3
    # no status file: every status / counts expectation is reported, never passed silently, never a crash
    assert result.failures == [
        "line 31: ada: status not supported by this sync (it reports none)",
        "line 32: ben: status not supported by this sync (it reports none)",
        "line 34: counts of contacts: not supported by this sync (it reports no counts)",
    ]


def test_with_a_status_file_the_status_expectations_pass():
    result = run(SCENARIOS / "d3-match-by-email.yaml", make_sync=CommandSync.factory(SYNC_AND_STATUS, 60))
    assert result.passed, result.failures


def test_a_failing_command_fails_the_step_with_its_stderr():
    command = "echo reading >&1; echo 'token refused' >&2; exit 1"
    result = run(SCENARIOS / "d3-match-by-email.yaml", make_sync=CommandSync.factory(command, 60))
    [failure] = result.failures
    assert failure == "when[0]: step sync: the sync command exited 1 (pass 1):\ntoken refused"
    assert result.steps == 0  # the steps after it did not run, nor the checks
    slow = run(SCENARIOS / "d3-match-by-email.yaml", make_sync=CommandSync.factory("sleep 30", 0.3))
    assert slow.failures == ["when[0]: step sync: the sync command timed out after 0.3 s (pass 1) (no output)"]


def test_the_command_gets_the_served_simulators_and_their_credentials(tmp_path: Path):
    seen = tmp_path / "env.json"
    command = (f"{sys.executable} -c \"import json, os; json.dump({{k: v for k, v in os.environ.items() "
               f"if k.startswith('HSQBO_') or k == 'OAUTHLIB_INSECURE_TRANSPORT'}}, open('{seen}', 'w'))\"")
    run(SCENARIOS / "d3-match-by-email.yaml", make_sync=CommandSync.factory(command, 60))
    env = json.loads(seen.read_text())
    for name in ("QUICKBOOKS_URL", "QUICKBOOKS_REALM_ID", "QUICKBOOKS_ACCESS_TOKEN", "QUICKBOOKS_REFRESH_TOKEN",
                 "QUICKBOOKS_CLIENT_ID", "QUICKBOOKS_CLIENT_SECRET", "QUICKBOOKS_TOKEN_URL", "HUBSPOT_URL",
                 "HUBSPOT_ACCESS_TOKEN", "SETTINGS", "STATUS_FILE", "WORKDIR", "PASS", "NOW"):
        assert env.get(f"HSQBO_{name}"), name
    assert env["HSQBO_QUICKBOOKS_URL"].startswith("http://127.0.0.1:")  # loopback, not the in-process URL
    assert env["HSQBO_QUICKBOOKS_TOKEN_URL"] == env["HSQBO_QUICKBOOKS_URL"] + "/oauth2/v1/tokens/bearer"
    assert env["HSQBO_NOW"].startswith("2026-03-02T09:00:00")  # the scenario's virtual clock
    assert env["OAUTHLIB_INSECURE_TRANSPORT"] == "1"
    assert not Path(env["HSQBO_WORKDIR"]).exists()  # removed with the scenario's world


def test_the_settings_file_is_the_engines_own_format_for_the_served_urls():
    from harness.engine_settings import for_simulators
    from sync.settings import Settings as Real

    def settings(**pairs: dict) -> Real:
        return for_simulators({"realmId": "1", "clientId": "c", "clientSecret": "s", "refreshToken": "r"},
                              {"accessToken": "pat"}, quickbooks={"base_url": "http://127.0.0.1:1"},
                              hubspot={"base_url": "http://127.0.0.1:2"}, pairs=pairs)

    sync = CommandSync("true", settings())
    try:
        doc = yaml.safe_load(sync.settings_path.read_text())
        assert Real.from_dict(doc).quickbooks.base_url == "http://127.0.0.1:1"
        assert doc["hubspot"]["base_url"] == "http://127.0.0.1:2"
        assert doc["state"] == f"sqlite:///{sync.workdir / 'hsqbo-sync.db'}"  # a file: passes are processes
        assert sync.status("hubspot", "1") is None and sync.counts("contacts") is None and not sync.reports_status
        sync.restart(settings(contacts={"direction": "to-hubspot"}))  # a restart step with changed settings
        again = yaml.safe_load(sync.settings_path.read_text())
        assert again["pairs"]["contacts"]["direction"] == "to-hubspot" and again["state"] == doc["state"]
    finally:
        sync.close()


def test_the_status_file_takes_hsqbo_status_json_documents_or_plain_rows():
    page = {"counts": {"contacts": {"synced": 1, "failed": 1}},
            "records": {"failed": {"total": 1, "rows": [{"pair": "contacts", "status": "failed", "hubspot_id": "7",
                                                           "qbo_id": None, "reason": "no_email"}]}}}
    text = json.dumps(page, indent=2) + "\n" + json.dumps({"records": [{"pair": "products", "status": "synced",
                                                                         "hubspot_id": "9", "quickbooks_id": "3"}]})
    docs = list(_documents(text))
    assert len(docs) == 2
    assert [r["hubspot_id"] for d in docs for r in _rows(d.get("records"))] == ["7", "9"]
    with pytest.raises(ValueError):
        _rows("rows")


def test_hsqbo_scenario_run_and_the_pytest_option_take_a_sync_command(pytester: pytest.Pytester,
                                                                      capsys: pytest.CaptureFixture):
    target = SCENARIOS / "d3-match-by-email.yaml"
    assert main(["scenario", "run", "--sync-command", "echo no luck >&2; exit 1", str(target)]) == 1
    out = capsys.readouterr().out
    verdict = " ".join(line.split("│")[-2].strip() for line in out.splitlines() if line.count("│") == 7)
    assert " ".join(verdict.split()) == "FAIL when[0]: step sync: the sync command exited 1 (pass 1): no luck"
    assert "0 passed, 1 failed, 0 could not run" in out
    pytester.makeini("[pytest]\nhsqbo_scenarios = scenarios\n")  # collected where a project says so
    folder = pytester.mkdir("scenarios")
    shutil.copy(target, folder / target.name)
    result = pytester.runpytest("-p", "no:xdist", "--hsqbo-sync-command", "echo no luck >&2; exit 1", str(folder))
    result.assert_outcomes(failed=1)
    assert "the sync command exited 1 (pass 1):" in result.stdout.str()
    assert "no luck" in result.stdout.str()


def test_a_sync_command_naming_hsqbo_runs_without_the_venv_on_path(tmp_path):
    """`--sync-command 'hsqbo sync ...'` finds the hsqbo installed beside this interpreter, PATH or not."""
    import subprocess

    scenario = tmp_path / "one-contact.yaml"
    scenario.write_text("""\
version: 1
name: a contact becomes a customer
rules: [D3]
generation: current
given:
  settings: {pairs: {contacts: {direction: two-way, recommended_filters: false}}}
  records:
    hubspot:
      - {ref: ada, type: contacts, properties: {email: ada@x.example, firstname: Ada, lastname: Lovelace}}
when:
  - sync
then:
  quickbooks:
    Customer: {count: 1, contains: [{DisplayName: Ada Lovelace}]}
""")
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli", "scenario", "run", "--sync-command",
         'hsqbo sync --settings "$HSQBO_SETTINGS" > /dev/null', str(scenario)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 0 failed, 0 could not run" in result.stdout
