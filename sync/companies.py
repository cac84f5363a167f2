"""Several QBO companies on one HubSpot account (rule A5, legacy only).

A legacy install may connect more than one QuickBooks company (article 002). Each company syncs through an engine
of its own — its own state, its own QBO connection — with the one HubSpot account; their QBO ids are namespaced
in HubSpot (clients/namespace.py). The Integration Invoices card then asks which company an invoice is for
(articles 000, 002, 003): an action names it, by realm id or by company name, once more than one is connected.
With one company this is a list of one engine and nothing is asked.
"""

from __future__ import annotations

from collections.abc import Callable

from .actions import ActionError
from .engine import Engine
from .settings import Settings


class Companies:
    def __init__(self, settings: Settings, make: Callable[[Settings], Engine] = Engine) -> None:
        self.engines = [make(s) for s in settings.per_company()]

    @property
    def first(self) -> Engine:
        return self.engines[0]

    def realm(self, engine: Engine) -> str:
        return str(engine.settings.quickbooks.realm_id)

    def choose(self, company: str | None) -> Engine:
        """The engine of the company an action names (realm id or company name, any letter case). With several
        connected one must be named (A5): the card asks which company before it makes an invoice."""
        if company is None or str(company).strip() == "":
            if len(self.engines) == 1:
                return self.first
            raise ActionError("company_required", f"{len(self.engines)} QuickBooks companies are connected: "
                                                  f"{self._listing()}")
        wanted = str(company).strip()
        for engine in self.engines:
            if wanted == self.realm(engine) or wanted.casefold() == self.name(engine).casefold():
                return engine
        raise ActionError("unknown_company", f"{wanted!r}; connected: {self._listing()}")

    def name(self, engine: Engine) -> str:
        return str(engine.company().get("name") or "")

    def _listing(self) -> str:
        return ", ".join(f"{self.name(e) or '(no name)'} ({self.realm(e)})" for e in self.engines)
