"""Transports in the agents' API (/api/v1/transports/): ask for one, follow its status."""
