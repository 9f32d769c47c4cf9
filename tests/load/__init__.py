"""`make loadtest`: the served product under agents, moderators and partners at once
(Locust). Nothing here imports Django: the load test speaks HTTP only. See
docs/operations.md, "Load test"."""
