#!/usr/bin/python3
"""A Docker registry token server for the test lab: grants signed JWTs the registry trusts.
Not a real identity service: one user, one policy, test keys; plain http on 127.0.0.1.

usage: token_server.py DIR [--expires-in SECONDS]

DIR/key.pem and DIR/cert.pem (a self-signed EC P-256 certificate, the registry's
rootcertbundle) are made when missing; `token_server.py DIR --init` makes them and exits.
The server listens on a free port of 127.0.0.1 and writes it to DIR/port once it accepts.
Every request is logged as one JSON line in DIR/requests.log, the Authorization header
included, so tests can prove which credentials reached this host.

Flow (https://distribution.github.io/distribution/spec/auth/token/):
  GET /token?service=S&scope=repository:NAME:pull,push[&scope=...]   Basic auth optional
  POST /token  (form: grant_type=password, username, password, service, scope)
Policy: alice/wonderland gets every action asked for; anonymous gets pull on
repositories under public/ only; bad credentials get 401. The reply holds token and
access_token (ES256, header kid = the libtrust key id of the certificate's key, which is
how docker-registry 2.8 finds the key in its rootcertbundle), expires_in and issued_at.
"""
import base64
import datetime
import hashlib
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

SERVICE = "burrow-test-registry"
ISSUER = "burrow-test-issuer"
USERS = {"alice": "wonderland"}
ANONYMOUS_PREFIX = "public/"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_key_id(public_key):
    """The key id libtrust derives: SHA-256 of the DER SubjectPublicKeyInfo, first 240 bits,
    base32 without padding, in 12 groups of 4 joined by ':'."""
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    text = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(text[i:i + 4] for i in range(0, len(text), 4))


def make_keys(directory):
    key_path = os.path.join(directory, "key.pem")
    cert_path = os.path.join(directory, "cert.pem")
    if os.path.exists(key_path) and os.path.exists(cert_path):
        return
    os.makedirs(directory, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    with open(key_path + ".new", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(cert_path + ".new", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    os.chmod(cert_path + ".new", 0o644)
    os.rename(key_path + ".new", key_path)
    os.rename(cert_path + ".new", cert_path)


class Signer:
    def __init__(self, directory):
        with open(os.path.join(directory, "key.pem"), "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        self.kid = libtrust_key_id(self.key.public_key())

    def sign(self, claims):
        header = {"typ": "JWT", "alg": "ES256", "kid": self.kid}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        r, s = decode_dss_signature(self.key.sign(signing_input.encode(),
                                                  ec.ECDSA(hashes.SHA256())))
        # JWS wants the raw 32-byte r and s, not the DER sequence.
        return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def parse_scope(scope):
    """repository:NAME:ACTIONS (NAME may hold ':' only in a host:port prefix)."""
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if not kind or not name:
        return None
    return kind, name, [a for a in actions.split(",") if a]


def grant(user, scopes):
    access = []
    for scope in scopes:
        parsed = parse_scope(scope)
        if parsed is None:
            continue
        kind, name, actions = parsed
        if user is None:
            if kind != "repository" or not name.startswith(ANONYMOUS_PREFIX):
                continue
            actions = [a for a in actions if a == "pull"]
        if actions:
            access.append({"type": kind, "name": name, "actions": actions})
    return access


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "burrow-lab-token/1"

    def log_message(self, *args):
        pass

    def record(self, status, user, fields):
        entry = {"time": time.time(), "method": self.command, "path": self.path,
                 "host": self.headers.get("Host"),
                 "authorization": self.headers.get("Authorization"),
                 "user": user, "status": status}
        entry.update(fields)
        with self.server.log_lock, open(self.server.log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def reply(self, status, body, extra=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def basic_user(self):
        """(ok, user): user None when anonymous; ok False for bad credentials."""
        header = self.headers.get("Authorization")
        if not header:
            return True, None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False, None
        try:
            name, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False, None
        return USERS.get(name) == password and name in USERS, name

    def issue(self, user, service, scopes, password_grant):
        if service != SERVICE:
            self.record(400, user, {"service": service, "scopes": scopes})
            return self.reply(400, {"errors": [{"code": "UNSUPPORTED", "message":
                                                "unknown service %r" % service}]})
        now = int(time.time())
        access = grant(user, scopes)
        claims = {"iss": ISSUER, "sub": user or "", "aud": SERVICE, "exp": now + self.server.expires_in,
                  "nbf": now - 10, "iat": now, "jti": secrets.token_hex(16), "access": access}
        token = self.server.signer.sign(claims)
        body = {"access_token": token, "expires_in": self.server.expires_in,
                "issued_at": datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
                .strftime("%Y-%m-%dT%H:%M:%SZ")}
        if not password_grant:
            body["token"] = token
        self.record(200, user, {"service": service, "scopes": scopes, "granted": access})
        self.reply(200, body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            self.record(404, None, {})
            return self.reply(404, {"errors": [{"code": "NOT_FOUND"}]})
        query = urllib.parse.parse_qs(url.query)
        ok, user = self.basic_user()
        if not ok:
            self.record(401, user, {"scopes": query.get("scope", [])})
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]},
                              {"WWW-Authenticate": 'Basic realm="burrow-lab"'})
        self.issue(user, query.get("service", [""])[0], query.get("scope", []), False)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode(errors="replace"))
        if urllib.parse.urlsplit(self.path).path != "/token":
            self.record(404, None, {})
            return self.reply(404, {"errors": [{"code": "NOT_FOUND"}]})
        name = form.get("username", [None])[0]
        if form.get("grant_type", [""])[0] != "password" or USERS.get(name) != form.get("password", [None])[0]:
            self.record(401, name, {"grant_type": form.get("grant_type", [""])[0]})
            return self.reply(401, {"error": "invalid_grant"})
        scopes = [s for value in form.get("scope", []) for s in value.split(" ") if s]
        self.issue(name, form.get("service", [""])[0], scopes, True)


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit("usage: token_server.py DIR [--init] [--expires-in SECONDS]")
    directory = args[0]
    make_keys(directory)
    if "--init" in args:
        return
    expires_in = 300
    if "--expires-in" in args:
        expires_in = int(args[args.index("--expires-in") + 1])
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.signer = Signer(directory)
    server.expires_in = expires_in
    server.log_path = os.path.join(directory, "requests.log")
    server.log_lock = threading.Lock()
    open(server.log_path, "a").close()
    port_path = os.path.join(directory, "port")
    with open(port_path + ".new", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(port_path + ".new", port_path)
    server.serve_forever()


if __name__ == "__main__":
    main()
