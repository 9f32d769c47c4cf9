"""Demo data for `make run`: two authorities of the Châtellerault area that work
together in real life, with services, sites and one account per role. Each has a
SIRET (its SIREN + an establishment number) for its AGEC declaration and invoices.

`seed_demo --authorities N` adds made-up communes beyond those two (the load test,
`make loadtest`, spreads its traffic over several authorities): see
load_authority_specs()."""

from stdnum import luhn

DEMO_AUTHORITIES = [
    {
        "slug": "chatellerault",
        "name": "Ville de Châtellerault",
        "kind": "commune",
        "siren": "218600666",
        # The SIREN and the establishment number of the town hall (Luhn-valid).
        "siret": "21860066600018",
        "departement": "86",
        "population": 31000,  # rounded
        "services": [
            "Direction des écoles", "Services techniques", "Médiathèques",
            "Direction des sports", "État civil et population", "Centre communal d'action sociale",
        ],
        "sites": [
            ("Hôtel de ville", "78 boulevard Blossac", "86100", "Châtellerault"),
            ("Centre technique municipal", "12 rue de la Désirée", "86100", "Châtellerault"),
            ("École Jules Ferry", "3 rue Jules Ferry", "86100", "Châtellerault"),
            ("Médiathèque centrale", "Quai d'Estrées", "86100", "Châtellerault"),
        ],
    },
    {
        "slug": "grand-chatellerault",
        "name": "Agglomération de Grand Châtellerault",
        "kind": "epci",
        "siren": "200070670",
        "siret": "20007067000019",
        "departement": "86",
        "population": 84000,  # rounded
        "services": [
            "Service déchets et économie circulaire", "Direction du numérique",
            "Conservatoire", "Service logistique et magasin général",
            "Transports urbains", "Direction des ressources humaines",
        ],
        "sites": [
            ("Siège de l'Agglomération", "78 boulevard Blossac", "86100", "Châtellerault"),
            ("Magasin général", "ZI Nord, rue Clément Ader", "86100", "Châtellerault"),
            ("Conservatoire Clément Janequin", "12 rue Jean Moulin", "86100", "Châtellerault"),
            ("Déchèterie de Naintré", "Route de Chénevelles", "86530", "Naintré"),
        ],
    },
]

# (local part, first name, last name, roles, index of the service in the list)
DEMO_USERS = [
    ("agent", "Camille", "Martin", ["agent"], 0),
    ("agent2", "Julien", "Bernard", ["agent"], 1),
    ("moderateur", "Nadia", "Moreau", ["agent", "moderator"], 2),
    ("admin", "Sophie", "Garnier", ["agent", "moderator", "authority_admin"], 3),
    # The finance team: enters the year's purchases for the AGEC declaration (issue 16).
    ("finances", "Karim", "Lefèvre", ["finance"], 5),
    # The logistics team: plans rounds, carries taken items (issue 18).
    ("logistique", "Marc", "Petit", ["logistics"], 1),
    # The IT team: keeps the IT register (issue 19).
    ("informatique", "Léa", "Roux", ["it"], 3),
]

DEMO_OPERATOR_EMAIL = "operateur@collectivrecup.example"


def demo_email(local_part: str, slug: str) -> str:
    return f"{local_part}@{slug}.example"


# Made-up communes of the load test: slugs charge-3, charge-4… (French "test de charge").
LOAD_SLUG_PREFIX = "charge-"


def load_authority_specs(total: int) -> list[dict]:
    """The authorities beyond the demo's own, up to `total` in all: made-up communes with
    the first demo authority's services and sites and a SIREN whose check digit holds
    (29999…, no real body) and a SIRET of that SIREN whose check digit holds too (its
    AGEC declaration validates). Each gets the demo's accounts and listings from
    seed_demo."""
    first = DEMO_AUTHORITIES[0]
    specs = []
    for number in range(len(DEMO_AUTHORITIES) + 1, total + 1):
        base = f"2999{number:04d}"
        siren = base + luhn.calc_check_digit(base)
        specs.append({
            "slug": f"{LOAD_SLUG_PREFIX}{number}",
            "name": f"Commune de charge n° {number}",
            "kind": "commune",
            "siren": siren,
            "siret": siren + "0001" + luhn.calc_check_digit(siren + "0001"),
            "departement": "86",
            "population": 5000 + 1000 * number,
            "services": first["services"],
            "sites": first["sites"],
        })
    return specs
