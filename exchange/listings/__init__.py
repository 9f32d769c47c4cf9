"""Listings: post, moderate, contact and close (app label ``exchange``, kept so the
tables and the migration history of the first release stay as they are)."""
