"""What the apps keep about an authority in the public schema (tenants/offboarding/
public_data.py): declarations run in the order apps are installed, except that every
restore comes before any rebuild (derived data is computed from what was restored)."""

from __future__ import annotations

from tenants.offboarding import public_data
from tenants.offboarding.public_data import (
    PublicData,
    Withdrawal,
    restore_everywhere,
    withdraw_everywhere,
)


def test_every_restore_runs_before_any_rebuild(monkeypatch):
    calls = []
    monkeypatch.setattr(public_data, "_DECLARED", {
        "derives": PublicData(rebuild=lambda authority: calls.append(("rebuild", authority))),
        "keeps": PublicData(restore=lambda authority, rows: calls.append(
            ("restore", authority, rows("analytics_factoroverride")))),
    })
    restore_everywhere("the authority", lambda table: [{"table": table}])
    assert calls == [("restore", "the authority", [{"table": "analytics_factoroverride"}]),
                     ("rebuild", "the authority")]


def test_withdrawals_of_every_app_are_counted_together(monkeypatch):
    seen = []

    def catalogue(authority, withdrawal):
        seen.append(withdrawal.by)
        return {"catalogue_entries": 2}

    monkeypatch.setattr(public_data, "_DECLARED", {
        "catalogue": PublicData(withdraw=catalogue),
        "analytics": PublicData(withdraw=lambda authority, withdrawal: {"public_impact": 1},
                                restore=lambda authority, rows: None),
        "exchange": PublicData(rebuild=lambda authority: None),
    })
    counts = withdraw_everywhere("the authority", Withdrawal(at=None))
    assert counts == {"catalogue_entries": 2, "public_impact": 1}
    assert seen == ["platform: data deleted"]


def test_a_second_declaration_of_an_app_replaces_the_first(monkeypatch):
    monkeypatch.setattr(public_data, "_DECLARED", {})
    public_data.declare_public_data("analytics", PublicData(
        withdraw=lambda authority, withdrawal: {"old": 1}))
    public_data.declare_public_data("analytics", PublicData(
        withdraw=lambda authority, withdrawal: {"new": 1}))
    assert withdraw_everywhere("the authority", Withdrawal(at=None)) == {"new": 1}
