"""Form widgets shared by the apps' pages."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe


class PlainSelect(forms.Select):
    """A <select> written in Python in one pass, with the same HTML as Django's Select.

    Django's Select renders one template per <option>: on a page with a few hundred
    options (the categories of the feed's filters) that is most of the page's time.
    Choices with <optgroup>s (`(group label, [(value, label)…])`) are supported; one
    value is selected at most, as in a single <select>."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        selected = set(self.format_value(value))
        parts = [format_html('<select name="{}"', name)]
        parts.extend(format_html(" {}", key) if attr is True
                     else format_html(' {}="{}"', key, attr)
                     for key, attr in final_attrs.items() if attr is not False)
        parts.append(">")
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                parts.append(format_html('<optgroup label="{}">', option_value))
                parts.extend(self._option(item, text, selected) for item, text in label)
                parts.append("</optgroup>")
            else:
                parts.append(self._option(option_value, label, selected))
        parts.append("</select>")
        return mark_safe("".join(parts))

    @staticmethod
    def _option(value, label, selected: set[str]) -> str:
        value = "" if value is None else str(value)
        if value in selected:
            selected.discard(value)  # the first match only, as Django's Select
            return format_html('<option value="{}" selected>{}</option>', value, label)
        return format_html('<option value="{}">{}</option>', value, label)
