"""Project-level pages of an authority's app, and what makes it installable on a phone's
home screen (issue 20): the web app manifest, the service worker and its offline page."""

import hashlib
import json

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from exchange.listings import selectors as exchange_selectors

OFFLINE_PATH = "/offline/"


@login_required
def home(request):
    """The agent's start page: the newest listings, then the account."""
    return render(request, "home.html",
                  {"latest_listings": exchange_selectors.latest_listings(4)})


@require_GET
def web_manifest(request):
    """The web app manifest of the authority's host: its name, the icons, the start
    page. The same for everyone (no session needed: browsers fetch it without one)."""
    manifest = {
        "name": f"Collectiv'Récup · {request.tenant.name}",
        "short_name": "Collectiv'Récup",
        "description": _("Give professional equipment a second life inside your "
                         "authority."),
        "lang": "fr",
        "dir": "ltr",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": "#1f6f4a",
        "background_color": "#f7f8f6",
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png",
             "purpose": "any"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "any"},
            {"src": static("icons/icon-maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
    }
    response = JsonResponse(manifest, content_type="application/manifest+json",
                            json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, public=True, max_age=3600)
    return response


@require_GET
def service_worker(request):
    """The service worker, at the root of the host so that its scope is every page
    (Service-Worker-Allowed says so too). Its cache name changes with what it keeps,
    so a new stylesheet replaces the old copy. Never cached by HTTP: browsers check
    it for updates."""
    assets = [static("css/app.css"), static("icons/icon-192.png")]
    version = hashlib.sha256(json.dumps([OFFLINE_PATH, *assets]).encode()).hexdigest()[:12]
    script = render_to_string("pwa/service-worker.js", {
        "version": version, "offline_url": OFFLINE_PATH,
        "assets": ", ".join(json.dumps(asset) for asset in assets)})
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    patch_cache_control(response, no_cache=True)
    return response


@require_GET
def offline(request):
    """The « connexion perdue » page the service worker keeps. It shows no one's data,
    so it is the same for everyone, signed in or not."""
    response = render(request, "pwa/offline.html")
    patch_cache_control(response, no_cache=True)
    return response
