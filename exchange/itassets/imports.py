"""Import of the authority's IT inventory (issue 19) from a CSV or XLSX export, GLPI's
or anybody's, into the register: all lines or none.

Four plain steps, each testable alone:

1. `read_inventory` — the upload read by the shared reader (core.tables), with the
   inventory's limits (5,000 lines, 4 MB).
2. `propose_mapping` — which column holds which register field: the mapping the
   authority confirmed at its last import where the file has the same headers, else
   a guess from GLPI's French and English column names (« Numéro de série », « Lieu »,
   "Serial number", "Location"…).
3. `build_preview` — every line read into an unsaved ITAsset, and every error with its
   line, column and message: unknown type, status or place, bad date, missing serial
   number, a serial or inventory number twice in the file or already in the register.
   Places, services, people and existing numbers are read once for the whole file.
4. `import_assets` — the preview built again and, when it has no error, the assets and
   their « created » events written in bulk in one transaction, with an ITImport that
   names the file and keeps the confirmed mapping for the next import.

An asset already in the register (same serial number, whatever its case) is a line
error: the import adds assets, it never changes one (a change belongs on the asset's
page, where its history records it field by field).

`export_csv` writes the register with the columns the importer proposes by default, so
that an export imported into an empty register gives back the same assets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from accounts.models import Service, Site, User
from accounts.permissions import can_manage_it_assets
from analytics.exports import FORMULA_TRIGGERS, spreadsheet_text
from core.tables import Table, TableLimits, csv_text, normalise, read_table
from exchange.itassets.models import (
    AssetKind,
    AssetState,
    EventKind,
    ITAsset,
    ITAssetEvent,
    ITImport,
    Life,
)
from exchange.itassets.services import ASSET_FIELDS, ITAssetError, _label

LIMITS = TableLimits(max_bytes=4 * 1024 * 1024, max_rows=5000, max_columns=60,
                     max_table_chars=2_500_000)
# PostgreSQL takes the whole file in one INSERT per table up to this many lines.
INSERT_BATCH = 5000

# The register's fields a column may fill, in the order the mapping page shows them.
ROLES = ("kind", "make", "model", "serial_number", "inventory_number", "purchase_date",
         "state", "life", "service", "location", "user", "notes")
REQUIRED_ROLES = ("kind", "serial_number")

# The export's headers (GLPI's French names), which the guess below recognises.
EXPORT_HEADERS = {
    "kind": "Type", "make": "Fabricant", "model": "Modèle",
    "serial_number": "Numéro de série", "inventory_number": "Numéro d'inventaire",
    "purchase_date": "Date d'achat", "state": "Statut", "life": "Vie",
    "service": "Service", "location": "Lieu", "user": "Utilisateur",
    "notes": "Commentaires",
}

# Header names per role, normalised (core.tables.normalise): an exact match wins, then
# a header containing one of them as whole words.
HINTS = {
    "serial_number": ("numero de serie", "n de serie", "no de serie", "serial number",
                      "serial", "serie", "sn"),
    "inventory_number": ("numero d inventaire", "n d inventaire", "inventory number",
                         "asset tag", "inventaire", "inventory", "immobilisation"),
    "purchase_date": ("date d achat", "purchase date", "date of purchase", "achat",
                      "purchase"),
    "make": ("fabricant", "marque", "constructeur", "manufacturer", "make", "brand"),
    "model": ("modele", "model"),
    "kind": ("type", "type de materiel", "categorie", "category", "kind"),
    "state": ("statut", "etat", "status", "state"),
    "life": ("vie", "life", "cycle de vie"),
    "user": ("utilisateur", "usager", "user", "detenteur", "personne", "person", "agent"),
    "service": ("service", "groupe", "group", "direction", "department"),
    "location": ("lieu", "location", "site", "ecole", "localisation", "batiment"),
    "notes": ("commentaires", "commentaire", "comments", "comment", "notes", "note",
              "remarques", "observations"),
}

# Values, normalised. GLPI's types and statuses (French and English) and ours.
KIND_NAMES = {
    AssetKind.COMPUTER: ("ordinateur", "ordinateurs", "computer", "computers", "pc",
                         "portable", "ordinateur portable", "pc portable", "laptop",
                         "notebook", "fixe", "ordinateur fixe", "pc fixe", "desktop",
                         "unite centrale", "station de travail", "workstation",
                         "tout en un", "all in one"),
    AssetKind.SCREEN: ("moniteur", "moniteurs", "monitor", "monitors", "ecran", "ecrans",
                       "screen", "display"),
    AssetKind.PHONE: ("telephone", "telephones", "phone", "phones", "smartphone",
                      "mobile", "telephone mobile", "telephone portable"),
    AssetKind.TABLET: ("tablette", "tablettes", "tablet", "tablets", "ipad",
                       "tablette tactile"),
    AssetKind.PRINTER: ("imprimante", "imprimantes", "printer", "printers",
                        "multifonction", "copieur", "photocopieur", "mfp"),
}
# The names the export writes (and the error message lists).
KIND_EXPORT = {AssetKind.COMPUTER: "Ordinateur", AssetKind.SCREEN: "Moniteur",
               AssetKind.PHONE: "Téléphone", AssetKind.TABLET: "Tablette",
               AssetKind.PRINTER: "Imprimante"}
STATE_NAMES = {
    AssetState.IN_USE: ("en service", "in use", "en utilisation", "utilise", "en production",
                        "actif", "affecte", "deploye"),
    AssetState.IN_STOCK: ("en stock", "stock", "in stock", "disponible", "en reserve",
                          "spare"),
    AssetState.BROKEN: ("en panne", "panne", "hors service", "hs", "broken", "out of order",
                        "defectueux", "en reparation", "a reparer"),
}
STATE_EXPORT = {AssetState.IN_USE: "En service", AssetState.IN_STOCK: "En stock",
                AssetState.BROKEN: "En panne"}
# The states a retirement batch gives (exchange.itassets.batches): exported so the file
# lists the whole register, never imported back (an import only adds assets in use, in
# stock or out of order; the batches move them on).
STATE_EXPORT_ONLY = {AssetState.RETIRED: "Réformé", AssetState.ERASED: "Données effacées",
                     AssetState.RECONDITIONED: "Reconditionné",
                     AssetState.LISTED: "Proposé sur la bourse d'échange",
                     AssetState.LEFT: "Sorti de la collectivité"}
LIFE_NAMES = {
    Life.FIRST: ("1", "premiere vie", "first life", "first"),
    Life.SECOND: ("2", "seconde vie", "deuxieme vie", "second life", "second"),
    Life.THIRD: ("3", "troisieme vie", "third life", "third"),
}


def _index(names: dict) -> dict[str, str | int]:
    found = {}
    for value, words in names.items():
        found[normalise(value)] = value
        for word in words:
            found[word] = value
    return found


KINDS, STATES, LIVES = _index(KIND_NAMES), _index(STATE_NAMES), _index(LIFE_NAMES)
BATCH_STATES = {normalise(name) for name in STATE_EXPORT_ONLY.values()}
MAX_LENGTHS = {"make": 100, "model": 150, "serial_number": 100, "inventory_number": 100}
KNOWN_NAMES_SHOWN = 15

Mapping = dict[str, int | None]


# --- 1. Reading ------------------------------------------------------------------------

def read_inventory(name: str, data: bytes) -> Table:
    """The inventory file's sheet (core.tables.read_table). Raises ValidationError."""
    return read_table(name, data, LIMITS)


# --- 2. Mapping ------------------------------------------------------------------------

def _contains(name: str, hint: str) -> bool:
    return f" {hint} " in f" {name} "


def guess_mapping(headers: list[str]) -> Mapping:
    """Which column holds which field, from the header names (accents, case and
    punctuation ignored): exact names first, then names containing a hint as whole
    words. A column serves one field at most; None where no header fits."""
    names = [normalise(h) for h in headers]
    mapping: Mapping = dict.fromkeys(ROLES)
    taken: set[int] = set()
    for matches in (lambda n, h: n == h, _contains):
        for role in HINTS:
            if mapping[role] is not None:
                continue
            for hint in HINTS[role]:
                found = next((i for i, n in enumerate(names)
                              if n and i not in taken and matches(n, hint)), None)
                if found is not None:
                    mapping[role] = found
                    taken.add(found)
                    break
    return mapping


def saved_columns() -> dict[str, str]:
    """The mapping confirmed at the authority's last import: field → the file's header."""
    last = ITImport.objects.order_by("-at", "-id").values_list("columns", flat=True).first()
    return dict(last or {})


def propose_mapping(headers: list[str], saved: dict[str, str] | None = None) -> Mapping:
    """The mapping to propose for a file with `headers`: the saved one (field →
    header) for every header the file still has, the guess for the other fields."""
    names = [normalise(h) for h in headers]
    mapping: Mapping = dict.fromkeys(ROLES)
    for role, header in (saved or {}).items():
        wanted = normalise(header)
        if role in mapping and wanted and wanted in names:
            mapping[role] = names.index(wanted)
    taken = {i for i in mapping.values() if i is not None}
    for role, index in guess_mapping(headers).items():
        if mapping[role] is None and index is not None and index not in taken:
            mapping[role] = index
            taken.add(index)
    return mapping


def mapping_columns(headers: list[str], mapping: Mapping) -> dict[str, str]:
    """A mapping as it is kept: field → header (what the next file will be matched on)."""
    return {role: headers[index] for role, index in mapping.items()
            if index is not None and 0 <= index < len(headers) and headers[index]}


def check_mapping(mapping: Mapping, width: int) -> list[str]:
    """What is wrong with a mapping the user confirmed (empty when it is usable)."""
    problems = []
    if mapping.get("serial_number") is None:
        problems.append(_("Choose the column holding the serial number."))
    if mapping.get("kind") is None:
        problems.append(_("Choose the column holding the type of equipment."))
    used = [i for role, i in mapping.items() if role in ROLES and i is not None]
    if any(not 0 <= i < width for i in used):
        problems.append(_("Choose columns of the file."))
    if len(used) != len(set(used)):
        problems.append(_("One column cannot serve two purposes."))
    return problems


# --- 3. Preview ------------------------------------------------------------------------

@dataclass(frozen=True)
class LineError:
    line: int | None
    column: str
    message: str


@dataclass
class Preview:
    """What an import would add: one unsaved asset per line (with its line number), and
    every error. Nothing is imported while `errors` is not empty."""

    assets: list[ITAsset] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.assets)

    @property
    def error_lines(self) -> int:
        return len({e.line for e in self.errors if e.line is not None})


def _known(names) -> str:
    names = sorted(names, key=normalise)
    shown = ", ".join(names[:KNOWN_NAMES_SHOWN])
    return shown + (" …" if len(names) > KNOWN_NAMES_SHOWN else "") if names else "—"


@dataclass
class _Register:
    """What the lines are checked against, read once per file (five queries)."""

    sites: dict[str, Site]
    services: dict[str, Service]
    users_by_email: dict[str, User]
    users_by_name: dict[str, list[User]]
    serials: set[str]
    inventories: set[str]

    @classmethod
    def read(cls, table: Table, mapping: Mapping) -> _Register:
        def column(role):
            index = mapping.get(role)
            if index is None:
                return set()
            return {_cell(row[index]).upper() for row in table.rows if _cell(row[index])}

        users_by_email, users_by_name = {}, {}
        if mapping.get("user") is not None:
            for user in User.objects.filter(is_active=True).only(
                    "id", "email", "first_name", "last_name"):
                users_by_email[user.email.lower()] = user
                for name in (f"{user.first_name} {user.last_name}",
                             f"{user.last_name} {user.first_name}"):
                    key = normalise(name)
                    if key and user not in users_by_name.setdefault(key, []):
                        users_by_name[key].append(user)
        serials, inventories = column("serial_number"), column("inventory_number")
        return cls(
            sites={normalise(s.name): s for s in Site.objects.filter(is_active=True)},
            services={normalise(s.name): s for s in Service.objects.filter(is_active=True)},
            users_by_email=users_by_email, users_by_name=users_by_name,
            serials=set(ITAsset.objects.annotate(u=Upper("serial_number"))
                        .filter(u__in=serials).values_list("u", flat=True)) if serials
            else set(),
            inventories=set(ITAsset.objects.annotate(u=Upper("inventory_number"))
                            .filter(u__in=inventories).values_list("u", flat=True))
            if inventories else set())


def _cell(text: str) -> str:
    """A cell's text, with the quote a spreadsheet export puts before a formula's first
    character (analytics.exports.spreadsheet_text) taken off again."""
    text = text.strip()
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_TRIGGERS:
        return text[1:]
    return text


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T][\d:.]*)?")
_FRENCH_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: [\d:.]*)?")


def parse_date(text: str) -> date | None:
    """A purchase date as GLPI or a spreadsheet writes it: 2021-03-31 (a time after it
    is ignored) or 31/03/2021 (also 31-03-2021, 31.03.2021). Raises ValueError."""
    if not text:
        return None
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _FRENCH_DATE.fullmatch(text):
        day, month, year = match.groups()
    else:
        raise ValueError
    return date(int(year), int(month), int(day))


def _read_line(number: int, row: list[str], mapping: Mapping, headers: list[str],
               register: _Register, seen: dict[str, dict[str, int]]):
    """One line: the unsaved asset, or its errors."""
    errors: list[LineError] = []
    cells = {role: _cell(row[index]) for role, index in mapping.items()
             if role in ROLES and index is not None}

    def error(role: str, message: str) -> None:
        errors.append(LineError(number, headers[mapping[role]] or role, message))

    data: dict = {"life": Life.FIRST, "state": AssetState.IN_USE}
    for role in ("make", "model", "serial_number", "inventory_number", "notes"):
        value = cells.get(role, "")
        if role in MAX_LENGTHS and len(value) > MAX_LENGTHS[role]:
            error(role, _("too long (at most %(n)s characters)") % {"n": MAX_LENGTHS[role]})
        data[role] = value
    raw = cells.get("kind", "")
    data["kind"] = KINDS.get(normalise(raw))
    if data["kind"] is None:
        error("kind", (_("unknown type “%(value)s” (accepted: %(known)s)")
                       % {"value": raw, "known": ", ".join(KIND_EXPORT.values())}) if raw
              else _("no type"))
    if raw := cells.get("state", ""):
        data["state"] = STATES.get(normalise(raw))
        if normalise(raw) in BATCH_STATES:
            error("state", _("status “%(value)s” comes from a retirement batch: import the "
                             "asset in service or in stock, then retire it in a batch")
                  % {"value": raw})
        elif data["state"] is None:
            error("state", _("unknown status “%(value)s” (accepted: %(known)s)")
                  % {"value": raw, "known": ", ".join(STATE_EXPORT.values())})
    if raw := cells.get("life", ""):
        data["life"] = LIVES.get(normalise(raw))
        if data["life"] is None:
            error("life", _("unknown life “%(value)s” (accepted: 1, 2 or 3)") % {"value": raw})
    try:
        data["purchase_date"] = parse_date(cells.get("purchase_date", ""))
    except ValueError:
        error("purchase_date", _("“%(value)s” is not a date (write 2021-03-31 or 31/03/2021)")
              % {"value": cells["purchase_date"]})
    for role, number_field in (("serial_number", "serials"),
                               ("inventory_number", "inventories")):
        value = data[role].upper()
        if not value:
            if role == "serial_number":
                error(role, _("no serial number"))
            continue
        if value in getattr(register, number_field):
            error(role, _("“%(value)s” is already in the register") % {"value": data[role]})
        elif value in seen[role]:
            error(role, _("“%(value)s” is already on line %(line)s")
                  % {"value": data[role], "line": seen[role][value]})
        else:
            seen[role][value] = number
    if raw := cells.get("service", ""):
        data["holder_service"] = register.services.get(normalise(raw))
        if data["holder_service"] is None:
            error("service", _("unknown service “%(value)s” (known services: %(known)s)")
                  % {"value": raw, "known": _known(s.name for s in register.services.values())})
    if raw := cells.get("location", ""):
        key = normalise(raw)
        if key in register.sites:
            data["holder_site"] = register.sites[key]
        elif key in register.services and not data.get("holder_service"):
            # GLPI's « Lieu » may name a department rather than a building.
            data["holder_service"] = register.services[key]
        elif key not in register.services:
            error("location", _("unknown place “%(value)s” (known schools or sites: "
                                "%(sites)s; known services: %(services)s)")
                  % {"value": raw, "sites": _known(s.name for s in register.sites.values()),
                     "services": _known(s.name for s in register.services.values())})
    if raw := cells.get("user", ""):
        user = register.users_by_email.get(raw.lower())
        matches = [user] if user else register.users_by_name.get(normalise(raw), [])
        if len(matches) == 1:
            data["holder_user"] = matches[0]
        elif matches:
            error("user", _("several people are called “%(value)s”: write their e-mail "
                            "address") % {"value": raw})
        else:
            error("user", _("nobody called “%(value)s” has an account (write their name or "
                            "e-mail address)") % {"value": raw})
    return (None if errors else ITAsset(**data)), errors


def build_preview(table: Table, mapping: Mapping) -> Preview:
    """Read every line of `table` with `mapping` (blank lines are skipped). Reads the
    register once, whatever the number of lines."""
    preview = Preview()
    problems = check_mapping(mapping, len(table.headers))
    if problems:
        preview.errors.extend(LineError(None, "", p) for p in problems)
        return preview
    register = _Register.read(table, mapping)
    seen: dict[str, dict[str, int]] = {"serial_number": {}, "inventory_number": {}}
    for number, row in table.numbered_rows():
        asset, errors = _read_line(number, row, mapping, table.headers, register, seen)
        if asset is None:
            preview.errors.extend(errors)
        else:
            preview.assets.append(asset)
            preview.lines.append(number)
    if not preview.assets and not preview.errors:
        preview.errors.append(LineError(None, "", _("The file has no line to import.")))
    return preview


# --- 4. Import -------------------------------------------------------------------------

class ImportRefused(ITAssetError):
    """The file has errors: nothing was imported. `preview` lists them."""

    def __init__(self, preview: Preview):
        self.preview = preview
        super().__init__(_("Nothing was imported: the file has errors."), code="import")


def import_assets(*, actor, table: Table, mapping: Mapping, file_name: str) -> ITImport:
    """Add every line of `table` to the register, or none: the preview is built again
    and any error (ImportRefused) writes nothing. The assets and their « created »
    events are inserted in bulk; the ITImport names the file and keeps the mapping."""
    if not can_manage_it_assets(actor):
        raise PermissionDenied
    try:
        with transaction.atomic():
            preview = build_preview(table, mapping)
            if not preview.is_valid:
                raise ImportRefused(preview)
            record = ITImport.objects.create(
                file_name=file_name[:200], columns=mapping_columns(table.headers, mapping),
                asset_count=len(preview.assets), actor=actor)
            assets = ITAsset.objects.bulk_create(preview.assets, batch_size=INSERT_BATCH)
            ITAssetEvent.objects.bulk_create([
                ITAssetEvent(asset=asset, kind=EventKind.CREATED, actor=actor,
                             source_import=record,
                             changes={f: ["", _label(asset, f)] for f in ASSET_FIELDS
                                      if _label(asset, f)})
                for asset in assets], batch_size=INSERT_BATCH)
    except IntegrityError as error:
        # Another import or a form took a number between the preview and the insert.
        raise ITAssetError(_("An asset with this serial or inventory number is already in "
                             "the register."), code="serial_number") from error
    return record


# --- Export ----------------------------------------------------------------------------

def export_rows(assets) -> list[list[str]]:
    """The register's rows in EXPORT_HEADERS' order (`assets` with holders joined)."""
    rows = []
    for asset in assets:
        values = {
            "kind": KIND_EXPORT[asset.kind], "make": asset.make, "model": asset.model,
            "serial_number": asset.serial_number, "inventory_number": asset.inventory_number,
            "purchase_date": asset.purchase_date.isoformat() if asset.purchase_date else "",
            "state": STATE_EXPORT.get(asset.state) or STATE_EXPORT_ONLY[asset.state],
            "life": str(asset.life),
            "service": asset.holder_service.name if asset.holder_service else "",
            "location": asset.holder_site.name if asset.holder_site else "",
            "user": asset.holder_user.email if asset.holder_user else "",
            "notes": asset.notes,
        }
        rows.append([spreadsheet_text(values[role]) for role in ROLES])
    return rows


def export_csv(assets) -> str:
    """The register as CSV for a French spreadsheet, the columns the import proposes."""
    return csv_text([EXPORT_HEADERS[role] for role in ROLES], export_rows(assets))
