"""The 17 product categories of the AGEC declaration (décret n° 2024-134, annexe), spelled
exactly as the enum of data.gouv.fr's Table Schema, which ships beside this module
(data/agec_declaration_schema.json: datagouv/schema-declaration-biens-reemploi-reutilisation-recycle
v0.1.0, licence Etalab 2.0). Forms, imports and the declaration CSV take their labels from
here, so a label the schema does not know cannot be declared."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "agec_declaration_schema.json"


@cache
def declaration_schema() -> dict:
    """The official Table Schema of the declaration, as published."""
    with SCHEMA_PATH.open(encoding="utf-8") as handle:
        return json.load(handle)


@cache
def agec_categories() -> tuple[str, ...]:
    """The schema's `type_produit_acquis` enum, in its order."""
    field = next(f for f in declaration_schema()["fields"]
                 if f["name"] == "type_produit_acquis")
    return tuple(field["constraints"]["enum"])
