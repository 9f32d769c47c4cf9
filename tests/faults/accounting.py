"""What the run made, read in the database, against what the mail sink and the webhook
receiver got. Plain SQL (psycopg), no Django: this runs in the load test's process.

Made: contact requests, moderation decisions (approved, changes requested, rejected)
and transfers written since the run's marks, and webhook deliveries to the run's
endpoint. Their mail: a contact request's Message-ID is `<contact-<schema>-<id>@…>`; a
decision's or a transfer's mail is an outbox row (`<outbox-<uuid>@…>`), written in the
decision's transaction. Lost: made but never received; duplicated: received twice.
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
              "transfer_mails": set(), "webhooks": set(), "webhooks_skipped": 0,
              "outbox_pending": 0, "contacts_unsent": 0}
    with connect(url) as db:
        for schema, since in marks.contacts.items():
            for pk, status in db.execute(
                    f'SELECT id, status FROM "{schema}".exchange_contactrequest '  # noqa: S608
                    "WHERE id > %s", [since]):
                result["contacts"].add(f"<contact-{schema}-{pk}@collectivrecup>")
                result["contacts_unsent"] += status != "sent"
            result["decisions"] += db.execute(
                f'SELECT count(*) FROM "{schema}".exchange_moderationevent '  # noqa: S608
                "WHERE id > %s AND action = ANY(%s)",
                [marks.decisions[schema], list(DECISIONS)]).fetchone()[0]
            result["transfers"] += db.execute(
                f'SELECT count(*) FROM "{schema}".exchange_transfer WHERE id > %s',  # noqa: S608
                [marks.transfers[schema]]).fetchone()[0]
            for pk, kind, status in db.execute(
                    f'SELECT id, kind, status FROM "{schema}".core_outboxmessage '  # noqa: S608
                    "WHERE created_at >= %s", [marks.started_at]):
                key = {"exchange.decision": "decision_mails",
                       "exchange.transfer_confirmation": "transfer_mails"}.get(kind)
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


def compare(made_now: dict, mail: collections.Counter, hooks: collections.Counter) -> dict:
    """Per kind: made, delivered, lost and duplicated."""

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
        "transfers": {"made": made_now["transfers"],
                      **{k: v for k, v in row(made_now["transfer_mails"], mail).items()
                         if k != "made"}},
        "webhooks": row(made_now["webhooks"], hooks),
    }


def undelivered(comparison: dict) -> int:
    return sum(row["lost"] for row in comparison.values())
