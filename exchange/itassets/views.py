"""The IT register's pages (issue 19): the list with its filters and search, an
asset's page with its history, add and edit. Only whoever manages the register
(accounts.permissions.can_manage_it_assets) opens them — but « Mon matériel
informatique », where a member sees the equipment they hold, with its serial numbers
(can_see_serial_number), and nothing else.

HTTP in, a selector or service call, a page out: the rules are in
exchange.itassets.services."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import (
    can_see_serial_number,
    it_manager_required,
    own_it_assets_required,
)
from exchange.itassets import selectors, services
from exchange.itassets.forms import AssetForm, FilterForm
from exchange.itassets.models import ITAsset
from exchange.listings.errors import ExchangeError

PAGE_SIZE = 50


@it_manager_required
@require_GET
def asset_list(request):
    filters = FilterForm(request.GET or None)
    rows = selectors.assets(**filters.filters()) if request.GET else selectors.assets()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "itassets/asset_list.html", {
        "filters": filters, "page": page, "query": query.urlencode()})


@it_manager_required
@require_http_methods(["GET", "POST"])
def asset_create(request):
    form = AssetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            asset = services.create_asset(actor=request.user, **form.asset_data())
        except ExchangeError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("The asset is in the register."))
            return redirect("itassets:asset_detail", asset.pk)
    return render(request, "itassets/asset_form.html", {"form": form, "asset": None})


def _asset_or_404(pk: int) -> ITAsset:
    return get_object_or_404(
        ITAsset.objects.select_related("holder_service", "holder_site", "holder_user"), pk=pk)


@it_manager_required
@require_GET
def asset_detail(request, pk: int):
    asset = _asset_or_404(pk)
    return render(request, "itassets/asset_detail.html", {
        "asset": asset, "events": selectors.history_rows(asset)})


@it_manager_required
@require_http_methods(["GET", "POST"])
def asset_edit(request, pk: int):
    asset = _asset_or_404(pk)
    initial = {field: getattr(asset, field) for field in services.ASSET_FIELDS}
    form = AssetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_asset(asset=asset, actor=request.user, **form.asset_data())
        except ExchangeError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("itassets:asset_detail", asset.pk)
    return render(request, "itassets/asset_form.html", {"form": form, "asset": asset})


@own_it_assets_required
@require_GET
def my_assets(request):
    """The IT equipment the signed-in member holds. Every row is theirs: the permission
    layer is asked anyway, so a serial number is shown only where it allows."""
    rows = [(asset, can_see_serial_number(request.user, asset))
            for asset in selectors.held_by(request.user)]
    return render(request, "itassets/my_assets.html", {"rows": rows})
