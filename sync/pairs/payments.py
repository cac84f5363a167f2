"""QBO payments ⇄ HubSpot commerce payments (rules A2, G1-G4).

A QBO payment on one invoice becomes a HubSpot payment on it (A2); on several it is excluded (G1); a
HubSpot payment becomes a QBO payment once completed (G2), with no fee (G3). Payments have no settings
of their own: they follow the invoices pair.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests

from ..clients.http import ApiError
from ..mapping import TO_QUICKBOOKS, TWO_WAY, canonical, hubspot_version, qbo_value
from ..planner import ChunkPlanner, Incomplete, PairReport, numeric_order
from ..state import EXCLUDED, FAILED, HUBSPOT, PENDING, QUICKBOOKS, SYNCED, Activity, Observation, Record, chunks
from .base import Pair
from .documents import PAYMENT_ID_DEFINITION, PAYMENT_ID_PROPERTY, invoice_failure, money, origin, text

if TYPE_CHECKING:
    from ..clients.quickbooks import QuickBooksError
    from ..planner import SyncContext
    from ..settings import PairSettings


class PaymentPlanner(ChunkPlanner):
    """Payments: QBO → HubSpot on one invoice (A2, G1); HubSpot → QBO once completed (G2, G3, G4)."""

    def __init__(self, ctx: SyncContext, rules: Pair, settings: PairSettings, report: PairReport,
                 records: list[Record]) -> None:
        super().__init__(ctx, rules, settings, report, records)
        self.pushes: list[tuple[Record, dict, str, bool]] = []  # record, props, invoice record's HubSpot id, create
        self.withdrawn: dict[int, str] = {}  # record id -> the reason it ends with once its payment is canceled

    def run(self) -> None:
        invoice_settings = self.ctx.settings.pairs["invoices"]
        from_hubspot = [r for r in self.records if r.hubspot_id and not r.qbo_id and not r.deleted]
        targets = self._invoices_of_hubspot_payments(from_hubspot) if from_hubspot else {}
        for r in self.records:
            if r.deleted:
                if not (r.deleted == QUICKBOOKS and self._withdraw(r, "deleted")):
                    self._end(r, EXCLUDED, "deleted")
            elif r.qbo_id:
                self._plan_from_quickbooks(r)
            else:
                self._plan_from_hubspot(r, targets.get(r.hubspot_id or "", []), invoice_settings.direction)
        self._write_quickbooks()
        self._write_payments_to_hubspot()
        self._save()

    # -- QBO → HubSpot -----------------------------------------------------------------------------
    def _plan_from_quickbooks(self, r: Record) -> None:
        x = r.extra(QUICKBOOKS)
        applied = x.get("applied") or {}
        if len(applied) != 1:
            code = "split_payment" if applied else "unapplied_payment"  # G1; edge 42: reported, attached to nothing
            if not self._withdraw(r, code):
                self._end(r, EXCLUDED, code)
            return None
        invoice_id, amount = next(iter(applied.items()))
        invoice = self.ctx.state.by_side_ids("invoices", QUICKBOOKS, [invoice_id]).get(invoice_id)
        if invoice is None or not invoice.hubspot_id:
            return self._end(r, PENDING, "invoice_not_synced")  # edge 41: waits, applies once the invoice syncs
        if r.hubspot_id and origin(r) == HUBSPOT:
            return self._end(r, SYNCED)  # the engine wrote it from a HubSpot payment: nothing flows back
        props = {"hs_initial_amount": amount, "hs_latest_status": "succeeded"}
        if not r.hubspot_id:
            props.update({PAYMENT_ID_PROPERTY: r.qbo_id, "hs_initiated_date": x.get("date", ""),
                          "hs_currency_code": x.get("currency") or "USD", "hs_payment_method_type": x.get("method"),
                          "hs_reference_number": x.get("reference")})
        elif {"amount": amount, "status": "succeeded"} == r.values(HUBSPOT):
            return self._end(r, SYNCED)
        self.pushes.append((r, {k: v for k, v in props.items() if v not in (None, "")}, invoice.hubspot_id,
                            not r.hubspot_id))
        return None

    def _withdraw(self, r: Record, code: str) -> bool:
        """A payment synced before but split, unapplied, voided or deleted since: its HubSpot payment stops
        counting (canceled; nothing is deleted) and the record ends with ``code``. False when nothing to do."""
        if not r.hubspot_id or origin(r) == HUBSPOT or r.values(HUBSPOT).get("status") == "canceled":
            return False
        self.pushes.append((r, {"hs_latest_status": "canceled"}, "", False))
        self.withdrawn[r.id or 0] = code
        return True

    def _write_payments_to_hubspot(self) -> None:
        if not self.pushes:
            return
        ctx, hubspot = self.ctx, self.ctx.hubspot
        ctx.ensure_hubspot_property("commerce_payments", self.rules.hubspot_id_definition or {})
        creates = [p for p in self.pushes if p[3]]
        updates = [p for p in self.pushes if not p[3]]
        try:
            answers: dict[int, dict] = {}
            for chunk in chunks(creates, 100):
                result = hubspot.batch_upsert("commerce_payments", [{"id": r.qbo_id, "properties": props}
                                                                    for r, props, _, _ in chunk], PAYMENT_ID_PROPERTY)
                by_key = {str((x.get("properties") or {}).get(PAYMENT_ID_PROPERTY)): x for x in result.results}
                answers.update({r.id or 0: by_key[str(r.qbo_id)] for r, *_ in chunk if str(r.qbo_id) in by_key})
            for chunk in chunks(updates, 100):
                result = hubspot.batch_update("commerce_payments", [{"id": r.hubspot_id, "properties": props}
                                                                    for r, props, _, _ in chunk])
                by_id = {str(x["id"]): x for x in result.results}
                answers.update({r.id or 0: by_id[str(r.hubspot_id)] for r, *_ in chunk if str(r.hubspot_id) in by_id})
            invoice_links = [(answers[r.id or 0]["id"], inv) for r, _, inv, new in creates if r.id in answers]
            if invoice_links:
                hubspot.associate("commerce_payments", "invoices", invoice_links)
                # A2: on the deal's timeline too
                deals = hubspot.associations("invoices", "deals", sorted({inv for _, inv in invoice_links}))
                deal_links = [(pay, str(t["toObjectId"])) for pay, inv in invoice_links for t in deals.get(inv, [])]
                if deal_links:
                    hubspot.associate("commerce_payments", "deals", deal_links)
        except (ApiError, requests.RequestException) as exc:
            self._save()
            raise Incomplete(f"writing payments to HubSpot: {exc}") from exc
        for r, props, _, creating in self.pushes:
            answer = answers.get(r.id or 0)
            if answer is None:
                self._end(r, FAILED, "rejected_by_hubspot", "HubSpot did not return the payment")
                continue
            r.hubspot_id = str(answer["id"])
            values = {"amount": props.get("hs_initial_amount", r.values(HUBSPOT).get("amount", "")),
                      "status": props.get("hs_latest_status", r.values(HUBSPOT).get("status", ""))}
            r.hubspot_values = values
            r.hubspot_version = hubspot_version(str(answer.get("updatedAt")), values)
            r.doc = {**(r.doc or {}), "origin": (r.doc or {}).get("origin", QUICKBOOKS)}
            self.report.created[HUBSPOT] += creating
            self.report.updated[HUBSPOT] += not creating
            self.log.append(Activity(r.id or 0, self.pair, "created" if creating else "updated", HUBSPOT,
                                     detail={"id": r.hubspot_id, **props}))
            code = self.withdrawn.get(r.id or 0)
            if code:
                self._end(r, EXCLUDED, code)
            else:
                self._end(r, SYNCED)

    # -- HubSpot → QBO -----------------------------------------------------------------------------
    def _invoices_of_hubspot_payments(self, records: list[Record]) -> dict[str, list[str]]:
        links = self.ctx.hubspot.associations("commerce_payments", "invoices", [r.hubspot_id or "" for r in records])
        return {k: sorted({str(t["toObjectId"]) for t in v}, key=numeric_order) for k, v in links.items()}

    def _plan_from_hubspot(self, r: Record, invoices: list[str], direction: str) -> None:
        values = r.values(HUBSPOT)
        if not invoices:
            return self._end(r, EXCLUDED, "unapplied_payment")
        if len(invoices) > 1:
            return self._end(r, EXCLUDED, "split_payment")
        if direction not in (TWO_WAY, TO_QUICKBOOKS):
            return self._end(r, EXCLUDED, "direction")
        invoice = self.ctx.state.by_side_ids("invoices", HUBSPOT, invoices).get(invoices[0])
        if invoice is None or not invoice.qbo_id:
            return self._end(r, PENDING, "invoice_not_synced")
        if values.get("status") == "processing":
            return self._end(r, PENDING, "ach_processing")  # G2: HubSpot shows it paid; QBO waits
        if values.get("status") != "succeeded":
            return self._end(r, EXCLUDED, "payment_not_completed")
        booked = (self.ctx.state.get_value("workflow_payments") or {}).get(r.hubspot_id or "")
        if booked:  # G4: a paid-invoice workflow booked it already; a second booking would duplicate it
            return self._end(r, FAILED, "duplicate_invoice",
                             f"QuickBooks {booked['type']} {booked['id']} already books HubSpot payment {r.hubspot_id}")
        amount = money(values.get("amount"))
        customer = invoice.extra(QUICKBOOKS).get("customer")
        body = {"CustomerRef": {"value": customer}, "TotalAmt": qbo_value(text(amount), "number"),
                "Line": [{"Amount": qbo_value(text(amount), "number"),
                          "LinkedTxn": [{"TxnId": invoice.qbo_id, "TxnType": "Invoice"}]}],
                "PrivateNote": f"HubSpot payment {r.hubspot_id}"}  # G3: the gross amount, no fee expense
        if r.extra(HUBSPOT).get("date"):
            body["TxnDate"] = r.extra(HUBSPOT)["date"]
        self.qbo_items.append({"bId": str(r.id), "operation": "create", "Payment": body})
        self.pending_doc[r.id or 0] = {"origin": HUBSPOT}
        return None


class Payments(Pair):
    """QBO payments applied to one invoice ⇄ HubSpot commerce payments on that invoice (A2, G1-G3)."""

    name = "payments"
    hubspot_type = "commerce_payments"
    hubspot_webhook = "commerce_payment"
    planner = PaymentPlanner
    follows = "invoices"  # payments sync with their invoices, under the invoice pair's settings
    qbo_entity = "Payment"
    qbo_has_active = False
    key_field = "hs_initial_amount"
    hubspot_id_property = PAYMENT_ID_PROPERTY
    qbo_id_properties = (PAYMENT_ID_PROPERTY,)
    hubspot_id_definition = PAYMENT_ID_DEFINITION

    def hubspot_properties(self, settings: PairSettings) -> list[str]:
        return ["hs_currency_code", "hs_initial_amount", "hs_initiated_date", "hs_lastmodifieddate",
                "hs_latest_status", "hs_payment_method_type", "hs_reference_number", PAYMENT_ID_PROPERTY]

    def observe_hubspot(self, record: dict, settings: PairSettings) -> Observation:
        props = record.get("properties") or {}
        values = {"amount": canonical(props.get("hs_initial_amount"), "number"),
                  "status": (props.get("hs_latest_status") or "").lower()}
        qbo_id = props.get(PAYMENT_ID_PROPERTY)
        stamp = str(record.get("updatedAt") or props.get(self.hubspot_modified))
        extra = {"props": props, "date": canonical(props.get("hs_initiated_date"), "date"),
                 "currency": props.get("hs_currency_code") or ""}
        return Observation(HUBSPOT, str(record["id"]), hubspot_version(stamp, values), values,
                           f"qbo:{qbo_id}" if qbo_id else None, f"Payment {values['amount']}", extra)

    def observe_qbo(self, entity: dict, settings: PairSettings) -> Observation:
        applied: dict[str, str] = {}
        for line in entity.get("Line") or []:
            for link in line.get("LinkedTxn") or []:
                if link.get("TxnType") == "Invoice":
                    key = str(link.get("TxnId"))
                    applied[key] = text(money(applied.get(key)) + money(line.get("Amount")))
        values = {"amount": text(money(entity.get("TotalAmt")))}
        extra = {"applied": applied, "unapplied": text(money(entity.get("UnappliedAmt"))),
                 "customer": str((entity.get("CustomerRef") or {}).get("value") or ""),
                 "currency": (entity.get("CurrencyRef") or {}).get("value") or "", "date": entity.get("TxnDate") or "",
                 "method": (entity.get("PaymentMethodRef") or {}).get("name") or "",
                 "reference": entity.get("PaymentRefNum") or "", "note": entity.get("PrivateNote") or ""}
        return Observation(QUICKBOOKS, str(entity["Id"]), str(entity.get("SyncToken", "")), values,
                           f"qbo:{entity['Id']}", f"Payment {entity.get('PaymentRefNum') or entity['Id']}", extra)

    def qbo_failure(self, error: QuickBooksError, creating: bool) -> str:
        return invoice_failure(error)


PAYMENTS = Payments()
