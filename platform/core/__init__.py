"""Helpers every app may use, at the bottom of the layers: absolute links, e-mail
sent after commit, and what every view of the agents' API shares (core/api/). Not a
Django app; it imports no app of the project."""
