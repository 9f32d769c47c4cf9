"""Translation catalogues: complete, compiled, and actually served by Django.

The .po files are read with polib (a well-kept gettext library, instead of a parser of
our own); these tests need neither GNU gettext nor a database.

Regenerate and compile the catalogues with `make messages`.
"""

import gettext as gnu_gettext
import re
from pathlib import Path

import polib
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


# --- Reading the catalogues (polib) -------------------------------------------------


def messages(path: Path) -> list[polib.POEntry]:
    """The entries of a PO file, without the header and obsolete (#~) entries."""
    return [entry for entry in polib.pofile(str(path)) if not entry.obsolete]


def translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def label(entry: polib.POEntry) -> str:
    context = f"[{entry.msgctxt}] " if entry.msgctxt is not None else ""
    return f"line {entry.linenum}: {context}{entry.msgid!r}"


_NAMED = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_POSITIONAL = re.compile(r"%(?!\()[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def placeholders(text: str) -> tuple[set[str], list[str]]:
    text = text.replace("%%", "")
    return set(_NAMED.findall(text)), _POSITIONAL.findall(text)


# --- (a) The French catalogue is complete -------------------------------------------


def test_the_french_catalogue_is_read_whole():
    entries = messages(FR_PO)
    assert len(entries) > 50
    assert "Sign in" in {e.msgid for e in entries}
    assert polib.pofile(str(FR_PO)).metadata["Language"] == "fr"


def test_french_catalogue_has_no_untranslated_or_fuzzy_entry():
    problems = []
    if polib.pofile(str(FR_PO)).metadata_is_fuzzy:
        problems.append("header: fuzzy")
    for entry in messages(FR_PO):
        if "fuzzy" in entry.flags:
            problems.append(f"{label(entry)}: fuzzy")
        if any(not s for s in translations(entry)):
            problems.append(f"{label(entry)}: empty msgstr")
    assert not problems, "French catalogue incomplete:\n" + "\n".join(problems)


def test_french_translations_keep_the_placeholders():
    problems = []
    for entry in messages(FR_PO):
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        expected_named = set().union(*(placeholders(s)[0] for s in sources))
        expected_positional = placeholders(entry.msgid)[1]
        for text in translations(entry):
            named, positional = placeholders(text)
            if named != expected_named or (positional != expected_positional
                                           and not entry.msgid_plural):
                problems.append(f"{label(entry)} -> {text!r}")
    assert not problems, "Placeholders differ:\n" + "\n".join(problems)


def test_english_catalogue_lists_the_same_messages():
    fr_ids = {(e.msgctxt, e.msgid) for e in messages(FR_PO)}
    en_ids = {(e.msgctxt, e.msgid) for e in messages(EN_PO)}
    only_fr, only_en = sorted(fr_ids - en_ids, key=str), sorted(en_ids - fr_ids, key=str)
    assert fr_ids == en_ids, f"only in fr: {only_fr}; only in en: {only_en}"
    assert not polib.pofile(str(EN_PO)).metadata_is_fuzzy


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
    expected = {e.msgid: e.msgstr for e in messages(FR_PO)}
    for msgid in KNOWN_MSGIDS:
        assert catalogue.gettext(msgid) != msgid, f"{msgid!r} is not translated in {FR_MO}"
        assert catalogue.gettext(msgid) == expected[msgid]


def test_french_mo_matches_po():
    """Content check: catches a .po edited and committed without recompiling."""
    catalogue = _load_mo(FR_MO)
    stale = []
    for entry in messages(FR_PO):
        # msgfmt leaves fuzzy and untranslated entries out of the .mo.
        compiled = "fuzzy" not in entry.flags and all(translations(entry))
        if entry.msgid_plural:
            key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
            got = [catalogue._catalog.get((key, i)) for i in sorted(entry.msgstr_plural)]
            expected = translations(entry) if compiled else [None] * len(entry.msgstr_plural)
        elif entry.msgctxt is not None:
            got = [catalogue.pgettext(entry.msgctxt, entry.msgid)]
            expected = translations(entry) if compiled else [entry.msgid]
        else:
            got = [catalogue.gettext(entry.msgid)]
            expected = translations(entry) if compiled else [entry.msgid]
        if got != expected:
            stale.append(f"{label(entry)}: .mo gives {got!r}, .po says {expected!r}")
    assert not stale, f"{FR_MO} is out of date (run `make messages`):\n" + "\n".join(stale)


def test_english_mo_loads():
    assert _load_mo(EN_MO).gettext("Sign in") == "Sign in"


# --- (c) Django serves French first, English on demand --------------------------------


def test_django_translates_into_french_and_english():
    assert settings.LANGUAGE_CODE == "fr"
    assert LOCALE_DIR in [Path(p).resolve() for p in settings.LOCALE_PATHS]
    french = {e.msgid: e.msgstr for e in messages(FR_PO)}
    with translation.override("fr"):
        assert translation.gettext("Sign in") != "Sign in"
        assert translation.gettext("Sign in") == french["Sign in"]
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"


def test_templates_render_in_french():
    french = {e.msgid: e.msgstr for e in messages(FR_PO)}
    template = Template(
        "{% load i18n %}{% translate 'Sign in' %}|"
        "{% blocktranslate with name='Camille' %}Hello {{ name }}{% endblocktranslate %}"
    )
    with translation.override("fr"):
        rendered = template.render(Context())
    assert rendered == f"{french['Sign in']}|{french['Hello %(name)s'] % {'name': 'Camille'}}"
    with translation.override("en"):
        assert template.render(Context()) == "Sign in|Hello Camille"
