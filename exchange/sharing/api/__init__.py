"""The sharing part of the agents' REST API (/api/v1/ on an authority's host): shared
listings of the authorities sharing with this one. See docs/api.md."""
