# SPDX-License-Identifier: MIT
"""Helpers of the dashboard tests: headless Chromium (Debian's chromium + chromedriver via
python3-selenium), a sign-in, DOM waits, screenshots, real API tokens, a console reader, and
a proxy that plays an older daemon.

Tokens: `use_tokens(port, admin_token)` takes the daemon's first admin token and creates a
viewer and an operator token through POST /tokens (ids d-viewer, d-operator); token_for()
then returns the token of a role: the browser signs in with it and api_call() sends it.

OldDaemonProxy: the dashboard must still work read-only against a daemon that predates
access control, statistics and live streams (whoami, stats, events and console answer 404
`not-found`). No current daemon can be started that way, so this proxy hides those four
endpoints and passes everything else to the real daemon with the admin token added (such a
daemon asked for none). It is the only stand-in left; the other tests talk to the daemon
directly.
"""

import base64
import http.client
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import fvapi
import fvtest

TOKENS = {}  # role -> token text for the daemon under test (use_tokens)
WAIT = 45  # seconds for any DOM condition (the machine is shared and loaded)


def use_tokens(port, admin_token):
    """The daemon's first admin token and a viewer and an operator token created with it
    (ids d-viewer, d-operator) become the tokens of token_for()."""
    if not admin_token:
        raise fvtest.TestFailure("no first admin token from the daemon")
    TOKENS.clear()
    TOKENS["admin"] = admin_token
    for role in ("viewer", "operator"):
        TOKENS[role] = fvapi.make_token(port, admin_token, f"d-{role}", role)


def token_for(role):
    """The API token of a role (the one place tokens come from)."""
    if role not in TOKENS:
        raise fvtest.TestFailure(f"no {role} token: call use_tokens() first")
    return TOKENS[role]


def problem(status, slug, title, detail, instance):
    return {"type": f"urn:ferrovisor:problem:{slug}", "title": title, "status": status,
            "detail": detail, "instance": instance}


def console_text(port, vm, needle, timeout=30, role="operator"):
    """The daemon's console history of vm (GET /vms/{vm}/console, SSE) read until needle
    appears in it or timeout; returns the text (checked independently of the page)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request("GET", f"/api/v1/vms/{vm}/console",
              headers={"Authorization": f"Bearer {token_for(role)}"})
    r = c.getresponse()
    if r.status != 200:
        raise fvtest.TestFailure(f"console of {vm}: {r.status} {r.read()[:300]!r}")
    raw, text = "", b""
    deadline = time.monotonic() + timeout
    try:
        while needle not in text.decode(errors="replace") and time.monotonic() < deadline:
            chunk = r.read1(65536)
            if not chunk:
                break
            raw += chunk.decode()
            while "\n\n" in raw:
                ev, raw = raw.split("\n\n", 1)
                for line in ev.splitlines():
                    if line.startswith("data: "):
                        text += base64.b64decode(json.loads(line[6:])["b64"])
    except socket.timeout:
        pass
    finally:
        c.close()
    return text.decode(errors="replace")


class OldDaemonProxy:
    """HTTP on 127.0.0.1:<free port> in front of the daemon at upstream_port, playing a
    daemon without whoami, stats, events and console (see the module's docstring)."""

    HIDDEN = ("/api/v1/whoami", "/api/v1/stats", "/api/v1/events")

    def __init__(self, upstream_port, upstream_host="127.0.0.1"):
        self.up = (upstream_host, upstream_port)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body, ctype, extra=()):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in extra:
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _any(self):
                path = self.path.split("?")[0]
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                if path in proxy.HIDDEN or (path.startswith("/api/v1/vms/") and
                                            path.endswith("/console")):
                    p = problem(404, "not-found", "Not found", f"no resource at {path}", path)
                    self._send(404, json.dumps(p).encode(), "application/problem+json")
                    return
                hdrs = {k: v for k, v in self.headers.items()
                        if k.lower() not in ("host", "connection", "accept-encoding",
                                             "authorization")}
                hdrs["Authorization"] = f"Bearer {token_for('admin')}"
                try:
                    c = http.client.HTTPConnection(*proxy.up, timeout=60)
                    c.request(self.command, self.path, body=body, headers=hdrs)
                    r = c.getresponse()
                    data = r.read()
                    c.close()
                except OSError as e:
                    self._send(502, str(e).encode(), "text/plain")
                    return
                extra = [(k, v) for k, v in r.getheaders()
                         if k.lower() in ("etag", "allow", "location", "content-security-policy",
                                          "x-content-type-options", "cache-control")]
                self._send(r.status, data, r.getheader("Content-Type") or "text/plain", extra)

            do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = _any

        return Handler


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


def api_call(port, method, path, role="admin", body=None, ctype=None, timeout=60, token=None):
    """One REST call to 127.0.0.1:port with the role's token (the one place that adds the
    Authorization header; role None sends none; token: this text instead, e.g. a bad one);
    returns (status, parsed body or text)."""
    if token is not None:
        hdr = {"Authorization": f"Bearer {token}"}
    else:
        hdr = {"Authorization": f"Bearer {token_for(role)}"} if role else {}
    if ctype:
        hdr["Content-Type"] = ctype
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, body=body, headers=hdr)
    r = c.getresponse()
    raw = r.read()
    c.close()
    ct = r.getheader("Content-Type") or ""
    return r.status, (json.loads(raw) if "json" in ct and raw else raw.decode("latin-1")), r
