"""Demo partner for `make run`: a ressourcerie of the Vienne granted by both demo
authorities (grants accepted, as if it had followed the e-mailed links), with a fixed
operator-issued key that `seed_demo --banner` prints (local settings only)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from exchange.partners import keys
from exchange.partners.models import ApiKey, Partner, PartnerGrant, Scope
from tenants.models import Authority

DEMO_PARTNER = {
    "legal_name": "Ressourcerie Le Grenier de la Vienne", "kind": "ressourcerie",
    "siret": "79412345600012", "contact_name": "Camille Martin",
    "contact_email": "contact@grenier-vienne.example", "contact_phone": "05 49 00 00 00",
    "departements": ["86"],
}
# Published on purpose, like the demo operator's TOTP secret: demo data only.
DEMO_KEY_PREFIX = "cr_demo0000"
DEMO_KEY_SECRET = "demo-partner-key-not-secret-0123456789abcdef"
LOCAL_SETTINGS = "collectivrecup.settings.local"


def is_local() -> bool:
    return settings.DEBUG or settings.SETTINGS_MODULE == LOCAL_SETTINGS


def demo_key() -> str:
    return f"{DEMO_KEY_PREFIX}.{DEMO_KEY_SECRET}"


def seed_demo_partner(slugs: list[str]) -> int:
    """Create the demo partner, its grants and (local settings only) its fixed key.
    Idempotent; returns how many rows were created."""
    created = 0
    partner, new = Partner.objects.get_or_create(siret=DEMO_PARTNER["siret"],
                                                 defaults=DEMO_PARTNER)
    created += new
    for authority in Authority.objects.filter(slug__in=slugs):
        if not PartnerGrant.objects.filter(authority=authority, partner=partner,
                                           revoked_at__isnull=True).exists():
            PartnerGrant.objects.create(authority=authority, partner=partner,
                                        scopes=sorted(Scope.values),
                                        agreement_reference="CONV-DEMO-2026",
                                        granted_by="seed_demo", accepted_at=timezone.now(),
                                        accepted_by=DEMO_PARTNER["contact_email"])
            created += 1
    if is_local() and not ApiKey.objects.filter(prefix=DEMO_KEY_PREFIX).exists():
        ApiKey.objects.create(partner=partner, name="Clé de démonstration",
                              prefix=DEMO_KEY_PREFIX, secret_hash=keys.digest(DEMO_KEY_SECRET),
                              created_by="seed_demo")
        created += 1
    return created
