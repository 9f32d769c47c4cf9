"""Collectiv'Récup project package: settings, URLs, Celery app, local tooling.

The Celery app is loaded by CollectivrecupConfig.ready(), not here: importing this
package (e.g. `python -m collectivrecup.localdev`) must not choose a settings module.
"""
