"""Tasks cross a real (filesystem) broker and run in the authority that queued them."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django_tenants.utils import schema_context

from collectivrecup.celery import app
from collectivrecup.tasks import ping


def _reset_connection_pool():
    """Drop pooled broker connections so the next call uses the current settings."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None


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
    _reset_connection_pool()
    try:
        yield queue
    finally:
        app.conf.update(saved)
        _reset_connection_pool()


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
        assert first.get(timeout=20) == "chatellerault"
        assert second.get(timeout=20) == "grand_chatellerault"
        assert outside.get(timeout=20) == "public"
    assert connection.schema_name == "public"
