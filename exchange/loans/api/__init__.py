"""The loans in the agents' API (/api/v1/loans/, tag `loans`)."""
