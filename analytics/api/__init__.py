"""The statistics endpoints of the agents' API (/api/v1/stats/…): figures of one
authority's statistics facts. Their paths are composed with the rest of the API by
exchange/listings/api/urls.py."""
