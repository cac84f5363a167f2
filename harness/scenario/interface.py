"""What a scenario needs of a sync (:class:`SyncUnderTest`), and the exceptions a sync raises to say why a
step could not go on: kept apart from the reference engine so a foreign sync depends on this alone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # types only: a foreign sync needs nothing of sync/ at run time
    from wsgiref.types import WSGIApplication

    from sync.settings import Settings

# The engine's actions (sync/actions.py) an ``action`` step may call.
ACTIONS = ("create_invoice_from_deal", "workflow_create_invoice", "add_invoice_to", "workflow_paid_invoice")


class SyncUnderTest(Protocol):
    """What a scenario needs of a sync. Status look-ups are optional (a sync may keep no status); so are
    :meth:`TakesActions.action`, ``crash(point)`` and the record view of :class:`HasRecordView`, which the steps
    and checks look up on the sync with ``getattr``."""

    def run_pass(self) -> None: ...

    def restart(self, settings: Settings | None = None) -> None:
        """A new sync process on the same state; ``settings`` (optional): the process starts with these."""
        ...

    def receiver(self) -> WSGIApplication | None:
        """A WSGI app taking both systems' webhooks (``/webhooks/quickbooks``, ``/webhooks/hubspot``), or None."""
        ...

    def status(self, side: str, record_id: str, kind: str | None = None) -> dict | None:
        """The sync's status of a record: ``status`` (synced, failed, excluded, pending), ``reason``, ``rule``,
        ``message``, ``hubspot_id``, ``quickbooks_id``. ``kind``: its HubSpot object type or QBO entity (ids of
        different kinds may be equal); a sync whose ``status`` takes only (side, id) is asked without it."""
        ...

    def counts(self, pair: str) -> dict[str, int] | None: ...


class TakesActions(Protocol):
    """A sync that also runs the integration's actions (the optional part of :class:`SyncUnderTest`)."""

    def action(self, name: str, **args: object) -> dict:
        """Optional: run one of the integration's actions (``ACTIONS``) with ids for arguments; returns what it
        made. A refusal raises an exception with ``.code`` (a reason code) and ``.rule``; an unknown action or
        wrong arguments raise :class:`ActionUnavailable` (the scenario's mistake)."""
        ...


class HasRecordView(Protocol):
    """A sync with a record view, record histories and an export (H2, H3): optional, each method looked up with
    ``getattr``; without one, the ``records`` / ``history`` / ``export`` expectations that need it fail as not
    supported by this sync. Filters: ``pair``, ``status``, ``reason`` (a reason code), ``search`` (words of a
    record's label or match key), ``columns`` (None: the default columns); columns and statuses are named as the
    reference engine's (``sync.status.COLUMNS``, ``sync.state.STATUSES``); a ValueError says a query is wrong."""

    def records(self, *, pair: str | None = None, status: str | None = None, reason: str | None = None,
                search: str | None = None, columns: list[str] | None = None, page: int = 1,
                per_page: int = 50) -> dict:
        """One page of the filtered records: ``total`` (how many match in all), ``columns`` and ``rows`` (one
        mapping of column to value each, in the view's order)."""
        ...

    def history(self, side: str, record_id: str, kind: str | None = None) -> list[dict] | None:
        """What the sync did with a record, oldest first: entries with ``at`` (ISO 8601), ``action``, ``side``,
        ``reason``, ``rule`` and ``detail``; None when it has no record of it. ``kind`` as for ``status``."""
        ...

    def export(self, path: str, fmt: str, *, pair: str | None = None, status: str | None = None,
               reason: str | None = None, search: str | None = None, columns: list[str] | None = None) -> int:
        """Write every filtered record to ``path`` as ``fmt`` (csv or xlsx): a header of the columns, then a row
        a record; returns the rows written."""
        ...


class ActionUnavailable(Exception):
    """A sync's ``action()`` was asked for an action it does not have, or with arguments it does not take."""


class SyncFailed(Exception):
    """Raised by a sync's ``run_pass()`` when the sync itself failed (a foreign command exited non-zero): the
    scenario fails at that step, with this message — a failure of the sync, not a mistake in the file."""
