"""The back office's navigation, grouped by task (issue 20): moderation, statistics,
administration and settings, each with its own short sub-navigation, the same on a
phone and a desktop.

A page names its entry by `section` (the key its view puts in the context); the group
holding that entry is the one shown open. Which entries, and so which groups, a member
sees is decided by the `can` flags of accounts.permissions.permission_flags — never by
a role name here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Entry:
    section: str
    label: str
    url_name: str
    flag: str  # a key of accounts.permissions.permission_flags


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    entries: tuple[Entry, ...]


GROUPS: tuple[Group, ...] = (
    Group("moderation", _("Moderation"), (
        Entry("queue", _("Queue"), "exchange:moderation_queue", "moderate"),
        Entry("confirmations", _("Transfers to confirm"), "exchange:transfer_confirmations",
              "moderate"),
        Entry("receipts", _("Received transfers to confirm"), "exchange:transfer_receipts",
              "moderate"),
        Entry("replies", _("Standard replies"), "exchange:reply_list", "moderate"),
    )),
    Group("statistics", _("Statistics"), (
        Entry("dashboard", _("Figures"), "exchange:moderation_dashboard", "moderate"),
        Entry("report", _("Report"), "statistics:moderation_report", "moderate"),
        Entry("campaigns", _("Weights"), "statistics:weight_campaigns", "moderate"),
        Entry("agec", _("Loi AGEC"), "statistics:agec_report", "view_agec"),
        Entry("received", _("Received"), "exchange:received_transfers", "moderate"),
        Entry("factors", _("Factors"), "statistics:factor_overrides", "manage_factors"),
    )),
    Group("administration", _("Administration"), (
        Entry("members", _("Users and roles"), "accounts:member_list", "administer"),
        Entry("journal", _("Journal"), "accounts:access_journal", "administer"),
        Entry("services", _("Services"), "accounts:service_list", "administer"),
        Entry("sites", _("Sites"), "accounts:site_list", "administer"),
        Entry("identity_provider", _("Identity provider"), "accounts:identity_provider",
              "administer"),
    )),
    Group("settings", _("Settings"), (
        Entry("categories", _("Categories"), "exchange:category_list", "administer"),
        Entry("settings", _("Exchange settings"), "exchange:settings", "administer"),
        Entry("stats_settings", _("Statistics settings"), "statistics:stats_settings",
              "administer"),
        Entry("sharing", _("Sharing"), "exchange:sharing_settings", "administer"),
        Entry("partners", _("Partners"), "partners:admin", "administer"),
        Entry("billing", _("Billing details"), "billing:details", "administer"),
        Entry("export", _("Export our data"), "offboarding:exports", "administer"),
    )),
)

# Pages that name their section with another word than their entry's.
ALIASES = {"exchange_settings": "settings"}


def group_of(section: str | None) -> Group | None:
    """The group holding the entry `section`, or None."""
    section = ALIASES.get(section, section)
    return next((group for group in GROUPS
                 if any(entry.section == section for entry in group.entries)), None)


def back_office_nav(flags: Mapping[str, bool], section: str | None) -> dict:
    """What the navigation shows to a member with permission `flags` on page `section`:
    `groups` (each with the link to its first entry the member may open, the current
    one marked) and `entries`, the current group's sub-navigation. A group with no entry
    the member may open is not shown."""
    section = ALIASES.get(section, section)
    current = group_of(section)
    groups, entries = [], []
    for group in GROUPS:
        visible = [entry for entry in group.entries if flags[entry.flag]]
        if not visible:
            continue
        is_current = group == current
        groups.append({"key": group.key, "label": group.label, "current": is_current,
                       "url": reverse(visible[0].url_name)})
        if is_current:
            entries = [{"label": entry.label, "url": reverse(entry.url_name),
                        "current": entry.section == section} for entry in visible]
    return {"groups": groups, "entries": entries,
            "label": current.label if current else None}
