"""Helpers of the IT register's tests: build inside `in_authority(...)`."""

from __future__ import annotations

from exchange.itassets import services
from tests.accounts.factories import it_staff


def asset(actor=None, *, serial_number: str = "PF3K9ZQ1", kind: str = "computer", **data):
    """An asset added through the service (so with its « created » event)."""
    return services.create_asset(actor=actor or it_staff(), kind=kind,
                                 serial_number=serial_number,
                                 make=data.pop("make", "Lenovo"),
                                 model=data.pop("model", "ThinkPad T14"), **data)


# A GLPI computers export, as « Exporter → CSV » writes it in French.
GLPI_HEADERS = ["Nom", "Entité", "Statut", "Fabricant", "Type", "Modèle", "Numéro de série",
                "Numéro d'inventaire", "Lieu", "Utilisateur", "Date d'achat",
                "Commentaires"]


def glpi_csv(lines: list[list[str]], *, delimiter: str = ";", encoding: str = "utf-8",
             headers: list[str] = GLPI_HEADERS) -> bytes:
    text = "\r\n".join(delimiter.join(row) for row in [headers, *lines]) + "\r\n"
    return text.encode(encoding)


def glpi_line(n: int, **cells) -> list[str]:
    row = {"Nom": f"PC-{n:05d}", "Entité": "Ville", "Statut": "En service",
           "Fabricant": "Lenovo", "Type": "Ordinateur", "Modèle": "ThinkPad T14",
           "Numéro de série": f"SN{n:06d}", "Numéro d'inventaire": f"INV-{n:06d}",
           "Lieu": "", "Utilisateur": "", "Date d'achat": "2021-03-01",
           "Commentaires": ""}
    row.update(cells)
    return [row[h] for h in GLPI_HEADERS]
