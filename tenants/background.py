"""Work done outside the request that wrote it: after commit, and in every authority.

The one after-commit helper that knows schemas (`after_commit`) and the one runner of
per-authority jobs (`queue_in_every_authority`), both on the tenancy layer's live rule
(tenants.crossing): nothing is sent or run for an authority that stopped being live
between the write (or the queueing) and the run. And the one way for code below an
app's tasks.py to queue one of its tasks (`registered_task`, `queue_by_name`).
"""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings
from django.db import connection

from core.mail import after_commit_in_language
from tenants.crossing import (
    CrossingRefused,
    OwnWork,
    for_each_live_authority,
    in_public,
    in_schema,
    is_live,
)
from tenants.selectors import current_authority

log = logging.getLogger(__name__)


def after_commit(function, *args) -> None:
    """Run `function(*args)` once the current transaction commits, in today's language,
    in the schema of the write. When the connection points elsewhere by then (a contact
    from another authority writes in the owner's schema; see sharing), the callback
    crosses back through the tenancy layer as that authority's own work, so nothing is
    sent for an authority suspended, closed or deleted meanwhile."""
    schema = connection.schema_name

    def run():
        if connection.schema_name == schema:
            function(*args)
            return
        back = (in_public(purpose="e-mail after commit")
                if schema == settings.PUBLIC_SCHEMA_NAME
                else in_schema(schema, ground=OwnWork("e-mail after commit")))
        try:
            with back:
                function(*args)
        except CrossingRefused:
            log.warning("%s not sent: %s is no longer live",
                        getattr(function, "__name__", "callback"), schema)

    after_commit_in_language(run)


def queue_quietly(task, *args, **kwargs) -> bool:
    """Queue a task; a broker outage (or an eager run that failed) is logged, not raised:
    what was to be done is still in the database for the next sweep."""
    try:
        task.delay(*args, **kwargs)
    except Exception:
        log.warning("%s%s not run now; the next sweep retries", task.name, args,
                    exc_info=True)
        return False
    return True


def registered_task(task_name: str):
    """The Celery task registered under `task_name`.

    An app's tasks.py runs the work of its services (and of the modules beside them),
    so those cannot import it back to queue one of its tasks without closing an import
    circle: they name the task instead. The app's AppConfig.ready() imports its tasks.py,
    so every process that runs Django (web, worker, shell, tests) knows the name. A task
    found this way behaves as if imported: it runs eagerly where Celery is set to (tests)
    and carries the schema it is queued from. KeyError when the app's tasks.py was not
    imported: a programming error, never a broker outage."""
    return current_app.tasks[task_name]


def queue_by_name(task_name: str, *args, **kwargs) -> bool:
    """`queue_quietly` the task registered under `task_name` (see `registered_task`)."""
    return queue_quietly(registered_task(task_name), *args, **kwargs)


def queue_in_every_authority(task, **kwargs) -> int:
    """Queue `task` once per live authority (tenants.crossing's one rule), from inside
    its schema so that tenant-schemas-celery runs it there. Returns how many were
    queued."""
    queued = 0
    for _authority in for_each_live_authority(purpose=f"queue {task.name}"):
        queued += queue_quietly(task, **kwargs)
    return queued


def in_an_authority(task_name: str) -> bool:
    """True when a per-authority job runs in an authority's schema (not the public one)."""
    if connection.schema_name == settings.PUBLIC_SCHEMA_NAME:
        log.error("%s must run in an authority's schema; queue it through %s_everywhere",
                  task_name, task_name)
        return False
    return True


def in_a_live_authority(task_name: str) -> bool:
    """`in_an_authority`, and that authority still live when the worker picks the job
    up (suspended, closed or deleted since it was queued: skipped)."""
    if not in_an_authority(task_name):
        return False
    if not is_live(current_authority()):
        log.info("%s skipped: %s is not live", task_name, connection.schema_name)
        return False
    return True
