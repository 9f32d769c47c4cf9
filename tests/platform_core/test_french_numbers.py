"""Numbers, amounts and weights written the French way (issue 20): « 1 555,00 € » in
pages, tables and PDFs alike, through Django's localisation; machine-readable values
(data-value attributes, CSV, JSON) keep their plain decimals."""

from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import translation

from core.numbers import euros_text, number_text

NBSP = "\xa0"


def test_documents_round_half_up_and_group_thousands():
    with translation.override("fr"):
        assert euros_text(Decimal("1555")) == f"1{NBSP}555,00 €"
        assert euros_text(Decimal("1234.565")) == f"1{NBSP}234,57 €"
        assert number_text(Decimal("12345.05"), 1) == f"12{NBSP}345,1"
        assert number_text(7, 0) == "7"
    with translation.override("en"):
        assert euros_text(Decimal("1555")) == "1,555.00 €"


def test_report_tables_print_amounts_as_the_cards_do():
    row = {"key": "Mobilier", "listings": 1200, "quantity": 3400,
           "value_eur": Decimal("1555.00"), "weight_avoided_kg": Decimal("2345.678"),
           "co2e_avoided_kg": Decimal("0.500")}
    with translation.override("fr"):
        html = render_to_string("analytics/_report_breakdown.html",
                                {"rows": [row], "table_id": "table-family"})
    cells = html.split('data-key="Mobilier">')[1].split("</tr>")[0]
    assert f">1{NBSP}200<" in cells and f">3{NBSP}400<" in cells
    assert f'data-value="1555.00">1{NBSP}555,00<' in cells
    assert f'data-value="2345.678">2{NBSP}345,7<' in cells
    assert ">0,5<" in cells
    assert "1555.00<" not in cells
