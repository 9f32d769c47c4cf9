"""Pages of the statistics: an authority's report, loi AGEC figures, weight campaigns,
factors and statistics settings, an agent's own figures (statistics.py, reports.py),
and the bare host's impact pages (impact.py). Their URLs: analytics/urls.py (an
authority's host, under /listings/) and collectivrecup/urls_public.py (the bare host)."""
