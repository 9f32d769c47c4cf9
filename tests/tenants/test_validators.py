"""SIREN numbers and authority addresses are checked before anything is created."""

import pytest
from django.core.exceptions import ValidationError

from tenants.models import Authority
from tenants.services import create_authority
from tenants.validators import (
    luhn_is_valid,
    validate_authority_slug,
    validate_departement,
    validate_siren,
    validate_siret,
)


@pytest.mark.parametrize("siren", ["200070670", "218600666", "732829320"])
def test_valid_sirens(siren):
    validate_siren(siren)


@pytest.mark.parametrize(("siren", "code"), [
    ("20007067", "siren_format"), ("2000706701", "siren_format"), ("20007067A", "siren_format"),
    ("", "siren_format"), ("200070671", "siren_checksum"), ("123456789", "siren_checksum"),
])
def test_invalid_sirens(siren, code):
    with pytest.raises(ValidationError) as error:
        validate_siren(siren)
    assert error.value.code == code


def test_luhn_matches_known_siret():
    assert luhn_is_valid("73282932000074")  # a published SIRET
    assert not luhn_is_valid("73282932000075")


@pytest.mark.parametrize("slug", ["chatellerault", "grand-chatellerault", "a", "86-vienne"])
def test_valid_slugs(slug):
    validate_authority_slug(slug)


@pytest.mark.parametrize("slug", ["", "-abc", "abc-", "Abc", "a_b", "é", "www", "api", "pg-x",
                                  "x" * 41, "public"])
def test_invalid_slugs(slug):
    with pytest.raises(ValidationError):
        validate_authority_slug(slug)


@pytest.mark.django_db
@pytest.mark.parametrize(("overrides", "field"), [
    ({"siren": "200070671"}, "siren"),
    ({"slug": "www"}, "slug"),
    ({"slug": "chatellerault"}, "slug"),
])
def test_create_authority_rejects_bad_input_before_creating_a_schema(chatellerault, overrides,
                                                                     field):
    spec = {"name": "Commune de Test", "kind": "commune", "siren": "732829320",
            "slug": "commune-de-test", **overrides}
    before = Authority.objects.count()
    with pytest.raises(ValidationError) as error:
        create_authority(**spec)
    assert field in error.value.message_dict
    assert Authority.objects.count() == before


@pytest.mark.django_db
def test_create_authority_rejects_a_bad_email_domain(chatellerault):
    with pytest.raises(ValidationError) as error:
        create_authority(name="Commune de Test", kind="commune", siren="732829320",
                         slug="commune-de-test", email_domains=["mairie.fr", "pas un domaine"])
    assert "allowed_email_domains" in error.value.message_dict
    assert not Authority.objects.filter(slug="commune-de-test").exists()


@pytest.mark.parametrize("code", ["01", "19", "21", "86", "95", "2A", "2B", "971", "976"])
def test_valid_departements(code):
    validate_departement(code)


@pytest.mark.parametrize("code", ["", "00", "20", "96", "2C", "977", "86100", "86 ", "2a"])
def test_invalid_departements(code):
    with pytest.raises(ValidationError) as error:
        validate_departement(code)
    assert error.value.code == "departement"


@pytest.mark.parametrize("siret", [
    "21860066600018", "35600000000010",
    "35600000000048",  # La Poste's head office follows Luhn like everyone
])
def test_valid_sirets(siret):
    validate_siret(siret)


@pytest.mark.parametrize(("siret", "code"), [
    ("", "siret_format"), ("2186006660001", "siret_format"), ("218600666000180", "siret_format"),
    ("2186006660001A", "siret_format"), ("21860066600013", "siret_checksum"),
    ("35600000000011", "siret_checksum"), ("35600000000049", "siret_checksum"),
])
def test_invalid_sirets(siret, code):
    with pytest.raises(ValidationError) as error:
        validate_siret(siret)
    assert error.value.code == code

