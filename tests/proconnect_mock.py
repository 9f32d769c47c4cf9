"""ProConnect played by a real OpenID Connect provider from PyPI, oidc-provider-mock
(https://github.com/geigerzaehler/oidc-provider-mock), on loopback: for the sign-in
tests (tests/sso/test_registry_provider.py, tests/browser/test_proconnect_login.py)
and for `make run`'s demo (collectivrecup.localdev starts `python -m
tests.proconnect_mock`).

The library serves discovery, its JWKS, the authorization code flow with its own
sign-in page (type a `sub`, or click one of the preset identities), RS256 ID tokens
carrying the nonce, userinfo and end_session; it accepts any client ID and secret.
ProConnect differs in one thing the platform checks: its userinfo answer is a signed
JWT (`application/jwt`), which accounts.sso.oidc requires. `proconnect_app` adds that
and nothing else: an after_request hook signs the library's own userinfo answer with
the library's own key (the one its JWKS publishes), with `iss` and `aud` as ProConnect
sets them. Codes, tokens, the ID token and the claims are the library's.

The library releases `given_name` under the standard `profile` scope, where ProConnect
has a scope of that name: SCOPES asks for both (PROCONNECT_SCOPES)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

with warnings.catch_warnings():  # the library imports authlib.jose, deprecated upstream
    import authlib.deprecate  # noqa: F401 — its import asks "always" for its warnings

    warnings.simplefilter("ignore")
    import flask
    import oidc_provider_mock
    from authlib import jose
import requests
import werkzeug.serving

CLIENT_ID = "collectivrecup-demo"
CLIENT_SECRET = "not-a-real-secret"  # the library accepts any secret
SCOPES = "openid given_name usual_name email uid siret organizational_unit profile"
DEMO_PORT = 8900
USERINFO_ENDPOINT = "oidc-provider-mock.userinfo"


def identity(email: str, given_name: str, usual_name: str, siret: str,
             unit: str = "") -> oidc_provider_mock.User:
    """A ProConnect identity (its claims: https://partenaires.proconnect.gouv.fr/docs),
    whose `sub` is the address, so the provider's page shows who it is."""
    return oidc_provider_mock.User(sub=email, claims={
        "email": email, "given_name": given_name, "usual_name": usual_name,
        "uid": email.split("@")[0], "siret": siret, "organizational_unit": unit})


# The demo's (tenants/demo.py): chatellerault's SIRET and e-mail domain, its demo agent
# (an account with a password too, linked by the address), an agent who has no account
# yet, and grand-chatellerault's demo agent.
DEMO_IDENTITIES = (
    identity("agent@chatellerault.example", "Camille", "Martin", "21860066600018",
             "Direction des écoles"),
    identity("claire.dubois@chatellerault.example", "Claire", "Dubois", "21860066600018",
             "Médiathèques"),
    identity("agent@grand-chatellerault.example", "Camille", "Martin", "20007067000019",
             "Service déchets et économie circulaire"),
)


def proconnect_app(*, client_id: str = CLIENT_ID,
                   identities=DEMO_IDENTITIES) -> flask.Flask:
    """oidc-provider-mock answering userinfo as ProConnect does (a JWT for `client_id`);
    `identities` are offered on its sign-in page."""
    app = oidc_provider_mock.app(require_nonce=True, user_claims=tuple(identities))

    @app.after_request
    def signed_userinfo(response: flask.Response) -> flask.Response:
        if flask.request.endpoint != USERINFO_ENDPOINT or response.status_code != 200:
            return response
        claims = {**response.get_json(), "iss": flask.request.host_url.rstrip("/"),
                  "aud": client_id}
        # The library's key for this app, as it signs its ID tokens (_app.OpenIDCode).
        key = flask.g.oidc_provider_mock_storage.jwk
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            token = jose.jwt.encode({"alg": "RS256"}, claims, key)
        return flask.Response(token, content_type="application/jwt; charset=utf-8")

    return app


@contextmanager
def serve(app: flask.Flask, port: int = 0) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 in a thread; yields its issuer URL."""
    server = werkzeug.serving.make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def set_identity(issuer: str, user: oidc_provider_mock.User) -> None:
    """Tell the running provider who `user.sub` is (its users API)."""
    response = requests.put(f"{issuer}/users/{quote(user.sub, safe='')}",
                            json=user.claims, timeout=5)
    response.raise_for_status()


def how_to(issuer: str) -> str:
    """What `make run` prints: how to sign in with the demo ProConnect."""
    first, new, other = DEMO_IDENTITIES
    return "\n".join([
        f"  ProConnect (demo provider, oidc-provider-mock): {issuer}",
        "    On Ville de Châtellerault's login page click « S'identifier avec ProConnect »,",
        f"    then, on the provider's page, {first.sub} ({first.claims['given_name']} "
        f"{first.claims['usual_name']}, SIRET {first.claims['siret']}),",
        f"    or {new.sub} (no account yet: created on the way),",
        f"    or {other.sub} (Grand Châtellerault's, from its own login page).",
        "    Any other `sub` typed there carries an e-mail only, and is refused.",
        ""])


def main(argv: list[str] | None = None) -> None:  # pragma: no cover — `make run`
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=DEMO_PORT, help="0: any free port")
    parser.add_argument("--until-stdin-closes", action="store_true",
                        help="stop when standard input closes (its parent is gone)")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not one line per request
    server = werkzeug.serving.make_server("127.0.0.1", args.port, proconnect_app(),
                                          threaded=True)
    issuer = f"http://127.0.0.1:{server.server_port}"
    # One line for collectivrecup.localdev, once listening.
    print(json.dumps({"issuer": issuer, "client_id": CLIENT_ID,
                      "client_secret": CLIENT_SECRET, "scopes": SCOPES,
                      "how_to": how_to(issuer)}), flush=True)
    if args.until_stdin_closes:  # localdev killed outright: no orphan keeps the port
        threading.Thread(target=lambda: (sys.stdin.read(), server.shutdown()),
                         daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:  # Ctrl-C at `make run` reaches this process too
        pass
    finally:
        server.server_close()


if __name__ == "__main__":  # pragma: no cover
    main()
