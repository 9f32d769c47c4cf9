"""The catalogue: a public-schema projection of the listings that may be seen outside
their authority (shared with other authorities, offered to partners)."""
