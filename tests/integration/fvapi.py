# SPDX-License-Identifier: MIT
"""Shared helpers for tests that call ferrovisord's REST API with tokens.

Every request to /api/v1 (and /metrics) carries `Authorization: Bearer <token>`
(docs/ferrovisord.md, "Tokens, roles, audit"). Tests send their requests through
`headers(token, extra)` or `request(...)` so the token is added in one place.

- `first_admin_token(text)`: the token a daemon printed at its first start
  ("ferrovisord: first admin token: fvt_..."), or None; `first_admin_tokens(text)` all of them.
- `SimDaemon(state_dir=None, extra=())`: build/tools/ferrovisord on a free 127.0.0.1 port
  with the sim backend; `.port`, `.token` (its first admin token, None on a later start
  with the same state directory), `.banner` (the lines before "listening on").
- `request(port_or_base, method, path, token=None, body=None, headers=None)`:
  (status, response headers, parsed body).
- `make_token(port, admin_token, id, role)`: creates a token through the API, returns its text.
- `console_admin_token(q)`: the first admin token from a QEMU console (fvtest.Qemu).
- `daemon_log_on_failure(q, vm)`: a context manager; when its body fails, the service VM's
  daemon log (/run/ferrovisord.log, typed into the focused console `vm`) goes to the test output.
"""

import contextlib
import http.client
import json
import re
import socket
import subprocess
import time
import urllib.parse

import fvtest

DAEMON = fvtest.REPO_ROOT / "build" / "tools" / "ferrovisord"
DOC_PATH = fvtest.REPO_ROOT / "docs" / "api" / "openapi.yaml"
TOKEN_RE = re.compile(r"ferrovisord: first admin token: (fvt_[A-Za-z0-9][A-Za-z0-9_-]*\.[0-9a-f]{64})")
ROLES = ("viewer", "operator", "admin")


def first_admin_tokens(text):
    return TOKEN_RE.findall(text)


def first_admin_token(text):
    found = first_admin_tokens(text)
    return found[-1] if found else None


def console_admin_token(q, timeout=60):
    """The first admin token a service VM's daemon printed on the hypervisor console
    ("[svc] ferrovisord: first admin token: fvt_..."), waited for after the previous match."""
    return q.expect(r"^\[\w+\] " + TOKEN_RE.pattern, timeout).group(1)


@contextlib.contextmanager
def daemon_log_on_failure(q, vm="svc"):
    """On an exception in the body, prints the last lines of ferrovisord's log in the service
    VM (its console must have the focus), then re-raises: the runner shows the test output, so
    a "Control channel failure" in CI comes with the daemon's reason."""
    try:
        yield
    except BaseException:
        try:
            start = len(q.output)
            q.send("echo FV-LOG-BEGIN; tail -n 30 /run/ferrovisord.log; echo FV-LOG-END-$((6*7))\r")
            q.expect(rf"^\[{vm}\] FV-LOG-END-42", 30)
            lines = q.output[start:].splitlines()
            print(f"--- ferrovisord log in {vm} (tail) ---")
            print("\n".join(lines[-34:]))
        except Exception as e:  # noqa: BLE001 - the original failure matters more
            print(f"(ferrovisord log not read: {e})")
        raise


def headers(token, extra=None):
    """Request headers with the bearer token (None: none sent)."""
    h = dict(extra or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    return h


def request(where, method, path, token=None, body=None, extra_headers=None, timeout=30):
    """One request to where (a port on 127.0.0.1 or a base URL "http://h:p") at /api/v1 +
    path (a path starting with "/api" or "/metrics" is taken as is). Returns
    (status, HTTPResponse, body parsed as JSON when it is JSON, else text or None)."""
    if isinstance(where, int):
        host, port = "127.0.0.1", where
    else:
        u = urllib.parse.urlsplit(where)
        host, port = u.hostname, u.port or 80
    full = path if path.startswith(("/api/", "/metrics")) else "/api/v1" + path
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request(method, full, body=body, headers=headers(token, extra_headers))
        r = c.getresponse()
        raw = r.read()
    finally:
        c.close()
    ctype = r.getheader("Content-Type", "")
    if raw and ctype.split(";")[0].strip().endswith("json"):
        data = json.loads(raw)
    elif raw:
        data = raw.decode(errors="replace")
    else:
        data = None
    return r.status, r, data


def free_port():
    """A TCP port on 127.0.0.1 free right now (for a QEMU user-net hostfwd)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def until_reachable(fn, timeout=120, ok=None):
    """fn() retried every 2 s while it raises OSError (a hostfwd reaches the daemon in the
    guest only once the guest's ARP/TCP settle) and, with ok, while not ok(result); its
    result. After timeout seconds the last OSError is raised again, or, when the daemon
    answered but never as ok wanted, a TestFailure."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            res = fn()
            if ok is None or ok(res):
                return res
        except OSError:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise fvtest.TestFailure("the daemon is not reachable through the forward")
        time.sleep(2)


def wait_daemon(where, token, timeout=120, get=None):
    """The first answer to GET /host at where (port or base URL, as request()) once the
    forward reaches the daemon: get(where, "GET", "/host", token) if given (a module's
    checked helper), else request(). Raises the last OSError after timeout seconds."""
    get = get or request
    return until_reachable(lambda: get(where, "GET", "/host", token), timeout)


def make_token(where, admin_token, token_id, role):
    st, _, data = request(where, "POST", "/tokens", admin_token,
                          body=json.dumps({"id": token_id, "role": role}),
                          extra_headers={"Content-Type": "application/json"})
    if st != 201:
        raise fvtest.TestFailure(f"POST /tokens {token_id}/{role}: {st} {data}")
    return data["token"]


class SimDaemon:
    """ferrovisord --backend sim on 127.0.0.1:<free port> (a context manager)."""

    def __init__(self, state_dir=None, extra=(), openapi=True):
        if not DAEMON.is_file():
            raise fvtest.TestFailure(f"{DAEMON} missing: run `make ferrovisord`")
        cmd = [str(DAEMON), "--port", "0"]
        if openapi:
            cmd += ["--openapi", str(DOC_PATH)]
        if state_dir is not None:
            cmd += ["--state-dir", str(state_dir)]
        cmd += list(extra)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.banner = []
        while True:
            line = self.proc.stdout.readline()
            if not line or "listening on http://127.0.0.1:" in line:
                break
            self.banner.append(line)
        if "listening on http://127.0.0.1:" not in line:
            self.close()
            raise fvtest.TestFailure(f"ferrovisord did not start: {self.banner + [line]}")
        self.port = int(line.split("127.0.0.1:")[1].split("/")[0])
        self.token = first_admin_token("".join(self.banner))

    def call(self, method, path, token=None, **kw):
        return request(self.port, method, path, token, **kw)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        alive = self.proc.poll() is None
        self.close()
        if exc[0] is None and not alive:
            raise fvtest.TestFailure(f"ferrovisord died (exit {self.proc.returncode})")
