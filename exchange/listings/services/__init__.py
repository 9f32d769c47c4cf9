"""Writes on listings, one module per kind of work. Views, the API, tasks, commands and
one-click links call these functions; none of them repeats a check (the rules are
exchange/listings/permissions.py's). Mail leaves after commit; tasks are queued by
their registered name (tenants.background.queue_by_name), never imported.

- posting: create, edit, submit and publish a listing (and what follows any edit);
- moderation: a moderator's hold and decisions on a listing awaiting review;
- expiry: extending a listing, expiring those past their date;
- reservation: reserving a listing for someone;
- visibility: who sees a listing (other authorities, partners), the sharing cascade;
- contact: "I am interested" from an agent of this authority or of another one;
- closure: giving the items away (transfers), the moderator's confirmation above the cap;
- wanted, saved_searches: the alerts of agents;
- categories, settings: the authority's category tree and exchange settings row;
- audit, checks, plausibility: what the modules above share (the audit trail, the
  checks of a listing's fields, the plausibility bounds of its figures).

Import a function from the module that holds it; this package re-exports nothing.
"""
