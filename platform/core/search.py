"""Full-text search: the one PostgreSQL text search configuration every search vector
and query of the project uses (French, accents ignored). It lives in the public schema,
created by collectivrecup's migration 0001_french_search."""

SEARCH_CONFIG = "public.french_unaccent"
