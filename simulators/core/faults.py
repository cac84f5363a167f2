"""The fault plan: plain-data rules that make chosen calls fail, stall or vanish.

A rule is a dict (JSON on the admin API), e.g.::

    {"method": "POST", "path": "*/invoice", "tenant": "R", "nth": 3, "action": "status", "status": 503}
    {"path": "*/query", "action": "delay", "seconds": 2}
    {"nth": 5, "action": "drop"}                      # connection closed, request never applied
    {"nth": 5, "action": "drop", "phase": "after"}    # applied, then the response is lost
    {"target": "webhook", "nth": 2, "action": "duplicate"}

In-process only, ``{"action": "call", "call": fn}`` runs ``fn()`` before the matching request is applied
(a user acting while a sync's request is on its way; the scenario step ``meanwhile``).

Which matching calls fire: ``nth`` (one call), ``calls`` (a list), ``from`` (that call onward),
every matching call when none is given; ``times`` caps the firings. Counters restart whenever
the plan is set, so the same plan replays the same way.
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
from dataclasses import dataclass

REQUEST_ACTIONS = ("status", "delay", "drop", "timeout", "call")
WEBHOOK_ACTIONS = ("drop", "duplicate", "delay", "reorder")
_KEYS = {"id", "target", "system", "tenant", "method", "path", "nth", "calls", "from", "times", "action",
         "status", "body", "headers", "seconds", "phase", "call"}


class FaultPlanError(ValueError):
    """A rule that cannot be understood; the message names the offending key."""


@dataclass
class Fired:
    rule: dict
    action: str


def validate_rule(rule: dict) -> dict:
    if not isinstance(rule, dict):
        raise FaultPlanError("each fault rule must be an object")
    unknown = set(rule) - _KEYS
    if unknown:
        raise FaultPlanError(f"unknown fault rule key(s): {', '.join(sorted(unknown))}")
    target = rule.get("target", "request")
    actions = {"request": REQUEST_ACTIONS, "webhook": WEBHOOK_ACTIONS}.get(target)
    if actions is None:
        raise FaultPlanError("target must be 'request' or 'webhook'")
    action = rule.get("action")
    if action not in actions:
        raise FaultPlanError(f"action for a {target} rule must be one of {', '.join(actions)}")
    if action == "status" and not isinstance(rule.get("status"), int):
        raise FaultPlanError("action 'status' needs an integer 'status'")
    if action == "call" and not callable(rule.get("call")):
        raise FaultPlanError("action 'call' needs a Python function 'call' (in-process only)")
    if action == "delay" and not isinstance(rule.get("seconds"), (int, float)):
        raise FaultPlanError("action 'delay' needs a number 'seconds'")
    for key in ("nth", "from", "times"):
        if key in rule and (not isinstance(rule[key], int) or rule[key] < 1):
            raise FaultPlanError(f"'{key}' must be a positive integer")
    if "calls" in rule and not (isinstance(rule["calls"], list) and all(isinstance(c, int) for c in rule["calls"])):
        raise FaultPlanError("'calls' must be a list of integers")
    if rule.get("phase", "before") not in ("before", "after"):
        raise FaultPlanError("'phase' must be 'before' or 'after'")
    return {"target": target, **rule}


class FaultPlan:
    def __init__(self) -> None:
        self._rules: list[dict] = []
        self._seen: list[int] = []
        self._fired: list[int] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, rules: list[dict]) -> list[dict]:
        checked = [validate_rule(r) for r in rules]
        with self._lock:
            for r in checked:
                r.setdefault("id", f"f{next(self._ids)}")
                self._rules.append(r)
                self._seen.append(0)
                self._fired.append(0)
        return checked

    def replace(self, rules: list[dict]) -> list[dict]:
        checked = [validate_rule(r) for r in rules]  # validate all before dropping the old plan
        self.clear()
        return self.add(checked)

    def clear(self) -> None:
        with self._lock:
            self._rules, self._seen, self._fired = [], [], []

    def describe(self) -> list[dict]:
        with self._lock:
            return [dict({k: v for k, v in r.items() if k != "call"}, seen=s, fired=f)  # a function is no JSON
                    for r, s, f in zip(self._rules, self._seen, self._fired, strict=True)]

    def match(self, target: str, *, system: str = "", tenant: str | None = None, method: str = "",
              path: str = "") -> Fired | None:
        """The first rule that fires for this call (every matching rule counts the call)."""
        hit = None
        with self._lock:
            for i, r in enumerate(self._rules):
                if r["target"] != target or not _matches(r, system, tenant, method, path):
                    continue
                self._seen[i] += 1
                n = self._seen[i]
                if hit is None and _fires(r, n, self._fired[i]):
                    self._fired[i] += 1
                    hit = Fired(r, r["action"])
        return hit


def _matches(r: dict, system: str, tenant: str | None, method: str, path: str) -> bool:
    if r.get("system") and r["system"] != system:
        return False
    if r.get("tenant") and r["tenant"] != tenant:
        return False
    if r.get("method") and r["method"].upper() != method.upper():
        return False
    pattern = r.get("path")
    return not pattern or fnmatch.fnmatchcase(path.lower(), pattern.lower())


def _fires(r: dict, n: int, fired: int) -> bool:
    if "times" in r and fired >= r["times"]:
        return False
    if "nth" in r:
        return n == r["nth"]
    if "calls" in r:
        return n in r["calls"]
    if "from" in r:
        return n >= r["from"]
    return True
