"""The simulators' Flask apps, with URL rules that compile their URL builders on first use.

Werkzeug compiles two URL builders (Python code, through ``ast`` and ``compile``) for every rule when the rule is
bound. The two simulators have about a hundred rules between them and build almost no URLs, so that was most of
the cost of ``Simulators()`` (50 → 12 ms), paid by every scenario file. Routing (matching) is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compiled: Callable[..., tuple[str, str]] | None = None

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:  # the first url_for of this rule: compile as werkzeug would have
                compiled = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            return compiled(*args, **kwargs)

        return build


class SimulatorApp(Flask):
    url_rule_class = LazyBuilderRule


def new_app(name: str) -> Flask:
    """A simulator's app: no static files (the real APIs serve none, so ``/static/...`` is an unknown route)."""
    return SimulatorApp(name, static_folder=None)
