"""What the run made, read in the database, against what the mail sink and the webhook
receiver got. Plain SQL (psycopg), no Django: this runs in the load test's process.

Made: contact requests, moderation decisions (approved, changes requested, rejected)
and transfers written since the run's marks, and webhook deliveries to the run's
endpoint. Their mail: a contact request's Message-ID is `<contact-<schema>-<id>@…>`; a
decision's or a transfer's mail is an outbox row (`<outbox-<uuid>@…>`), written in the
decision's transaction. Lost: made but never received; duplicated: received twice.

Transfers are also held against what the users were told (the close form's redirect,
counted per listing by the load test): lost = confirmed but not in the database;
duplicated = more rows for a listing than confirmations of it. A transfer that counts
(not awaiting a moderator above the legal cap) has its statistics fact, and, when it
went to another authority of the platform, that authority's receipt request (public
schema, written in the transfer's transaction) with the mail asking its moderators to
confirm (a row of the receiver's outbox, written in the same transaction).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field

import psycopg

DECISIONS = ("approved", "changes_requested", "rejected")


def connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, connect_timeout=3)


def schemas(url: str, slugs: list[str]) -> dict[str, str]:
    with connect(url) as db:
        rows = db.execute("SELECT slug, schema_name FROM public.tenants_authority "
                          "WHERE slug = ANY(%s)", [slugs]).fetchall()
    return dict(rows)


def _max_id(db, table: str) -> int:
    return db.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]  # noqa: S608


@dataclass
class Marks:
    """Where the run started, per schema: the highest ids, and the database's clock."""

    started_at: object = None
    contacts: dict = field(default_factory=dict)
    decisions: dict = field(default_factory=dict)
    transfers: dict = field(default_factory=dict)
    webhooks: int = 0


def mark(url: str, schema_names: list[str]) -> Marks:
    marks = Marks()
    with connect(url) as db:
        marks.started_at = db.execute("SELECT now()").fetchone()[0]
        for schema in schema_names:
            marks.contacts[schema] = _max_id(db, f'"{schema}".exchange_contactrequest')
            marks.decisions[schema] = _max_id(db, f'"{schema}".exchange_moderationevent')
            marks.transfers[schema] = _max_id(db, f'"{schema}".exchange_transfer')
        marks.webhooks = _max_id(db, "public.partners_webhookdelivery")
    return marks


def made(url: str, marks: Marks, endpoint_url: str) -> dict:
    """What the run made so far, with the identifiers its deliveries carry."""
    result = {"contacts": set(), "decisions": 0, "decision_mails": set(), "transfers": 0,
              "transfer_rows": collections.Counter(), "transfers_counted": set(),
              "transfer_facts": set(), "transfers_to_authorities": set(),
              "receipts": collections.Counter(), "receipt_mails": set(),
              "transfer_mails": set(), "webhooks": set(), "webhooks_skipped": 0,
              "outbox_pending": 0, "contacts_unsent": 0}
    with connect(url) as db:
        for schema, since in marks.contacts.items():
            _transfers(db, schema, marks.transfers[schema], result)
            for pk, status in db.execute(
                    f'SELECT id, status FROM "{schema}".exchange_contactrequest '  # noqa: S608
                    "WHERE id > %s", [since]):
                result["contacts"].add(f"<contact-{schema}-{pk}@collectivrecup>")
                result["contacts_unsent"] += status != "sent"
            result["decisions"] += db.execute(
                f'SELECT count(*) FROM "{schema}".exchange_moderationevent '  # noqa: S608
                "WHERE id > %s AND action = ANY(%s)",
                [marks.decisions[schema], list(DECISIONS)]).fetchone()[0]
            for pk, kind, status in db.execute(
                    f'SELECT id, kind, status FROM "{schema}".core_outboxmessage '  # noqa: S608
                    "WHERE created_at >= %s", [marks.started_at]):
                key = {"exchange.decision": "decision_mails",
                       "exchange.transfer_confirmation": "transfer_mails",
                       "sharing.receipt_request": "receipt_mails"}.get(kind)
                if key:
                    result[key].add(f"<outbox-{pk}@collectivrecup>")
                result["outbox_pending"] += status == "pending"
        for pk, status in db.execute(
                "SELECT d.id, d.status FROM public.partners_webhookdelivery d "
                "JOIN public.partners_webhookendpoint e ON e.id = d.endpoint_id "
                "WHERE d.id > %s AND e.url = %s", [marks.webhooks, endpoint_url]):
            if status == "skipped":  # the partner's access ended: never to be sent
                result["webhooks_skipped"] += 1
            else:
                result["webhooks"].add(str(pk))
    return result


def _transfers(db, schema: str, since: int, result: dict) -> None:
    """The run's transfers of one schema, and what each that counts brought along."""
    authority = db.execute("SELECT id FROM public.tenants_authority WHERE schema_name = %s",
                           [schema]).fetchone()[0]
    counted = []
    for pk, listing, to_authority, awaiting in db.execute(
            f'SELECT id, listing_id, recipient_authority_slug <> \'\', '  # noqa: S608
            f'confirmation_required AND confirmed_at IS NULL FROM "{schema}".exchange_transfer '
            "WHERE id > %s", [since]):
        result["transfers"] += 1
        result["transfer_rows"][(schema, listing)] += 1
        if not awaiting:
            counted.append(pk)
            result["transfers_counted"].add((schema, pk))
            if to_authority:
                result["transfers_to_authorities"].add((schema, pk))
    for (pk,) in db.execute("SELECT transfer_id FROM public.analytics_transferfact "
                            "WHERE authority_id = %s AND transfer_id = ANY(%s)",
                            [authority, counted]):
        result["transfer_facts"].add((schema, pk))
    for (transfer,) in db.execute(
            "SELECT transfer_id FROM public.sharing_transferreceipt "
            "WHERE giver_id = %s AND transfer_id = ANY(%s)", [authority, counted]):
        result["receipts"][(schema, transfer)] += 1


def _rows_against(expected: set, found) -> dict:
    """Rows the database should hold (`expected` keys) against those it holds (`found`:
    a set, or a Counter of rows per key): none missing, none twice."""
    counts = found if isinstance(found, collections.Counter) else collections.Counter(found)
    present = {key for key in expected if counts.get(key)}
    return {"made": len(expected), "delivered": len(present),
            "lost": len(expected) - len(present),
            "duplicated": sum(counts[key] - 1 for key in present if counts[key] > 1)}


def transfers_against_users(rows: collections.Counter, confirmed: collections.Counter) -> dict:
    """What users were told was recorded (per listing) against the database's rows."""
    return {"made": sum(rows.values()),
            "confirmed_to_users": sum(confirmed.values()),
            "delivered": sum(min(count, rows.get(key, 0)) for key, count in confirmed.items()),
            "lost": sum(max(0, count - rows.get(key, 0)) for key, count in confirmed.items()),
            # A row without a confirmation is a request whose answer was cut, not a
            # duplicate; a second row where one was confirmed is.
            "duplicated": sum(max(0, count - max(confirmed.get(key, 0), 1))
                              for key, count in rows.items())}


def compare(made_now: dict, mail: collections.Counter, hooks: collections.Counter,
            transfers_confirmed: collections.Counter | None = None) -> dict:
    """Per kind: made, delivered, lost and duplicated. `transfers_confirmed`: the load
    test's confirmations, (schema, listing id) → count."""

    def row(expected: set, received: collections.Counter, count: int | None = None) -> dict:
        delivered = {key for key in expected if received.get(key)}
        return {"made": len(expected) if count is None else count,
                "delivered": len(delivered),
                "lost": (len(expected) - len(delivered)) + max(0, (count or 0) - len(expected)),
                "duplicated": sum(received[key] - 1 for key in delivered if received[key] > 1)}

    return {
        "contact requests": row(made_now["contacts"], mail),
        # One mail per decision, written with it: a decision without its mail is lost.
        "moderation decisions": row(made_now["decision_mails"], mail, made_now["decisions"]),
        "transfers": transfers_against_users(made_now["transfer_rows"],
                                             transfers_confirmed or collections.Counter()),
        # Above the legal cap: the moderators' mail, an outbox row of the transaction.
        "transfer mails": row(made_now["transfer_mails"], mail),
        "transfer facts": _rows_against(made_now["transfers_counted"],
                                        made_now["transfer_facts"]),
        "transfer receipts": _rows_against(made_now["transfers_to_authorities"],
                                           made_now["receipts"]),
        "receipt mails": row(made_now["receipt_mails"], mail),
        "webhooks": row(made_now["webhooks"], hooks),
    }


def undelivered(comparison: dict) -> int:
    return sum(row["lost"] for row in comparison.values())
