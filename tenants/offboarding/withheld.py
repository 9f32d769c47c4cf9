"""What an export never carries: credentials. The ONE list, used by the export, the
import and the test that guards it (tests/tenants/test_offboarding_credentials.py).

An export hands an authority its data. It must not hand over anything that lets
someone act as one of its users or as a partner: sessions, API tokens, password hashes,
lockout records (with client addresses), second-factor secrets, key hashes, signing
secrets. Two kinds of exclusion:

- `WITHHELD_TABLES`: tables left out entirely (no file in the ZIP, listed in the
  manifest's `withheld` section with the reason);
- `WITHHELD_COLUMNS`: columns kept in the file (so the table still loads as it is) but
  emptied for every row: the value written is the SQL expression given here.

Passwords: `accounts_user.password` is kept as a column and exported EMPTY (`""`). The
import gives every account an unusable password and e-mails each active user a link
to choose a new one.

A table or column whose name looks like a secret (`SECRET_LIKE`) must appear either
here or in `ALLOWED_SECRET_LIKE`, with the reason it is harmless; the guard test fails
otherwise, so a new token table added by any app cannot slip into exports unnoticed.
"""

from __future__ import annotations

import re

# table name -> why it is withheld (any schema: the authority's or the public one)
WITHHELD_TABLES: dict[str, str] = {
    "django_session": "signed-in sessions",
    "authtoken_token": "API tokens of the agents' API (never expire)",
    "axes_accessattempt": "lockout records: client addresses and submitted usernames",
    "axes_accessattemptexpiration": "lockout records",
    "axes_accessfailurelog": "lockout records: client addresses",
    "axes_accesslog": "sign-in log: client addresses and session hashes",
    "otp_totp_totpdevice": "second-factor (TOTP) secrets",
    "otp_static_staticdevice": "second-factor backup devices",
    "otp_static_statictoken": "second-factor backup codes",
    "otp_email_emaildevice": "second-factor e-mail devices",
    "tenants_signinhandoff": "ProConnect sign-ins in flight (a minute): ID tokens and claims",
}

# (table, column) -> (SQL expression written instead of the value, why)
WITHHELD_COLUMNS: dict[tuple[str, str], tuple[str, str]] = {
    ("accounts_user", "password"): ("''", "password hashes: accounts must set a new one"),
    ("partners_apikey", "secret_hash"): ("''", "hash of a partner API key's secret"),
    ("partners_webhookendpoint", "secret"): ("''", "webhook signing secret"),
    # Calendar feeds: a secret URL each. The export draws new ones (unique, as the
    # column requires), so no address known before the export opens a feed after it.
    ("loans_loanfeed", "token"): ("md5(random()::text || id::text)",
                                  "secret address of a service's loans calendar feed"),
    ("logistics_team", "feed_token"): ("md5(random()::text || id::text)",
                                       "secret address of a logistics team's calendar feed"),
    # Encrypted with this platform's key: useless elsewhere, and the provider must be
    # tested again with a secret its administrator enters.
    ("accounts_authorityoidcprovider", "client_secret_encrypted"): (
        "''", "the authority's identity provider's client secret (encrypted)"),
}

# Names that look like a secret. Matched against table names and column names.
SECRET_LIKE = re.compile(
    r"token|secret|passw|session|hash|salt|nonce|otp|totp|credential|signature"
    r"|private|(^|_)key($|_)|apikey|ip_address|axes", re.IGNORECASE)

# Exported names that match SECRET_LIKE but hold no credential, with the reason.
# "table" alone allows the table's name; "table.column" allows one column.
ALLOWED_SECRET_LIKE: dict[str, str] = {
    "partners_apikey": "the keys' names, prefixes and dates (their secret_hash is withheld)",
}


def is_withheld_table(name: str) -> bool:
    return name in WITHHELD_TABLES


def withheld_columns(table: str) -> dict[str, str]:
    """The table's withheld columns -> the SQL expression written instead."""
    return {column: expression for (name, column), (expression, _why)
            in WITHHELD_COLUMNS.items() if name == table}


def manifest_section(exported_tables: set[str]) -> dict:
    """What the manifest says was withheld, and why (only what exists here)."""
    return {
        "passwords": "emptied: accounts_user.password is exported as an empty string; "
                     "the import makes every password unusable and e-mails a reset link",
        "tables": [{"name": name, "reason": why} for name, why in WITHHELD_TABLES.items()
                   if name in exported_tables],
        "columns": [{"table": table, "column": column, "reason": why}
                    for (table, column), (_expression, why) in WITHHELD_COLUMNS.items()
                    if table in exported_tables],
    }


def unexplained_secret_like(table: str, columns: list[str]) -> list[str]:
    """Names of `table` (and its exported columns) that look like a secret and are
    neither withheld nor allowed: what the guard test reports."""
    found = []
    if SECRET_LIKE.search(table) and table not in ALLOWED_SECRET_LIKE:
        found.append(table)
    emptied = withheld_columns(table)
    for column in columns:
        if (SECRET_LIKE.search(column) and column not in emptied
                and f"{table}.{column}" not in ALLOWED_SECRET_LIKE):
            found.append(f"{table}.{column}")
    return found
