"""Translation catalogues: complete, compiled, and actually served by Django.

The .po files are read with the standard library only (a small parser below), so
these tests need neither GNU gettext nor polib, and no database.

Regenerate and compile the catalogues with `make messages`.
"""

import gettext as gnu_gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
FR_PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po"
FR_MO = FR_PO.with_suffix(".mo")
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
EN_MO = EN_PO.with_suffix(".mo")

# Messages that must differ in French (others, such as "Service" or "SIREN",
# are legitimately identical in both languages).
KNOWN_MSGIDS = ["Sign in", "Sign out", "Password", "E-mail address", "Save", "Create an account"]

# A git checkout writes files one after the other, so a freshly cloned .mo may
# be a few milliseconds older than its .po: tolerate that much.
MTIME_TOLERANCE_NS = 2_000_000_000


# --- A small PO parser -----------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
            '"': '"', "\\": "\\"}


def _unquote(text: str, where: str) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"{where}: expected a quoted string, got {text!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), text[1:-1])


class Entry:
    def __init__(self, lineno: int):
        self.lineno = lineno
        self.flags: set[str] = set()
        self.msgctxt: str | None = None
        self.msgid = ""
        self.msgid_plural: str | None = None
        self.msgstr: dict[int, str] = {}

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def label(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.lineno}: {context}{self.msgid!r}"

    @property
    def translations(self) -> list[str]:
        return [self.msgstr[i] for i in sorted(self.msgstr)]


def parse_po(path: Path) -> list[Entry]:
    """Entries of a PO file, header included, obsolete (#~) entries left out."""
    entries: list[Entry] = []
    entry: Entry | None = None
    field: tuple[str, int] | None = None  # which string continuation lines extend

    def finish():
        nonlocal entry, field
        if entry is not None and (entry.msgstr or entry.msgid):
            entries.append(entry)
        entry, field = None, None

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        where = f"{path}:{lineno}"
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        # A comment or a new msgctxt/msgid after a msgstr starts the next entry,
        # even without a blank line in between.
        starts_entry = line.startswith("#") or line.startswith(("msgctxt ", "msgid "))
        if starts_entry and entry is not None and entry.msgstr:
            finish()
        if entry is None:
            entry = Entry(lineno)
        if line.startswith("#,"):
            entry.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if field is None:
                raise ValueError(f"{where}: string outside any field")
            text = _unquote(line, where)
            name, index = field
            if name == "msgstr":
                entry.msgstr[index] += text
            else:
                setattr(entry, name, getattr(entry, name) + text)
        else:
            keyword, _space, value = line.partition(" ")
            text = _unquote(value, where)
            plural = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if keyword == "msgstr" or plural:
                index = int(plural.group(1)) if plural else 0
                entry.msgstr[index] = text
                field = ("msgstr", index)
            elif keyword in ("msgctxt", "msgid", "msgid_plural"):
                setattr(entry, keyword, text)
                field = (keyword, 0)
            else:
                raise ValueError(f"{where}: unknown keyword {keyword!r}")
    finish()
    return entries


def messages(path: Path) -> list[Entry]:
    return [e for e in parse_po(path) if not e.is_header]


def header(path: Path) -> Entry:
    found = [e for e in parse_po(path) if e.is_header]
    assert len(found) == 1, f"{path}: expected exactly one header entry"
    return found[0]


_NAMED = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_POSITIONAL = re.compile(r"%(?!\()[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def placeholders(text: str) -> tuple[set[str], list[str]]:
    text = text.replace("%%", "")
    return set(_NAMED.findall(text)), _POSITIONAL.findall(text)


# --- (a) The French catalogue is complete -------------------------------------------


def test_parser_handles_the_po_syntax(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\n'
        'msgstr ""\n'
        '"Language: fr\\n"\n'
        'msgid "Glued to the header"\n'
        'msgstr "Collé à l\'en-tête"\n'
        "\n"
        "#. a comment\n"
        "#, fuzzy, python-format\n"
        'msgid ""\n'
        '"Two "\n'
        '"lines with a \\"quote\\"\\n"\n'
        'msgstr ""\n'
        "\n"
        'msgctxt "menu"\n'
        'msgid "Home"\n'
        'msgstr "Accueil"\n'
        'msgid "%(n)s item"\n'
        'msgid_plural "%(n)s items"\n'
        'msgstr[0] "%(n)s objet"\n'
        'msgstr[1] "%(n)s objets"\n'
        "\n"
        '#~ msgid "Obsolete"\n'
        '#~ msgstr "Obsolète"\n',
        encoding="utf-8",
    )
    head, glued, two_lines, home, plural = parse_po(po)
    assert head.is_header and head.msgstr == {0: "Language: fr\n"}
    assert (glued.msgid, glued.translations) == ("Glued to the header", ["Collé à l'en-tête"])
    assert two_lines.msgid == 'Two lines with a "quote"\n'
    assert two_lines.flags == {"fuzzy", "python-format"} and two_lines.translations == [""]
    assert (home.msgctxt, home.msgid, home.translations) == ("menu", "Home", ["Accueil"])
    assert plural.msgid_plural == "%(n)s items"
    assert plural.translations == ["%(n)s objet", "%(n)s objets"]


def test_parser_reads_the_french_catalogue():
    entries = messages(FR_PO)
    assert len(entries) > 50
    by_id = {e.msgid: e for e in entries}
    assert "Sign in" in by_id
    assert header(FR_PO).msgstr[0].count("Language: fr") == 1


def test_french_catalogue_has_no_untranslated_or_fuzzy_entry():
    problems = []
    head = header(FR_PO)
    if "fuzzy" in head.flags:
        problems.append(f"{head.label} (header): fuzzy")
    for entry in messages(FR_PO):
        if "fuzzy" in entry.flags:
            problems.append(f"{entry.label}: fuzzy")
        if not entry.msgstr or any(not s for s in entry.translations):
            problems.append(f"{entry.label}: empty msgstr")
    assert not problems, "French catalogue incomplete:\n" + "\n".join(problems)


def test_french_translations_keep_the_placeholders():
    problems = []
    for entry in messages(FR_PO):
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        expected_named = set().union(*(placeholders(s)[0] for s in sources))
        expected_positional = placeholders(entry.msgid)[1]
        for text in entry.translations:
            named, positional = placeholders(text)
            if named != expected_named or (positional != expected_positional
                                           and not entry.msgid_plural):
                problems.append(f"{entry.label} -> {text!r}")
    assert not problems, "Placeholders differ:\n" + "\n".join(problems)


def test_english_catalogue_lists_the_same_messages():
    fr_ids = {(e.msgctxt, e.msgid) for e in messages(FR_PO)}
    en_ids = {(e.msgctxt, e.msgid) for e in messages(EN_PO)}
    only_fr, only_en = sorted(fr_ids - en_ids, key=str), sorted(en_ids - fr_ids, key=str)
    assert fr_ids == en_ids, f"only in fr: {only_fr}; only in en: {only_en}"
    assert "fuzzy" not in header(EN_PO).flags


# --- (b) The compiled catalogues are up to date --------------------------------------


@pytest.mark.parametrize("po", [FR_PO, EN_PO], ids=["fr", "en"])
def test_mo_is_not_older_than_po(po: Path):
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `make messages`"
    mo_mtime, po_mtime = mo.stat().st_mtime_ns, po.stat().st_mtime_ns
    assert mo_mtime >= po_mtime - MTIME_TOLERANCE_NS, (
        f"{mo} is older than {po}: run `make messages`"
    )


def _load_mo(path: Path) -> gnu_gettext.GNUTranslations:
    with path.open("rb") as handle:
        return gnu_gettext.GNUTranslations(handle)


def test_french_mo_translates_known_messages():
    catalogue = _load_mo(FR_MO)
    assert catalogue.info().get("language") == "fr"
    expected = {e.msgid: e.msgstr[0] for e in messages(FR_PO)}
    for msgid in KNOWN_MSGIDS:
        assert catalogue.gettext(msgid) != msgid, f"{msgid!r} is not translated in {FR_MO}"
        assert catalogue.gettext(msgid) == expected[msgid]


def test_french_mo_matches_po():
    """Content check: catches a .po edited and committed without recompiling."""
    catalogue = _load_mo(FR_MO)
    stale = []
    for entry in messages(FR_PO):
        # msgfmt leaves fuzzy and untranslated entries out of the .mo.
        compiled = "fuzzy" not in entry.flags and all(entry.translations)
        if entry.msgid_plural is not None:
            key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
            got = [catalogue._catalog.get((key, i)) for i in sorted(entry.msgstr)]
            expected = entry.translations if compiled else [None] * len(entry.msgstr)
        elif entry.msgctxt is not None:
            got = [catalogue.pgettext(entry.msgctxt, entry.msgid)]
            expected = entry.translations if compiled else [entry.msgid]
        else:
            got = [catalogue.gettext(entry.msgid)]
            expected = entry.translations if compiled else [entry.msgid]
        if got != expected:
            stale.append(f"{entry.label}: .mo gives {got!r}, .po says {expected!r}")
    assert not stale, f"{FR_MO} is out of date (run `make messages`):\n" + "\n".join(stale)


def test_english_mo_loads():
    assert _load_mo(EN_MO).gettext("Sign in") == "Sign in"


# --- (c) Django serves French first, English on demand --------------------------------


def test_django_translates_into_french_and_english():
    assert settings.LANGUAGE_CODE == "fr"
    assert LOCALE_DIR in [Path(p).resolve() for p in settings.LOCALE_PATHS]
    french = {e.msgid: e.msgstr[0] for e in messages(FR_PO)}
    with translation.override("fr"):
        assert translation.gettext("Sign in") != "Sign in"
        assert translation.gettext("Sign in") == french["Sign in"]
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"


def test_templates_render_in_french():
    french = {e.msgid: e.msgstr[0] for e in messages(FR_PO)}
    template = Template(
        "{% load i18n %}{% translate 'Sign in' %}|"
        "{% blocktranslate with name='Camille' %}Hello {{ name }}{% endblocktranslate %}"
    )
    with translation.override("fr"):
        rendered = template.render(Context())
    assert rendered == f"{french['Sign in']}|{french['Hello %(name)s'] % {'name': 'Camille'}}"
    with translation.override("en"):
        assert template.render(Context()) == "Sign in|Hello Camille"
