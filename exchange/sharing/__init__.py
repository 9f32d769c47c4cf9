"""Sharing between authorities: agreements, networks and their audit trail (public
schema). Who may see whom is decided by `selectors.sharing_partners_of`, nowhere else."""
