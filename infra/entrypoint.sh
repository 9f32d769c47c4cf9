#!/usr/bin/env bash
# Container entry point: one image, several roles.
#
#   entrypoint.sh web [gunicorn args…]      HTTP on 0.0.0.0:${PORT:-8000} (the default)
#   entrypoint.sh worker [celery args…]     Celery worker
#   entrypoint.sh beat [celery args…]       Celery beat (one instance only)
#   entrypoint.sh release                   migrations: public schema, pending authorities
#   entrypoint.sh COMMAND [ARGS…]           anything else, e.g. `python manage.py seed_demo`
#
# The final process is exec'd, so it runs as PID 1 and receives the container's SIGTERM.
set -euo pipefail

# manage.py and infra/gunicorn.conf.py are found from the repository root (/app).
cd "$(dirname "$0")/.."

if [ "$#" -eq 0 ]; then
    set -- web
fi

case "$1" in
    web)
        shift
        exec gunicorn collectivrecup.wsgi:application \
            --config infra/gunicorn.conf.py \
            --bind "0.0.0.0:${PORT:-8000}" \
            "$@"
        ;;
    worker)
        shift
        exec celery -A collectivrecup worker --loglevel INFO "$@"
        ;;
    beat)
        shift
        # The schedule's state is disposable: beat rebuilds it from CELERY_BEAT_SCHEDULE.
        exec celery -A collectivrecup beat --loglevel INFO \
            --schedule /tmp/celerybeat-schedule "$@"
        ;;
    release)
        shift
        # The shared apps in the public schema first (it holds the authorities table),
        # then only the authority schemas with a migration to apply (one query finds
        # them), ${RELEASE_PROCESSES:-2} at a time (plain DDL replayed from SQL rendered
        # once, the executor for the rest), then the template schema. One line per
        # authority; exit code 1 if any failed (docs/operations.md).
        exec python manage.py migrate_authorities --processes "${RELEASE_PROCESSES:-2}" "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
