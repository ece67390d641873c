# SPDX-License-Identifier: MIT
"""Console multiplexing, the hypervisor shell and VM lifecycle from the shell."""

import re

import fvtest
from hyp import assert_healthy, heartbeat, hyp_cmd, shell

ESC = "\x1d"  # Ctrl-], the console escape key


@fvtest.timeout(240)
def test_input_goes_to_focused_vm_and_focus_switches():
    with fvtest.Qemu(hyp_cmd("console")) as q:
        q.expect(r"^\[hyp\] console focus: echo", 60)
        q.expect(r"^\[echo\] echo: ready", 30)
        q.send("ping\r")
        q.expect(r"^\[echo\] echo: ping", 20)
        # Switch to the shell: typed text now reaches the shell, not the VM.
        q.send(ESC + "0")
        q.expect(r"^\[hyp\] console focus: hyp", 10)
        shell(q, "vm list", r"^\[hyp\] \d+\s+echo\s+running", 10)
        q.assert_absent(r"echo: vm list")
        # Ctrl-] 1 selects VM number 1 again.
        q.send(ESC + "1")
        q.expect(r"^\[hyp\] console focus: echo", 10)
        q.send("second\r")
        q.expect(r"^\[echo\] echo: second", 20)
        # Ctrl-] n cycles: echo -> hello.
        q.send(ESC + "n")
        q.expect(r"^\[hyp\] console focus: hello", 10)
        assert_healthy(q)


@fvtest.timeout(240)
def test_guest_reboot_and_poweroff_affect_only_that_vm():
    with fvtest.Qemu(hyp_cmd("console")) as q:
        q.expect(r"^\[echo\] echo: ram at boot zero", 60)
        q.expect(r"^\[echo\] echo: ready", 60)
        q.send("reboot\r")
        q.expect(r"^\[hyp\] vm echo: guest reboot", 20)
        q.expect(r"^\[hyp\] vm echo: boot #2", 20)
        # What the first boot wrote into its RAM is gone (zeroed again, lazily).
        q.expect(r"^\[echo\] echo: ram at boot zero \(0 nonzero words\)", 30)
        q.expect(r"^\[echo\] echo: ready", 30)
        q.send("poweroff\r")
        q.expect(r"^\[hyp\] vm echo: stopped", 20)
        n = heartbeat(q, "hello", 30)
        assert heartbeat(q, "hello", 30) > n
        assert_healthy(q)


@fvtest.timeout(240)
def test_shell_commands_and_vm_lifecycle():
    with fvtest.Qemu(hyp_cmd()) as q:
        q.expect(r"^\[hyp\] console focus: hyp", 60)
        heartbeat(q, "alpha", 60)
        shell(q, "help", r"vm list \| vm start\|stop\|reset\|info NAME", 10)
        shell(q, "mem", r"^\[hyp\] pages: total \d+ free \d+ used \d+", 10)
        q.expect(r"^\[hyp\] heap: \d+ bytes, used \d+", 10)
        q.expect(r"^\[hyp\] vm alpha: RAM 65536 KiB, hypervisor overhead \d+ bytes", 10)
        shell(q, "cpus", r"^\[hyp\] cpu 1 \(hart \d\)", 10)
        shell(q, "vm list", r"^\[hyp\] 0\s+alpha\s+running\s+1\s+64\s+0:\w+/\d+/\d+", 10)
        # Stop alpha: its heartbeat ends, the others are unaffected.
        shell(q, "vm stop alpha", r"^\[hyp\] vm alpha: stopped", 20)
        shell(q, "vm list", r"^\[hyp\] 0\s+alpha\s+stopped", 10)
        # Start it again from scratch.
        shell(q, "vm start alpha", r"^\[hyp\] vm alpha: boot #2", 20)
        q.expect(r"^\[alpha\] hello from hart 0", 20)
        heartbeat(q, "alpha", 30)
        # Reset a VM that finished: it runs its suite again and passes again. Gamma may
        # have finished while the steps above ran, so look at the whole output.
        q.expect_seen(r"^\[hyp\] vm gamma: stopped", 200)
        shell(q, "vm reset gamma", r"^\[hyp\] vm gamma: boot #2", 20)
        q.expect(r"^\[gamma\] FV-RESULT PASS", 150)
        assert_healthy(q)


@fvtest.timeout(120)
def test_shell_bad_arguments_print_usage():
    with fvtest.Qemu(hyp_cmd()) as q:
        q.expect(r"^\[hyp\] console focus: hyp", 60)
        shell(q, "vm", r"usage: vm list \| vm start\|stop\|reset\|info NAME", 10)
        shell(q, "vm frob alpha", r"usage: vm list", 10)
        shell(q, "vm stop nosuchvm", r"vm: no VM named 'nosuchvm'", 10)
        shell(q, "vm start alpha", r"vm alpha is already running", 10)
        shell(q, "mem extra args", r"usage: mem", 10)
        shell(q, "frobnicate", r"unknown command 'frobnicate'", 10)
        shell(q, "a b c d e f g h i j k", r"too many arguments", 10)
        # Over 127 characters: refused with a message, never run cut (issue 17 item 9).
        shell(q, "vm list " + "x" * 300, r"line too long \(at most 127 characters\): ignored",
              10)
        q.assert_absent(r"no VM named 'x+'")
        q.send("\x7f\x7f\x03")
        shell(q, "vm list", r"^\[hyp\] 0\s+alpha\s+running", 10)
        assert_healthy(q)


@fvtest.timeout(180)
def test_shell_messages_issue17():
    """Issue 17 item 9: the shell says something where it was silent or misleading: vm stop
    on a stopped VM, net without switches, an unknown vm sub-command, errors in words; TAB is
    a separator; typing while a VM prints redraws the typed line once."""
    with fvtest.Qemu(hyp_cmd()) as q:
        q.expect(r"^\[hyp\] console focus: hyp", 60)
        heartbeat(q, "alpha", 60)
        shell(q, "vm frobnicate alpha", r"^\[hyp\] vm: unknown vm command 'frobnicate'", 10)
        q.assert_absent(r"no VM named 'alpha'")
        shell(q, "net", r"^\[hyp\] net: no virtual switches in this configuration", 10)
        shell(q, "vm\tlist", r"^\[hyp\] 0\s+alpha\s+running", 10)
        # Typing while alpha prints: each key after a VM line brings the whole line back once.
        for ch in "vm lis":
            heartbeat(q, "alpha", 30)
            q.send(ch)
        q.expect(r"^\[hyp\] fv> vm lis\r?$", 10)
        assert not re.search(r"^\[hyp\] [a-z]\r?$", q.output, re.M), q.output[-2000:]
        shell(q, "t", r"^\[hyp\] 0\s+alpha\s+running", 10)
        shell(q, "vm stop alpha", r"^\[hyp\] vm alpha: stopped", 20)
        shell(q, "vm stop alpha", r"^\[hyp\] vm alpha is already stopped", 10)
        shell(q, "vm resume alpha", r"^\[hyp\] vm alpha is stopped, not paused or suspended", 10)
        assert_healthy(q)


@fvtest.timeout(180)
def test_guest_cannot_forge_the_terminal():
    """Issue 17 item 2: a guest's escape sequences (window title, erase line, carriage
    return, backspaces over its tag, 8-bit CSI, UTF-8) reach the terminal as text; every line
    of the guest carries its own tag; the operator's raw mode passes them for the focused VM."""
    with fvtest.Qemu(hyp_cmd("console")) as q:
        q.expect(r"^\[echo\] echo: ready", 60)
        start = len(q.output)
        q.send("forge\r")
        q.expect(r"^\[echo\] echo: forged", 20)
        out = q.output[start:]
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out, repr(out)
        assert "\x08" not in out, repr(out)
        assert not re.search(r"^\[hyp\] (vm hello: stopped|fake)", out, re.M), out
        # The title sequence and the "\r ESC[2K" that follows on the same line: one line.
        assert ("[echo] ^[]0;pwned-title^G^[[2K[hyp] vm hello: stopped after a fatal guest "
                "error\r\n") in out, repr(out)
        assert "[echo] ^H^H^H^H^H^H^H^H[hyp] fake tagless line" in out, repr(out)
        assert "[echo] 8bit-csi M-^[31m utf8 M-CM-) c1 M-BM-^[2J" in out, repr(out)
        # A cursor-position query would make the terminal type into the guest: dropped.
        assert "[echo] dsr  query\r\n" in out, repr(out)
        # Raw mode (the operator's choice): the focused VM's bytes pass unchanged.
        q.send(ESC + "0")
        q.expect(r"^\[hyp\] console focus: hyp", 10)
        shell(q, "console raw on", r"^\[hyp\] console raw mode on", 10)
        q.send(ESC + "1")
        q.expect(r"^\[hyp\] console focus: echo", 10)
        start = len(q.output)
        q.send("forge\r")
        q.expect(r"^\[echo\] echo: forged", 20)
        assert "\x1b]0;pwned-title\x07" in q.output[start:], repr(q.output[start:])
        assert "dsr \x1b[6n query" in q.output[start:], repr(q.output[start:])
        q.send(ESC + "0")
        q.expect(r"^\[hyp\] console focus: hyp", 10)
        shell(q, "console raw off", r"^\[hyp\] console raw mode off", 10)
        assert_healthy(q)
