"""Offboarding and reversibility: an authority's complete export, its deletion, and the
import of an export into a new authority.

- `catalog`: what the authority's schema holds, read from pg_catalog (so tables added
  by any app are exported without a list to keep up to date);
- `export`: the ZIP (every table as CSV and JSON, media, public-schema rows, README,
  manifest with row counts and sha256), built by a Celery task (`tasks`) with its
  progress;
- `services`: an export requested (the task queued after commit) or downloaded, audited;
- `deletion`: dropping the schema and media once an export exists;
- `restore`: `manage.py import_authority`, the way back;
- `public_data`: what the apps above tenants keep about an authority in the public
  schema (withdrawn on deletion, restored or rebuilt on import), as each declares it.
"""
