"""core.widgets.PlainSelect writes the same <select> as Django's Select, in one pass."""

import re

from django import forms

from core.widgets import PlainSelect

CHOICES = [
    ("", "Toutes les catégories"),
    ("Mobilier", [(1, "Tout « Mobilier »"), (2, "Chaises & <tabourets>")]),
    ("Informatique", [(3, "Écrans")]),
    (4, "Divers"),
]


class Form(forms.Form):
    plain = forms.TypedChoiceField(choices=CHOICES, coerce=int, required=False,
                                   widget=PlainSelect(attrs={"class": "filter"}))
    django = forms.TypedChoiceField(choices=CHOICES, coerce=int, required=False,
                                    widget=forms.Select(attrs={"class": "filter"}))


def _same(form: Form) -> None:
    plain = str(form["plain"]).replace("plain", "FIELD")
    django = str(form["django"]).replace("django", "FIELD")
    assert re.sub(r">\s+<", "><", plain) == re.sub(r">\s+<", "><", django)


def test_same_html_as_django_s_select_with_groups_and_escaping():
    form = Form()
    _same(form)
    html = str(form["plain"])
    assert '<optgroup label="Mobilier">' in html
    assert "Chaises &amp; &lt;tabourets&gt;" in html
    assert " selected" not in html.replace('<option value="" selected>', "")


def test_the_submitted_value_is_selected_even_when_invalid_data_is_shown():
    _same(Form({"plain": "2", "django": "2"}))
    assert '<option value="2" selected>' in str(Form({"plain": "2"})["plain"])
    _same(Form({"plain": "99", "django": "99"}))
    assert " selected" not in str(Form({"plain": "99"})["plain"])
