"""The frame of the statistics pages of an authority's back office."""

from __future__ import annotations

from django.shortcuts import render


def render_section(request, template: str, context: dict, *, section: str,
                   status: int = 200):
    """Render analytics/`template`, a page of the moderators' back office: its
    sub-navigation (back_office/nav.html, which each page includes) marks
    `section` as the current one."""
    return render(request, f"analytics/{template}", {**context, "section": section},
                  status=status)
