"""The demo's IT register (issue 19): an IT team member (`informatique@<slug>.example`)
and a register of a few hundred assets — twenty described one by one (computers,
screens, phones, tablets, printers held by services, schools and agents, one of them
moved once so its history shows a change), the rest of the fleet inserted at once — one
retirement batch in progress (three assets retired in December of last year, two of
them erased), and last year's figures: a closed batch of last year whose items went to
each exit (second life, listing, donation to the demo partner, recycling)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, Service, Site, User
from accounts.selectors import members_with_role
from exchange.itassets import batches, services
from exchange.itassets.models import (
    AssetKind,
    AssetState,
    BatchItem,
    BatchState,
    ErasureMethod,
    ErasureResult,
    EventKind,
    ITAsset,
    ITAssetEvent,
    ITExit,
    RetirementBatch,
)
from exchange.listings.models import Category

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


# The rest of the fleet, inserted at once: (type, make, model, year bought), repeated.
FLEET_MODELS = [
    (AssetKind.COMPUTER, "Dell", "Latitude 5420", 2021),
    (AssetKind.COMPUTER, "HP", "ProBook 450 G8", 2021),
    (AssetKind.COMPUTER, "Lenovo", "ThinkCentre M70q", 2020),
    (AssetKind.COMPUTER, "Lenovo", "ThinkPad L14", 2022),
    (AssetKind.SCREEN, "Iiyama", "ProLite XU2494HSU", 2021),
    (AssetKind.SCREEN, "Dell", "P2422H", 2022),
    (AssetKind.PHONE, "Samsung", "Galaxy A34", 2023),
    (AssetKind.TABLET, "Apple", "iPad 10", 2023),
    (AssetKind.PRINTER, "Brother", "MFC-L8690CDW", 2019),
]
FLEET_SIZE = 300  # assets in the register with the twenty above and last year's batch
LAST_YEAR_BATCH = 24  # retired last year: 12 second life, 4 listed, 5 donated, 3 recycled


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
        fleet = _seed_fleet(staff, prefix, agents, service_list, site_list)
        _seed_batch(staff)
    return len(DEMO_ASSETS) + fleet


def _seed_fleet(staff, prefix: str, agents, service_list, site_list) -> int:
    """The rest of the fleet, in use, with their « created » events: bulk inserts, the
    same few queries for 300 assets as for 30. Every fifth is held by an agent (the
    demo agent holds some: « Mon matériel informatique »)."""
    count = FLEET_SIZE - len(DEMO_ASSETS)
    assets = []
    for n in range(1, count + 1):
        kind, make, model, year = FLEET_MODELS[n % len(FLEET_MODELS)]
        assets.append(ITAsset(
            kind=kind, make=make, model=model, serial_number=f"{prefix}F{n:05d}",
            inventory_number=f"INV-{year}-F{n:04d}",
            purchase_date=date(year, 1 + n % 12, 1 + n % 28), state=AssetState.IN_USE,
            holder_service=service_list[n % len(service_list)] if service_list else None,
            holder_site=site_list[n % len(site_list)] if site_list and n % 2 else None,
            holder_user=agents[n % len(agents)] if agents and n % 5 == 0 else None))
    assets = ITAsset.objects.bulk_create(assets, batch_size=500)
    ITAssetEvent.objects.bulk_create([
        ITAssetEvent(asset=asset, kind=EventKind.CREATED, actor=staff,
                     changes={field: ["", str(getattr(asset, field) or "")]
                              for field in ("kind", "make", "model", "serial_number")})
        for asset in assets], batch_size=500)
    return count


def _seed_batch(staff) -> None:
    """A batch in progress: the two broken assets and a desktop in stock retired, the
    two computers erased (one reconditioned with Linux), the phone awaiting erasure."""
    retiring = list(ITAsset.objects.filter(
        state__in=[AssetState.BROKEN, AssetState.IN_STOCK],
        kind__in=[AssetKind.COMPUTER, AssetKind.PHONE]).order_by("kind", "pk")[:3])
    if not retiring:
        return
    batch = batches.create_batch(actor=staff, notes="Renouvellement du parc des écoles.")
    # Retired in December of last year: this year's figures start empty.
    items = batches.retire_assets(batch=batch, actor=staff, assets=retiring,
                                  retired_on=date(timezone.localdate().year - 1, 12, 15))
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


def seed_demo_it_last_year(it_email: str, partner_id: int | None) -> int:
    """Last year's figures, once: a batch of the fleet's oldest assets retired in
    November of last year, erased, and every item gone — 12 to schools (second life),
    4 offered on the exchange, 5 donated to the demo partner `partner_id` under its
    agreement (recycled instead without one), 3 recycled — so last year's report and
    « Loi AGEC » page show the register's figures. The batch is dated last year (its
    reference, creation, exits). Returns how many items it retired."""
    if RetirementBatch.objects.filter(state=BatchState.CLOSED).exists():
        return 0
    staff = User.objects.get(email__iexact=it_email)
    last_year = timezone.localdate().year - 1
    assets = list(ITAsset.objects.filter(state=AssetState.IN_USE, holder_user__isnull=True,
                                         inventory_number__contains="-F")
                  .order_by("pk")[:LAST_YEAR_BATCH])
    if len(assets) < LAST_YEAR_BATCH:
        return 0
    with transaction.atomic():
        batch = batches.create_batch(actor=staff, notes="Renouvellement des postes de "
                                                        "la mairie.")
        items = batches.retire_assets(batch=batch, actor=staff, assets=assets,
                                      retired_on=date(last_year, 11, 4))
        batches.record_erasure(batch=batch, items=items, actor=staff,
                               method=ErasureMethod.OVERWRITE, tool="ShredOS (nwipe)",
                               operator_name="Léa Martin", erased_on=date(last_year, 11, 6),
                               result=ErasureResult.OK)
        reused = [item for item in items[:21] if item.asset.kind != AssetKind.PRINTER]
        batches.record_reconditioning(batch=batch, items=reused, actor=staff,
                                      reconditioned_on=date(last_year, 11, 10),
                                      parts="SSD 256 Go", operating_system="Linux Mint 22",
                                      licence_removed=True)
        site = Site.objects.order_by("pk").first()
        batches.give_second_life(batch=batch, items=items[:12], actor=staff, site=site,
                                 exited_on=date(last_year, 11, 20))
        category = Category.objects.filter(reference_code="ordinateur-portable").first()
        listed = items[12:16] if category is not None and site is not None else []
        if listed:
            batches.offer_on_exchange(
                batch=batch, items=listed, actor=staff,
                title="Postes reconditionnés (Linux Mint)", category=category,
                unit_value=Decimal("80"), site=site,
                description="Effacés, reconditionnés : SSD neuf et Linux Mint installé.")
        donated = items[16:21] if partner_id else []
        if donated:
            batches.donate(batch=batch, items=donated, actor=staff, partner_id=partner_id,
                           unit_value=Decimal("60"), exited_on=date(last_year, 12, 2))
        gone = {item.pk for item in [*items[:12], *listed, *donated]}
        batches.send_to_recycling(
            batch=batch, items=[item for item in items if item.pk not in gone], actor=staff,
            recycler_name="Envie Vienne", recycler_kind="insertion",
            exited_on=date(last_year, 12, 9))
        # The demo's history is back-dated to last year (the services date them today).
        ITExit.objects.filter(item__batch=batch, kind="listing").update(
            exited_on=date(last_year, 11, 25))
        BatchItem.objects.filter(batch=batch, exit__kind="listing").update(
            exited_on=date(last_year, 11, 25))
        RetirementBatch.objects.filter(pk=batch.pk).update(
            reference=f"LOT-{last_year}-001",
            created_at=timezone.make_aware(datetime(last_year, 11, 4, 9)),
            closed_at=timezone.make_aware(datetime(last_year, 12, 9, 16)))
    return len(items)
