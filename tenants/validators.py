"""Validators for authority identifiers.

SIREN and SIRET check digits come from python-stdnum (Luhn, and La Poste's own rule for
its establishments); this module only gives them French error messages."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import luhn
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
RESERVED_SLUGS = frozenset({
    "www", "api", "admin", "app", "static", "media", "mail", "smtp", "public", "operator",
    "operateur", "console", "status", "docs", "help", "aide", "support", "billing",
    "test", "demo", "localhost", "pg", "template", "information_schema", "new",
})


def luhn_is_valid(digits: str) -> bool:
    """Luhn checksum, as used by SIREN and SIRET numbers."""
    return luhn.is_valid(digits)


def validate_siren(value: str) -> None:
    """A SIREN is 9 digits whose Luhn checksum is valid."""
    if not re.fullmatch(r"\d{9}", value or ""):
        raise ValidationError(_("A SIREN number has exactly 9 digits."), code="siren_format")
    if not stdnum_siren.is_valid(value):
        raise ValidationError(
            _("This SIREN number is not valid (check digit mismatch)."), code="siren_checksum"
        )


def validate_authority_slug(value: str) -> None:
    """Slugs become a DNS label and a schema name: lowercase letters, digits, hyphens."""
    if not SLUG_RE.fullmatch(value or ""):
        raise ValidationError(
            _("Use 1 to 40 lowercase letters, digits or hyphens, not starting or ending "
              "with a hyphen."),
            code="slug_format",
        )
    if value in RESERVED_SLUGS or value.startswith("pg"):
        raise ValidationError(_("This address is reserved."), code="slug_reserved")


def validate_email_domain(value: str) -> None:
    if not re.fullmatch(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}", value or ""):
        raise ValidationError(
            _("“%(value)s” is not a valid e-mail domain."), params={"value": value},
            code="email_domain",
        )


# INSEE département codes: 01–19, 21–95 (20 became 2A and 2B), and the overseas 971–976.
DEPARTEMENT_CODES = frozenset(
    [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]
    + [str(n) for n in range(971, 977)])


def validate_departement(value: str) -> None:
    """An INSEE département code (``86``, ``2A``, ``974``)."""
    if value not in DEPARTEMENT_CODES:
        raise ValidationError(
            _("“%(value)s” is not a département code (01 to 95, 2A, 2B, 971 to 976)."),
            params={"value": value}, code="departement")


def validate_siret(value: str) -> None:
    """A SIRET is 14 digits (SIREN + establishment number) with a valid check digit:
    Luhn, or for La Poste's establishments (one SIREN for all) digits summing to a
    multiple of 5."""
    if not re.fullmatch(r"\d{14}", value or ""):
        raise ValidationError(_("A SIRET has 14 digits."), code="siret_format")
    if not stdnum_siret.is_valid(value):
        raise ValidationError(_("This SIRET is not valid (check digit)."), code="siret_checksum")


def validate_siret_of(siret: str, siren: str) -> None:
    """An authority's SIRET: a valid SIRET (`validate_siret`) that starts with its SIREN."""
    validate_siret(siret)
    if not siret.startswith(siren):
        raise ValidationError(
            _("This SIRET does not start with the authority's SIREN (%(siren)s).")
            % {"siren": siren}, code="siret_not_of_siren")
