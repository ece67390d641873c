# SPDX-License-Identifier: MIT
"""The remote CLI (`ferrovisor --api URL vm ...|console NAME`) against ferrovisord on the host.

The host-built daemon runs its simulated backend on a free 127.0.0.1 port (as in
test_ferrovisord.py; no QEMU, a few seconds). Every client command is run as a subprocess and
its effect is checked independently over REST (the daemon's own answer, not the CLI's output):
list and info show the daemon's VMs; create uploads examples/remote-vm.yaml as the package
POST /vms expects (the daemon checks its CRC-32C; the size equals `ferrovisor build`'s bundle)
with progress; start/stop/pause/resume/reset change the state; destroy removes the VM. Errors:
unknown VM (404 detail, exit 3), wrong state (409), the service VM (403), a name taken, bad
YAML named by file:line:col and field (exit 1, nothing uploaded), a file with two VMs, an
unreachable URL named in the message, no URL at all (exit 2).
Console and events: `console NAME` prints the VM's history and live output and types stdin into
it (the sim echoes, `echo MARK-$((6*7))`-style commands answer), detaches at end of input; on a
terminal (a pty) it runs in raw mode, Ctrl-] detaches and the terminal settings are restored,
also when a signal ends it; `events` prints the retained events (text or --json), `--follow`
prints new ones as they happen; errors (unknown VM 404, the service VM 403, a stopped VM 409,
bad arguments) as for `vm`.
"""

import json
import os
import re
import select
import signal
import subprocess
import tempfile
import termios
import time
from pathlib import Path

import fvapi
import fvtest
from test_ferrovisord import Daemon, load_doc

ROOT = fvtest.REPO_ROOT
TOOL = ROOT / "build" / "tools" / "ferrovisor"
EXAMPLE = ROOT / "examples" / "remote-vm.yaml"
TIMEOUT = 60


# The bearer token cli() hands the CLI ($FERROVISOR_TOKEN): the running daemon's first admin
# token, set by daemon(); a test may switch it to another role's token.
_token = [None]


def daemon(extra=()):
    d = Daemon(load_doc(), extra=extra)
    _token[0] = d.token
    return d


def cli_env(env_api=None):
    """The CLI's environment: no inherited API URL or token; $FERROVISOR_TOKEN is _token."""
    env = {k: v for k, v in os.environ.items() if k not in ("FERROVISOR_API", "FERROVISOR_TOKEN")}
    if env_api is not None:
        env["FERROVISOR_API"] = env_api
    if _token[0]:
        env["FERROVISOR_TOKEN"] = _token[0]
    return env


def cli(url, *args, env_api=None, input=""):
    """Run the CLI; returns (exit code, stdout, stderr). url None: no --api option. stdin is
    `input` (a pipe, not a terminal)."""
    env = cli_env(env_api)
    cmd = [str(TOOL)] + (["--api", url] if url is not None else []) + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=env, input=input)
    return p.returncode, p.stdout, p.stderr


def expect(res, code, *needles, where="stderr"):
    rc, out, err = res
    text = out if where == "stdout" else err
    if rc != code:
        raise fvtest.TestFailure(f"exit {rc} (expected {code})\nstdout: {out}\nstderr: {err}")
    for n in needles:
        if n not in text:
            raise fvtest.TestFailure(f"{n!r} not in {where}:\nstdout: {out}\nstderr: {err}")
    return out, err


def check_tool():
    for f in (TOOL, ROOT / "build" / "guests" / "hello.bin"):
        if not f.is_file():
            raise fvtest.TestFailure(f"{f} missing: run `make all`")


def test_remote_vm_commands():
    check_tool()
    with daemon() as d:
        url = f"http://127.0.0.1:{d.port}"
        out, _ = expect(cli(url, "vm", "list"), 0, where="stdout")
        rows = [line.split() for line in out.splitlines()]
        assert rows[0][:2] == ["NAME", "STATE"], out
        assert [(r[0], r[1]) for r in rows[1:]] == [
            (v["name"], v["state"]) for v in d.call("GET", "/vms", expect=200)[2]["vms"]], out

        out, _ = expect(cli(url, "vm", "info", "alpha"), 0, where="stdout")
        info = dict(line.split(None, 1) for line in out.splitlines())
        assert (info["name"], info["vcpus"], info["memory_mb"], info["state"]) == (
            "alpha", "2", "512", d.state("alpha")), out

        # create: the same package `build` writes, checked by the daemon's CRC-32C, started.
        with tempfile.TemporaryDirectory() as tmp:
            bundle = Path(tmp) / "b.fvb"
            expect(cli(None, "build", "--config", EXAMPLE, "-o", bundle), 0)
            size = bundle.stat().st_size
        free0 = d.call("GET", "/host", expect=200)[2]["memory_free_mb"]
        out, err = expect(cli(url, "vm", "create", "--config", EXAMPLE, "--start"), 0,
                          f"package of {size} bytes", f"{size} / {size} bytes (100%)")
        assert "remote-hello: stopped" in out and "remote-hello: running" in out, out
        vm = d.call("GET", "/vms/remote-hello", expect=200)[2]
        assert (vm["state"], vm["vcpus"], vm["memory_mb"]) == ("running", 1, 64), vm
        assert d.call("GET", "/host", expect=200)[2]["memory_free_mb"] == free0 - 64

        # Every action, each checked against the daemon's state.
        for verb, state in (("pause", "paused"), ("resume", "running"), ("reset", "running"),
                            ("stop", "stopped"), ("start", "running")):
            out, _ = expect(cli(url, "vm", verb, "remote-hello"), 0,
                            f"remote-hello: {state}", where="stdout")
            assert d.state("remote-hello") == state, (verb, state)

        # $FERROVISOR_API stands in for --api (and the /api/v1 root is accepted too).
        expect(cli(None, "vm", "destroy", "remote-hello", env_api=url + "/api/v1/"), 0,
               "remote-hello: destroyed", where="stdout")
        d.call("GET", "/vms/remote-hello", expect=404)
        assert d.call("GET", "/host", expect=200)[2]["memory_free_mb"] == free0


def test_remote_errors():
    check_tool()
    with daemon() as d:
        url = f"http://127.0.0.1:{d.port}"
        before = d.call("GET", "/vms", expect=200)[2]["vms"]

        expect(cli(url, "vm", "info", "nope"), 3, "404", "No such VM", "nope")
        expect(cli(url, "vm", "destroy", "nope"), 3, "404", "nope")
        expect(cli(url, "vm", "start", "nope"), 3, "404")
        expect(cli(url, "vm", "resume", "alpha"), 3, "409", "alpha")  # running, not paused
        expect(cli(url, "vm", "stop", "service"), 3, "403")
        assert d.state("service") == "running" and d.state("alpha") == "running"
        expect(cli(url, "vm", "info", "../host"), 2, "no VM name")
        expect(cli(url, "vm", "frobnicate", "alpha"), 2, "unknown subcommand")
        expect(cli(url, "vm", "create"), 2, "--config")

        with tempfile.TemporaryDirectory() as tmp:
            bad = Path(tmp) / "bad.yaml"
            bad.write_text("name: broken\nvcpus: lots\nkernel: ../x.bin\n")
            expect(cli(url, "vm", "create", "--config", bad), 1, f"{bad}:2:8:", "vcpus")
            two = Path(tmp) / "two.yaml"
            hello = ROOT / "build" / "guests" / "hello.bin"
            two.write_text(f"vms:\n  - name: a1\n    kernel: {hello}\n"
                           f"  - name: a2\n    kernel: {hello}\n")
            expect(cli(url, "vm", "create", "--config", two), 1, f"{two}:4:", "one VM")
            dotted = Path(tmp) / "dotted.yaml"
            dotted.write_text(f"vcpus: 1\nname: a.b\nkernel: {hello}\n")
            expect(cli(url, "vm", "create", "--config", dotted), 1, f"{dotted}:2:7:", "name")
        # A name taken: the daemon's 409 problem, the first VM untouched.
        expect(cli(url, "vm", "create", "--config", EXAMPLE), 0)
        expect(cli(url, "vm", "start", "remote-hello"), 0)
        expect(cli(url, "vm", "create", "--config", EXAMPLE), 3, "409", "exists")
        assert d.state("remote-hello") == "running"
        expect(cli(url, "vm", "destroy", "remote-hello"), 0)
        assert d.call("GET", "/vms", expect=200)[2]["vms"] == before

        # Console errors: the daemon's problem, or a usage error before any request.
        expect(cli(url, "console", "nope"), 3, "404", "nope")
        expect(cli(url, "console", "service", input="ls\n"), 3, "403", "service")
        expect(cli(url, "console", "beta", input="ls\n"), 3, "409", "beta")
        expect(cli(url, "console"), 2, "which VM")
        expect(cli(url, "console", "../x"), 2, "no VM name")
        expect(cli(url, "console", "alpha", "--tail", "x"), 2, "--tail")
        expect(cli(url, "events", "--since", "-1"), 2, "--since")
        expect(cli(url, "events", "--bogus"), 2, "unexpected")
        # The event stream's error answer is reported as the console's is.
        saved, _token[0] = _token[0], "fvt_nobody." + "0" * 64
        try:
            expect(cli(url, "events"), 3, "401")
        finally:
            _token[0] = saved

    # Nobody listening (the daemon is gone): the message names the URL.
    expect(cli(url, "vm", "list"), 3, f"{url}/api/v1/vms", "cannot reach")
    expect(cli("ftp://x", "vm", "list"), 2, "not an http")
    expect(cli(None, "vm", "list"), 2, "FERROVISOR_API")
    # Without an API, `console` is still the local explanation.
    expect(cli(None, "console"), 0, "Ctrl", where="stdout")


def _sse_text(d, vm):
    """The daemon's console history of vm (checked independently of the CLI)."""
    import base64
    ev, _ = d.sse(f"/vms/{vm}/console", lambda ev, t: bool(ev))
    return b"".join(base64.b64decode(json.loads(e["data"])["b64"]) for e in ev).decode()


def test_remote_console_and_events():
    check_tool()
    with daemon(extra=("--heartbeat", "1")) as d:
        url = f"http://127.0.0.1:{d.port}"
        # History first (the boot line), then what is typed reaches the VM and its answer
        # comes back; end of input detaches.
        out, _ = expect(cli(url, "console", "alpha", input="echo MARK-$((6*7))\necho MARK-42\n"),
                        0, where="stdout")
        assert out.startswith("sim alpha: boot\n"), out
        assert "echo MARK-42\nMARK-42\n" in out, out
        assert "echo MARK-42\nMARK-42\n" in _sse_text(d, "alpha")
        # --tail 0: live output only; --timeout: detach that long after end of input.
        t0 = time.monotonic()
        out, _ = expect(cli(url, "console", "alpha", "--tail", "0", "--timeout", "2"), 0,
                        where="stdout")
        assert "boot" not in out and "heartbeat" in out, out
        assert 1.5 < time.monotonic() - t0 < 10

        # events: what happened, with causes; --json is the API's JSON. An operator's
        # token (events need viewer): the audit records of the requests are not shown, an
        # admin's stream has them.
        op = fvapi.make_token(d.port, d.token, "ops", "operator")
        expect(cli(url, "vm", "start", "beta"), 0)
        expect(cli(url, "console", "beta", "--timeout", "1", input="crash\n"), 0)
        assert d.state("beta") == "crashed"
        admin = _token[0]
        _token[0] = op
        out, _ = expect(cli(url, "events"), 0, where="stdout")
        lines = out.splitlines()
        assert any(re.match(r"#\d+ ", l) and "vm-state beta: stopped -> running (operator:start)"
                   in l for l in lines), out
        assert any("vm-state beta: running -> crashed (guest) [critical]" in l
                   for l in lines), out
        assert any("vm-crash beta: (sim: illegal instruction" in l for l in lines), out
        assert " audit " not in out, out
        out, _ = expect(cli(url, "events", "--json"), 0, where="stdout")
        evs = [json.loads(l) for l in out.splitlines()]
        assert [e["type"] for e in evs] == ["vm-state", "vm-state", "vm-crash"], evs
        out, _ = expect(cli(url, "events", "--since", str(evs[0]["seq"]), "--json"), 0,
                        where="stdout")
        later = [json.loads(l) for l in out.splitlines()]
        assert [e["seq"] for e in later] == [evs[1]["seq"], evs[2]["seq"]], later
        last = evs[2]["seq"]
        _token[0] = admin
        out, _ = expect(cli(url, "events", "--json"), 0, where="stdout")
        audits = [json.loads(l) for l in out.splitlines() if '"type":"audit"' in l]
        assert any(a["record"]["op"] == "POST /api/v1/vms/beta/start" and
                   a["record"]["token"] == "admin" and a["record"]["status"] == 200
                   for a in audits), out
        out, _ = expect(cli(url, "events"), 0, where="stdout")
        assert "audit admin (admin): POST /api/v1/vms/beta/start beta -> 200" in out, out

        # --follow: a new event is printed as it happens (the operator sees no audit record
        # of the pause before the state change).
        _token[0] = op
        p = subprocess.Popen([str(TOOL), "--api", url, "events", "--follow", "--since",
                              str(last)], env=cli_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(1)
            expect(cli(url, "vm", "pause", "alpha"), 0)
            ready, _, _ = select.select([p.stdout], [], [], 10)
            assert ready, "events --follow printed nothing"
            line = p.stdout.readline()
            assert "alpha: running -> paused (operator:pause)" in line, line
        finally:
            p.terminate()
            p.wait(10)
        _token[0] = admin
        expect(cli(url, "vm", "resume", "alpha"), 0)


def _pty_console(url, vm):
    """`console vm` on a pseudo-terminal; returns (process, master fd, slave fd)."""
    master, slave = os.openpty()
    p = subprocess.Popen([str(TOOL), "--api", url, "console", vm, "--tail", "0"],
                         env=cli_env(), stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    return p, master, slave


def _pty_read_until(master, needle, timeout=10):
    out = b""
    deadline = time.monotonic() + timeout
    while needle not in out:
        assert time.monotonic() < deadline, f"{needle!r} not seen: {out[-500:]!r}"
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                out += os.read(master, 4096)
            except OSError:
                break
    return out


def test_remote_console_on_a_terminal():
    check_tool()
    with daemon(extra=("--heartbeat", "1")) as d:
        url = f"http://127.0.0.1:{d.port}"
        for how in ("ctrl-]", "sigterm"):
            p, master, slave = _pty_console(url, "alpha")
            try:
                before = termios.tcgetattr(slave)
                _pty_read_until(master, b"Ctrl-] detaches")
                raw = termios.tcgetattr(slave)
                assert not raw[3] & termios.ECHO and not raw[3] & termios.ICANON, raw
                # Raw mode: the keys go to the VM as typed, CR included, no local echo.
                os.write(master, b"echo TTY-7\r")
                out = _pty_read_until(master, b"TTY-7\r\n")
                if how == "ctrl-]":
                    os.write(master, b"\x1d")
                    assert p.wait(10) == 0
                else:
                    p.send_signal(signal.SIGTERM)
                    assert p.wait(10) == 128 + signal.SIGTERM
                after = termios.tcgetattr(slave)
                assert after == before, (how, before, after)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
                os.close(master)
                os.close(slave)
        assert "echo TTY-7\nTTY-7\n" in _sse_text(d, "alpha")
