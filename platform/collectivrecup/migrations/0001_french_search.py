"""French, accent-insensitive full-text search, defined once in the public schema.

Every authority's schema reaches it through the search_path (django-tenants puts
`public` after the authority's schema); the configuration is schema-qualified
where it is used, so no per-authority object is needed.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
                   WHERE c.cfgname = 'french_unaccent' AND n.nspname = 'public') THEN
        CREATE TEXT SEARCH CONFIGURATION public.french_unaccent (COPY = pg_catalog.french);
        ALTER TEXT SEARCH CONFIGURATION public.french_unaccent
            ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, french_stem;
    END IF;
END
$$;
"""

DROP = "DROP TEXT SEARCH CONFIGURATION IF EXISTS public.french_unaccent;"


class Migration(migrations.Migration):
    dependencies = []
    operations = [migrations.RunSQL(CREATE, DROP)]
