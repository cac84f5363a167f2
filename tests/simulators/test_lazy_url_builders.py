"""The simulators' URL rules compile their URL builders on first use (simulators/core/flaskapp.py): every rule
of both apps still builds a URL that routes back to it, as werkzeug's own rules do."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map, Rule

from simulators.core.flaskapp import LazyBuilderRule
from simulators.sims import Simulators


def test_every_rule_builds_a_url_that_routes_back_to_it() -> None:
    sims = Simulators()
    checked = 0
    for app in (sims.quickbooks, sims.hubspot):
        adapter = app.url_map.bind("sim.test")
        for rule in app.url_map.iter_rules():
            assert isinstance(rule, LazyBuilderRule)
            values = {name: 7 if isinstance(rule._converters.get(name), IntegerConverter) else "v7"
                      for name in rule.arguments}
            method = sorted(rule.methods - {"HEAD", "OPTIONS"} or rule.methods)[0]
            path = adapter.build(rule.endpoint, values, method=method)
            endpoint, _ = adapter.match(path, method=method)
            eager = Map([Rule(rule.rule, endpoint="e", methods=rule.methods)]).bind("sim.test")
            assert path == eager.build("e", values, method=method), rule.rule  # what werkzeug's own rule builds
            assert endpoint == rule.endpoint, (rule.rule, endpoint)
            checked += 1
    assert checked > 80  # both apps, admin routes included
