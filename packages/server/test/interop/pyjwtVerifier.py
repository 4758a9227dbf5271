"""Verifies Latch access tokens with Debian's PyJWT (python3-jwt) and PyJWKClient, as a Python
service would. Reads one JSON request per line on stdin, answers one JSON line on stdout:
{"id", "ok": true, "payload"} or {"id", "ok": false, "error": "<exception class>: <message>"}.
One PyJWKClient per JWKS URL and cache lifespan, kept for the life of the process, so its
JWKS cache behaves as in a long-running service. Never prints a token."""
import json
import sys

import jwt
from jwt import PyJWKClient

clients = {}


def verify(request):
    key = (request["jwks"], request["lifespan"])
    client = clients.get(key)
    if client is None:
        client = clients[key] = PyJWKClient(request["jwks"], lifespan=request["lifespan"])
    token = request["token"]
    header = jwt.get_unverified_header(token)
    # PyJWT does not read `typ`; a service pinning it (RFC 8725) checks it here.
    if header.get("typ") != request["typ"]:
        raise ValueError("unexpected typ header")
    signing_key = client.get_signing_key_from_jwt(token)
    options = {"require": ["exp", "iat", "iss", "sub"]}
    kwargs = {"algorithms": [request["alg"]], "issuer": request["iss"], "options": options}
    if request.get("aud") is not None:
        kwargs["audience"] = request["aud"]
    return jwt.decode(token, signing_key.key, **kwargs)


for line in sys.stdin:
    request = json.loads(line)
    try:
        answer = {"id": request["id"], "ok": True, "payload": verify(request)}
    except Exception as error:  # every failure is an answer, never a crash
        answer = {"id": request["id"], "ok": False, "error": f"{type(error).__name__}: {error}"}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
