"""Demo listings for `make run`: a few dozen realistic listings per demo authority, in
every status, with contacts and closures, so every page has something to show.

Seeded through the services (the same rules as real use), then back-dated so the
feed and the figures look like a few months of activity. Idempotent: an authority
that already has listings is left alone.
"""

from __future__ import annotations

import io
import random
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Service, Site, User

from . import services
from .models import (
    Category,
    ClosureReason,
    ContactRequest,
    ContactStatus,
    Listing,
    WantedRequest,
)

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


def _demo_image(seed: int) -> SimpleUploadedFile:
    """A small generated picture, so the demo shows photos without shipping any."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)  # noqa: S311 - demo colours, not security
    colour = tuple(rng.randint(90, 220) for _ in range(3))
    image = Image.new("RGB", (800, 600), colour)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randint(0, 700), rng.randint(0, 500)
        draw.rectangle([x, y, x + rng.randint(60, 200), y + rng.randint(60, 200)],
                       fill=tuple(max(0, c - 60) for c in colour))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(f"demo-{seed}.jpg", buffer.getvalue(), content_type="image/jpeg")


def seed_demo_listings(slug: str) -> int:
    """Create the demo listings of the current schema's authority. Returns how many."""
    if Listing.objects.exists():
        return 0
    from .photos import add_photo

    users = {u.email.split("@")[0]: u for u in User.objects.all()}
    poster, other = users["agent"], users["agent2"]
    moderator = users["moderateur"]
    admin = users["admin"]
    posters = [poster, other, admin]
    sites = list(Site.objects.order_by("pk"))
    services_ = list(Service.objects.order_by("pk"))
    now = timezone.now()
    created = 0
    with transaction.atomic():
        for index, (title, description, item, quantity, condition, value, size) in enumerate(
                CATALOGUE):
            owner = posters[index % len(posters)]
            listing = services.create_listing(
                poster=owner, title=title, description=description,
                category=Category.objects.get(name=item, parent__isnull=False),
                quantity=quantity, condition=condition, estimated_value=Decimal(value),
                dimensions=size, site=sites[index % len(sites)])
            if index % 3 != 2:
                add_photo(listing=listing, actor=owner, upload=_demo_image(index + len(slug)))
            created += 1
            plan = PLAN.get(index, "published")
            if plan == "draft":
                continue
            services.submit_listing(listing=listing, actor=owner)
            if plan == "pending":
                continue
            if plan == "changes_requested":
                services.request_changes(listing=listing, actor=moderator,
                                         message="Merci d'ajouter les dimensions et une photo.")
                continue
            if plan == "rejected":
                services.reject_listing(listing=listing, actor=moderator,
                                        reason="Matériel à déposer à la déchèterie (hors "
                                               "d'usage), pas de réemploi possible.")
                continue
            services.approve_listing(listing=listing, actor=moderator)
            age = timedelta(days=2 + (len(CATALOGUE) - index) * 1.5)  # under 60 days
            Listing.objects.filter(pk=listing.pk).update(
                published_at=now - age, created_at=now - age - timedelta(days=1),
                expires_at=now - age + timedelta(days=60))
            interested = other if owner != other else poster
            if index % 2 == 0 or plan.startswith("closed"):
                contact = services.contact_poster(
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
                services.expire_due_listings()
            elif plan == "reserved":
                services.set_reservation(listing=listing, actor=owner,
                                         reserved_for=interested.full_name)
            elif plan == "closed_parts":
                services.close_listing(listing=listing, actor=owner,
                                       reason=ClosureReason.EXCHANGED_INTERNAL, quantity=6,
                                       recipient_service=interested.service)
                services.close_listing(listing=listing, actor=owner,
                                       reason=ClosureReason.EXCHANGED_INTERNAL,
                                       recipient_service=services_[-1])
            elif plan == "closed":
                services.close_listing(listing=listing, actor=owner,
                                       reason=ClosureReason.EXCHANGED_INTERNAL,
                                       recipient_service=interested.service)
            elif plan == "closed_partner":
                services.close_listing(listing=listing, actor=owner,
                                       reason=ClosureReason.GIVEN_TO_PARTNER,
                                       recipient_partner="Emmaüs Châtellerault")
            elif plan == "closed_discarded":
                services.close_listing(listing=listing, actor=moderator,
                                       reason=ClosureReason.DISCARDED)
        for title, description in WANTED:
            WantedRequest.objects.create(author=other, title=title, description=description)
    return created
