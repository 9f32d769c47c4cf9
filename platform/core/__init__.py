"""Helpers every app may use, at the bottom of the layers: absolute links and e-mail
sent after commit. Not a Django app; it imports no app of the project."""
