"""Every kind of ``when`` step, each registered once with the keys it takes (``@step``): the registry is where
the loader learns which steps exist and checks their keys, and where :func:`do` finds what runs them."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from harness.scenario import builders, checks
from harness.scenario.interface import ACTIONS, ActionUnavailable
from harness.scenario.model import STEPS, THEN_KEYS, Map, ScenarioError, Step, refused, step, view_problem
from harness.scenario.world import merge_settings

if TYPE_CHECKING:
    from harness.scenario.world import World

RECORD = "ref|of"  # a step naming a record: by its ref, or as the record the sync linked with one
QBO_BODY = ("body", "customer", "lines", "applied", "total")  # builders.qbo_body's shorthands


def do(world: World, one: Step) -> None:
    """Run one step; a step the API refuses, or that cannot be done as written, is the file's mistake."""
    kind, a, line = STEPS[one.kind], one.args, one.line
    try:
        if "refused" in a and kind.refusable:
            _refused(world, kind.name, a, line)
        else:
            kind.run(world, a, line)
    except ScenarioError:
        raise
    except (KeyError, ValueError, TypeError, ArithmeticError) as err:
        raise world.fail(line, f"step {one.kind}: {err}") from err
    except Exception as err:  # an API refusing a step fails the scenario with its answer; it is no crash
        problem = refused(err, line, f"step {one.kind}")
        if problem is None:
            raise
        raise problem from err


def _refused(world: World, name: str, a: dict, line: int | None) -> None:
    """A QBO write the scenario expects QBO to refuse: ``refused: "6140"`` (its error code) or
    ``refused: {code: "6140", message: Duplicate}`` (words of its message or detail)."""
    want = a["refused"] if isinstance(a["refused"], dict) else {"code": a["refused"]}
    try:
        STEPS[name].run(world, {k: v for k, v in a.items() if k != "refused"}, line)
    except ScenarioError:
        raise
    except Exception as err:
        code = getattr(err, "code", None)
        if code is None or getattr(err, "status", None) is None:
            raise
        words = f"{getattr(err, 'message', '')} {getattr(err, 'detail', '')} {err}"
        if "code" in want and str(want["code"]) != str(code):
            world.step_failures.append(f"line {line}: {name}: QuickBooks refused it with {code}, expected "
                                       f"{want['code']}: {err}")
        elif "message" in want and str(want["message"]).lower() not in words.lower():
            world.step_failures.append(f"line {line}: {name}: QuickBooks refused it, but not saying "
                                       f"{want['message']!r}: {err}")
        return
    world.step_failures.append(f"line {line}: {name}: expected QuickBooks to refuse it ({want}), it accepted it")


# -- time and the sync ------------------------------------------------------------------------------

@step("sync", optional=("passes",))
def sync_passes(world: World, a: dict, line: int | None) -> None:
    """One pass of the sync (``passes: n`` for more); the last pass's writes are measured from here."""
    world.pass_mark = world.journal_mark()
    for _ in range(int(a.get("passes", 1))):
        world.sync.run_pass()


def _forward(a: dict) -> str | None:
    """``advance`` moves the clock forward only: every amount a number, none negative (a clock going back would
    make the sync see time run backwards, which no real system does)."""
    for key in ("seconds", "minutes", "hours", "days"):
        if key in a and "{" not in str(a[key]):  # a parametrised value is checked once it is filled in
            try:
                amount = float(a[key])
            except (TypeError, ValueError):
                return f"{key} must be a number, not {a[key]!r}"
            if amount < 0 or amount != amount:
                return f"{key} must be zero or more, not {a[key]!r}: the clock only moves forward"
    return None


@step("advance", optional=("seconds", "minutes", "hours", "days", "to"), bare="seconds", check=_forward)
def advance(world: World, a: dict, line: int | None) -> None:
    """``advance: 600`` (seconds), ``advance: {days: 30, hours: 1}``, ``advance: {to: "2026-04-01T09:00:00Z"}``."""
    if "to" in a:
        from simulators.core.clock import parse_iso

        seconds = parse_iso(str(a["to"])).timestamp() - world.clock.now().timestamp()
        if seconds < 0:
            raise world.fail(line, f"advance: the clock is already past {a['to']}; it cannot go back")
    else:
        seconds = (float(a.get("seconds", 0)) + 60 * float(a.get("minutes", 0))
                   + 3600 * float(a.get("hours", 0)) + 86400 * float(a.get("days", 0)))
    world.clock.sleep(seconds)


# -- HubSpot, as a person uses it --------------------------------------------------------------------

@step("hubspot.create", optional=("ref", "type", "properties", "associations", "primary_company", "line_items",
                                  "object_type"))
def hubspot_create(world: World, a: dict, line: int | None) -> None:
    builders.hubspot_create(world, a)


@step("hubspot.update", required=(RECORD,), optional=("type", "properties"))
def hubspot_update(world: World, a: dict, line: int | None) -> None:
    _, otype, oid = world.ref(a, line)
    world.hs.update(otype, oid, world.resolve(a.get("properties") or {}))


@step("hubspot.archive", required=(RECORD,), optional=("type",))
def hubspot_archive(world: World, a: dict, line: int | None) -> None:
    _, otype, oid = world.ref(a, line)
    world.hs.archive(otype, oid)


@step("hubspot.associate", required=("from", "to"))
def hubspot_associate(world: World, a: dict, line: int | None) -> None:
    """``hubspot.associate: {from: inv, to: [acme, deal]}``: default associations, as a user makes them."""
    side, from_type, from_id = world.named(a.get("from"), line)
    to = a.get("to")
    targets = to if isinstance(to, list) else [to]
    for target in targets:
        other, to_type, to_id = world.named(target, line)
        if "hubspot" not in (side, other) or side != other:
            raise world.fail(line, f"hubspot.associate: {a.get('from')} and {target} must both be HubSpot records")
        world.hs.associate(from_type, to_type, [(from_id, to_id)])


# -- QuickBooks, as a person uses it -----------------------------------------------------------------

@step("quickbooks.create", optional=("ref", "entity", "number", *QBO_BODY), refusable=True)
def quickbooks_create(world: World, a: dict, line: int | None) -> None:
    builders.quickbooks_create(world, a)


@step("quickbooks.update", required=(RECORD,), optional=("entity", *QBO_BODY), refusable=True)
def quickbooks_update(world: World, a: dict, line: int | None) -> None:
    _, entity, oid = world.ref(a, line)
    current = world.qbo.get(entity, oid)
    body = {"Id": oid, "SyncToken": current["SyncToken"], **builders.qbo_body(world, a, line)}
    world.qbo.update(entity, body, request_id=uuid.uuid4().hex)


@step("quickbooks.void", required=(RECORD,), optional=("entity",), refusable=True)
def quickbooks_void(world: World, a: dict, line: int | None) -> None:
    """Void a transaction: QBO keeps it with zero amounts (invoices: operation=void; payments and sales
    receipts: an update with include=void)."""
    _, entity, oid = world.ref(a, line)
    current = world.qbo.get(entity, oid)
    world.qbo.void(entity, {"Id": oid, "SyncToken": current["SyncToken"]}, request_id=uuid.uuid4().hex)


@step("quickbooks.delete", required=(RECORD,), optional=("entity",), refusable=True)
def quickbooks_delete(world: World, a: dict, line: int | None) -> None:
    _, entity, oid = world.ref(a, line)
    current = world.qbo.get(entity, oid)
    world.qbo.delete(entity, {"Id": oid, "SyncToken": current["SyncToken"]}, request_id=uuid.uuid4().hex)


@step("quickbooks.send", required=(RECORD,), optional=("entity", "to"))
def quickbooks_send(world: World, a: dict, line: int | None) -> None:
    """Email a sales form to the customer (``to``: an address, else its BillEmail): EmailStatus EmailSent."""
    _, entity, oid = world.ref(a, line)
    world.qbo.request("POST", f"{world.qbo.api}/{entity.lower()}/{oid}/send", kind="write", safe=False,
                      params={"sendTo": a["to"]} if a.get("to") else None)


@step("quickbooks.preferences", optional=("customTxnNumbers", "closingDate", "body"))
def quickbooks_preferences(world: World, a: dict, line: int | None) -> None:
    """``customTxnNumbers`` through the Preferences API; ``closingDate`` (read-only in the API) as a person
    sets it in QBO's settings; ``body``: any other Preferences update."""
    body = dict(a.get("body") or {})
    if "customTxnNumbers" in a:
        body.setdefault("SalesFormsPrefs", {})["CustomTxnNumbers"] = bool(a["customTxnNumbers"])
    if body:
        current = next(iter(world.qbo.query("SELECT * FROM Preferences")))
        world.qbo.update("Preferences", {"Id": current["Id"], "SyncToken": current["SyncToken"], **body},
                         request_id=uuid.uuid4().hex)
    if "closingDate" in a:  # the simulator's admin route: QBO's API cannot write it
        when = str(a["closingDate"]) if a["closingDate"] else None
        world.qbo.session.post(f"{world.qbo.base_url}/_sim/quickbooks/{world.company['realmId']}/closing-date",
                               json={"date": when}, headers=world.sims.admin_headers()).raise_for_status()


# -- the sync's actions, and expectations mid-story --------------------------------------------------

@step("action", optional=("name", "args", "ref", "hubspot_ref", "refused", "returns"), bare="name")
def action(world: World, a: dict, line: int | None) -> None:
    """Call one of the sync's actions with refs resolved; ``refused`` expects its refusal, ``ref`` /
    ``hubspot_ref`` name what it made, ``returns`` checks its answer. A wrong outcome is a failure."""
    name = str(a.get("name") or "")
    if not name:
        raise world.fail(line, f"action: name the action, one of {', '.join(ACTIONS)}")
    call = getattr(world.sync, "action", None)
    if call is None:
        raise world.fail(line, "this sync has no actions (no action(name, **args) method)")
    args = _action_args(world, a.get("args") or {}, line)
    refused = a.get("refused")
    if isinstance(refused, str):
        refused = {"reason": refused}
    try:
        result = call(name, **args)
    except ActionUnavailable as err:
        raise world.fail(line, f"action {name}: {err}") from err
    except Exception as err:
        code, rule = getattr(err, "code", None), getattr(err, "rule", None)
        if code is None or rule is None:
            world.step_failures.append(f"line {line}: action {name} failed: {type(err).__name__}: {err}")
        elif refused is None:
            world.step_failures.append(f"line {line}: action {name} was refused: {code} (rule {rule}): {err}")
        else:
            for key, got in (("reason", code), ("rule", rule)):
                if key in refused and str(refused[key]) != str(got):
                    world.step_failures.append(f"line {line}: action {name} refused with {key} {got!r}, "
                                               f"expected {refused[key]!r}")
        return
    if refused is not None:
        world.step_failures.append(f"line {line}: action {name}: expected it refused with "
                                   f"{refused.get('reason')}, it succeeded: {result}")
        return
    _action_made(world, name, a, dict(result or {}), line)


def _action_made(world: World, name: str, a: dict, result: dict, line: int | None) -> None:
    """An action's answer checked against ``returns``, and what it made named by ``ref`` / ``hubspot_ref``."""
    for key, expected in (a.get("returns") or {}).items():
        if not checks.same(result.get(key), world.resolve(expected)):
            world.step_failures.append(f"line {line}: action {name} returned {key} {result.get(key)!r}, "
                                       f"expected {expected!r}")
    if a.get("ref"):
        made = (("Invoice", result["invoice"]) if result.get("invoice")
                else (str(result["type"]), result["id"]) if result.get("type") and result.get("id") else None)
        if made is None:
            world.step_failures.append(f"line {line}: action {name} made nothing in QuickBooks to name "
                                       f"{a['ref']!r}: {result}")
        else:
            world.refs[str(a["ref"])] = ("quickbooks", made[0], str(made[1]))
    if a.get("hubspot_ref"):
        if result.get("hubspot_invoice"):
            world.refs[str(a["hubspot_ref"])] = ("hubspot", "invoices", str(result["hubspot_invoice"]))
        else:
            world.step_failures.append(f"line {line}: action {name} made no HubSpot invoice to name "
                                       f"{a['hubspot_ref']!r}: {result}")


def _action_args(world: World, value: Any, line: int | None, key: str = "") -> Any:
    """Refs stand for ids: ``"@ref"`` anywhere; a bare ref name as the value of ``*_id``, ``item`` or
    ``product`` (a line's QBO item or HubSpot product)."""
    if isinstance(value, dict):
        return {k: _action_args(world, v, line, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_action_args(world, v, line, key) for v in value]
    if isinstance(value, str) and (key.endswith("_id") or key in ("item", "product")) and value in world.refs:
        return world.refs[value][2]
    return world.resolve(value)


def _check_expect(a: dict) -> str | None:
    wrong = view_problem(a, None)
    return wrong[1] if wrong else None


@step("expect", optional=THEN_KEYS, check=_check_expect)
def expect(world: World, a: dict, line: int | None) -> None:
    """``expect:`` — the expectations of ``then`` (any of its keys), checked at this point of the story."""
    world.step_failures += [f"{f} (expect at line {line})" for f in checks.expectations(world, Map(a), line)]


# -- webhooks, faults, restarts and crashes -------------------------------------------------------------

@step("webhooks")
def webhooks(world: World, a: dict, line: int | None) -> None:
    """Deliver what both simulators have queued for the sync's receiver."""
    import requests

    for url in (world.sims.hubspot_url, world.sims.qbo_url):
        requests.post(f"{url}/_sim/webhooks/deliver", headers=world.sims.admin_headers(), timeout=5)


@step("fault", optional=("rules",), open_keys=True)
def fault(world: World, a: dict, line: int | None) -> None:
    """``fault: {rules: [...]}`` (or one rule): the simulators' fault plan checks each rule's keys itself."""
    rules = a.get("rules") or [a]
    world.sims.runtime.faults.add([dict(r) for r in rules])


def _user_steps(raw: object) -> list[tuple[str, dict]]:
    """``meanwhile``'s ``do``: a list of users' steps, each parsed as the file's own steps are (a ValueError names
    what is wrong)."""
    if not isinstance(raw, list) or not raw:
        raise ValueError("do must be a list of steps")
    out = []
    for one in raw:
        if isinstance(one, str):
            one = {one: {}}
        if not isinstance(one, dict) or len(one) != 1:
            raise ValueError(f"each step of do is one of: {', '.join(STEPS)}")
        (name, args), = one.items()
        if name not in STEPS or name in ("meanwhile", "sync", "crash"):
            raise ValueError(f"do cannot hold {name!r}: users' own steps only")
        out.append((name, STEPS[name].parse(args)))
    return out


def _check_do(a: dict) -> str | None:
    try:
        _user_steps(a.get("do"))
    except ValueError as err:
        return str(err)
    return None


@step("meanwhile", required=("do",), optional=("system", "method", "path"), check=_check_do)
def meanwhile(world: World, a: dict, line: int | None) -> None:
    """``meanwhile: {path: "*/batch", do: [steps]}``: the next request the sync sends that matches ``system``
    (quickbooks, the default), ``method`` (POST) and ``path`` (any) waits while these steps run, then goes on —
    a user's edit landing between the sync's read and its write (I5). A step that fails is the scenario's
    failure, never the sync's request's."""
    steps = _user_steps(a["do"])

    def run() -> None:
        for name, args in steps:
            try:
                do(world, Step(name, args, line))
            except Exception as err:  # inside the simulator's request: report it, never answer the sync a 500
                world.step_failures.append(f"line {line}: meanwhile: {err}")
                return

    world.sims.runtime.faults.add([{"system": a.get("system", "quickbooks"), "method": a.get("method", "POST"),
                                    "path": a.get("path", "*"), "nth": 1, "action": "call", "call": run}])


def _check_refused_settings(a: dict) -> str | None:
    if "refused" not in a:
        return None
    if not a.get("settings"):
        return "refused needs the settings that are refused: restart: {settings: {...}, refused: [...]}"
    wanted = a["refused"]
    if not isinstance(wanted, list) or not wanted or not all(isinstance(w, str) and w.strip() for w in wanted):
        return ("refused: a list of what the problems say, each found in one of them, e.g. "
                "[\"pairs.contacts.direction: must be one of\"]")
    return None


@step("restart", optional=("settings", "refused"), check=_check_refused_settings)
def restart(world: World, a: dict, line: int | None) -> None:
    """``restart``; ``restart: {settings: {...}}``: the sync comes back with its settings changed (the given
    settings with these merged over them, pair by pair) — a setting changed between syncs. With ``refused``
    (B5): the settings must be refused as a whole, each text of ``refused`` found among the problems; the sync
    goes on with the settings it had, and settings accepted are a failure of the step (the sync takes them)."""
    if not a.get("settings"):
        world.sync.restart()
        return
    merged = merge_settings(dict(world.scenario.given.get("settings") or {}), dict(a["settings"]))
    if "refused" not in a:
        world.sync.restart(world.settings(merged, line, "restart.settings"))
        return
    from sync.settings import SettingsError

    wanted = [str(w) for w in a["refused"]]
    try:
        settings = world.build_settings(merged, line, "restart.settings")
    except SettingsError as err:
        missing = [w for w in wanted if not any(w in problem for problem in err.problems)]
        if missing:
            world.step_failures.append(f"line {line}: restart: the settings were refused, but no problem says "
                                       f"{', '.join(map(repr, missing))}; the problems: {'; '.join(err.problems)}")
        return
    world.step_failures.append(f"line {line}: restart: expected the settings refused ({'; '.join(wanted)}), "
                               "they were accepted")
    world.sync.restart(settings)


@step("crash", optional=("after",), bare="after")
def crash(world: World, a: dict, line: int | None) -> None:
    """The next pass dies once its first write to ``after`` (quickbooks, the default, or hubspot) lands."""
    arm = getattr(world.sync, "crash", None)
    if arm is None:
        raise world.fail(line, "this sync cannot be crashed on purpose (no crash(point) method)")
    arm(str(a.get("after", "quickbooks")))
