"""What one load test run does, as data: the target, the accounts, the phases, and the
routes it reports on. No Locust and no Django here: the smoke test (pytest) reads it
without importing either.

A run has two phases against the same server:
1. the mix: agents, moderators and a partner working as people do, over several
   authorities (tests/load/locustfile.py);
2. the probe: the same number of clients, without pause, alternating slices on the feed
   and on a trivial view (the sign-in page of the same authority). The figure that holds
   on any machine is the ratio of their throughputs.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tenants.demo import DEMO_AUTHORITIES, demo_email, load_authority_specs

ROOT = Path(__file__).resolve().parents[2]

# The demo partner's fixed key, published like the demo passwords (local settings only):
# the same value as exchange/partners/demo.py's demo_key(), which the smoke test checks.
DEMO_PARTNER_KEY = "cr_demo0000.demo-partner-key-not-secret-0123456789abcdef"

# Demo accounts (tenants/demo.py DEMO_USERS): which local parts play which part.
AGENT_ACCOUNTS = ("agent", "agent2")
MODERATOR_ACCOUNT = "moderateur"
PROBE_ACCOUNT = "agent"

# The routes of the mix and of the probe, in the order of the report: name → (method,
# path pattern, what a person does there). The names are Locust's request names.
ROUTES: dict[str, tuple[str, str, str]] = {
    "sign-in page": ("GET", "/accounts/login/", "an agent opens the sign-in page"),
    "sign in": ("POST", "/accounts/login/", "an agent signs in (password hash)"),
    "home": ("GET", "/", "the start page after signing in (newest listings)"),
    "feed": ("GET", "/listings/", "the feed, first page"),
    "feed: next page": ("GET", "/listings/?page=2", "the next page, through htmx"),
    "feed: filter": ("GET", "/listings/?condition=…", "a filter changed, through htmx"),
    "feed: search": ("GET", "/listings/?q=…", "a search from the feed's box"),
    "listing": ("GET", "/listings/<pk>/", "a listing's page"),
    "photo: thumb": ("GET", "/listings/<pk>/photos/<id>/thumb/", "thumbnails the page shows"),
    "photo: full": ("GET", "/listings/<pk>/photos/<id>/full/", "a photo opened"),
    "shared feed": ("GET", "/listings/shared/", "listings shared by other authorities"),
    "shared listing": ("GET", "/listings/shared/<slug>/<id>/", "a shared listing's page"),
    "shared photo": ("GET", "/listings/shared/<slug>/<id>/photos/<id>/thumb/",
                     "a shared listing's thumbnail"),
    "post: form": ("GET", "/listings/new/", "the form to post a listing"),
    "post": ("POST", "/listings/new/", "a listing posted for moderation (half with a photo)"),
    "contact": ("POST", "/listings/<pk>/contact/", "an agent contacts the poster"),
    "give: form": ("GET", "/listings/<pk>/close/", "the form to record who received it"),
    "give": ("POST", "/listings/<pk>/close/",
             "given to a service or to another authority (a free transfer)"),
    "api: services": ("GET", "/api/v1/services/", "the agents' API: the services"),
    "api: listing": ("GET", "/api/v1/listings/<pk>/", "the agents' API: a listing read"),
    "api: give": ("POST", "/api/v1/listings/<pk>/close/",
                  "the agents' API: given to a service"),
    "my listings": ("GET", "/listings/mine/", "an agent's own listings"),
    "sign out": ("POST", "/accounts/logout/", "the end of a visit"),
    "moderation: queue": ("GET", "/listings/moderation/", "the moderation queue"),
    "moderation: review": ("GET", "/listings/moderation/<pk>/", "a listing held for review"),
    "moderation: approve": ("POST", "/listings/moderation/<pk>/approve/", "approved"),
    "moderation: changes": ("POST", "/listings/moderation/<pk>/request-changes/",
                            "changes requested"),
    "partner: feed": ("GET", "/api/v1/partner/listings/", "a partner's sync, page by page"),
    "partner: photo": ("GET", "/api/v1/partner/listings/<slug>/<id>/photos/<id>/thumb/",
                       "a partner fetches a new listing's thumbnail"),
    "probe: feed": ("GET", "/listings/", "probe: the feed, back to back"),
    "probe: sign-in page": ("GET", "/accounts/login/",
                            "probe: the trivial view, back to back"),
}
PROBE_FEED, PROBE_TRIVIAL = "probe: feed", "probe: sign-in page"
MIX_ROUTES = [name for name in ROUTES if not name.startswith("probe: ")]
# Why the sign-in page and not /healthz: the health check is answered by a middleware
# before tenant resolution, sessions, CSRF and templates, so a ratio against it would
# count all of Django's request path as the feed's own cost. The sign-in page goes
# through the whole stack of the same authority and renders a small template: what is
# left of the feed's time over it is the feed's own work. (Issue 15 measured 28 % with it.)
TRIVIAL_VIEW_REASON = ("the sign-in page of the same authority, anonymous: the whole "
                       "middleware stack and a small template, none of the feed's work")


def _float_pair(text: str) -> tuple[float, float]:
    low, _, high = text.partition(",")
    return float(low), float(high or low)


@dataclass
class Plan:
    base_url: str = "http://localhost:8000"
    users: int = 4
    duration: float = 60.0
    # Share of the duration given to the probe (the rest is the mix), and its slices.
    probe_share: float = 0.4
    slice_seconds: float = 5.0
    # Think time of the mix's users, in seconds: short, so that a few clients stand for
    # many people (a real agent reads a page for far longer).
    wait: tuple[float, float] = (0.1, 0.5)
    authorities: list[str] = field(default_factory=list)
    password: str = "collectivrecup"
    partner_key: str = DEMO_PARTNER_KEY

    @classmethod
    def from_env(cls) -> Plan:
        env = os.environ
        plan = cls(
            base_url=env.get("LOAD_URL") or f"http://localhost:{env.get('PORT') or 8000}",
            users=int(env.get("LOAD_USERS", "4")),
            duration=float(env.get("LOAD_DURATION", "60")),
            password=env.get("DEMO_PASSWORD") or "collectivrecup",
        )
        if env.get("LOAD_WAIT"):
            plan.wait = _float_pair(env["LOAD_WAIT"])
        plan.authorities = candidate_slugs(int(env.get("LOAD_AUTHORITIES", "4")))
        return plan

    # --- Addresses ----------------------------------------------------------------------
    @property
    def base_domain(self) -> str:
        """The product's BASE_DOMAIN as the target is reached: authorities are its
        subdomains. An address given as an IP stands for `localhost`."""
        name = urlsplit(self.base_url).hostname or "localhost"
        return "localhost" if name.replace(".", "").isdigit() else name

    @property
    def port(self) -> int:
        parts = urlsplit(self.base_url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    def host(self, slug: str | None = None) -> str:
        """The Host header of an authority (or of the bare domain for None)."""
        name = self.base_domain if slug is None else f"{slug}.{self.base_domain}"
        default = 443 if urlsplit(self.base_url).scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"

    def origin(self, slug: str | None = None) -> str:
        return f"{urlsplit(self.base_url).scheme}://{self.host(slug)}"

    def email(self, local_part: str, slug: str) -> str:
        return demo_email(local_part, slug)

    # --- Phases -------------------------------------------------------------------------
    @property
    def probe_seconds(self) -> float:
        """Whole pairs of slices (feed, then trivial), at least one pair."""
        pairs = max(1, round(self.duration * self.probe_share / (2 * self.slice_seconds)))
        return 2 * pairs * self.slice_seconds

    @property
    def mix_seconds(self) -> float:
        return max(self.duration - self.probe_seconds, self.slice_seconds)


def candidate_slugs(count: int) -> list[str]:
    """The demo's authorities, then seed_demo's made-up ones, `count` in all."""
    specs = DEMO_AUTHORITIES + load_authority_specs(count)
    return [spec["slug"] for spec in specs][:max(count, 1)]


def default_output() -> Path:
    return Path(os.environ.get("VAR_DIR", ROOT / "var")) / "bench" / "load.json"


@dataclass
class Timeline:
    """When the phases started, written by the load shape, read by the probe users and
    the report (wall-clock seconds)."""

    mix_started: float | None = None
    mix_ended: float | None = None
    probe_started: float | None = None
    probe_ended: float | None = None
    slice_seconds: float = 5.0

    def probe_kind(self, moment: float | None = None) -> str:
        """Which view the probe hits at `moment`: the feed in even slices, the trivial
        view in odd ones."""
        moment = time.time() if moment is None else moment
        assert self.probe_started is not None
        index = int((moment - self.probe_started) // self.slice_seconds)
        return PROBE_FEED if index % 2 == 0 else PROBE_TRIVIAL

    def probe_time(self, kind: str) -> float:
        """Seconds of the probe spent on `kind`'s slices (the last one may be cut)."""
        assert self.probe_started is not None and self.probe_ended is not None
        total, start, index = 0.0, self.probe_started, 0
        while start < self.probe_ended:
            end = min(start + self.slice_seconds, self.probe_ended)
            if (PROBE_FEED if index % 2 == 0 else PROBE_TRIVIAL) == kind:
                total += end - start
            start, index = end, index + 1
        return total
