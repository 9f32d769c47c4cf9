"""A fake ProConnect on loopback, for the tests: a real OpenID Connect provider
(authorization code flow, PKCE S256, RS256-signed ID token and userinfo JWT, JWKS,
discovery, end-session) served by http.server in a thread.

`identity` is who signs in next; `tamper` spoils one thing of the next tokens
("audience", "nonce", "signature", "expired", "issuer", "userinfo_sub"), so the tests
can show the client refuses it; "no_kid" leaves the key id out of the JWT header and
"two_keys" publishes a second key in the JWKS. `auto_approve` answers the authorization request with
the redirect at once (integration tests); otherwise it shows a page with a button
(browser test)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "collectivrecup-test"
CLIENT_SECRET = "not-a-real-secret"

DEFAULT_IDENTITY = {
    "given_name": "Camille",
    "usual_name": "Martin",
    "email": "camille.martin@chatellerault.example",
    "uid": "4242",
    "siret": "21860066600018",
    "organizational_unit": "Direction des écoles",
}


def _new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeProConnect:
    def __init__(self, *, auto_approve: bool = True, port: int = 0):
        self.key = _new_key()
        self.other_key = _new_key()
        self.kid = "test-key-1"
        self.identity = dict(DEFAULT_IDENTITY)
        self.tamper: set[str] = set()
        self.auto_approve = auto_approve
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        self.authorize_requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeProConnect:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- Tokens ------------------------------------------------------------------

    def jwks(self) -> dict:
        keys = [(self.key, self.kid)] + ([(self.other_key, "test-key-2")]
                                         if "two_keys" in self.tamper else [])
        return {"keys": [
            {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())),
             "kid": kid, "alg": "RS256", "use": "sig"} for key, kid in keys]}

    def _sign(self, claims: dict) -> str:
        key = self.other_key if "signature" in self.tamper else self.key
        headers = {} if "no_kid" in self.tamper else {"kid": self.kid}
        return jwt.encode(claims, key, algorithm="RS256", headers=headers)

    def id_token(self, nonce: str, sub: str) -> str:
        now = int(time.time())
        return self._sign({
            "iss": "http://evil.example" if "issuer" in self.tamper else self.issuer,
            "aud": "someone-else" if "audience" in self.tamper else CLIENT_ID,
            "sub": sub, "iat": now - (600 if "expired" in self.tamper else 0),
            "exp": now + (-300 if "expired" in self.tamper else 60),
            "nonce": "not-the-nonce" if "nonce" in self.tamper else nonce,
            "acr": "eidas1", "amr": ["pwd"],
        })

    def userinfo(self, sub: str, identity: dict) -> str:
        return self._sign({"iss": self.issuer, "aud": CLIENT_ID,
                           "sub": "another-sub" if "userinfo_sub" in self.tamper else sub,
                           **identity})

    # --- HTTP --------------------------------------------------------------------

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status, body=b"", content_type="application/json", headers=()):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, data, status=200):
                self._send(status, json.dumps(data).encode())

            def _redirect(self, url):
                self._send(302, headers=[("Location", url)], content_type="text/plain")

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    base = provider.issuer
                    return self._json({
                        "issuer": base, "authorization_endpoint": f"{base}/authorize",
                        "token_endpoint": f"{base}/token",
                        "userinfo_endpoint": f"{base}/userinfo", "jwks_uri": f"{base}/jwks",
                        "end_session_endpoint": f"{base}/session/end",
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "userinfo_signing_alg_values_supported": ["RS256"],
                        "code_challenge_methods_supported": ["S256"],
                    })
                if url.path == "/jwks":
                    return self._json(provider.jwks())
                if url.path == "/authorize":
                    provider.authorize_requests.append(query)
                    if query.get("client_id") != CLIENT_ID:
                        return self._json({"error": "invalid_client"}, 400)
                    if provider.auto_approve:
                        return self._redirect(provider.approve(query))
                    page = (
                        "<!doctype html><html lang='fr'><title>ProConnect (test)</title>"
                        "<h1>ProConnect de test</h1><form method='post' action='/approve'>"
                        + "".join(f"<input type='hidden' name='{escape(k)}' value='{escape(v)}'>"
                                  for k, v in query.items())
                        + f"<p>{escape(provider.identity['email'])}</p>"
                        "<button type='submit'>Continuer</button></form></html>")
                    return self._send(200, page.encode(), "text/html; charset=utf-8")
                if url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    grant = provider.access_tokens.pop(token, None)
                    if grant is None:
                        return self._json({"error": "invalid_token"}, 401)
                    return self._send(200, provider.userinfo(grant["sub"],
                                                             grant["identity"]).encode(),
                                      "application/jwt; charset=utf-8")
                if url.path == "/session/end":
                    return self._redirect(query["post_logout_redirect_uri"] + "?"
                                          + urlencode({"state": query.get("state", "")}))
                return self._json({"error": "not_found"}, 404)

            def _form(self):
                length = int(self.headers.get("Content-Length", "0"))
                return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}

            def do_POST(self):
                url = urlparse(self.path)
                if url.path == "/approve":
                    return self._redirect(provider.approve(self._form()))
                if url.path == "/token":
                    form = self._form()
                    provider.token_requests.append(form)
                    grant = provider.codes.pop(form.get("code", ""), None)
                    if (grant is None or form.get("client_id") != CLIENT_ID
                            or form.get("client_secret") != CLIENT_SECRET
                            or form.get("redirect_uri") != grant["redirect_uri"]):
                        return self._json({"error": "invalid_grant"}, 400)
                    if grant["code_challenge"]:
                        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                        if challenge != grant["code_challenge"]:
                            return self._json({"error": "invalid_grant",
                                               "error_description": "PKCE"}, 400)
                    access = secrets.token_urlsafe(24)
                    provider.access_tokens[access] = grant
                    return self._json({
                        "access_token": access, "token_type": "Bearer", "expires_in": 60,
                        "id_token": provider.id_token(grant["nonce"], grant["sub"])})
                return self._json({"error": "not_found"}, 404)

        return Handler

    def approve(self, query: dict) -> str:
        """Issue a code for the authorization request `query`; the redirect back."""
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "nonce": query.get("nonce", ""), "redirect_uri": query["redirect_uri"],
            "code_challenge": query.get("code_challenge", ""),
            "sub": hashlib.sha256(self.identity["email"].encode()).hexdigest(),
            "identity": dict(self.identity)}
        return query["redirect_uri"] + "?" + urlencode({"code": code,
                                                        "state": query.get("state", "")})


def main():  # pragma: no cover — `python -m tests.sso_provider` for `make run`
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    provider = FakeProConnect(auto_approve=False, port=args.port).start()
    print(f"PROCONNECT_ISSUER={provider.issuer}", flush=True)
    provider.thread.join()


if __name__ == "__main__":  # pragma: no cover
    main()
