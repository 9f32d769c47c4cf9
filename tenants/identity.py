"""Writes of an authority's identity kept on its row (public schema)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from tenants.models import Authority
from tenants.validators import validate_siret_of


def save_siret(authority: Authority, siret: str) -> None:
    """Store the authority's SIRET (spaces ignored; empty clears it), the one that its
    invoices and its loi AGEC declaration show. Raises ValidationError({"siret": …})
    for a SIRET that is not valid or does not start with the authority's SIREN, and
    then changes nothing."""
    siret = siret.replace(" ", "")
    if siret:
        try:
            validate_siret_of(siret, authority.siren)
        except ValidationError as error:
            raise ValidationError({"siret": error}) from error
    if siret != authority.siret:
        authority.siret = siret
        authority.save(update_fields=["siret"])
