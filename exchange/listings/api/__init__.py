"""REST API of the exchange at /api/v1/ on an authority's host (DRF + drf-spectacular).

It translates HTTP in and out of exchange.listings.services (writes) and exchange.listings.selectors
(reads), with the same permission layer as the web pages. See docs/api.md.
"""
