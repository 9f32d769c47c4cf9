"""The users of the load test (Locust 2.x) and the shape of a run.

- Agent: signs in on one authority, browses the feed (thumbnails as a browser loads
  them, each once), searches, filters and pages through htmx, opens listings and their
  photos, looks at what other authorities share, posts listings (half with a photo),
  contacts posters and records that one of its published listings was given to a service
  of its authority or to another authority it shares with (a free transfer, through the
  listing's close form); after 15 to 40 actions it signs out and comes back on the next
  authority.
- Moderator: works its authority's queue (review, then approve or ask for changes) and
  browses like an agent.
- Partner: syncs the partner feed with the demo key (full sync, then with its cursor)
  and fetches the thumbnails of what is new.
- Probe: after the mix, the feed and the sign-in page back to back, in alternating
  slices (tests/load/plan.py says why).

Every user's first visit tours every route once before choosing at random, so a short
run (the smoke test) still covers them all. Each request carries the authority's Host
header; forms are read from the page and posted with their CSRF token and an Origin
header, as a browser does.

`python -m tests.load` drives this file (docs/operations.md, "Load test"). It also runs
under the `locust` command: `locust -f tests/load/locustfile.py --headless` with LOAD_URL,
LOAD_USERS, LOAD_DURATION and LOAD_AUTHORITIES in the environment (the shape stops it).
"""

from __future__ import annotations

import collections
import html
import io
import itertools
import json
import random
import re
import time
from urllib.parse import quote, urlencode

from locust import FastHttpUser, LoadTestShape, constant, events, task
from locust.exception import StopUser
from PIL import Image

from tests.load import pages
from tests.load.plan import (
    AGENT_ACCOUNTS,
    MODERATOR_ACCOUNT,
    PROBE_ACCOUNT,
    PROBE_FEED,
    PROBE_TRIVIAL,
    Plan,
    Timeline,
)

PLAN = Plan.from_env()
TIMELINE = Timeline()
# Sessions of the probe's agents, signed in before the run: slug → Cookie header; and
# the anonymous visitor's CSRF cookie for the sign-in page.
PROBE_COOKIES: dict[str, str] = {}
ANONYMOUS_COOKIES: dict[str, str] = {}
# Answers that are not errors but not the happy path either (a contact over the hourly
# limit, a listing someone else approved first): (route, outcome) → count.
OUTCOMES: collections.Counter = collections.Counter()
# Probe requests: (name, start time) of each, for the throughput per slice.
PROBE_STARTS: list[tuple[str, float]] = []
# Transfers the users were told were recorded (the close form answered by a redirect to
# the listing): (slug, listing id) → count. `make faults` finds each in the database.
TRANSFERS: collections.Counter = collections.Counter()
TOURS = {"started": 0, "done": 0}

_next_authority = itertools.count()
_next_probe = itertools.count()

LISTING = re.compile(r"/listings/(\d+)/")
THUMB = re.compile(r"/listings/\d+/photos/\d+/thumb/")
FULL = re.compile(r"/listings/\d+/photos/\d+/full/")
SHARED_LISTING = re.compile(r"/listings/shared/[a-z0-9-]+/\d+/")
SHARED_THUMB = re.compile(r"/listings/shared/[a-z0-9-]+/\d+/photos/\d+/thumb/")
CONTACT = re.compile(r"/listings/\d+/contact/$")
CLOSE = re.compile(r"/listings/(\d+)/close/")
LOGOUT = re.compile(r"/accounts/logout/$")
# What agents type in the search box: words of the demo's catalogue, and a miss.
SEARCHES = ["chaise", "bureau", "écran", "table", "armoire", "lampe", "hêtre", "vélo",
            "barrière", "réfrigérateur", "toner", "caisson"]
CONDITIONS = ["new", "good", "used", "to_repair"]
TITLES = ["Chaises de réunion", "Bureau d'angle", "Écran 27 pouces", "Armoire basse",
          "Table pliante", "Lampadaire", "Rayonnage métallique", "Micro-ondes"]
# The service's own 503 page (templates/503.html), in either language.
UNAVAILABLE_PAGE = ("Service momentanément indisponible", "Service temporarily unavailable")
VISIT_ACTIONS = (15, 40)
MODERATOR_VISIT_ACTIONS = (60, 120)  # a moderator's day is longer
THUMBS_PER_PAGE = 8  # what a browser loads of a page's lazy thumbnails: the first rows


def _jpeg(seed: int) -> bytes:
    """A small photo to post (640 × 480), like a phone's, after downscaling."""
    colour = ((seed * 53) % 256, (seed * 97) % 256, (seed * 151) % 256)
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


PHOTOS = [_jpeg(seed) for seed in range(4)]


def configure(plan: Plan) -> None:
    """Use `plan` instead of the one read from the environment (python -m tests.load)."""
    global PLAN
    PLAN = plan
    for user_class in (Agent, Moderator, Partner, Probe):
        user_class.host = plan.base_url


def _think(user) -> float:
    return random.uniform(*PLAN.wait)


class Browser(FastHttpUser):
    """A person's browser on one authority: Host header, cookies, forms."""

    abstract = True
    host = PLAN.base_url
    wait_time = _think
    # Every request goes out as if typed or clicked: redirects are followed by hand, so
    # that each hop is reported under its own route.
    max_redirects = 0

    slug: str
    tour_done = False

    def call(self, route: str, path: str, *, method: str = "GET", body: bytes | None = None,
             content_type: str | None = None, headers: dict | None = None,
             ok: tuple[int, ...] = (200,)):
        """One request under `route` on the user's authority; a status outside `ok` is a
        failure. Returns the response (status 0 when the connection failed)."""
        sent = {"Host": PLAN.host(self.slug), "Accept-Language": "fr-FR,fr;q=0.9",
                **(headers or {})}
        if method == "POST":
            sent["Origin"] = PLAN.origin(self.slug)
            sent["Referer"] = PLAN.origin(self.slug) + path
        if content_type:
            sent["Content-Type"] = content_type
        with self.client.request(method, path, name=route, data=body, headers=sent,
                                 allow_redirects=False, catch_response=True) as response:
            if response.status_code in ok:
                response.success()
            else:
                response.failure(f"HTTP {response.status_code} for {method} {path}")
        return response

    def page(self, route: str, path: str, **kwargs) -> pages.Page | None:
        response = self.call(route, path, **kwargs)
        if response.status_code != 200:
            return None
        return pages.read(response.text or "", path)

    def post_form(self, route: str, form: pages.Form, fields: list[tuple[str, str]], *,
                  files: list[tuple[str, str, str, bytes]] | None = None,
                  ok: tuple[int, ...] = (302,)):
        if files is not None or form.files:
            body, content_type = pages.multipart(fields, files or [
                (name, "", "application/octet-stream", b"") for name in form.files])
        else:
            body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
        return self.call(route, form.action, method="POST", body=body,
                         content_type=content_type, ok=ok)

    def clear_cookies(self) -> None:
        self.client.cookiejar.clear()


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


def _location(response) -> str:
    """The path a redirect points to (Django's are relative or on the same host)."""
    location = response.headers.get("Location", "") if response.headers else ""
    return re.sub(r"^https?://[^/]+", "", location)


class Member(Browser):
    """A member of one authority, who comes back on the next authority after each visit.
    Its actions are plain methods: Agent and Moderator weigh them in their `tasks`."""

    abstract = True
    account: str

    def on_start(self):
        """The first visit tours every route once, then ends like any visit."""
        self.start_visit()
        TOURS["started"] += 1
        for step in self.tour():
            step()
            self.wait()
        self.tour_done = True
        TOURS["done"] += 1
        self.sign_out()
        self.start_visit()

    def tour(self) -> list:
        raise NotImplementedError

    # --- Visits -------------------------------------------------------------------------
    def start_visit(self) -> None:
        self.slug = PLAN.authorities[next(_next_authority) % len(PLAN.authorities)]
        self.clear_cookies()
        self.listings: list[str] = []  # the last list's
        self.with_photos: list[str] = []  # those of them whose card shows a thumbnail
        self.known: set[str] = set()  # every listing seen on this visit
        self.seen: set[str] = set()  # the browser's cache: photos are private, 1 h
        self.logout_form: pages.Form | None = None
        self.actions_left = random.randint(*VISIT_ACTIONS)
        self.sign_in(PLAN.email(self.account, self.slug))

    def sign_in(self, email: str) -> None:
        login = self.page("sign-in page", "/accounts/login/")
        form = login and login.form("/accounts/login/")
        if form is None:
            raise StopUser  # the failure is reported; this user cannot go on
        response = self.post_form("sign in", form, form.fields(username=email,
                                                               password=PLAN.password))
        if response.status_code != 302:
            raise StopUser
        # Where the form sends the agent: the home page (newest listings), then the feed.
        self.remember(self.page("home", _location(response) or "/"))
        self.wait()
        self.remember(self.page("feed", "/listings/"))

    def sign_out(self) -> None:
        if self.logout_form is not None:
            self.post_form("sign out", self.logout_form, self.logout_form.fields())

    def remember(self, page: pages.Page | None) -> pages.Page | None:
        """Keep what a page offers to click next, and load its first thumbnails."""
        if page is None:
            return None
        self.logout_form = page.form(LOGOUT) or self.logout_form
        found = page.links(LISTING)
        if found:
            self.listings = found
            self.known.update(found)
            self.with_photos = _unique(
                LISTING.match(src).group(0) for src in page.images(THUMB)) or self.with_photos
        self.load_images(page.images(THUMB)[:THUMBS_PER_PAGE], "photo: thumb")
        return page

    def load_images(self, sources: list[str], route: str) -> None:
        for source in sources:
            if source not in self.seen:
                self.seen.add(source)
                self.call(route, source)

    def action_done(self) -> None:
        self.actions_left -= 1
        if self.actions_left <= 0 and self.tour_done:
            self.sign_out()
            self.start_visit()

    # --- What a member does -------------------------------------------------------------
    def feed(self):
        self.remember(self.page("feed", "/listings/"))
        self.action_done()

    def feed_next_page(self):
        # The pagination's link through htmx (hx-target="#feed-results"): the results only.
        self.remember(self.page("feed: next page", "/listings/?page=2", headers=_htmx()))
        self.action_done()

    def feed_filter(self):
        condition = random.choice(CONDITIONS)
        self.remember(self.page("feed: filter", f"/listings/?condition={condition}",
                                headers=_htmx()))
        self.action_done()

    def search(self):
        word = random.choice(SEARCHES)
        self.remember(self.page("feed: search", f"/listings/?q={quote(word)}"))
        self.action_done()

    def open_listing(self):
        page = self.open_one()
        if page is not None:
            self.load_images(page.images(THUMB), "photo: thumb")
            full = page.links(FULL)
            if full:
                self.load_images([random.choice(full)], "photo: full")
        self.action_done()

    def open_one(self, path: str | None = None) -> pages.Page | None:
        if path is None:
            if not self.listings:
                self.remember(self.page("feed", "/listings/"))
            if not self.listings:
                return None
            # The tour opens one with photos, so that it fetches a full-size one too.
            choices = self.with_photos if not self.tour_done and self.with_photos else None
            path = random.choice(choices or self.listings)
        page = self.page("listing", path)
        if page is not None:
            self.logout_form = page.form(LOGOUT) or self.logout_form
        return page

    def shared(self):
        page = self.page("shared feed", "/listings/shared/")
        if page is not None:
            self.load_images(page.images(SHARED_THUMB)[:THUMBS_PER_PAGE], "shared photo")
            found = page.links(SHARED_LISTING)
            if found:
                self.wait()
                self.page("shared listing", random.choice(found))
        self.action_done()

    def post(self):
        page = self.page("post: form", "/listings/new/")
        form = page and page.form("/listings/new/")
        if form is None:
            return self.action_done()
        self.wait()  # typing
        fields = form.fields(
            title=random.choice(TITLES) + " (test de charge)",
            description="Déposé par le test de charge.",
            category=form.random_choice("category", random),
            quantity=str(random.randint(1, 8)),
            condition=random.choice(CONDITIONS),
            estimated_value=str(random.randint(5, 200)),
            site=form.random_choice("site", random),
            submit="",
        )
        files = None
        if random.random() < 0.5:
            files = [("photos", "photo.jpg", "image/jpeg", random.choice(PHOTOS))]
        response = self.post_form("post", form, fields, files=files)
        if response.status_code == 302:
            self.open_one(_location(response))
        elif response.status_code == 503 and files:
            # `make faults`: the file store down gives the form again, with what was
            # typed; the database down gives the service's 503 page (nothing can be
            # saved; the phone form's draft keeps the text in the browser).
            text = response.text or ""
            if any(marker in text for marker in UNAVAILABLE_PAGE):
                OUTCOMES[("post", "service unavailable")] += 1
            else:
                typed = html.escape(dict(fields)["title"], quote=True) in text
                OUTCOMES[("post", "store down: form kept" if typed
                          else "store down: form lost")] += 1
        self.action_done()

    def contact(self):
        """Contact the poster of a listing that offers the form (not one's own): among
        the listings this visit has seen, a few at random (all of them on the tour)."""
        candidates = list(self.known)
        random.shuffle(candidates)
        for path in candidates[:3] if self.tour_done else candidates:
            page = self.open_one(path)
            form = page and page.form(CONTACT)
            if form is None:
                continue
            self.wait()  # typing
            response = self.post_form(
                "contact", form, form.fields(message="Bonjour, ce serait utile chez nous."),
                ok=(200, 302))
            # 200: the form again with the reason (the hourly limit): not an error.
            OUTCOMES[("contact", "sent" if response.status_code == 302 else "refused")] += 1
            if response.status_code == 302:
                self.open_one(_location(response))
            break
        self.action_done()

    def give(self):
        """Record that one of one's own published listings was given away, as a person
        does after handing it over: "my listings", the listing's page, its close form;
        the whole quantity left to a service of the authority, or (half the time, when
        the form offers one) to another authority of the platform sharing with this one
        (a free transfer, which that authority is asked to confirm)."""
        mine = self.page("my listings", "/listings/mine/")
        own = mine.links(LISTING) if mine is not None else []
        random.shuffle(own)
        for path in own[:4] if self.tour_done else own:
            page = self.open_one(path)
            close = page.links(CLOSE) if page is not None else []
            if not close:
                continue  # not published (a draft, pending, closed): no close form
            form_page = self.page("give: form", close[0])
            form = form_page and form_page.form(close[0])
            if form is None:
                continue
            self.wait()  # choosing who received it
            authorities = form.selects.get("recipient_authority_slug")
            services = form.selects.get("recipient_service")
            if authorities and authorities.choices() and (
                    random.random() < 0.5 or not (services and services.choices())):
                kind, fields = "given to another authority", {
                    "reason": "exchanged_other_authority",
                    "recipient_authority_slug": random.choice(authorities.choices())}
            elif services and services.choices():
                kind, fields = "given to a service", {
                    "reason": "exchanged_internal",
                    "recipient_service": random.choice(services.choices())}
            else:
                continue
            # 200: the form again with the reason (closed meanwhile by someone else).
            response = self.post_form("give", form, form.fields(**fields), ok=(200, 302))
            listing = CLOSE.match(close[0]).group(1)
            done = (response.status_code == 302
                    and _location(response) == f"/listings/{listing}/")
            OUTCOMES[("give", kind if done else "refused")] += 1
            if done:
                TRANSFERS[(self.slug, int(listing))] += 1
                self.open_one(_location(response))
            break
        self.action_done()

    def give_through_api(self):
        """The same record through the agents' API, as a script or a phone app beside
        the browser does with its session (SessionAuthentication, Django's CSRF header):
        the services (`GET /api/v1/services/`), one's own listings read until a published
        one (`GET /api/v1/listings/{id}/`), then `POST /api/v1/listings/{id}/close/`
        giving its whole quantity left to one of the services. 400: closed meanwhile."""
        mine = self.page("my listings", "/listings/mine/")
        token = mine.csrf_token() if mine is not None else None
        own = mine.links(LISTING) if mine is not None else []
        json_headers = {"Accept": "application/json"}
        services = self.call("api: services", "/api/v1/services/", headers=json_headers)
        if token is None or services.status_code != 200 or not services.json():
            return self.action_done()
        service = random.choice(services.json())["id"]
        random.shuffle(own)
        for path in own[:4] if self.tour_done else own:
            listing = int(LISTING.match(path).group(1))
            read = self.call("api: listing", f"/api/v1/listings/{listing}/",
                             headers=json_headers)
            if read.status_code != 200 or read.json().get("status") != "published":
                continue
            self.wait()  # choosing who received it
            response = self.call(
                "api: give", f"/api/v1/listings/{listing}/close/", method="POST",
                body=json.dumps({"reason": "exchanged_internal",
                                 "recipient_service": service}).encode(),
                content_type="application/json", ok=(201, 400),
                headers={**json_headers, "X-CSRFToken": token})
            done = response.status_code == 201
            OUTCOMES[("api: give", "given to a service" if done else "refused")] += 1
            if done:
                TRANSFERS[(self.slug, listing)] += 1
            break
        self.action_done()

    def my_listings(self):
        self.remember(self.page("my listings", "/listings/mine/"))
        self.action_done()


class Agent(Member):
    """An agent: browsing most of the time, posting and contacting now and then."""

    weight = 3
    accounts = itertools.cycle(AGENT_ACCOUNTS)
    tasks = {Member.feed: 8, Member.feed_next_page: 1, Member.feed_filter: 2,
             Member.search: 4, Member.open_listing: 6, Member.shared: 2, Member.post: 2,
             Member.contact: 1, Member.give: 1, Member.give_through_api: 1,
             Member.my_listings: 1}

    def on_start(self):
        self.account = next(Agent.accounts)
        super().on_start()

    def tour(self):
        return [self.feed, self.feed_next_page, self.feed_filter, self.search,
                self.open_listing, self.shared, self.post, self.contact, self.give,
                self.give_through_api, self.my_listings]


def _htmx() -> dict:
    return {"HX-Request": "true", "HX-Target": "feed-results"}


class Moderator(Member):
    """The moderators of every authority, played by one user: a session on each (signed
    in at first use), and each authority's queue in turn, browsing in between. One user
    per authority would leave most queues unattended when users are few."""

    weight = 1
    fixed_count = 1
    account = MODERATOR_ACCOUNT
    tasks = {Member.feed: 1, Member.search: 1, Member.open_listing: 1}

    def tour(self):
        return [self.approve, self.request_changes, self.feed, self.open_listing]

    def start_visit(self) -> None:
        # slug → (cookies, listings, with photos, known, sign-out form) of that desk.
        self.desks: dict[str, tuple] = {}
        self.seen = set()
        self.slug = None
        self.turn = next(_next_authority)
        self.actions_left = random.randint(*MODERATOR_VISIT_ACTIONS)
        self.next_desk()

    def next_desk(self) -> None:
        """Leave this authority's session aside and take up the next one's."""
        self.take_desk(PLAN.authorities[self.turn % len(PLAN.authorities)])
        self.turn += 1

    def take_desk(self, slug: str) -> None:
        if slug == self.slug:
            return
        if self.slug is not None:
            self.desks[self.slug] = (list(self.client.cookiejar), self.listings,
                                     self.with_photos, self.known, self.logout_form)
        self.clear_cookies()
        self.slug = slug
        if slug in self.desks:
            (cookies, self.listings, self.with_photos, self.known,
             self.logout_form) = self.desks.pop(slug)
            for cookie in cookies:
                self.client.cookiejar.set_cookie(cookie)
        else:
            self.listings, self.with_photos, self.known, self.logout_form = [], [], set(), None
            self.sign_in(PLAN.email(self.account, slug))

    def sign_out(self) -> None:
        """The end of the day: signed out on every desk."""
        while True:
            super().sign_out()
            self.slug = None  # signed out: nothing to set aside
            if not self.desks:
                return
            self.take_desk(next(iter(self.desks)))

    def review_next(self) -> tuple[str, pages.Page] | None:
        """Open the queue and the first listing nobody else holds (the review holds it)."""
        queue = self.page("moderation: queue", "/listings/moderation/")
        if queue is None:
            return None
        self.logout_form = queue.form(LOGOUT) or self.logout_form
        bulk = queue.form(re.compile(r"bulk-approve"))
        free = bulk.unchecked.get("listings", []) if bulk else []
        if not free:
            OUTCOMES[("moderation: queue", "empty")] += 1
            return None
        self.wait()
        path = f"/listings/moderation/{random.choice(free)}/"
        review = self.page("moderation: review", path)
        return (path, review) if review is not None else None

    def decide(self, route: str, action: str, **fields: str) -> None:
        self.next_desk()
        found = self.review_next()
        if found is None:  # nothing to moderate: browse like an agent meanwhile
            random.choice([self.feed, self.search, self.open_listing])()
            return
        path, review = found
        form = review.form(f"{path}{action}/")
        if form is None:  # held by someone else meanwhile: the page says so
            OUTCOMES[(route, "held")] += 1
            return self.action_done()
        self.wait()  # reading the listing
        # 400: refused with the reason on the page (decided by someone else first).
        response = self.post_form(route, form, form.fields(**fields), ok=(302, 400))
        OUTCOMES[(route, "done" if response.status_code == 302 else "refused")] += 1
        if response.status_code == 302:
            self.page("moderation: queue", _location(response) or "/listings/moderation/")
        self.action_done()

    @task(4)
    def approve(self):
        self.decide("moderation: approve", "approve")

    @task(1)
    def request_changes(self):
        self.decide("moderation: changes", "request-changes",
                    **{"changes-message": "Merci de préciser les dimensions."})


class Partner(FastHttpUser):
    """A partner's integration syncing the partner feed with its key (bare host)."""

    weight = 1
    fixed_count = 1
    host = PLAN.base_url
    wait_time = _think
    PAGE_SIZE = 50

    def on_start(self):
        self.cursor: str | None = None
        self.seen: set[str] = set()
        TOURS["started"] += 1
        self.sync()
        TOURS["done"] += 1

    def get(self, route: str, path: str):
        headers = {"Host": PLAN.host(None), "Authorization": f"Bearer {PLAN.partner_key}",
                   "Accept": "application/json"}
        with self.client.request("GET", path, name=route, headers=headers,
                                 allow_redirects=False, catch_response=True) as response:
            if response.status_code == 200:
                response.success()
            else:
                response.failure(f"HTTP {response.status_code} for GET {path}")
        return response

    @task
    def sync(self):
        """From the saved cursor (a full sync now and then), page after page; then the
        thumbnails of a few new listings."""
        if self.cursor is None or random.random() < 0.1:
            self.cursor = None
        new_photos: list[str] = []
        path = "/api/v1/partner/listings/?" + urlencode(
            {"page_size": self.PAGE_SIZE, **({"cursor": self.cursor} if self.cursor else {})})
        for _page in range(20):  # bounded, whatever the feed holds
            response = self.get("partner: feed", path)
            if response.status_code != 200:
                return
            body = response.json()
            self.cursor = body.get("next_cursor") or self.cursor
            for entry in body.get("results", []):
                for photo in entry.get("photos", [])[:1]:
                    thumb = re.sub(r"^https?://[^/]+", "", photo.get("thumb", ""))
                    if thumb and thumb not in self.seen:
                        new_photos.append(thumb)
            if not body.get("next"):
                break
            path = re.sub(r"^https?://[^/]+", "", body["next"])
            self.wait()
        for thumb in new_photos[:3]:
            self.seen.add(thumb)
            self.get("partner: photo", thumb)


class Probe(Browser):
    """The ratio's clients: no pause; the feed (signed in) or the sign-in page
    (anonymous) of its authority, whichever slice the clock is in."""

    weight = 1  # spawned by the shape only, after the mix
    wait_time = constant(0)

    def on_start(self):
        self.slug = PLAN.authorities[next(_next_probe) % len(PLAN.authorities)]
        self.clear_cookies()

    @task
    def probe(self):
        kind = TIMELINE.probe_kind()
        started = time.time()
        if kind == PROBE_FEED:
            response = self.call(PROBE_FEED, "/listings/",
                                 headers={"Cookie": PROBE_COOKIES[self.slug]})
        else:
            response = self.call(PROBE_TRIVIAL, "/accounts/login/",
                                 headers={"Cookie": ANONYMOUS_COOKIES.get(self.slug, "")})
        if response.status_code == 200:  # what the server served, errors apart
            PROBE_STARTS.append((kind, started))


class RunShape(LoadTestShape):
    """The mix for PLAN.mix_seconds (longer while first tours are unfinished, by 30 s
    at most), no user for a tick (Locust's dispatcher only swaps user classes while
    it adds users), then the probe for PLAN.probe_seconds; then stop."""

    use_common_options = False
    TOUR_GRACE = 30.0
    MIX = "mix"
    DRAIN = "drain"
    PROBE = "probe"

    def __init__(self):
        super().__init__()
        self.phase = self.MIX

    def tick(self):
        now = time.time()
        if self.phase == self.MIX:
            if TIMELINE.mix_started is None:
                TIMELINE.mix_started = now
            elapsed = now - TIMELINE.mix_started
            touring = TOURS["started"] == 0 or TOURS["done"] < TOURS["started"]
            if elapsed < PLAN.mix_seconds or (touring and
                                              elapsed < PLAN.mix_seconds + self.TOUR_GRACE):
                return (PLAN.users, 100, [Agent, Moderator, Partner])
            TIMELINE.mix_ended = now
            self.phase = self.DRAIN
            return (0, 100, [Probe])
        if self.phase == self.DRAIN:
            TIMELINE.slice_seconds = PLAN.slice_seconds
            TIMELINE.probe_started = now
            self.phase = self.PROBE
        if now - TIMELINE.probe_started < PLAN.probe_seconds:
            return (PLAN.users, 100, [Probe])
        TIMELINE.probe_ended = now
        return None


# --- Before the run -------------------------------------------------------------------

def prepare(plan: Plan) -> None:
    """Sign in the probe's agent on each authority and fetch an anonymous CSRF cookie
    for the sign-in page, outside the measured time."""
    # Imported here, not above: `requests` loads ssl, which Locust's gevent patching
    # (on `from locust import …`) must see first.
    import requests

    for slug in plan.authorities:
        if slug in PROBE_COOKIES:
            continue
        session = requests.Session()
        headers = {"Host": plan.host(slug)}
        login = session.get(f"{plan.base_url}/accounts/login/", headers=headers, timeout=60)
        login.raise_for_status()
        ANONYMOUS_COOKIES[slug] = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        form = pages.read(login.text, "/accounts/login/").form("/accounts/login/")
        assert form is not None, f"no sign-in form on {slug}"
        answer = session.post(
            f"{plan.base_url}/accounts/login/", allow_redirects=False, timeout=60,
            data=form.fields(username=plan.email(PROBE_ACCOUNT, slug), password=plan.password),
            headers={**headers, "Origin": plan.origin(slug),
                     "Referer": plan.origin(slug) + "/accounts/login/"})
        if answer.status_code != 302:
            raise RuntimeError(f"{plan.email(PROBE_ACCOUNT, slug)} cannot sign in on {slug} "
                               f"(HTTP {answer.status_code}): is the demo seeded there, with "
                               "DEMO_PASSWORD as on the server?")
        PROBE_COOKIES[slug] = "; ".join(f"{c.name}={c.value}" for c in session.cookies)


@events.test_start.add_listener
def _prepare_under_the_locust_command(environment, **kwargs):
    # Under `locust -f`, nobody called configure() and prepare(): --host names the
    # target, and the probe's sessions are opened before the first user starts.
    if not PROBE_COOKIES:
        if environment.host:
            PLAN.base_url = environment.host.rstrip("/")
            configure(PLAN)
        prepare(PLAN)
