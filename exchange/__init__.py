"""The exchange group: listings, sharing between authorities, partners and the catalogue."""
