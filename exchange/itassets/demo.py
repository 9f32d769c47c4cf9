"""The demo's IT register (issue 19): an IT team member (`informatique@<slug>.example`)
and twenty assets (computers, screens, phones, tablets, printers) held by services,
schools and agents, one of them moved once so its history shows a change; and one
retirement batch in progress: three assets retired, two of them erased."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, Service, Site, User
from accounts.selectors import members_with_role
from exchange.itassets import batches, services
from exchange.itassets.models import AssetKind, AssetState, ErasureMethod, ErasureResult, ITAsset

# (type, make, model, year bought, life, state)
DEMO_ASSETS = [
    (AssetKind.COMPUTER, "Lenovo", "ThinkPad T14", 2021, 1, AssetState.IN_USE),
    (AssetKind.COMPUTER, "Lenovo", "ThinkPad T14", 2021, 1, AssetState.IN_USE),
    (AssetKind.COMPUTER, "HP", "EliteBook 840 G5", 2018, 1, AssetState.IN_USE),
    (AssetKind.COMPUTER, "HP", "EliteBook 840 G5", 2018, 2, AssetState.IN_USE),
    (AssetKind.COMPUTER, "Dell", "OptiPlex 7060", 2017, 1, AssetState.IN_STOCK),
    (AssetKind.COMPUTER, "Dell", "OptiPlex 7060", 2017, 1, AssetState.BROKEN),
    (AssetKind.COMPUTER, "Dell", "Latitude 5490", 2019, 2, AssetState.IN_USE),
    (AssetKind.COMPUTER, "Apple", "MacBook Air M1", 2022, 1, AssetState.IN_USE),
    (AssetKind.SCREEN, "Iiyama", "ProLite XU2492HSU", 2019, 1, AssetState.IN_USE),
    (AssetKind.SCREEN, "Iiyama", "ProLite XU2492HSU", 2019, 1, AssetState.IN_USE),
    (AssetKind.SCREEN, "Dell", "P2419H", 2018, 1, AssetState.IN_STOCK),
    (AssetKind.SCREEN, "Samsung", "S24F350", 2016, 2, AssetState.IN_USE),
    (AssetKind.PHONE, "Samsung", "Galaxy A52", 2021, 1, AssetState.IN_USE),
    (AssetKind.PHONE, "Samsung", "Galaxy A52", 2021, 1, AssetState.IN_USE),
    (AssetKind.PHONE, "Apple", "iPhone SE", 2020, 1, AssetState.BROKEN),
    (AssetKind.TABLET, "Apple", "iPad 9", 2021, 1, AssetState.IN_USE),
    (AssetKind.TABLET, "Samsung", "Galaxy Tab A8", 2022, 1, AssetState.IN_USE),
    (AssetKind.TABLET, "Lenovo", "Tab M10", 2020, 3, AssetState.IN_STOCK),
    (AssetKind.PRINTER, "Brother", "HL-L5100DN", 2018, 1, AssetState.IN_USE),
    (AssetKind.PRINTER, "HP", "LaserJet Pro M404", 2020, 1, AssetState.IN_USE),
]


def seed_demo_itassets(it_email: str, slug: str) -> int:
    """Fill the current schema's IT register, once, as the IT team member `it_email`.
    Returns how many assets were created."""
    if ITAsset.objects.exists():
        return 0
    staff = User.objects.get(email__iexact=it_email)
    service_list = list(Service.objects.order_by("pk"))
    site_list = list(Site.objects.order_by("pk"))
    agents = list(members_with_role(Role.AGENT).order_by("pk"))
    prefix = slug[:3].upper()
    with transaction.atomic():
        for n, (kind, make, model, year, life, state) in enumerate(DEMO_ASSETS, start=1):
            services.create_asset(
                actor=staff, kind=kind, make=make, model=model,
                serial_number=f"{prefix}{year % 100:02d}{n:04d}X",
                inventory_number=f"INV-{year}-{n:03d}",
                purchase_date=date(year, 1 + n % 12, 1 + n % 28), life=life, state=state,
                holder_service=service_list[n % len(service_list)] if service_list else None,
                holder_site=site_list[n % len(site_list)] if site_list and n % 3 == 0
                else None,
                holder_user=agents[n % len(agents)] if agents and n % 4 == 0 else None,
                notes="")
        moved = ITAsset.objects.order_by("pk").first()
        if site_list:
            services.update_asset(asset=moved, actor=staff, holder_site=site_list[-1],
                                  notes="Réaffecté à l'école après le renouvellement.")
        _seed_batch(staff)
    return len(DEMO_ASSETS)


def _seed_batch(staff) -> None:
    """A batch in progress: the two broken assets and a desktop in stock retired, the
    two computers erased (one reconditioned with Linux), the phone awaiting erasure."""
    retiring = list(ITAsset.objects.filter(
        state__in=[AssetState.BROKEN, AssetState.IN_STOCK],
        kind__in=[AssetKind.COMPUTER, AssetKind.PHONE]).order_by("kind", "pk")[:3])
    if not retiring:
        return
    batch = batches.create_batch(actor=staff, notes="Renouvellement du parc des écoles.")
    items = batches.retire_assets(batch=batch, actor=staff, assets=retiring)
    computers = [item for item in items if item.asset.kind == AssetKind.COMPUTER]
    if not computers:
        return
    erased_on = timezone.localdate() - timedelta(days=2)
    batches.record_erasure(batch=batch, items=computers, actor=staff,
                           method=ErasureMethod.OVERWRITE, tool="ShredOS (nwipe)",
                           operator_name="Léa Martin", erased_on=erased_on,
                           result=ErasureResult.OK)
    batches.record_reconditioning(batch=batch, items=computers[:1], actor=staff,
                                  reconditioned_on=erased_on, parts="SSD 256 Go",
                                  operating_system="Linux Mint 22", licence_removed=True)
