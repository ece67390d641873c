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
unreachable URL named in the message, no URL at all (exit 2), and the console that API v1 does
not offer.
"""

import os
import subprocess
import tempfile
from pathlib import Path

import fvtest
from test_ferrovisord import Daemon, load_doc

ROOT = fvtest.REPO_ROOT
TOOL = ROOT / "build" / "tools" / "ferrovisor"
EXAMPLE = ROOT / "examples" / "remote-vm.yaml"
TIMEOUT = 60


# The bearer token cli() hands the CLI ($FERROVISOR_TOKEN): the running daemon's first admin
# token, set by daemon().
_token = [None]


def daemon():
    d = Daemon(load_doc())
    _token[0] = d.token
    return d


def cli(url, *args, env_api=None):
    """Run the CLI; returns (exit code, stdout, stderr). url None: no --api option."""
    env = {k: v for k, v in os.environ.items() if k not in ("FERROVISOR_API", "FERROVISOR_TOKEN")}
    if env_api is not None:
        env["FERROVISOR_API"] = env_api
    if _token[0]:
        env["FERROVISOR_TOKEN"] = _token[0]
    cmd = [str(TOOL)] + (["--api", url] if url is not None else []) + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=env)
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

        # API v1 has no console endpoint: the VM is looked up, the absence reported.
        expect(cli(url, "console", "alpha"), 3, "no console endpoint")
        expect(cli(url, "console", "nope"), 3, "404")

    # Nobody listening (the daemon is gone): the message names the URL.
    expect(cli(url, "vm", "list"), 3, f"{url}/api/v1/vms", "cannot reach")
    expect(cli("ftp://x", "vm", "list"), 2, "not an http")
    expect(cli(None, "vm", "list"), 2, "FERROVISOR_API")
    # Without an API, `console` is still the local explanation.
    expect(cli(None, "console"), 0, "Ctrl", where="stdout")
