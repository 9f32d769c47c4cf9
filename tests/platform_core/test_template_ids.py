"""Ids written into HTML attributes are never localised.

USE_THOUSAND_SEPARATOR is on (French numbers: « 1 555 »), so `{{ obj.pk }}` renders
700006 as « 700 006 » once ids pass 999: a form posting it back, an element id or a
link built from it breaks. Attributes take `|unlocalize` (or go through `{% url %}`)."""

from __future__ import annotations

import re
from pathlib import Path

from django.template import Context, Template
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
# An attribute value holding a bare id variable: value="{{ x.pk }}", id="row-{{ x.id }}".
# (A form field's `auto_id` is a string, not a number: left aside.)
BARE_ID_IN_ATTRIBUTE = re.compile(
    r'=\s*"[^"]*\{\{\s*\w+(\.\w+)*\.(pk|id|\w+_id)\s*\}\}[^"]*"')


def _templates() -> list[Path]:
    return [path for folder in ("platform", "exchange", "analytics", "tenants")
            for path in (ROOT / folder).rglob("templates/**/*.html")]


def test_no_template_writes_a_bare_id_into_an_attribute():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}"
             for path in _templates()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if BARE_ID_IN_ATTRIBUTE.search(line.replace(".auto_id", ".auto_name"))]
    assert found == []


def test_the_check_catches_what_it_is_for():
    assert BARE_ID_IN_ATTRIBUTE.search('<input value="{{ row.item.pk }}">')
    assert BARE_ID_IN_ATTRIBUTE.search('<tr id="stop-{{ stop.pk }}">')
    assert BARE_ID_IN_ATTRIBUTE.search('<tr data-x="{{ line.transfer_id }}">')
    assert not BARE_ID_IN_ATTRIBUTE.search('<tr data-x="{{ line.transfer_id|unlocalize }}">')
    assert not BARE_ID_IN_ATTRIBUTE.search("<td>{{ line.transfer_id }}</td>")
    assert not BARE_ID_IN_ATTRIBUTE.search('<table id="{{ table_id }}">')  # a name, no id


def test_why_french_ids_need_unlocalize(settings):
    settings.USE_THOUSAND_SEPARATOR = True
    with translation.override("fr"):
        html = Template('{% load l10n %}{{ n }}|{{ n|unlocalize }}').render(
            Context({"n": 700006}))
    assert html.split("|")[1] == "700006"
    assert html.split("|")[0] != "700006"
