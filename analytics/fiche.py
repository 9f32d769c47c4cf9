"""The PDF "fiche" of a period, for elected officials: in the spirit of the OPTIGEDE
sheet's « Résultats quantitatifs » — exchanges, € saved, tonnes and CO2e avoided, items
received from other authorities, top categories, weight campaigns, and the factor
versions that produced the figures. Built with reportlab; French text (the document is
handed out as is)."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import translation
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.numbers import euros_text, number_text


def euros(value: Decimal) -> str:
    """1234.5 → "1 234,50 €": the fiche is French whatever the reader's language."""
    with translation.override("fr"):
        return euros_text(value)


def number(value: Decimal, places: int = 1) -> str:
    with translation.override("fr"):
        return number_text(value, places)


def tonnes(kg: Decimal) -> str:
    return number(Decimal(kg) / 1000, 3) + " t"


def fiche_pdf(authority, report: dict, received: dict, campaigns: list[dict],
              agec: dict | None = None, it=None) -> bytes:
    """The fiche of `report` (analytics.selectors.report) as PDF bytes; `agec`
    ({"year": …, "rows": analytics.agec.agec_rows(…)}) adds the loi AGEC table, `it`
    (analytics.it_reuse.ITFigures with items retired) the IT register's section."""
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm,
                                 topMargin=2 * cm, bottomMargin=2 * cm,
                                 title=f"Fiche réemploi — {authority.name}",
                                 author="Collectiv'Récup")
    totals = report["totals"]
    start, end = report["start"], report["end"]
    story = [
        Paragraph(f"Réemploi du matériel — {authority.name}", styles["Title"]),
        Paragraph(f"Période du {start:%d/%m/%Y} au {end:%d/%m/%Y}", styles["Heading3"]),
        Paragraph("Résultats quantitatifs", styles["Heading2"]),
    ]
    rows = [
        ["Annonces déposées", number(totals["listings_posted"], 0)],
        ["Annonces ayant trouvé preneur", number(totals["listings_exchanged"], 0)],
        ["Valeur donnée (achats évités)", euros(totals["value_exchanged_eur"])],
        ["Poids détourné des déchets", tonnes(totals["weight_avoided_kg"])],
        ["CO2e évité", tonnes(totals["co2e_avoided_kg"]) + " CO2e"],
        ["Reçu d'autres collectivités : cessions", number(received["transfers"], 0)],
        ["Reçu d'autres collectivités : valeur", euros(received["value_eur"])],
        ["Reçu d'autres collectivités : poids", tonnes(received["weight_avoided_kg"])],
    ]
    story.append(_table(rows, [10 * cm, 6 * cm]))
    story.append(Spacer(1, 0.5 * cm))
    story.append(Paragraph("Principales catégories", styles["Heading2"]))
    top = [["Catégorie", "Annonces", "Valeur", "Poids évité"]] + [
        [row["key"] or "—", number(row["listings"], 0), euros(row["value_eur"]),
         number(row["weight_avoided_kg"]) + " kg"] for row in report["by_family"][:5]]
    if len(top) == 1:
        top.append(["Aucun réemploi sur la période", "", "", ""])
    story.append(_table(top, [7 * cm, 2.5 * cm, 3.5 * cm, 3 * cm], header=True))
    if campaigns:
        story.append(Spacer(1, 0.5 * cm))
        story.append(Paragraph("Estimation semestrielle des poids", styles["Heading2"]))
        lines = [["Semestre", "Statut", "Poids validé", "Poids actuel"]]
        for row in campaigns:
            campaign = row["campaign"]
            lines.append([
                f"S{campaign.semester} {campaign.year}",
                "validé" if campaign.is_locked else "à valider",
                number(row["validated_kg"]) + " kg" if row["validated_kg"] is not None else "—",
                number(row["current_kg"]) + " kg" if row["current_kg"] is not None else "—"])
        story.append(_table(lines, [4 * cm, 3.5 * cm, 4 * cm, 4 * cm], header=True))
    if it is not None and it.retired:
        story += _it_section(it, styles)
    if agec is not None:
        story += _agec_section(agec, styles)
    story.append(Spacer(1, 0.5 * cm))
    versions = ", ".join(report["factors_versions"]) or "—"
    story.append(Paragraph(
        f"Facteurs de référence utilisés (poids, CO2e) : version(s) {versions}. "
        "Valeur, poids et CO2e ne comptent que les objets réemployés (service, autre "
        "collectivité, partenaire). CO2e : émissions de fabrication d'un équivalent neuf "
        "(ADEME Base Empreinte, FIRA, WRAP), borne haute.", styles["Normal"]))
    estimated = report.get("family_estimates", 0)
    if estimated:
        story.append(Paragraph(
            f"{estimated} transfert(s) : poids et CO2e estimés d'après la moyenne de leur "
            "famille (type d'objet sans valeur de référence), à affiner dans « Facteurs ».",
            styles["Normal"]))
    document.build(story)
    return buffer.getvalue()


def _agec_section(agec: dict, styles) -> list:
    """Loi AGEC of the year: per category, purchases, reuse, donations acquired, share
    reached next to the decree's minimum, the gap in €; internal reuse apart."""
    small = styles["BodyText"].clone("agec", fontSize=8, leading=9.5)
    lines = [["Catégorie", "Achats HT", "dont réemploi", "Dons acquis", "Part atteinte",
              "Minimum", "Écart"]]
    internal = Decimal("0")
    for row in agec["rows"]:
        internal += row.internal_eur
        if not row.declarable:
            continue
        lines.append([
            Paragraph(row.category, small),
            "non saisis" if row.total_eur is None else euros(row.total_eur),
            euros(row.reuse_eur), euros(row.donations_eur),
            "—" if row.share_reached is None else number(row.share_reached) + " %",
            "—" if row.minimum_share is None else f"{row.minimum_share} %",
            "—" if row.gap_eur is None else (euros(row.gap_eur) if row.gap_eur else "atteint")])
    if len(lines) == 1:
        lines.append(["Aucun achat saisi ni don acquis", "", "", "", "", "", ""])
    year = agec["year"]
    return [
        Spacer(1, 0.5 * cm),
        Paragraph(f"Loi AGEC {year} : part des achats issue du réemploi et des dons",
                  styles["Heading2"]),
        _table(lines, [4.6 * cm, 2.3 * cm, 2.1 * cm, 2.1 * cm, 1.9 * cm, 1.6 * cm, 2.4 * cm],
               header=True, font_size=8),
        Spacer(1, 0.2 * cm),
        Paragraph(
            "Part atteinte = (achats issus du réemploi + dons acquis) / achats HT de la "
            "catégorie, à comparer à la part minimale du décret n° 2024-134. Cessions "
            f"internes (achats évités, non déclarées) : {euros(internal)}.",
            styles["Normal"]),
    ]


def _it_section(it, styles) -> list:
    """The IT register's items retired in the period and where they went; weight and
    CO2e avoided by the reused ones, per item type (analytics.it_reuse)."""
    share = "—" if it.share is None else number(it.share) + " %"
    rows = [
        ["Matériels réformés", str(it.retired)],
        ["dont réemployés (réformés envoyés au réemploi)", f"{it.reused} sur {it.retired}"],
        ["— nouveau détenteur dans la collectivité", str(it.second_life)],
        ["— proposés sur la bourse d'échange", str(it.listed)],
        ["— donnés sous convention", str(it.donated)],
        ["dont recyclés", str(it.recycled)],
        ["encore dans un lot", str(it.awaiting_exit)],
        ["Réemployés pour une deuxième vie / une troisième vie ou plus",
         f"{it.started_second_life} / {it.started_third_life}"],
        ["Part réemployée (décret n° 2023-266)", share],
    ]
    kinds = [["Type", "Réformés", "Réemployés", "Recyclés", "Poids évité", "CO2e évité"]] + [
        [row.label, str(row.retired), str(row.reused), str(row.recycled),
         number(row.weight_avoided_kg) + " kg", number(row.co2e_avoided_kg) + " kg"]
        for row in it.by_kind]
    return [
        Spacer(1, 0.5 * cm),
        Paragraph("Informatique (réemploi du matériel)", styles["Heading2"]),
        _table(rows, [10 * cm, 6 * cm]),
        Spacer(1, 0.2 * cm),
        _table(kinds, [4 * cm, 2.2 * cm, 2.4 * cm, 2.2 * cm, 2.6 * cm, 2.6 * cm], header=True),
        Spacer(1, 0.2 * cm),
        Paragraph(
            "Chaque matériel compte dans la période de sa réforme, sa sortie avec lui quand "
            "elle a lieu. Poids et CO2e évités : matériels réemployés × facteurs de "
            "référence de leur type.", styles["Normal"]),
    ]


def _table(rows, widths, header: bool = False, font_size: int | None = None) -> Table:
    table = Table(rows, colWidths=widths)
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
             ("ALIGN", (1, 0), (-1, -1), "RIGHT")]
    if header:
        style += [("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                  ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f0e8"))]
    if font_size:
        style.append(("FONTSIZE", (0, 0), (-1, -1), font_size))
    table.setStyle(TableStyle(style))
    return table
