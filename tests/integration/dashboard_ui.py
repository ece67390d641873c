# SPDX-License-Identifier: MIT
"""Helpers of the dashboard tests: headless Chromium (Debian's chromium + chromedriver via
python3-selenium), a sign-in, DOM waits, screenshots, and a front proxy with stand-ins.

The front proxy. The dashboard talks to GET /api/v1/whoami (roles), /stats (charts),
/events and /vms/{name}/console (SSE). Other helpers implement those in the daemon; where
the daemon in front of us does not have one yet (it answers 404 `not-found`, probed once at
start), the proxy answers it with a small stand-in so the browser flows can be tested now:

- whoami: the tokens of TOKENS; roles enforced on mutating calls (401/403 problem+json),
- stats: counters that grow while a VM runs,
- events: a vm-state event for every successful action that passes through the proxy,
- console: a per-VM buffer with a banner line, echoing every line typed.

Everything else, and every endpoint the daemon has, is passed through unchanged (streams
included). Once the real endpoints are merged the stand-ins switch themselves off; the
tokens then have to be real ones: token_for() is the one place to change.
"""

import base64
import http.client
import json
import os
import queue
import shutil
import socket
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import fvtest

TOKENS = {"viewer": "fv-test-viewer-7c1e", "operator": "fv-test-operator-52ad",
          "admin": "fv-test-admin-9b30"}
RANK = {"viewer": 1, "operator": 2, "admin": 3}
WAIT = 45  # seconds for any DOM condition (the machine is shared and loaded)


def token_for(role):
    """The API token of a role (the one place to change once real tokens exist)."""
    return TOKENS[role]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def problem(status, slug, title, detail, instance):
    return {"type": f"urn:ferrovisor:problem:{slug}", "title": title, "status": status,
            "detail": detail, "instance": instance}


def now_rfc3339():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FrontProxy:
    """An HTTP proxy on 127.0.0.1:<free port> in front of the daemon at upstream_port."""

    STANDINS = ("whoami", "stats", "events", "console")

    def __init__(self, upstream_port, standins=True, upstream_host="127.0.0.1"):
        self.up = (upstream_host, upstream_port)
        self.lock = threading.Lock()
        self.states = {}  # vm -> last state seen
        self.vcpus = {}
        self.counters = {}  # vm -> dict of stats
        self.consoles = {}  # vm -> bytearray history
        self.console_waiters = {}  # vm -> list of queues
        self.event_waiters = []
        self.seq = 0
        self.typed = []  # (vm, bytes) the console stand-in received
        self.revoked = set()  # roles whose token the stand-in refuses from now on
        self.active = set()
        if standins:
            self.active = {s for s in self.STANDINS if self._missing(s)}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    # ------------------------------------------------------------ upstream
    def upstream(self, method, path, body=None, headers=None, timeout=60):
        c = http.client.HTTPConnection(*self.up, timeout=timeout)
        c.request(method, path, body=body, headers=headers or {})
        return c, c.getresponse()

    def _missing(self, what):
        """True when the daemon answers the endpoint with its generic 404 (no resource)."""
        path = {"whoami": "/api/v1/whoami", "stats": "/api/v1/stats",
                "events": "/api/v1/events", "console": "/api/v1/vms/none0/console"}[what]
        hdr = {"Authorization": f"Bearer {token_for('admin')}"}
        for _ in range(5):
            try:
                c, r = self.upstream("GET", path, headers=hdr, timeout=30)
            except OSError:
                time.sleep(2)
                continue
            missing = False
            if r.status == 404 and "json" in (r.getheader("Content-Type") or ""):
                try:
                    missing = json.loads(r.read(65536)).get("type", "").endswith(":not-found")
                except ValueError:
                    missing = False
            c.close()
            return missing
        raise fvtest.TestFailure(f"front proxy: daemon at {self.up} not reachable")

    def vms(self):
        c, r = self.upstream("GET", "/api/v1/vms",
                             headers={"Authorization": f"Bearer {token_for('admin')}"})
        data = json.loads(r.read())
        c.close()
        with self.lock:
            for v in data.get("vms", []):
                self._seen(v)
        return data.get("vms", [])

    def _seen(self, vm):
        old = self.states.get(vm["name"])
        self.states[vm["name"]] = vm["state"]
        self.vcpus[vm["name"]] = vm.get("vcpus", 1)
        return old

    # ------------------------------------------------------------ stand-in state
    def emit(self, ev):
        with self.lock:
            self.seq += 1
            ev = dict(ev, seq=self.seq, time=now_rfc3339())
            for q in list(self.event_waiters):
                q.put(ev)

    def console_write(self, vm, data):
        with self.lock:
            buf = self.consoles.setdefault(
                vm, bytearray(f"console of {vm} (dashboard test stand-in)\r\n".encode()))
            start = len(buf)
            buf += data
            for q in self.console_waiters.get(vm, []):
                q.put((start, bytes(data)))

    def role_of(self, headers):
        auth = headers.get("Authorization", "")
        tok = auth[7:] if auth.startswith("Bearer ") else None
        for role, t in TOKENS.items():
            if tok == t and role not in self.revoked:
                return role, tok
        return None, tok

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body=b"", ctype="application/json", extra=None):
                if isinstance(body, (dict, list)):
                    body = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _problem(self, status, slug, title, detail):
                self._send(status, problem(status, slug, title, detail, self.path),
                           "application/problem+json")

            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else None

            def _sse_start(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True

            def _sse(self, event, data):
                self.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
                self.wfile.flush()

            def _auth(self, need):
                """Stand-in access control while whoami is a stand-in: True if allowed."""
                if "whoami" not in proxy.active:
                    return True
                role, tok = proxy.role_of(self.headers)
                if role is None:
                    self._problem(401, "unauthorized", "Authentication required",
                                  "no token" if tok is None else "unknown token")
                    return False
                if RANK[role] < RANK[need]:
                    self._problem(403, "forbidden", "Role too low",
                                  f"{self.command} {self.path.split('?')[0]} needs {need}, "
                                  f"the token has {role}")
                    return False
                return True

            def _standin(self, parts):
                """Answers a stand-in endpoint; False when the path is not one."""
                path = "/" + "/".join(parts)
                if path == "/api/v1/whoami" and "whoami" in proxy.active:
                    role, tok = proxy.role_of(self.headers)
                    if role is None:
                        self._problem(401, "unauthorized", "Authentication required",
                                      "no token" if tok is None else "unknown token")
                    else:
                        self._send(200, {"id": f"test-{role}", "role": role})
                    return True
                if path == "/api/v1/stats" and "stats" in proxy.active:
                    if self._auth("viewer"):
                        self._send(200, proxy.stats())
                    return True
                if path == "/api/v1/events" and "events" in proxy.active:
                    if self._auth("viewer"):
                        self._stream_events()
                    return True
                if (len(parts) == 5 and parts[:3] == ["api", "v1", "vms"] and
                        parts[4] == "console" and "console" in proxy.active):
                    vm = parts[3]
                    if self.command == "POST":
                        if self._auth("operator"):
                            data = self._body() or b""
                            proxy.typed.append((vm, data))
                            proxy.console_write(vm, b"echo: " + data.replace(b"\n", b"\r\n"))
                            self._send(204, b"", "text/plain")
                    elif self._auth("viewer"):
                        self._stream_console(vm)
                    return True
                return False

            def _stream_events(self):
                q = queue.Queue()
                with proxy.lock:
                    proxy.event_waiters.append(q)
                try:
                    self._sse_start()
                    while True:
                        try:
                            ev = q.get(timeout=10)
                            self._sse(ev["type"], ev)
                        except queue.Empty:
                            self.wfile.write(b": keepalive\n\n")
                            self.wfile.flush()
                except OSError:
                    pass
                finally:
                    with proxy.lock:
                        proxy.event_waiters.remove(q)

            def _stream_console(self, vm):
                q = queue.Queue()
                proxy.console_write(vm, b"")
                with proxy.lock:
                    hist = bytes(proxy.consoles[vm])
                    proxy.console_waiters.setdefault(vm, []).append(q)
                try:
                    self._sse_start()
                    self._sse("output", {"seq": 0, "b64": base64.b64encode(hist).decode()})
                    while True:
                        try:
                            off, data = q.get(timeout=10)
                            self._sse("output", {"seq": off,
                                                 "b64": base64.b64encode(data).decode()})
                        except queue.Empty:
                            self.wfile.write(b": keepalive\n\n")
                            self.wfile.flush()
                except OSError:
                    pass
                finally:
                    with proxy.lock:
                        proxy.console_waiters[vm].remove(q)

            def _forward(self):
                body = self._body()
                path = self.path.split("?")[0]
                parts = [p for p in path.split("/") if p]
                if parts[:2] == ["api", "v1"] and self.command in ("POST", "DELETE"):
                    need = "admin" if (self.command == "DELETE" or parts[2:] == ["vms"]) \
                        else "operator"
                    if not self._auth(need):
                        return
                hdrs = {k: v for k, v in self.headers.items()
                        if k.lower() not in ("host", "connection", "accept-encoding")}
                try:
                    c, r = proxy.upstream(self.command, self.path, body, hdrs)
                except OSError as e:
                    self._problem(502, "upstream", "Daemon unreachable", str(e))
                    return
                ctype = r.getheader("Content-Type") or ""
                if ctype.startswith("text/event-stream"):
                    self._sse_start()
                    try:
                        while chunk := r.read1(65536):
                            self.wfile.write(chunk)
                            self.wfile.flush()
                    except OSError:
                        pass
                    c.close()
                    return
                data = r.read()
                c.close()
                extra = {k: v for k, v in r.getheaders()
                         if k.lower() in ("etag", "allow", "location", "content-security-policy",
                                          "x-content-type-options", "cache-control")}
                self.send_response(r.status)
                self.send_header("Content-Type", ctype or "text/plain")
                self.send_header("Content-Length", str(len(data)))
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                if "events" in proxy.active and r.status < 300:
                    proxy.after_action(self.command, parts, data)

            def _any(self):
                parts = [p for p in self.path.split("?")[0].split("/") if p]
                if not self._standin(parts):
                    self._forward()

            do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = _any

        return Handler

    def after_action(self, method, parts, data):
        """The events stand-in: a successful action or destroy becomes a vm-state event."""
        if len(parts) == 5 and parts[2] == "vms" and method == "POST":
            vm = json.loads(data)
            with self.lock:
                old = self._seen(vm)
            self.emit({"type": "vm-state", "vm": vm["name"], "state": vm["state"],
                       "old_state": old or "unknown", "cause": f"{parts[4]} via API"})
        elif len(parts) == 4 and parts[2] == "vms" and method == "DELETE":
            with self.lock:
                old = self.states.pop(parts[3], None)
            self.emit({"type": "vm-state", "vm": parts[3], "state": "destroyed",
                       "old_state": old or "unknown", "cause": "destroy via API"})

    def stats(self):
        """The stats stand-in: CPU time grows 0.4 s/s per vCPU and I/O 50 KiB/s while a VM
        runs; the counters of a paused or stopped VM stand still."""
        now = time.monotonic()
        out = {}
        for v in self.vms():
            with self.lock:
                c = self.counters.setdefault(v["name"], {"t": now, "cpu": 0.0, "io": 0})
                if v["state"] == "running":
                    dt = now - c["t"]
                    c["cpu"] += 0.4 * v["vcpus"] * dt
                    c["io"] += int(51200 * dt)
                c["t"] = now
                out[v["name"]] = {"cpu_seconds": round(c["cpu"], 3),
                                  "blk_read_bytes": c["io"] // 2,
                                  "blk_write_bytes": c["io"] // 4, "net_rx_bytes": c["io"] // 8,
                                  "net_tx_bytes": c["io"] // 8}
        busy = sum(c["cpu"] for c in self.counters.values())
        return {"host": {"cpu_busy_seconds": round(busy, 3), "vms_running": sum(
            1 for v in self.states.values() if v == "running")}, "vms": out}


# ------------------------------------------------------------------ the browser

DEBIAN_DIST = "/usr/lib/python3/dist-packages"


def _selenium():
    """Debian's python3-selenium; found in Debian's dist-packages also when the tests run
    under another python3 of the same version (pyenv, a venv)."""
    try:
        from selenium import webdriver
    except ImportError:
        if DEBIAN_DIST not in sys.path and os.path.isdir(f"{DEBIAN_DIST}/selenium"):
            sys.path.append(DEBIAN_DIST)  # after our own packages: only fills the gap
        try:
            from selenium import webdriver
        except ImportError as e:
            raise fvtest.Skip(f"python3-selenium missing ({e}): scripts/install-deps.sh")
    from selenium.webdriver.chrome.service import Service
    return webdriver, Service


class Browser:
    """Headless Chromium driven by chromedriver. Raises fvtest.Skip only when Chromium
    cannot start at all."""

    def __init__(self, base_url):
        webdriver, Service = _selenium()
        chromium = shutil.which("chromium")
        driver = shutil.which("chromedriver")
        if not chromium or not driver:
            raise fvtest.Skip("chromium / chromedriver not installed: scripts/install-deps.sh")
        self.profile = tempfile.mkdtemp(prefix="fv-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                  "--window-size=1400,1000", "--no-first-run", "--disable-extensions",
                  f"--user-data-dir={self.profile}", "--force-prefers-reduced-motion"):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        try:
            self.d = webdriver.Chrome(service=Service(driver, log_output=os.devnull),
                                      options=opts)
        except TypeError:  # selenium < 4.11 names it log_path
            try:
                self.d = webdriver.Chrome(service=Service(driver, log_path=os.devnull),
                                          options=opts)
            except Exception as e:  # noqa: BLE001 - any start failure is a skip reason
                shutil.rmtree(self.profile, ignore_errors=True)
                raise fvtest.Skip(f"headless chromium does not start: {e}")
        except Exception as e:  # noqa: BLE001
            shutil.rmtree(self.profile, ignore_errors=True)
            raise fvtest.Skip(f"headless chromium does not start: {e}")
        self.d.set_page_load_timeout(120)
        self.d.set_script_timeout(60)
        self.base = base_url

    def close(self):
        try:
            self.d.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        logs = self.console_log()
        if exc[0] is not None:
            self.shot("failure")
            if logs:
                print("--- browser console ---\n" + "\n".join(logs[-30:]))
        self.close()
        # A script error in the page fails the test even when the DOM looked right.
        errors = [ln for ln in logs if "Uncaught" in ln or "SyntaxError" in ln]
        if exc[0] is None and errors:
            raise fvtest.TestFailure("JavaScript errors in the dashboard:\n" + "\n".join(errors))

    def console_log(self):
        try:
            return [f"{e['level']} {e['message']}" for e in self.d.get_log("browser")]
        except Exception:  # noqa: BLE001 - logs are a diagnostic only
            return []

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def open(self, path="/"):
        self.d.get(self.base + path)

    def wait(self, what, cond, timeout=WAIT):
        """Polls cond() (a function returning a truthy value) until it holds; fails with
        `what` and a screenshot otherwise."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                v = cond()
                if v:
                    return v
            except Exception as e:  # noqa: BLE001 - stale elements while the page updates
                last = e
            time.sleep(0.25)
        self.shot("timeout")
        raise fvtest.TestFailure(f"browser: {what} not within {timeout} s"
                                 + (f" (last error {last})" if last else ""))

    def shot(self, name):
        fvtest.LOG_DIR.mkdir(parents=True, exist_ok=True)
        path = fvtest.LOG_DIR / f"dashboard-{fvtest.log_safe(name)}.png"
        try:
            self.d.save_screenshot(str(path))
        except Exception:  # noqa: BLE001 - a screenshot is a diagnostic only
            return None
        return path

    def text(self, css):
        return self.js("const e = document.querySelector(arguments[0]);"
                       "return e ? e.textContent : null;", css)

    def rows(self):
        """{vm: state} of the VM table."""
        return self.js("return Object.fromEntries([...document.querySelectorAll("
                       "'#vm-rows tr[data-vm]')].map(t => [t.dataset.vm, "
                       "t.querySelector('.state').dataset.state]));")

    def buttons(self, vm=None):
        """The action buttons in the page: [(vm, action, enabled)]."""
        return [tuple(x) for x in self.js(
            "return [...document.querySelectorAll('button[data-action]')]"
            ".filter(b => !arguments[0] || b.dataset.vm === arguments[0])"
            ".map(b => [b.dataset.vm, b.dataset.action, !b.disabled]);", vm)]

    def click(self, css):
        """Clicks the element (a real pointer click) once it exists and is enabled."""
        from selenium.webdriver.common.by import By

        def go():
            el = self.d.find_element(By.CSS_SELECTOR, css)
            if not el.is_enabled() or not el.is_displayed():
                return False
            el.click()
            return True
        self.wait(f"clickable {css}", go)

    def type_into(self, css, text):
        from selenium.webdriver.common.by import By
        el = self.wait(f"input {css}", lambda: self.d.find_element(By.CSS_SELECTOR, css))
        el.clear()
        el.send_keys(text)

    def sign_in(self, role):
        """Loads the dashboard and signs in with the role's token; waits for the VM table."""
        self.open("/")
        self.wait("sign-in form or VM table",
                  lambda: self.js("return !!(document.querySelector('#token') || "
                                  "document.querySelector('#vm-rows tr[data-vm]'))"))
        if self.js("return !!document.querySelector('#token')"):
            self.type_into("#token", token_for(role))
            self.click("#login-form button[type=submit]")
        self.wait(f"role badge '{role}'",
                  lambda: self.js("const r = document.querySelector('#role');"
                                  "return r && r.dataset.role;") == role)
        self.wait("VM rows", lambda: self.rows())


def api_call(port, method, path, role="admin", body=None, ctype=None, timeout=60):
    """One REST call to 127.0.0.1:port with the role's token (the one place that adds the
    Authorization header); returns (status, parsed body or text)."""
    hdr = {"Authorization": f"Bearer {token_for(role)}"}
    if ctype:
        hdr["Content-Type"] = ctype
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, body=body, headers=hdr)
    r = c.getresponse()
    raw = r.read()
    c.close()
    ct = r.getheader("Content-Type") or ""
    return r.status, (json.loads(raw) if "json" in ct and raw else raw.decode("latin-1")), r
