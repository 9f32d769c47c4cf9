"""Demo listings for `make run`: a few dozen realistic listings per demo authority, in
every status, with contacts and closures, so every page has something to show.

Seeded through the services (the same rules as real use), then back-dated: the
catalogue over the last two months, and a year of history (listings given inside the
authority or to a partner, a few thrown away) spread over the twelve months before, so
the moderators' report and the median delay to a taker show a real shape. The
statistics facts are then rebuilt from the back-dated transfers. The authority also
gets its SIRET (AGEC declaration, invoices) and joins the public impact page.
Idempotent: an authority that already has listings keeps them; settings already set
are kept.
"""

from __future__ import annotations

import calendar
import functools
import io
import random
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import Service, Site, User
from analytics.periods import months_back
from analytics.services import save_stats_settings
from exchange.listings.models import (
    Category,
    ClosureReason,
    ContactRequest,
    ContactStatus,
    Listing,
    ModerationAction,
    ModerationEvent,
    Transfer,
    WantedRequest,
)
from exchange.listings.photos import add_photo
from exchange.listings.projections import rebuild_facts
from exchange.listings.recipients import Recipient
from exchange.listings.services.closure import close_listing
from exchange.listings.services.contact import contact_poster
from exchange.listings.services.expiry import expire_due_listings
from exchange.listings.services.moderation import approve_listing, reject_listing, request_changes
from exchange.listings.services.posting import create_listing, submit_listing
from exchange.listings.services.reservation import set_reservation
from tenants.crossing import in_public
from tenants.demo import DEMO_AUTHORITIES
from tenants.selectors import current_authority

# (title, description, item type, quantity, condition, value €, dimensions)
CATALOGUE = [
    ("Chaises visiteurs empilables en hêtre", "Lot de chaises en bon état, assise bois, "
     "pieds métal. Idéal salle de réunion ou d'attente.", "Chaise visiteur / empilable", 10,
     "good", "250", ""),
    ("Bureau droit 160 cm chêne clair", "Plateau légèrement rayé, piétement métal gris.",
     "Bureau droit", 2, "used", "120", "160 x 80 cm"),
    ("Fauteuil de direction cuir noir", "Accoudoirs réglables, mécanisme synchrone.",
     "Fauteuil de direction", 1, "good", "180", ""),
    ("Armoire haute à portes battantes", "Métal gris, 4 étagères, clé fournie.",
     "Armoire haute", 1, "good", "150", "198 x 100 x 45 cm"),
    ("Caissons mobiles 3 tiroirs", "Caissons sur roulettes, fermeture à clé.", "Caisson mobile",
     4, "used", "160", ""),
    ("Table de réunion ovale 8 places", "Plateau mélaminé hêtre, démontable.",
     "Table de réunion", 1, "good", "300", "240 x 120 cm"),
    ("Tables pliantes de collectivité", "Tables pour salle des fêtes, plateau stratifié.",
     "Table pliante / de collectivité", 12, "used", "240", "180 x 80 cm"),
    ("Rayonnages métalliques d'archives", "Éléments galvanisés, tablettes réglables.",
     "Rayonnage / bibliothèque", 6, "good", "180", "200 x 100 x 40 cm"),
    ("Banquette d'accueil 3 places", "Tissu bleu, quelques traces d'usure.",
     "Canapé / banquette d'accueil", 1, "used", "90", ""),
    ("Lampes de bureau LED", "Bras articulé, ampoules neuves.", "Luminaire / lampe de bureau",
     5, "good", "75", ""),
    ("Sièges de bureau ergonomiques", "Dossier résille, réglage lombaire.",
     "Siège de bureau (opérateur)", 6, "good", "420", ""),
    ("Bureau réglable en hauteur électrique", "Moteur double, mémoire 3 positions.",
     "Bureau réglable en hauteur", 1, "new", "450", "140 x 70 cm"),
    ("Classeur à tiroirs métallique 4 tiroirs", "Format A4, suspendus.",
     "Classeur à tiroirs métallique", 2, "used", "100", ""),
    ("Écrans 24 pouces", "Écrans Full HD avec câbles HDMI.", "Écran", 8, "good", "400", ""),
    ("Vidéoprojecteur salle du conseil", "Fonctionne, lampe à 1 200 heures.",
     "Vidéoprojecteur", 1, "used", "150", ""),
    ("Imprimante laser noir et blanc", "À réparer : bourrage papier fréquent.",
     "Imprimante de bureau", 1, "to_repair", "40", ""),
    ("Ramettes de papier A4 recyclé", "Cartons non ouverts suite à changement de format.",
     "Ramette de papier", 40, "new", "120", ""),
    ("Toners pour copieur Ricoh", "Toners neufs, modèle plus utilisé chez nous.",
     "Cartouches / toners", 6, "new", "210", ""),
    ("Fournitures de bureau (classeurs, trieurs)", "Lot de classeurs à levier et trieurs.",
     "Fournitures de bureau (lot)", 3, "good", "30", ""),
    ("Réfrigérateur de salle de pause", "Fonctionne, 140 litres, classe A+.",
     "Réfrigérateur", 1, "used", "80", ""),
    ("Micro-ondes", "Récent, plateau tournant.", "Micro-ondes", 2, "good", "60", ""),
    ("Cafetière collective", "Cafetière 15 tasses avec verseuse isotherme.",
     "Cafetière / bouilloire", 1, "good", "25", ""),
    ("Barrières Vauban", "Barrières de police galvanisées pour événements.",
     "Barrière de police / vauban", 20, "used", "400", "2 m"),
    ("Barnum 3 x 3 m", "Toile blanche, structure acier, une sangle à remplacer.",
     "Barnum / tente", 2, "to_repair", "150", "3 x 3 m"),
    ("Jeux pédagogiques pour l'école maternelle", "Puzzles et jeux de construction.",
     "Jeux / matériel pédagogique", 15, "good", "75", ""),
    ("Ballons et plots de sport", "Matériel d'EPS en bon état.", "Équipement sportif", 30,
     "good", "90", ""),
    ("Vestes de travail haute visibilité", "Tailles M à XL, jamais portées.",
     "Vêtements de travail (hors EPI)", 12, "new", "180", ""),
    ("Débroussailleuse thermique", "Révisée l'an dernier.",
     "Matériel d'entretien des espaces verts", 1, "used", "120", ""),
    ("Décorations de Noël pour hall d'accueil", "Guirlandes et sapins artificiels.",
     "Décoration / petit objet", 10, "used", "50", ""),
    ("Téléphones fixes de bureau", "Postes IP suite au changement d'opérateur.",
     "Téléphone fixe", 15, "good", "150", ""),
]

# Status plan, by position in the catalogue (the rest are published).
PLAN = {0: "closed_parts", 1: "closed", 2: "closed", 5: "closed_partner", 6: "pending",
        7: "pending", 9: "draft", 12: "changes_requested", 15: "rejected", 19: "expired",
        21: "closed_discarded", 24: "reserved"}

WANTED = [("Armoire à clé pour la loge", "Pour ranger les clés des salles."),
          ("Écran supplémentaire", "Un second écran pour le poste d'accueil."),
          ("Tables pour la fête de l'école", "Une dizaine, pour juin.")]


# Each family's colour in the demo's drawn photos.
FAMILY_COLOURS = {
    "Mobilier": (160, 104, 58),
    "Informatique et téléphonie": (46, 96, 160),
    "Reprographie et impression": (90, 96, 122),
    "Fournitures et consommables": (204, 140, 32),
    "Électroménager": (52, 140, 128),
    "Matériel technique et événementiel": (196, 66, 46),
    "Textiles": (214, 170, 20),
    "Petits objets": (128, 76, 160),
}
DEFAULT_COLOUR = (110, 110, 110)

# Reference item code → the drawing that stands for it (others: a cardboard box).
SHAPES = {
    **dict.fromkeys(["siege-bureau", "chaise-visiteur", "fauteuil-direction", "canape"],
                    "seat"),
    **dict.fromkeys(["bureau-droit", "bureau-reglable", "table-reunion", "table-pliante"],
                    "table"),
    **dict.fromkeys(["caisson", "armoire-basse", "armoire-haute", "classeur-tiroirs",
                     "rayonnage"], "storage"),
    "luminaire": "lamp",
    **dict.fromkeys(["ordinateur-portable", "ordinateur-fixe", "ecran", "tablette",
                     "smartphone", "telephone-fixe", "videoprojecteur", "television"],
                    "screen"),
    **dict.fromkeys(["imprimante", "copieur"], "printer"),
    **dict.fromkeys(["cartouches", "fournitures", "papier"], "supplies"),
    **dict.fromkeys(["refrigerateur", "lave-linge", "lave-vaisselle", "four", "micro-ondes",
                     "cafetiere", "aspirateur", "climatiseur"], "appliance"),
    "barriere": "barrier",
    "barnum": "tent",
    "outillage-espaces-verts": "tools",
    "vetements-travail": "garment",
    **dict.fromkeys(["jeux-pedagogiques", "equipement-sportif", "decoration"], "toys"),
}


def _draw_shape(draw, shape: str, fill: tuple, line: tuple) -> None:
    """Draw the silhouette `shape` on an 800 × 600 canvas whose floor is at y = 480."""
    box = {"fill": fill, "outline": line, "width": 4}
    if shape == "seat":
        draw.rounded_rectangle([300, 150, 336, 370], radius=10, **box)     # backrest
        draw.rounded_rectangle([300, 336, 510, 370], radius=10, **box)     # seat
        for x in (310, 480):
            draw.rectangle([x, 370, x + 16, 480], **box)                    # legs
    elif shape == "table":
        draw.rectangle([170, 290, 630, 318], **box)                         # top
        for x in (190, 590):
            draw.rectangle([x, 318, x + 20, 480], **box)
        draw.rectangle([450, 318, 580, 420], **box)                         # drawers
        draw.line([470, 369, 560, 369], fill=line, width=4)
    elif shape == "storage":
        draw.rectangle([280, 110, 520, 480], **box)
        draw.line([400, 110, 400, 480], fill=line, width=4)
        for x in (380, 412):
            draw.rectangle([x, 270, x + 8, 320], fill=line)                 # handles
    elif shape == "lamp":
        draw.ellipse([300, 455, 440, 485], **box)                           # base
        draw.line([370, 465, 330, 300, 450, 200], fill=line, width=10)      # arm
        draw.polygon([(420, 170), (520, 150), (540, 250), (450, 250)], **box)
    elif shape == "screen":
        draw.rounded_rectangle([200, 130, 600, 380], radius=12, **box)
        draw.rectangle([220, 150, 580, 360], fill=(225, 235, 245))         # display
        draw.rectangle([385, 380, 415, 450], **box)                         # stand
        draw.rectangle([320, 450, 480, 470], **box)
    elif shape == "printer":
        draw.polygon([(300, 240), (500, 240), (480, 170), (320, 170)], fill=(250, 250, 250),
                     outline=line)                                          # paper
        draw.rounded_rectangle([220, 240, 580, 440], radius=14, **box)
        draw.rectangle([280, 360, 520, 380], fill=line)                     # output slot
    elif shape == "supplies":
        for y, (x0, x1) in zip((400, 320, 240), ((230, 570), (260, 540), (290, 510)),
                               strict=True):
            draw.rectangle([x0, y, x1, y + 80], **box)
            draw.line([x0, y + 40, x1, y + 40], fill=line, width=3)
    elif shape == "appliance":
        draw.rounded_rectangle([290, 80, 510, 480], radius=18, **box)
        draw.line([290, 210, 510, 210], fill=line, width=4)                 # freezer door
        for y0, y1 in ((120, 180), (240, 330)):
            draw.rectangle([470, y0, 480, y1], fill=line)                   # handles
    elif shape == "barrier":
        for x0 in (120, 420):
            draw.rectangle([x0, 220, x0 + 260, 420], outline=line, width=8)
            for x in range(x0 + 26, x0 + 260, 26):
                draw.line([x, 220, x, 420], fill=fill, width=6)
            for x in (x0 + 10, x0 + 230):
                draw.line([x, 420, x - 20, 480], fill=line, width=8)       # feet
                draw.line([x + 20, 420, x + 40, 480], fill=line, width=8)
    elif shape == "tent":
        draw.polygon([(170, 230), (400, 110), (630, 230)], **box)           # roof
        draw.rectangle([170, 230, 630, 270], **box)                         # valance
        for x in (180, 610):
            draw.rectangle([x, 270, x + 10, 480], fill=line)
    elif shape == "tools":
        draw.line([220, 160, 520, 440], fill=line, width=14)                # shaft
        draw.ellipse([490, 410, 590, 470], **box)                           # head
        draw.rounded_rectangle([260, 170, 330, 240], radius=10, **box)      # engine
    elif shape == "garment":
        draw.polygon([(300, 130), (500, 130), (600, 230), (550, 280), (520, 250),
                      (520, 470), (280, 470), (280, 250), (250, 280), (200, 230)], **box)
        for y in (330, 390):
            draw.rectangle([280, y, 520, y + 18], fill=(235, 235, 235))    # reflective bands
    elif shape == "toys":
        draw.ellipse([200, 340, 340, 480], **box)                           # ball
        draw.rectangle([380, 380, 480, 480], **box)                         # blocks
        draw.rectangle([490, 380, 590, 480], **box)
        draw.rectangle([435, 280, 535, 380], **box)
    else:
        draw.rectangle([250, 230, 550, 470], **box)                         # cardboard box
        draw.line([250, 230, 400, 290, 550, 230], fill=line, width=4)


@functools.lru_cache(maxsize=64)
def _drawing(shape: str, colour: tuple) -> bytes:
    background = tuple(255 - (255 - c) // 8 for c in colour)  # a pale tint of the colour
    image = Image.new("RGB", (800, 600), background)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 480, 800, 600], fill=tuple(255 - (255 - c) // 4 for c in colour))
    _draw_shape(draw, shape, colour, tuple(c * 3 // 5 for c in colour))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def demo_photo(category: Category) -> bytes:
    """The demo's photo of an item type: a drawing of its kind of object (a chair for
    seating, a monitor for IT…) in its family's colour, as JPEG bytes. The same
    drawing for every item type of the same kind and family."""
    family = category.parent.name if category.parent_id else category.name
    shape = SHAPES.get(category.reference_code or "", "box")
    return _drawing(shape, FAMILY_COLOURS.get(family, DEFAULT_COLOUR))


def _demo_image(category: Category) -> SimpleUploadedFile:
    """A generated picture, so the demo shows photos without shipping any."""
    return SimpleUploadedFile(f"demo-{category.reference_code or 'objet'}.jpg",
                              demo_photo(category), content_type="image/jpeg")


PARIS = ZoneInfo("Europe/Paris")

# Listings of the history that found a taker, per calendar month (January first): more
# in June (end of the school year) and September, fewer in August and at Christmas.
TAKEN_PER_MONTH = [4, 5, 6, 6, 7, 8, 5, 3, 7, 6, 5, 4]
HISTORY_PARTNERS = ["Emmaüs Châtellerault", "Ressourcerie du Châtelleraudais"]
# Days from publication to the taker: mostly within two weeks, a few up to a month.
HISTORY_DELAYS = [1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 19, 21, 25, 30]
PARTNER_MAX_UNIT_VALUE = Decimal("150")  # well under the free-transfer cap per unit


def _seed_history(slug: str, posters: list[User], moderator: User, sites: list[Site],
                  services_: list[Service]) -> int:
    """A year of closed listings, each month of the twelve before the current one: some
    given to another service or to a partner, one thrown away or no longer available.
    Created through the services, then back-dated. Returns how many listings."""
    rng = random.Random(f"history-{slug}")  # noqa: S311 - demo data, not security
    today = timezone.localdate()
    dates: list[tuple[int, datetime, datetime]] = []
    for months_ago in range(1, 13):
        month = months_back(today, months_ago)
        taken = max(2, TAKEN_PER_MONTH[month.month - 1] + rng.randint(-1, 1))
        other_outcome = (ClosureReason.DISCARDED if months_ago % 3 else
                         ClosureReason.UNAVAILABLE)
        for outcome in [None] * taken + [other_outcome]:
            title, description, item, quantity, condition, value, size = rng.choice(CATALOGUE)
            owner = rng.choice(posters)
            listing = create_listing(
                poster=owner, title=title, description=description,
                category=Category.objects.get(name=item, parent__isnull=False),
                quantity=quantity, condition=condition, estimated_value=Decimal(value),
                dimensions=size, site=rng.choice(sites))
            if rng.random() < 0.6:
                add_photo(listing=listing, actor=owner, upload=_demo_image(listing.category))
            submit_listing(listing=listing, actor=owner)
            approve_listing(listing=listing, actor=moderator)
            if outcome is not None:
                close_listing(listing=listing, actor=owner, reason=outcome)
            elif (Decimal(value) / quantity <= PARTNER_MAX_UNIT_VALUE
                  and rng.random() < 0.25):
                close_listing(listing=listing, actor=owner,
                              reason=ClosureReason.GIVEN_TO_PARTNER,
                              recipient=Recipient.named(rng.choice(HISTORY_PARTNERS)))
            else:
                receivers = [s for s in services_ if s.pk != listing.service_id]
                close_listing(listing=listing, actor=owner,
                              reason=ClosureReason.EXCHANGED_INTERNAL,
                              recipient=Recipient.service(rng.choice(receivers)))
            last_day = calendar.monthrange(month.year, month.month)[1]
            closed_at = datetime(month.year, month.month, rng.randint(1, last_day),
                                 rng.randint(9, 17), rng.randint(0, 59), tzinfo=PARIS)
            published_at = closed_at - timedelta(days=rng.choice(HISTORY_DELAYS),
                                                 hours=rng.randint(0, 4))
            dates.append((listing.pk, published_at, closed_at))
    for pk, published_at, closed_at in dates:
        created_at = published_at - timedelta(days=1, hours=2)
        Listing.objects.filter(pk=pk).update(
            created_at=created_at, submitted_at=created_at + timedelta(minutes=20),
            published_at=published_at, expires_at=published_at + timedelta(days=60),
            closed_at=closed_at)
        Transfer.objects.filter(listing_id=pk).update(created_at=closed_at)
        events = ModerationEvent.objects.filter(listing_id=pk)
        closing = [ModerationAction.TRANSFERRED, ModerationAction.CLOSED]
        events.exclude(action__in=closing).update(created_at=published_at)
        events.filter(action__in=closing).update(created_at=closed_at)
    return len(dates)


def seed_demo_settings(slug: str) -> int:
    """Give the current schema's demo authority its SIRET (the authority's one, which
    the AGEC declaration and the invoices show) and its opt-in to the public impact page — only
    where no SIRET is set yet, so an admin's own choice is kept. Returns how many
    settings were written."""
    spec = next((spec for spec in DEMO_AUTHORITIES if spec["slug"] == slug), None)
    authority = current_authority()
    if spec is None or authority is None:
        return 0
    written = 0
    with in_public(purpose="demo statistics and billing settings"), transaction.atomic():
        if not authority.siret:  # one SIRET, the authority's: invoices and AGEC read it
            save_stats_settings(authority, public_impact=True, siret=spec["siret"])
            written += 1
    return written


def seed_demo_listings(slug: str) -> int:
    """Create the demo listings of the current schema's authority (the catalogue and a
    year of history) and its settings. Returns how many objects were created."""
    created = seed_demo_settings(slug)
    if Listing.objects.exists():
        return created
    users = {u.email.split("@")[0]: u for u in User.objects.all()}
    poster, other = users["agent"], users["agent2"]
    moderator = users["moderateur"]
    admin = users["admin"]
    posters = [poster, other, admin]
    sites = list(Site.objects.order_by("pk"))
    services_ = list(Service.objects.order_by("pk"))
    now = timezone.now()
    with transaction.atomic():
        for index, (title, description, item, quantity, condition, value, size) in enumerate(
                CATALOGUE):
            owner = posters[index % len(posters)]
            listing = create_listing(
                poster=owner, title=title, description=description,
                category=Category.objects.get(name=item, parent__isnull=False),
                quantity=quantity, condition=condition, estimated_value=Decimal(value),
                dimensions=size, site=sites[index % len(sites)])
            if index % 3 != 2:
                add_photo(listing=listing, actor=owner, upload=_demo_image(listing.category))
            created += 1
            plan = PLAN.get(index, "published")
            if plan == "draft":
                continue
            submit_listing(listing=listing, actor=owner)
            if plan == "pending":
                continue
            if plan == "changes_requested":
                request_changes(listing=listing, actor=moderator,
                                message="Merci d'ajouter les dimensions et une photo.")
                continue
            if plan == "rejected":
                reject_listing(listing=listing, actor=moderator,
                               reason="Matériel à déposer à la déchèterie (hors "
                                      "d'usage), pas de réemploi possible.")
                continue
            approve_listing(listing=listing, actor=moderator)
            age = timedelta(days=2 + (len(CATALOGUE) - index) * 1.5)  # under 60 days
            Listing.objects.filter(pk=listing.pk).update(
                published_at=now - age, created_at=now - age - timedelta(days=1),
                submitted_at=now - age - timedelta(hours=20),
                expires_at=now - age + timedelta(days=60))
            interested = other if owner != other else poster
            if index % 2 == 0 or plan.startswith("closed"):
                contact = contact_poster(
                    listing=listing, sender=interested,
                    message="Bonjour, ce serait parfait pour notre service. Quand puis-je "
                            "passer ?")
                # Demo history: shown as sent, never mailed (the worker skips sent ones).
                # Back-dated too, so the demo agents are not over their hourly contact limit.
                contacted_at = now - age + timedelta(days=1)
                ContactRequest.objects.filter(pk=contact.pk).update(
                    status=ContactStatus.SENT, created_at=contacted_at, sent_at=contacted_at,
                    attempts=1)
            if plan == "expired":
                Listing.objects.filter(pk=listing.pk).update(expires_at=now - timedelta(days=1))
                expire_due_listings()
            elif plan == "reserved":
                set_reservation(listing=listing, actor=owner,
                                reserved_for=interested.full_name)
            elif plan == "closed_parts":
                close_listing(listing=listing, actor=owner,
                              reason=ClosureReason.EXCHANGED_INTERNAL, quantity=6,
                              recipient=Recipient.service(interested.service))
                close_listing(listing=listing, actor=owner,
                              reason=ClosureReason.EXCHANGED_INTERNAL,
                              recipient=Recipient.service(services_[-1]))
            elif plan == "closed":
                close_listing(listing=listing, actor=owner,
                              reason=ClosureReason.EXCHANGED_INTERNAL,
                              recipient=Recipient.service(interested.service))
            elif plan == "closed_partner":
                close_listing(listing=listing, actor=owner,
                              reason=ClosureReason.GIVEN_TO_PARTNER,
                              recipient=Recipient.named("Emmaüs Châtellerault"))
            elif plan == "closed_discarded":
                close_listing(listing=listing, actor=moderator,
                              reason=ClosureReason.DISCARDED)
        for title, description in WANTED:
            WantedRequest.objects.create(author=other, title=title, description=description)
        created += _seed_history(slug, posters, moderator, sites, services_)
    # The facts carry the back-dated transfer dates.
    rebuild_facts(current_authority())
    return created
