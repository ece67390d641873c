# SPDX-License-Identifier: MIT
"""The web dashboard in headless Chromium against ferrovisord's sim backend (host, no QEMU).

ferrovisord (build/tools/ferrovisord) serves the dashboard from tools/ferrovisord/www
(`--www`) on a free 127.0.0.1 port and the browser talks to it directly, with real tokens:
the daemon's first admin token and a viewer and an operator token created through
POST /tokens (dashboard_ui.use_tokens). The tests sign in with each role, check the DOM (VM
rows and states, host summary, charts from /stats), click actions and check the state change
both in the table and in the API, open a VM page and see the sim guest's console and typed
input answered (checked again in the daemon's console history), check what a viewer does not
see, follow the event stream (a crash typed into the sim; audit records only for admins),
read the audit log page (admins; live, paged, compared with GET /audit; absent below admin)
and a token revoked through DELETE /tokens/{id} mid-session. Only the no-auth case goes
through dashboard_ui.OldDaemonProxy (a daemon without whoami/stats/events/console).
Screenshots: build/test-logs/dashboard-*.png. The static file server itself (types,
caching, no traversal) is checked over raw HTTP.
"""

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

import fvapi
import fvtest
from dashboard_ui import Browser, OldDaemonProxy, api_call, console_text, use_tokens

ROOT = fvtest.REPO_ROOT
WWW = ROOT / "tools" / "ferrovisord" / "www"
TIMEOUT = 300


class Daemon(fvapi.SimDaemon):
    """The sim daemon serving the dashboard; its tokens become dashboard_ui's (use_tokens).
    url: where the browser goes."""

    def __init__(self, www=WWW):
        super().__init__(extra=["--www", str(www)], openapi=False)
        use_tokens(self.port, self.token)
        self.url = f"http://127.0.0.1:{self.port}"

    def state(self, vm):
        st, body, _ = api_call(self.port, "GET", f"/api/v1/vms/{vm}", "viewer")
        return body["state"] if st == 200 else st


def _raw(port, req):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(req)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except socket.timeout:
            pass
    return out


def test_dashboard_static_files_served_safely():
    """Content types, ETag/304, cache and security headers; traversal, hidden files and
    other methods refused; the API is unaffected. The dashboard directory is a copy with a
    secret beside it and a symlink to it inside: neither may be reached."""
    tmp = Path(tempfile.mkdtemp(prefix="fv-www-"))
    shutil.copytree(WWW, tmp / "www")
    (tmp / "secret.js").write_text("SECRET-OUTSIDE-WWW")
    (tmp / "www" / "link.js").symlink_to(tmp / "secret.js")
    (tmp / "www" / "up").symlink_to(tmp)
    os.mkfifo(tmp / "www" / "fifo.js")
    try:
        _static_checks(tmp / "www")
    finally:
        shutil.rmtree(tmp)


def _static_checks(www):
    with Daemon(www=www) as d:
        st, body, r = api_call(d.port, "GET", "/")
        assert st == 200 and "<title>Ferrovisor</title>" in body, (st, body[:200])
        assert r.getheader("Content-Type") == "text/html; charset=utf-8"
        assert r.getheader("Cache-Control") == "no-cache"
        assert "script-src 'self'" in r.getheader("Content-Security-Policy")
        assert r.getheader("X-Content-Type-Options") == "nosniff"
        etag = r.getheader("ETag")
        assert etag and etag.startswith('"'), etag
        for path, ctype in (("/ui/js/app.js", "text/javascript; charset=utf-8"),
                            ("/ui/style.css", "text/css; charset=utf-8"),
                            ("/ui/favicon.svg", "image/svg+xml"),
                            ("/ui/", "text/html; charset=utf-8"),
                            ("/index.html", "text/html; charset=utf-8")):
            st, body, r = api_call(d.port, "GET", path)
            assert st == 200 and r.getheader("Content-Type") == ctype, (path, st, ctype)
            assert len(body) == (www / (path[4:] if path.startswith("/ui/") and path[4:]
                                        else "index.html")).stat().st_size, path
        # Revalidation: the same ETag gives 304 without a body.
        out = _raw(d.port, f"GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\n"
                           f"Connection: close\r\n\r\n".encode())
        assert out.startswith(b"HTTP/1.1 304"), out[:100]
        # Traversal in every spelling, hidden files, other file types: 404 problem.
        for path in ("/ui/../secret.js", "/ui/%2e%2e/secret.js", "/ui/..%2fsecret.js",
                     "/ui/js/../../secret.js", "/ui/./../secret.js", "/ui/link.js",
                     "/ui/up/secret.js", "/ui/fifo.js",
                     "/ui/../fvd_www.c", "/ui/%2e%2e/fvd_www.c", "/ui/..%2ffvd_www.c",
                     "/ui/js/../../fvd_http.c", "/ui//etc/passwd", "/ui/.git/HEAD",
                     "/ui/js/../../../../../../etc/passwd", "/ui/nothere.js",
                     "/ui/js", "/ui/fvd_www.h", "/ui/..\\fvd_www.c"):
            out = _raw(d.port, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                       .encode())
            assert out.startswith(b"HTTP/1.1 404"), (path, out[:200])
            assert b"application/problem+json" in out and b"#include" not in out, path
            assert b"root:" not in out and b"SECRET" not in out, path
        # A NUL ends the decoded path: "/ui/%00.js" is "/ui/", the entry page, no more.
        out = _raw(d.port, b"GET /ui/%00.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 404") or b"<title>Ferrovisor</title>" in out, out[:200]
        out = _raw(d.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                           b"Connection: close\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 405") and b"Allow: GET, HEAD" in out, out[:200]
        out = _raw(d.port, b"HEAD /ui/js/app.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 200") and b"\r\n\r\n" in out, out[:200]
        assert out.split(b"\r\n\r\n", 1)[1] == b"", "HEAD with a body"
        # Nothing outside / and /ui/ is served as a file; the API still answers.
        st, body, _ = api_call(d.port, "GET", "/style.css")
        assert st == 404 and body["type"].endswith(":not-found"), body
        st, body, _ = api_call(d.port, "GET", "/api/v1/host")
        assert st == 200 and body["version"] == "ferrovisor-sim", body
    # A daemon whose --www has no such files answers 404, not a crash.
    with Daemon(www="/nonexistent") as d:
        st, body, _ = api_call(d.port, "GET", "/")
        assert st == 404 and body["detail"] == "no such dashboard file", (st, body)
        assert api_call(d.port, "GET", "/api/v1/host")[0] == 200


def test_dashboard_operator_pauses_and_resumes_a_vm():
    with Daemon() as d, Browser(d.url) as b:
        b.sign_in("operator")
        rows = b.wait("sim VMs listed", lambda: b.rows() if len(b.rows()) == 3 else None)
        assert rows == {"service": "running", "alpha": "running", "beta": "stopped"}, rows
        summary = b.text("#host-summary")
        assert "ferrovisor-sim" in summary and "1 of 8" not in summary, summary
        assert "3 of 8" in b.text("#host-summary [data-field=vms]"), summary
        # The operator sees lifecycle buttons enabled by state, no destroy, none for the
        # service VM.
        btns = b.buttons()
        assert ("alpha", "pause", True) in btns and ("alpha", "start", False) in btns, btns
        assert ("beta", "start", True) in btns and ("beta", "pause", False) in btns, btns
        assert not [x for x in btns if x[1] == "destroy" or x[0] == "service"], btns
        # Live charts from GET /stats: the sim's CPU counter grows while alpha runs.
        b.wait("alpha CPU sparkline", lambda: b.js(
            "return !!document.querySelector('tr[data-vm=alpha] td.cpu svg polyline')"))
        # The sim runs each vCPU a quarter of the time (fvd_sim.c sim_advance): 25 % of
        # alpha's vCPUs; beta none.
        cpu = b.text("tr[data-vm=alpha] td.cpu .num")
        assert 12 <= int(cpu.rstrip("%")) <= 40, cpu  # wide: both sides time a loaded host
        assert b.text("tr[data-vm=beta] td.cpu .num") == "0%"
        b.wait("host counters", lambda: "cpu busy" in (b.text("#host-counters") or ""))

        b.click("button[data-vm=alpha][data-action=pause]")
        b.wait("alpha paused in the table", lambda: b.rows().get("alpha") == "paused")
        assert d.state("alpha") == "paused"
        b.wait("pause event in the event list", lambda: b.js(
            "return [...document.querySelectorAll('#event-list li[data-vm=alpha]')]"
            ".some(li => li.textContent.includes('running → paused'))"))
        b.wait("resume enabled", lambda: ("alpha", "resume", True) in b.buttons("alpha"))
        b.shot("operator-paused")
        b.click("button[data-vm=alpha][data-action=resume]")
        b.wait("alpha running again", lambda: b.rows().get("alpha") == "running")
        assert d.state("alpha") == "running"
        # An action the state does not allow is refused by the daemon and shown: start a
        # running VM through a button enabled by hand (as a stale page would).
        b.js("const x = document.querySelector('button[data-vm=alpha][data-action=start]');"
             "x.disabled = false;")
        b.click("button[data-vm=alpha][data-action=start]")
        err = b.wait("problem+json shown", lambda: b.text(".toast.error"))
        assert "409" in err and "alpha" in err, err
        b.shot("operator-overview")


def test_dashboard_vm_page_console_and_actions():
    with Daemon() as d, Browser(d.url) as b:
        b.sign_in("operator")
        b.click("a.vmlink[href='#/vm/alpha']")
        b.wait("VM page details", lambda: "alpha" in (b.text("#vm-details") or ""))
        det = b.text("#vm-details")
        assert "512 MiB" in det and "running" in det, det
        b.wait("console history", lambda: "sim alpha: boot" in (b.text("#console-output") or ""))
        b.wait("console live", lambda: "live" in (b.text("#console-status") or ""))
        b.wait("live output", lambda: "heartbeat" in b.text("#console-output"))
        # The sim guest answers "echo TEXT" typed on its console with TEXT on a line.
        b.type_into("#console-input", "echo typed-$((6*7))")
        b.click("#console-form button[type=submit]")
        b.wait("typed line answered", lambda: "\ntyped-$((6*7))\n" in b.text("#console-output"))
        assert "echo typed-$((6*7))\ntyped-$((6*7))\n" in console_text(
            d.port, "alpha", "\ntyped-$((6*7))\n"), "input did not reach the daemon's VM"
        assert b.js("return document.querySelector('#console-input').value") == ""
        # Console text is text: markup in the output is not interpreted, escapes dropped.
        st, body, _ = api_call(d.port, "POST", "/api/v1/vms/alpha/console", "operator",
                               body=b"echo <img src=x id=injected>\x1b[31mred\x1b[0m\n",
                               ctype="application/octet-stream")
        assert st == 200, (st, body)
        b.wait("escaped output", lambda: "\n<img src=x id=injected>red\n" in
               b.text("#console-output"))
        assert b.js("return document.getElementById('injected')") is None
        # Actions on the VM page.
        b.click("#main button[data-vm=alpha][data-action=stop]")
        b.wait("stopped on the VM page", lambda: b.js(
            "return document.querySelector('.vmhead .state').dataset.state") == "stopped")
        assert d.state("alpha") == "stopped"
        b.click("#main button[data-vm=alpha][data-action=start]")
        b.wait("running on the VM page", lambda: b.js(
            "return document.querySelector('.vmhead .state').dataset.state") == "running")
        assert d.state("alpha") == "running"
        b.shot("vm-page")
        # An unknown VM shows the daemon's problem.
        b.open("/#/vm/ghost")
        err = b.wait("404 shown", lambda: b.text("#vm-error"))
        assert "404" in err and "ghost" in err, err


def test_dashboard_viewer_sees_no_actions():
    with Daemon() as d, Browser(d.url) as b:
        b.sign_in("viewer")
        b.wait("rows", lambda: len(b.rows()) == 3)
        assert b.buttons() == [], b.buttons()
        assert b.js("return document.querySelector('#create-form')") is None
        b.shot("viewer-overview")
        b.click("a.vmlink[href='#/vm/alpha']")
        b.wait("VM page details", lambda: "alpha" in (b.text("#vm-details") or ""))
        # Console output and input are operator: the viewer's page says so, opens no stream.
        b.wait("console withheld", lambda: "operator" in (b.text("#console-status") or ""))
        assert b.js("return document.querySelector('#console-output')") is None
        assert b.js("return document.querySelector('#console-input')") is None
        assert b.buttons() == [], b.buttons()
        b.shot("viewer-vm")
        # The daemon refuses what the page hides.
        st, body, _ = api_call(d.port, "POST", "/api/v1/vms/alpha/pause", "viewer")
        assert st == 403, (st, body)
        st, body, _ = api_call(d.port, "GET", "/api/v1/vms/alpha/console", "viewer")
        assert st == 403 and "needs role operator" in body["detail"], (st, body)
        assert d.state("alpha") == "running"
        # Sign out: back at the sign-in form, the token gone from this tab.
        b.click("#logout")
        b.wait("sign-in form", lambda: b.js("return !!document.querySelector('#token')"))
        assert b.js("return sessionStorage.getItem('ferrovisor.token')") is None


def test_dashboard_admin_destroys_and_creates():
    with Daemon() as d, Browser(d.url) as b:
        b.sign_in("admin")
        b.wait("rows", lambda: len(b.rows()) == 3)
        assert ("beta", "destroy", True) in b.buttons("beta"), b.buttons("beta")
        # Cancel in the confirmation keeps the VM.
        b.click("button[data-vm=beta][data-action=destroy]")
        b.wait("confirmation dialog", lambda: b.js(
            "const x = document.querySelector('#confirm-destroy'); return x && x.open"))
        assert "beta" in b.text("#confirm-destroy h3")
        b.shot("admin-confirm-destroy")
        b.click("#confirm-destroy button[data-confirm=cancel]")
        b.wait("dialog closed", lambda: b.js("return !document.querySelector('#confirm-destroy')"))
        time.sleep(1)
        assert d.state("beta") == "stopped"
        # Confirmed: gone from the table and the API.
        b.click("button[data-vm=beta][data-action=destroy]")
        b.click("#confirm-destroy button[data-confirm=destroy]")
        b.wait("beta gone from the table", lambda: "beta" not in b.rows())
        assert d.state("beta") == 404
        # Create from a package file (the sim accepts any bytes).
        with tempfile.NamedTemporaryFile(suffix=".dtb") as pkg:
            pkg.write(b"\xd0\x0d\xfe\xed" + bytes(4092))
            pkg.flush()
            b.click("details.panel summary")
            b.type_into("#create-form input[name=name]", "gamma")
            b.type_into("#create-form input[name=memory_mb]", "32")
            b.d.find_element("css selector", "#create-form input[name=pkg]").send_keys(pkg.name)
            b.click("#create-form button[type=submit]")
            b.wait("gamma listed", lambda: b.rows().get("gamma") == "stopped")
        st, body, _ = api_call(d.port, "GET", "/api/v1/vms/gamma", "viewer")
        assert st == 200 and body["memory_mb"] == 32, body
        # A refused create shows the problem: the name exists.
        b.type_into("#create-form input[name=name]", "gamma")
        with tempfile.NamedTemporaryFile(suffix=".dtb") as pkg:
            pkg.write(b"x")
            pkg.flush()
            b.d.find_element("css selector", "#create-form input[name=pkg]").send_keys(pkg.name)
            b.click("#create-form button[type=submit]")
            err = b.wait("409 shown", lambda: b.text("#create-status .error"))
        assert "409" in err and "gamma" in err, err
        b.shot("admin-overview")


def test_dashboard_sign_in_errors_and_no_auth_daemon():
    with Daemon() as d, Browser(d.url) as b:
        b.open("/")
        b.wait("sign-in form", lambda: b.js("return !!document.querySelector('#token')"))
        b.type_into("#token", "not-a-token")
        b.click("#login-form button[type=submit]")
        err = b.wait("401 shown", lambda: b.text("#login-error"))
        assert "401" in err and "malformed token" in err, err
        b.shot("sign-in-refused")
        # A token revoked mid-session (DELETE /tokens/{id}): the next call's 401 brings the
        # sign-in form back.
        b.sign_in("operator")
        st, body, _ = api_call(d.port, "DELETE", "/api/v1/tokens/d-operator", "admin")
        assert st == 204, (st, body)
        err = b.wait("sign-in after revocation", lambda: b.text("#login-error"))
        assert "401" in err and "revoked" in err, err
    # A daemon without /whoami (access control not deployed): read views only.
    with Daemon() as d:
        proxy = OldDaemonProxy(d.port)
        try:
            with Browser(f"http://127.0.0.1:{proxy.port}") as b:
                b.open("/")
                b.wait("rows", lambda: len(b.rows()) == 3)
                assert "no access control" in b.text("#banner")
                assert b.buttons() == [], b.buttons()
                b.wait("charts not available",
                       lambda: "not available" in (b.text("tr[data-vm=alpha] td.cpu") or ""))
                b.wait("events not available",
                       lambda: "not available" in b.text("#events-status"))
                b.click("a.vmlink[href='#/vm/alpha']")
                b.wait("console not available",
                       lambda: "not available" in (b.text("#console-status") or ""))
                assert b.js("return document.querySelector('#console-input')") is None
                b.shot("no-auth")
        finally:
            proxy.close()


def test_dashboard_event_stream_by_role():
    """A crash is shown live, marked and popped up; the audit record of the request that
    caused it (the daemon's event of type audit) only to admins; newest first."""
    for role in ("admin", "viewer"):
        with Daemon() as d, Browser(d.url) as b:
            b.sign_in(role)
            b.wait("event stream live", lambda: "live" in b.text("#events-status"))
            time.sleep(1.5)  # past the replay window: the crash also pops up
            # The sim guest crashes when "crash" is typed on its console (an operator's).
            st, body, _ = api_call(d.port, "POST", "/api/v1/vms/alpha/console", "operator",
                                   body=b"crash\n", ctype="application/octet-stream")
            assert st == 200, (st, body)
            b.wait("crash shown", lambda: b.js(
                "return !!document.querySelector('#event-list li.ev-vm-crash')"))
            crash = b.text("#event-list li.ev-vm-crash")
            assert "alpha crashed: sim: illegal instruction (scause 2) at 0x80200000" in crash, \
                crash
            b.wait("crash alert", lambda: any(
                "alpha crashed" in t for t in b.js(
                    "return [...document.querySelectorAll('.toast.error')]"
                    ".map(t => t.textContent)")))
            b.wait("state change shown", lambda: b.js(
                "return [...document.querySelectorAll('#event-list li.ev-vm-state')]"
                ".some(li => li.textContent.includes('running → crashed (guest)'))"))
            if role == "admin":
                want = "d-operator (operator): POST /api/v1/vms/alpha/console alpha → 200"
                b.wait("audit record shown", lambda: any(
                    want in t for t in b.js(
                        "return [...document.querySelectorAll('#event-list li.ev-audit')]"
                        ".map(t => t.textContent)")))
                first = "audit"  # the record is written when the answer is sent
                b.shot("admin-events")
            else:
                time.sleep(2)  # time for an audit record that must not come
                audit = b.js("return document.querySelectorAll('#event-list li.ev-audit')"
                             ".length")
                assert audit == 0, audit
                first = "vm-crash"
            # Newest first.
            got = b.js("return document.querySelector('#event-list li').dataset.type")
            assert got == first, (role, got)


def _audit_all(port):
    """Every audit record through GET /api/v1/audit (page by page) and the head."""
    recs, after = [], 0
    while True:
        st, body, _ = api_call(port, "GET", f"/api/v1/audit?after={after}&limit=500")
        assert st == 200, (st, body)
        recs += body["records"]
        if body["next"] is None:
            return recs, body["head"]
        after = body["next"]


def _audit_rows(b):
    """The audit table's rows: [{seq, time, token, role, source, op, target, status, cls}]."""
    return b.js(
        "return [...document.querySelectorAll('#audit-rows tr[data-seq]')].map(tr => {"
        "  const c = [...tr.children].map(td => td.textContent);"
        "  return {seq: +c[0], token: c[2], role: c[3], source: c[4], op: c[5], target: c[6],"
        "          status: +tr.dataset.status, cls: tr.className}; });")


def test_dashboard_admin_audit_log():
    """An admin's audit view: UI and API actions and failed logins appear as rows (live, on
    the audit event), field by field as GET /audit has them, failures marked, the chain
    head shown; "Load older" pages back to record 1; "failures only" filters."""
    with Daemon() as d, Browser(d.url) as b:
        b.sign_in("admin")
        b.wait("event stream live", lambda: "live" in b.text("#events-status"))
        # Mutating actions by clicks: pause and resume alpha.
        b.click("button[data-vm=alpha][data-action=pause]")
        b.wait("alpha paused", lambda: b.rows().get("alpha") == "paused")
        b.click("button[data-vm=alpha][data-action=resume]")
        b.wait("alpha running", lambda: b.rows().get("alpha") == "running")
        b.click("#audit-link")
        b.wait("audit rows", lambda: len(_audit_rows(b)) >= 4)
        ops = [(r["op"], r["target"], r["status"], r["token"]) for r in _audit_rows(b)]
        assert ops[0][:3] == ("POST /api/v1/vms/alpha/resume", "alpha", 200), ops
        assert ops[1][:3] == ("POST /api/v1/vms/alpha/pause", "alpha", 200), ops
        # While the page is open: a token created, a bad token and no token (401s), a
        # refused pause (409). Each arrives through the audit event, no reload.
        st, body, _ = api_call(d.port, "POST", "/api/v1/tokens", "admin",
                               body=b'{"id":"audit-op","role":"operator"}',
                               ctype="application/json")
        assert st == 201, (st, body)
        st, body, _ = api_call(d.port, "GET", "/api/v1/vms", token="fvt_nobody.00")
        assert st == 401, (st, body)
        st, body, _ = api_call(d.port, "POST", "/api/v1/vms/beta/pause", "operator")
        assert st == 409, (st, body)
        want = {("POST /api/v1/tokens", "audit-op", 201), ("GET /api/v1/vms", "", 401),
                ("POST /api/v1/vms/beta/pause", "beta", 409)}
        b.wait("live audit rows", lambda: want <= {(r["op"], r["target"], r["status"])
                                                   for r in _audit_rows(b)})
        recs, head = _audit_all(d.port)
        b.wait("all records shown", lambda: len(_audit_rows(b)) == len(recs))
        rows = _audit_rows(b)
        # Newest first, and field by field what GET /audit says.
        assert [r["seq"] for r in rows] == [r["seq"] for r in reversed(recs)], rows
        for row, rec in zip(rows, reversed(recs)):
            assert row["op"] == rec["op"] and row["status"] == rec["status"], (row, rec)
            assert row["target"] == rec["target"] and row["source"] == rec["source"], (row, rec)
            assert row["token"] == (rec["token"] or "no valid token"), (row, rec)
            assert row["role"] == (rec["role"] or "–"), (row, rec)
            failed = rec["status"] == 0 or rec["status"] >= 400
            assert ("fail" in row["cls"].split()) == failed, (row, rec)
            assert ("unauth" in row["cls"].split()) == (rec["status"] == 401), (row, rec)
            assert "broken" not in row["cls"], row
        bad = [r for r in rows if r["status"] == 401]
        assert bad and bad[0]["token"] == "no valid token" and bad[0]["op"] == "GET /api/v1/vms"
        tok = [r for r in rows if r["op"] == "POST /api/v1/tokens" and r["target"] == "audit-op"]
        assert tok and tok[0]["status"] == 201 and tok[0]["role"] == "admin", tok
        b.wait("chain head", lambda: b.text("#audit-head") == head)
        assert head == recs[-1]["hash"]
        assert "hash of record" in b.text("#audit-head-note")
        assert b.js("return document.querySelector('#audit-older').hidden") is True
        b.shot("audit")
        # More than a page (100): the newest 100 first, "Load older" brings the rest.
        for i in range(110):
            st, _, _ = api_call(d.port, "DELETE", f"/api/v1/tokens/nosuch{i}", "admin")
            assert st == 404, st
        recs, head = _audit_all(d.port)
        b.d.refresh()
        b.wait("newest page", lambda: len(_audit_rows(b)) == 100)
        rows = _audit_rows(b)
        assert rows[0]["seq"] == recs[-1]["seq"] and rows[-1]["seq"] == recs[-100]["seq"], \
            (rows[0], rows[-1], len(recs))
        assert b.text("#audit-head") == head
        b.click("#audit-older")
        b.wait("whole log", lambda: len(_audit_rows(b)) == len(recs))
        assert _audit_rows(b)[-1]["seq"] == 1
        assert b.js("return document.querySelector('#audit-older').hidden") is True
        # Failures only.
        b.click("#audit-only-failures")
        b.wait("failures only", lambda: all(r["status"] >= 400 for r in _audit_rows(b)))
        nfail = len([r for r in recs if r["status"] == 0 or r["status"] >= 400])
        assert len(_audit_rows(b)) == nfail, (len(_audit_rows(b)), nfail)


def test_dashboard_audit_hidden_below_admin():
    """Viewer and operator: no audit link; the address typed by hand shows the daemon's 403
    as a clear message, and no table."""
    with Daemon() as d:
        for role in ("viewer", "operator"):
            with Browser(d.url) as b:
                b.sign_in(role)
                assert b.js("return document.querySelector('#audit-link')") is None, role
                assert "Audit" not in b.text("#who"), role
                b.open("/#/audit")
                err = b.wait("403 message", lambda: b.text("#audit-error"))
                assert "admins only" in err and "403" in err, (role, err)
                assert _audit_rows(b) == [], role
                assert b.js("return document.querySelector('#audit-table').offsetParent") is None
                b.shot(f"audit-{role}-refused")
        st, body, _ = api_call(d.port, "GET", "/api/v1/audit", "operator")
        assert st == 403, (st, body)
