"""Tasks cross a real (filesystem) broker and run in the authority that queued them;
failures are logged without the tasks' arguments."""

import logging
import time
import uuid

import pytest
from celery.backends.filesystem import FilesystemBackend
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django_tenants.utils import schema_context

from collectivrecup.celery import app
from collectivrecup.tasks import ping


def _reset_connection_pool(close: bool):
    """Drop pooled broker connections so the next call uses the current settings. Only
    the test broker's pool is closed: kombu keeps pools in a registry by broker, and a
    closed default pool breaks every later eager `.delay()` ("Acquire on closed pool")."""
    if close and app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None  # holds the old connection pool otherwise


@pytest.fixture
def filesystem_broker(tmp_path):
    """The local default transport, in a folder of this test, with a file result store."""
    queue, control = tmp_path / "queue", tmp_path / "control"
    queue.mkdir()
    control.mkdir()
    saved = {key: app.conf[key] for key in
             ("broker_url", "broker_transport_options", "result_backend", "task_always_eager",
              "task_ignore_result")}
    app.conf.update(
        broker_url="filesystem://",
        broker_transport_options={"data_folder_in": str(queue), "data_folder_out": str(queue),
                                  "control_folder": str(control)},
        result_backend=f"file://{tmp_path}",
        task_always_eager=False,
        task_ignore_result=False,
    )
    _reset_connection_pool(close=False)
    try:
        yield queue
    finally:
        _reset_connection_pool(close=True)
        app.conf.update(saved)


def wait_for(results, async_result, timeout=20.0):
    """Poll the worker's result files (the calling thread may hold a cached backend)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        meta = results.get_task_meta(async_result.id)
        if meta["status"] == "SUCCESS":
            return meta["result"]
        time.sleep(0.05)
    raise AssertionError(f"task {async_result.id} did not finish: {meta['status']}")


@pytest.mark.django_db
def test_task_runs_in_the_schema_of_the_authority_that_queued_it(filesystem_broker,
                                                                 chatellerault,
                                                                 grand_chatellerault):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        with schema_context(chatellerault.schema_name):
            first = ping.apply_async(ignore_result=False)
        with schema_context(grand_chatellerault.schema_name):
            second = ping.apply_async(ignore_result=False)
        outside = ping.apply_async(ignore_result=False)
        results = FilesystemBackend(app=app, url=f"file://{filesystem_broker.parent}")
        assert wait_for(results, first) == "chatellerault"
        assert wait_for(results, second) == "grand_chatellerault"
        assert wait_for(results, outside) == "public"
    assert connection.schema_name == "public"


# --- Task failures ------------------------------------------------------------------------

PERSONAL = "camille.martin@chatellerault.example"


@app.task(name="tests.platform_core.notify_or_fail")
def notify_or_fail(email: str) -> None:
    raise LookupError(f"no account for {email}")


@pytest.mark.django_db
def test_a_failed_task_is_logged_with_its_schema_and_without_its_arguments(chatellerault,
                                                                           caplog):
    task_id = str(uuid.uuid4())
    with schema_context(chatellerault.schema_name), caplog.at_level(logging.ERROR):
        # throw=False: the error is handled as a worker does (test settings propagate it).
        result = notify_or_fail.apply(args=[PERSONAL], task_id=task_id, throw=False)
    assert result.failed()
    [record] = [r for r in caplog.records if r.name == "collectivrecup.celery"]
    assert record.levelname == "ERROR"
    assert record.getMessage() == (
        f"task tests.platform_core.notify_or_fail failed: id={task_id} "
        f"schema=chatellerault error=LookupError")
    assert PERSONAL not in repr(record.__dict__)
