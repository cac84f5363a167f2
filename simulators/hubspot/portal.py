"""One HubSpot portal (account), composed of its parts. Knows nothing of HTTP.

Layers, each importing only the ones below it (so the package has no import cycle):

- records.py       CRM objects: create/read/update/archive, batch, merge, search, GDPR delete
- associations.py  v4 associations and labels, the v3 batch API, a contact's primary company
- amounts.py       HubSpot's arithmetic: line-item amounts, invoice balances and payments, quote totals
- properties.py    property definitions and groups
- rows.py          how records and associations are stored
- context.py       what they all share: the store, the settings, the clock, the events raised
"""

from __future__ import annotations

from ..core.runtime import Runtime
from .amounts import Amounts
from .associations import Associations
from .context import PortalContext
from .records import Records


class Portal:
    """Builds and wires one portal's parts; callers use the part that answers them (``portal.records.create``)."""

    def __init__(self, runtime: Runtime, portal_id: str) -> None:
        self.ctx = PortalContext(runtime, portal_id)
        self.amounts = Amounts(self.ctx)
        self.associations = Associations(self.ctx, self.amounts)
        self.records = Records(self.ctx, self.associations, self.amounts)
        # The CRM objects straight on the portal, for callers outside this package (bench/measure.py, tests).
        records = self.records
        self.get, self.page, self.create, self.update, self.archive = (records.get, records.page, records.create,
                                                                       records.update, records.archive)
