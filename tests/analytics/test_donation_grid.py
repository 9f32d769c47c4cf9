"""Donations acquired, valued for the AGEC declaration (issue 16, analytics.donation_grid).

The arrêté du 29 février 2024's grid could not be found (see the module's docstring), so
no grid ships: received donations are valued with the platform's estimate and the
declaration's comment says so. The grid path is checked with a grid file written by the
test (`TEST_GRID`, figures made up for the test, never shipped)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from analytics import donation_grid
from analytics.agec_categories import agec_categories
from tests.analytics.factories import TransferFactFactory

pytestmark = pytest.mark.django_db

FURNITURE = "Mobilier et aménagement d'intérieur"
IT = "Matériel informatique et téléphonie"
TEST_GRID = """# Test grid: figures made up for the test, not the arrêté's.
# version: test-1
reference_code,agec_category,product_fr,value_eur
bureau-droit,,Bureau (test),40
,Mobilier et aménagement d'intérieur,Autre mobilier (test),15
"""


@pytest.fixture
def no_grid(monkeypatch, tmp_path):
    monkeypatch.setattr(donation_grid, "GRID_PATH", tmp_path / "absent.csv")
    donation_grid._grid.cache_clear()
    yield
    donation_grid._grid.cache_clear()


@pytest.fixture
def test_grid(monkeypatch, tmp_path):
    path = tmp_path / "donation_grid.csv"
    path.write_text(TEST_GRID, encoding="utf-8")
    monkeypatch.setattr(donation_grid, "GRID_PATH", path)
    donation_grid._grid.cache_clear()
    yield
    donation_grid._grid.cache_clear()


@pytest.fixture
def received(chatellerault, grand_chatellerault):
    """Grand Châtellerault gave Châtellerault, receipt confirmed: 2 desks (estimated
    120 €), 3 items posted in « Mobilier » itself (estimated 45 €), 1 laptop (estimated
    90 €) in 2026; a desk in 2025; a desk whose receipt was not confirmed; and a desk
    given inside Châtellerault (internal: not a donation)."""
    giver = grand_chatellerault
    day = date(2026, 3, 2)
    TransferFactFactory(authority=giver, receiver_authority=chatellerault, date=day,
                        destination="other_authority", family="Mobilier", quantity=2,
                        value_eur=Decimal("120.00"))
    TransferFactFactory(authority=giver, receiver_authority=chatellerault, date=day,
                        destination="other_authority", family="", category="Mobilier",
                        reference_code="", quantity=3, value_eur=Decimal("45.00"))
    TransferFactFactory(authority=giver, receiver_authority=chatellerault, date=day,
                        destination="other_authority", family="Informatique et téléphonie",
                        category="Ordinateur portable", reference_code="ordinateur-portable",
                        quantity=1, value_eur=Decimal("90.00"))
    TransferFactFactory(authority=giver, receiver_authority=chatellerault,
                        date=date(2025, 12, 31), destination="other_authority",
                        value_eur=Decimal("1000.00"))
    TransferFactFactory(authority=giver, receiver_authority=None, date=day,
                        destination="other_authority", value_eur=Decimal("2000.00"))
    TransferFactFactory(authority=chatellerault, date=day, destination="same_authority",
                        value_eur=Decimal("3000.00"))


def test_without_the_grid_donations_keep_their_estimated_value(no_grid, received,
                                                              chatellerault):
    totals = donation_grid.received_donations_by_category(chatellerault, 2026)
    assert tuple(totals) == agec_categories()
    assert totals[FURNITURE] == Decimal("165.00")  # 120 € of desks + 45 € in the family
    assert totals[IT] == Decimal("90.00")
    assert sum(totals.values()) == Decimal("255.00")
    assert donation_grid.grid_version() is None
    assert donation_grid.grid_value("bureau-droit", 2, estimate=Decimal("120.00")) == \
        Decimal("120.00")


def test_without_the_grid_the_comment_says_the_values_are_estimates(no_grid):
    comment = donation_grid.declaration_comment()
    assert "n'a pas pu être appliquée" in comment
    assert "estimations" in comment
    assert "29 février 2024" in comment
    assert "JORFTEXT000049241790" in comment


def test_the_grid_values_a_received_donation_and_is_named(test_grid, received,
                                                          chatellerault):
    assert donation_grid.grid_version() == "test-1"
    assert donation_grid.grid_value("bureau-droit", 2) == Decimal("80.00")
    assert donation_grid.grid_value(FURNITURE, 3) == Decimal("45.00")
    totals = donation_grid.received_donations_by_category(chatellerault, 2026)
    # 2 desks × 40 € (their own row) + 3 family items × 15 € (the category's row).
    assert totals[FURNITURE] == Decimal("125.00")
    # No row for laptops: their estimate stays.
    assert totals[IT] == Decimal("90.00")
    comment = donation_grid.declaration_comment()
    assert "version test-1" in comment and "n'a pas pu" not in comment


def test_a_grid_file_without_a_version_is_refused(monkeypatch, tmp_path):
    path = tmp_path / "donation_grid.csv"
    path.write_text("reference_code,agec_category,product_fr,value_eur\nx,,X,1\n",
                    encoding="utf-8")
    monkeypatch.setattr(donation_grid, "GRID_PATH", path)
    donation_grid._grid.cache_clear()
    try:
        with pytest.raises(ValueError, match="version"):
            donation_grid.grid_version()
    finally:
        donation_grid._grid.cache_clear()


def test_other_years_and_other_authorities_count_nothing(no_grid, received,
                                                         grand_chatellerault, chatellerault):
    assert sum(donation_grid.received_donations_by_category(chatellerault, 2025).values()) \
        == Decimal("1000.00")
    assert not any(donation_grid.received_donations_by_category(
        grand_chatellerault, 2026).values())
