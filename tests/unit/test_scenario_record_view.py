"""The scenario format's settings refusals (B5: ``restart: {settings, refused}``), record view and histories (H2:
``then.records``, ``then.history``) and export (H3: ``then.export``): a misspelt key is a file:line mistake when
the file loads, a wrong expectation a failure naming its line, and a sync without the optional methods is told
so — never a pass, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.scenario import EngineSync, ScenarioError, load, run

HEAD = """version: 1
name: x
rules: [H2]
generation: current
given:
  settings:
    pairs:
      contacts: {direction: two-way, recommended_filters: false}
  records:
    hubspot:
      - {ref: acme, type: companies, properties: {name: Acme Ltd}}
      - {ref: ada, type: contacts, primary_company: acme, properties: {email: ada@acme.example, firstname: Ada}}
      - {ref: ben, type: contacts, primary_company: acme, properties: {email: ben@acme.example, firstname: Ben}}
when:
  - sync
"""  # 15 lines: what follows starts on line 16


def scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + text)
    return path


@pytest.mark.parametrize(("text", "where", "message"), [
    ("then:\n  records: [{pair: contacts, stauts: failed, expect: {total: 1}}]\n", 17,
     "records: unknown key(s) stauts; expected pair, status, reason, search, columns, page, per_page, expect"),
    ("then:\n  records: [{status: broken, expect: {total: 1}}]\n", 17, "records: status must be one of synced"),
    ("then:\n  records: [{columns: [label, colour], expect: {total: 1}}]\n", 17, "records: columns: a list of some"),
    ("then:\n  records: [{page: 0, expect: {total: 1}}]\n", 17, "records: page must be a whole number of at least 1"),
    ("then:\n  records: [{status: failed}]\n", 17, "records: expect: a mapping of total, columns, rows"),
    ("then:\n  records: [{status: failed, expect: {totl: 1}}]\n", 17,
     "records expect: unknown key(s) totl; expected total, columns, rows"),
    ("then:\n  records: [{columns: [label], expect: {rows: [{label: Ada, reason: x}]}}]\n", 17,
     "records expect: rows name column(s) reason that the view does not show (columns: label)"),
    ("then:\n  records: {status: failed}\n", 17, "records: expected a list of mappings"),
    ("then:\n  export: [{status: failed, expect: {total: 1}}]\n", 17, "export: format must be one of csv, xlsx"),
    ("then:\n  export: [{format: pdf, expect: {total: 1}}]\n", 17,
     "export: format must be one of csv, xlsx, not 'pdf'"),
    ("then:\n  export: [{format: csv, page: 2, expect: {total: 1}}]\n", 17, "export: unknown key(s) page"),
    ("then:\n  history: [{contains: [{action: failed}]}]\n", 17, "history: missing ref or of"),
    ("then:\n  history: [{ref: ben}]\n", 17, "history: expect count, contains or absent"),
    ("then:\n  history: [{ref: ben, contains: [{acton: failed}]}]\n", 17,
     "history contains: unknown key(s) acton; expected at, action, side, reason, rule, detail"),
    ("  - expect: {records: [{status: failed, expect: {totl: 1}}]}\nthen: {counts: {contacts: {synced: 1}}}\n", 16,
     "expect: records expect: unknown key(s) totl"),
    ("  - restart: {refused: [x]}\nthen: {counts: {contacts: {synced: 1}}}\n", 16,
     "restart: refused needs the settings that are refused"),
    ("  - restart: {settings: {pairs: {contacts: {direction: both}}}, refused: direction}\n"
     "then: {counts: {contacts: {synced: 1}}}\n", 16, "restart: refused: a list of what the problems say"),
    ("  - restart: {settings: {pairs: {}}, refuse: [x]}\nthen: {counts: {contacts: {synced: 1}}}\n", 16,
     "restart: unknown key(s) refuse; expected settings, refused"),
])
def test_mistakes_in_the_new_keys_name_the_file_and_line(tmp_path: Path, text: str, where: int,
                                                         message: str) -> None:
    path = scenario(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load(path)
    assert err.value.line == where and message in err.value.message, err.value
    assert str(err.value).startswith(f"{path}:{where}: ")


def test_the_record_view_history_and_export_pass_when_right(tmp_path: Path) -> None:
    path = scenario(tmp_path, """then:
  records:
    - {pair: contacts, reason: duplicate_display_name, columns: [label, rule], expect: {total: 1, rows: [{rule: D2}]}}
    - {pair: contacts, columns: [match_key], per_page: 1, page: 2,
       expect: {total: 2, rows: [{match_key: ben@acme.example}]}}
  history:
    - {ref: ben, count: 1, contains: [{action: failed, rule: D2, at: "2026-03-02T10:00:00+01:00"}]}
  export:
    - {format: csv, status: failed, columns: [hubspot_id, reason], expect: {total: 1, columns: [hubspot_id, reason],
       rows: [{hubspot_id: "@ben", reason: duplicate_display_name}]}}
    - {format: xlsx, pair: contacts, status: synced, expect: {total: 1, rows: [{match_key: ada@acme.example}]}}
""")
    assert run(path).failures == []


def test_wrong_expectations_are_failures_naming_their_lines(tmp_path: Path) -> None:
    path = scenario(tmp_path, """then:
  records:
    - {pair: contacts, status: failed, columns: [label], expect: {total: 2}}
    - {pair: contacts, columns: [match_key], per_page: 1, expect: {rows: [{match_key: ben@acme.example}]}}
  history:
    - {ref: ada, contains: [{action: failed}]}
  export:
    - {format: csv, pair: contacts, columns: [label], expect: {columns: [label, reason], rows: []}}
""")
    assert run(path).failures == [
        "line 18: records: expected 2 record(s) in all, found 1",
        "line 19: records row 1: match_key expected 'ben@acme.example', found 'ada@acme.example'",
        "line 21: history of ada: none matches {'action': 'failed'} (its history: created quickbooks)",
        "line 23: export (csv): expected columns ['label', 'reason'], found ['label']",
        "line 23: export (csv): expected 0 row(s), found 2: [{'label': 'Ada'}, {'label': 'Ben'}]",
    ]


class _NoView(EngineSync):
    records = None  # type: ignore[assignment]
    history = None  # type: ignore[assignment]
    export = None  # type: ignore[assignment]


def test_a_sync_without_a_record_view_is_told_so(tmp_path: Path) -> None:
    path = scenario(tmp_path, """then:
  records: [{status: failed, expect: {total: 1}}]
  history: [{ref: ben, count: 1}]
  export: [{format: csv, expect: {total: 1}}]
""")
    assert run(path, make_sync=_NoView).failures == [
        "line 17: records: not supported by this sync (it has no record view)",
        "line 18: history: not supported by this sync (it keeps no history of records)",
        "line 19: export: not supported by this sync (it exports nothing)",
    ]


def test_settings_expected_refused_pass_when_every_problem_is_named_and_the_sync_keeps_its_own(tmp_path: Path) -> None:
    path = scenario(tmp_path, """  - restart:
      settings: {pairs: {contacts: {direction: both}, products: {conflict: newest}}}
      refused: ["pairs.contacts.direction: must be one of", "pairs.products.conflict: must be one of"]
  - hubspot.create: {ref: cy, type: contacts, properties: {email: cy@example.com, firstname: Cy}}
  - sync
then:
  status: [{ref: cy, status: synced}]
""")
    assert run(path).failures == []


def test_settings_accepted_or_a_problem_missing_fail_the_step(tmp_path: Path) -> None:
    path = scenario(tmp_path, """  - restart:
      settings: {pairs: {contacts: {direction: to-quickbooks}}}
      refused: ["pairs.contacts.direction"]
  - restart:
      settings: {pairs: {contacts: {direction: both}}}
      refused: ["pairs.contacts.direction: must be one of", "pairs.products.conflict"]
then:
  counts: {contacts: {synced: 1}}
""")
    accepted, missing = run(path).failures
    assert accepted == "line 16: restart: expected the settings refused (pairs.contacts.direction), they were accepted"
    assert missing.startswith("line 19: restart: the settings were refused, but no problem says "
                              "'pairs.products.conflict'; the problems: pairs.contacts.direction: must be one of")


def test_given_settings_that_are_refused_stay_the_files_mistake(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD.replace("direction: two-way", "direction: both") + "then: {counts: {contacts: {synced: 1}}}\n")
    with pytest.raises(ScenarioError) as err:
        run(path)
    assert err.value.line == 7 and "pairs.contacts.direction: must be one of" in err.value.message
