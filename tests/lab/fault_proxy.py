#!/usr/bin/python3
"""A reverse proxy for the test lab that puts network faults between a client and a registry.
Not a general proxy: plain http on 127.0.0.1, whole request bodies buffered, standard library only.

usage: fault_proxy.py (--upstream HOST:PORT | --blobs STORAGE) [--port-file FILE]
                      [--log FILE] [--control FILE] [--fault JSON]

--upstream   forward every request to this registry (Host header kept, Range passed on).
--blobs      serve GET/HEAD /v2/NAME/blobs/sha256:HEX straight from a docker-registry
             storage directory, without auth and with Range: the stand-in for the storage
             host a registry redirects blob downloads to.
The proxy listens on a free port of 127.0.0.1, prints it and writes it to --port-file.
Every request (but /_fault) is one JSON line in --log: method, path, host, range,
authorization (the whole header, so tests can prove where credentials went), status,
fault, bytes sent.

Faults: a JSON rule, or a list of rules of which the first that matches and has requests
left applies. Set them with --fault, in the --control file (read again whenever it changes)
or with `curl -X POST http://127.0.0.1:PORT/_fault -d JSON`; each change resets the counts.
GET /_fault shows the rules and how often each fired. Keys of a rule:
  mode     pass | status | reset | stall | truncate | redirect
  match    substring of the request path (default "" for status, "/blobs/" otherwise)
  method   request method (default any for status, GET otherwise)
  count    how many matching requests get the fault, 0 for all (default 1; redirect 0)
  status   the status to answer, for mode status (default 503) and redirect (default 307)
  retry_after  Retry-After seconds for mode status (default 1; null leaves it out)
  after    body bytes sent before reset, stall or truncate (default: half the body)
  seconds  how long a stall lasts before the rest of the body follows (default 5)
  to       host:port a redirect points at (same path and query)
Modes: status answers at once without asking upstream; reset sends `after` bytes and
then a TCP reset; truncate sends `after` bytes and closes cleanly although Content-Length
promised more; stall sends `after` bytes, waits, then sends the rest.
"""
import argparse
import http.client
import json
import os
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailer", "trailers", "transfer-encoding", "upgrade", "expect"}
MODES = {"pass", "status", "reset", "stall", "truncate", "redirect"}
BLOB_PATH = re.compile(r"^/v2/.+/blobs/sha256:([0-9a-f]{64})$")
CHUNK = 64 * 1024


def normalize(rule):
    if not isinstance(rule, dict) or rule.get("mode", "pass") not in MODES:
        raise ValueError("a rule is an object with mode one of %s: %r" % (sorted(MODES), rule))
    mode = rule.get("mode", "pass")
    body_fault = mode != "status"
    out = {"mode": mode,
           "match": rule.get("match", "/blobs/" if body_fault else ""),
           "method": rule.get("method", "GET" if body_fault else None),
           "count": int(rule.get("count", 0 if mode == "redirect" else 1)),
           "status": int(rule.get("status", 307 if mode == "redirect" else 503)),
           "retry_after": rule.get("retry_after", 1),
           "after": rule.get("after"),
           "seconds": float(rule.get("seconds", 5)),
           "to": rule.get("to"),
           "hits": 0}
    if mode == "redirect" and not out["to"]:
        raise ValueError("a redirect rule needs \"to\": \"HOST:PORT\"")
    return out


def parse_rules(text):
    text = text.strip()
    if not text:
        return []
    value = json.loads(text)
    return [normalize(r) for r in (value if isinstance(value, list) else [value])]


class Faults:
    """The rules in force, from --fault, the control file or POST /_fault."""

    def __init__(self, initial, control):
        self.lock = threading.Lock()
        self.rules = parse_rules(initial or "")
        self.control = control
        self.control_stat = None

    def _reload(self):
        if not self.control:
            return
        try:
            st = os.stat(self.control)
            stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            stamp = None
        if stamp == self.control_stat:
            return
        self.control_stat = stamp
        text = ""
        if stamp is not None:
            with open(self.control) as f:
                text = f.read()
        try:
            self.rules = parse_rules(text)
        except ValueError as e:
            print("fault_proxy: %s: %s" % (self.control, e), file=sys.stderr)
            self.rules = []

    def set(self, text):
        with self.lock:
            self.rules = parse_rules(text)

    def show(self):
        with self.lock:
            self._reload()
            return [dict(r) for r in self.rules]

    def take(self, method, path):
        """The rule this request gets (its count used up by one), or None."""
        with self.lock:
            self._reload()
            for rule in self.rules:
                if rule["method"] and rule["method"] != method:
                    continue
                if rule["match"] not in path:
                    continue
                if rule["count"] and rule["hits"] >= rule["count"]:
                    continue
                rule["hits"] += 1
                return None if rule["mode"] == "pass" else dict(rule)
            return None


def parse_range(value, size):
    """(start, end) inclusive for one "bytes=A-B" / "bytes=A-" / "bytes=-N", else None."""
    m = re.fullmatch(r"bytes=(\d*)-(\d*)", (value or "").strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None
    if not m.group(1):
        n = int(m.group(2))
        return (max(size - n, 0), size - 1) if n else None
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else size - 1
    if start >= size or end < start:
        return None
    return start, min(end, size - 1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "burrow-lab-proxy/1"

    def log_message(self, *args):
        pass

    def record(self, status, fault, sent):
        entry = {"time": time.time(), "method": self.command, "path": self.path,
                 "host": self.headers.get("Host"), "range": self.headers.get("Range"),
                 "authorization": self.headers.get("Authorization"),
                 "status": status, "fault": fault, "bytes": sent}
        if self.server.log_path:
            with self.server.log_lock, open(self.server.log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def simple(self, status, body, headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        return len(data)

    def control(self, body):
        if self.command in ("POST", "PUT"):
            query = urllib.parse.urlsplit(self.path).query
            text = (body or b"").decode()
            if not text.strip() and query:
                text = json.dumps({k: int(v) if v.isdigit() else None if v == "null" else v
                                   for k, v in urllib.parse.parse_qsl(query)})
            try:
                self.server.faults.set(text)
            except ValueError as e:
                return self.simple(400, "%s\n" % e, [("Content-Type", "text/plain")])
        return self.simple(200, json.dumps(self.server.faults.show()) + "\n",
                           [("Content-Type", "application/json")])

    def handle_any(self):
        body = self.read_body()
        if self.path.startswith("/_fault"):
            return self.control(body)
        fault = self.server.faults.take(self.command, urllib.parse.urlsplit(self.path).path)
        mode = fault["mode"] if fault else None
        if mode == "status":
            headers = [("Content-Type", "application/json")]
            if fault["retry_after"] is not None:
                headers.append(("Retry-After", str(fault["retry_after"])))
            code = {429: "TOOMANYREQUESTS"}.get(fault["status"], "UNAVAILABLE")
            sent = self.simple(fault["status"], json.dumps(
                {"errors": [{"code": code, "message": "fault_proxy: injected %d" % fault["status"]}]}),
                headers)
            return self.record(fault["status"], mode, sent)
        if mode == "redirect":
            location = "http://%s%s" % (fault["to"], self.path)
            sent = self.simple(fault["status"], "", [("Location", location)])
            return self.record(fault["status"], mode, sent)
        try:
            if self.server.blobs:
                status, headers, length, read, close = self.open_blob()
            else:
                status, headers, length, read, close = self.open_upstream(body)
        except OSError as e:
            sent = self.simple(502, "fault_proxy: upstream %s: %s\n" % (self.server.upstream, e),
                               [("Content-Type", "text/plain")])
            return self.record(502, mode, sent)
        try:
            self.relay(status, headers, length, read, fault)
        except OSError:
            self.close_connection = True  # the client went away
        finally:
            close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    def open_upstream(self, body):
        conn = http.client.HTTPConnection(self.server.upstream, timeout=120)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for key, value in self.headers.items():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                conn.putheader(key, value)
        if body is not None or self.command in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", str(len(body or b"")))
        conn.endheaders(body)
        resp = conn.getresponse()
        headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
        length = resp.getheader("Content-Length")
        if self.command == "HEAD" or resp.status in (204, 304):
            return resp.status, headers, None, None, conn.close
        if length is None:
            data = resp.read()
            headers.append(("Content-Length", str(len(data))))
            pieces = iter([data])
            return resp.status, headers, len(data), lambda n: next(pieces, b""), conn.close
        return resp.status, headers, int(length), resp.read, conn.close

    def open_blob(self):
        m = BLOB_PATH.match(urllib.parse.urlsplit(self.path).path)
        path = None
        if m and self.command in ("GET", "HEAD"):
            hexdigest = m.group(1)
            path = os.path.join(self.server.blobs, "docker/registry/v2/blobs/sha256",
                                hexdigest[:2], hexdigest, "data")
        if not path or not os.path.isfile(path):
            data = b'{"errors":[{"code":"BLOB_UNKNOWN"}]}'
            pieces = iter([data])
            return (404, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
                    len(data), lambda n: next(pieces, b""), lambda: None)
        f = open(path, "rb")
        size = os.fstat(f.fileno()).st_size
        headers = [("Content-Type", "application/octet-stream"), ("Accept-Ranges", "bytes"),
                   ("Docker-Content-Digest", "sha256:" + m.group(1))]
        status, start, end = 200, 0, size - 1
        if self.headers.get("Range"):
            span = parse_range(self.headers["Range"], size)
            if span is None:
                f.close()
                return (416, [("Content-Range", "bytes */%d" % size), ("Content-Length", "0")],
                        0, lambda n: b"", lambda: None)
            status, (start, end) = 206, span
            headers.append(("Content-Range", "bytes %d-%d/%d" % (start, end, size)))
        f.seek(start)
        left = [end - start + 1]

        def read(n):
            data = f.read(min(n, left[0]))
            left[0] -= len(data)
            return data

        headers.append(("Content-Length", str(end - start + 1)))
        if self.command == "HEAD":
            return status, headers, None, None, f.close
        return status, headers, end - start + 1, read, f.close

    def relay(self, status, headers, length, read, fault):
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        mode = fault["mode"] if fault else None
        if length is None or read is None:
            return self.record(status, None, 0)
        if mode not in ("reset", "stall", "truncate") or status not in (200, 206) or length == 0:
            sent = self.copy(read, length)
            return self.record(status, None, sent)
        after = fault["after"]
        after = length // 2 if after is None else min(int(after), length)
        sent = self.copy(read, after)
        if mode == "stall":
            time.sleep(fault["seconds"])
            try:
                sent += self.copy(read, length - after)
            except OSError:
                self.close_connection = True
            return self.record(status, mode, sent)
        self.record(status, mode, sent)
        self.close_connection = True
        time.sleep(0.1)  # let the client read what was sent before the connection goes
        if mode == "reset":
            # Linger on with a zero timeout: close() sends RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            self.connection.shutdown(socket.SHUT_WR)
        self.connection.close()

    def copy(self, read, n):
        sent = 0
        while sent < n:
            data = read(min(CHUNK, n - sent))
            if not data:
                break
            self.wfile.write(data)
            sent += len(data)
        return sent

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass


def main():
    parser = argparse.ArgumentParser(description="the lab's fault-injecting registry proxy")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--upstream", help="HOST:PORT of the registry")
    source.add_argument("--blobs", help="a docker-registry storage directory to serve blobs from")
    parser.add_argument("--port-file")
    parser.add_argument("--log")
    parser.add_argument("--control")
    parser.add_argument("--fault", default="")
    args = parser.parse_args()
    try:
        faults = Faults(args.fault, args.control)
    except ValueError as e:
        sys.exit("fault_proxy: --fault: %s" % e)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.upstream = args.upstream
    server.blobs = args.blobs
    server.faults = faults
    server.log_path = args.log
    server.log_lock = threading.Lock()
    if args.log:
        open(args.log, "a").close()
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".new", "w") as f:
            f.write("%d\n" % port)
        os.rename(args.port_file + ".new", args.port_file)
    print(port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
