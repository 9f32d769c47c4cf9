"""Create the demo authorities, their services, sites and users, and the operator.

Idempotent: what exists is kept as it is (a second `make run` loses nothing). The demo
composes every app (authorities, listings, sharing, partners), so the command is the
project's, not one app's.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import Role, Service, Site, User
from analytics.demo import seed_demo_purchases
from core.links import authority_host
from exchange.itassets.demo import seed_demo_it_last_year, seed_demo_itassets
from exchange.listings.demo import seed_demo_listings
from exchange.listings.services.categories import seed_categories
from exchange.loans.demo import seed_demo_loans
from exchange.logistics.demo import seed_demo_transports
from exchange.partners.cascade import offer_due_listings
from exchange.partners.demo import DEMO_PARTNER, demo_key, is_local, seed_demo_partner
from exchange.partners.models import Partner
from exchange.sharing.demo import seed_demo_sharing
from tenants.crossing import PlatformWork, in_authority, in_public
from tenants.demo import (
    DEMO_AUTHORITIES,
    DEMO_OPERATOR_EMAIL,
    DEMO_USERS,
    demo_email,
    load_authority_specs,
)
from tenants.identity import save_siret
from tenants.models import Authority, AuthorityStatus
from tenants.services import create_authority, ensure_public_tenant
from tenants.two_factor import DEMO_TOTP_SECRET, ensure_device

DEMO = PlatformWork("demo seeding")


def _ensure_user(email: str, *, first_name: str, last_name: str, roles: list[str],
                 service: Service | None = None) -> bool:
    if User.objects.filter(email__iexact=email).exists():
        return False
    User.objects.create_user(
        email=email, password=settings.DEMO_PASSWORD, first_name=first_name,
        last_name=last_name, roles=roles, service=service, email_verified_at=timezone.now(),
    )
    return True


class Command(BaseCommand):
    help = "Seed the demo authorities and accounts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--banner", action="store_true",
                            help="Print the URLs and demo logins afterwards.")
        parser.add_argument("--port", default="8000")
        # `make run` keeps the two demo authorities (its default costs nothing more); the
        # load test (`make loadtest`) asks for more, each seeded like a demo one.
        parser.add_argument(
            "--authorities", type=int, default=len(DEMO_AUTHORITIES),
            help="How many authorities in all: beyond the demo's two, made-up communes "
                 "(slugs charge-3, charge-4…) with the same accounts and listings.")

    def handle(self, *args, banner: bool, port: str, authorities: int, **options):
        # The demo operator's password and TOTP secret are published: never on a real
        # platform. DEMO_ALLOWED is true only in local settings (and docker-compose).
        if not getattr(settings, "DEMO_ALLOWED", False):
            raise CommandError(
                "seed_demo creates accounts whose password and second factor are public: "
                "it runs only with DEMO_ALLOWED (local and test settings). Nothing created.")
        created = 0
        ensure_public_tenant()
        specs = DEMO_AUTHORITIES + load_authority_specs(authorities)
        for spec in specs:
            created += self._seed_authority(spec)
        # Sharing between the two demo authorities (issue 4), both ways.
        first, second = (Authority.objects.get(slug=spec["slug"]) for spec in DEMO_AUTHORITIES)
        created += seed_demo_sharing(first, second, lambda slug: demo_email("admin", slug))
        with in_public(purpose="demo seeding"), transaction.atomic():
            created += _ensure_user(DEMO_OPERATOR_EMAIL, first_name="Olivier",
                                    last_name="Opérateur", roles=[Role.OPERATOR])
            # The demo operator's second factor has a fixed, published secret.
            ensure_device(User.objects.get(email__iexact=DEMO_OPERATOR_EMAIL),
                          DEMO_TOTP_SECRET)
        with in_public(purpose="demo seeding"), transaction.atomic():
            created += seed_demo_partner([spec["slug"] for spec in specs])
        seeded = Authority.objects.filter(slug__in=[spec["slug"] for spec in specs])
        for authority in seeded:  # the daily offer cascade: the partner feed shows
            with in_authority(authority, ground=DEMO), transaction.atomic():
                created += offer_due_listings()
        # Last year's IT figures (issue 19): the closed batch donates to the demo partner.
        with in_public(purpose="demo seeding"):
            partner_id = Partner.objects.filter(siret=DEMO_PARTNER["siret"]).values_list(
                "pk", flat=True).first()
        for authority in seeded:
            with in_authority(authority, ground=DEMO), override_settings(
                    EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                created += seed_demo_it_last_year(
                    demo_email("informatique", authority.slug), partner_id)
        # The finance team's purchases (issue 16), once the platform's transfers are in.
        today = timezone.localdate()
        for authority in seeded:
            with in_public(purpose="demo seeding"), transaction.atomic():
                created += seed_demo_purchases(authority, today)
        if options["verbosity"]:
            self.stdout.write(f"Demo data: {created} object(s) created, the rest kept.")
        if banner:
            self._print_banner(port)

    def _seed_authority(self, spec: dict) -> int:
        created = 0
        authority = Authority.objects.filter(slug=spec["slug"]).first()
        if authority is None:
            authority = create_authority(
                name=spec["name"], kind=spec["kind"], siren=spec["siren"], slug=spec["slug"],
                email_domains=[f"{spec['slug']}.example"], status=AuthorityStatus.ACTIVE,
                departement=spec["departement"], population=spec["population"],
            )
            created += 1
        elif not authority.departement:  # seeded before authorities had a département
            authority.departement = spec["departement"]
            authority.population = spec["population"]
            authority.save(update_fields=["departement", "population"])
        with in_authority(authority, ground=DEMO), transaction.atomic():
            created += seed_categories()  # authorities created before categories existed
            services = []
            for name in spec["services"]:
                service, new = Service.objects.get_or_create(name=name)
                services.append(service)
                created += new
            for name, address, postcode, city in spec["sites"]:
                _, new = Site.objects.get_or_create(
                    name=name, defaults={"address": address, "postcode": postcode, "city": city}
                )
                created += new
            for local, first, last, roles, service_index in DEMO_USERS:
                created += _ensure_user(
                    demo_email(local, spec["slug"]), first_name=first, last_name=last,
                    roles=roles, service=services[service_index],
                )
        # The demo's own history (decisions, contacts) must not flood var/mail.
        with in_authority(authority, ground=DEMO), override_settings(
                EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            created += seed_demo_listings(spec["slug"])
            created += seed_demo_transports(demo_email("logistique", spec["slug"]))
            created += seed_demo_loans(spec["slug"])
            created += seed_demo_itassets(demo_email("informatique", spec["slug"]),
                                          spec["slug"])
        # The load test's communes get their SIRET here (the demo's two get theirs with
        # their statistics settings, in seed_demo_listings): an admin's own is kept.
        authority.refresh_from_db(fields=["siret"])
        if spec.get("siret") and not authority.siret:
            save_siret(authority, spec["siret"])
            created += 1
        return created

    def _print_banner(self, port: str) -> None:
        scheme = settings.SITE_SCHEME
        suffix = "" if port in ("80", "443") else f":{port}"
        lines = [
            "",
            "Collectiv'Récup is starting.",
            f"  Public site and operator console: {scheme}://{settings.BASE_DOMAIN}{suffix}/",
            f"    operator: {DEMO_OPERATOR_EMAIL}",
            f"    operator's TOTP secret: {DEMO_TOTP_SECRET} (add it to an authenticator app,",
            f"    or: python manage.py totp_code --email {DEMO_OPERATOR_EMAIL})",
        ]
        for spec in DEMO_AUTHORITIES:
            lines.append(f"  {spec['name']}: {scheme}://{authority_host(spec['slug'])}{suffix}/")
            lines.append("    " + ", ".join(demo_email(u[0], spec["slug"]) for u in DEMO_USERS))
        lines += [
            "  Password for every demo account: "
            + ("the value of DEMO_PASSWORD" if settings.DEMO_PASSWORD != "collectivrecup"
               else "collectivrecup"),
            f"  Outgoing e-mail: {settings.EMAIL_FILE_PATH}/*.eml",
        ]
        if is_local():
            lines += [
                f"  Partner API: {scheme}://{settings.BASE_DOMAIN}{suffix}/api/v1/partner/"
                f"listings/ ({DEMO_PARTNER['legal_name']})",
                f"    Authorization: Bearer {demo_key()}",
            ]
        lines += [""]
        self.stdout.write("\n".join(lines))
