# SPDX-License-Identifier: MIT
"""Physical console input on the UART's receive interrupt (issue 15): typed bytes reach the
focused VM from the interrupt, not from the 10 ms poll, and the shell's counters say so."""

import re

import fvtest
from hyp import assert_healthy, hyp_cmd, shell

ESC = "\x1d"  # Ctrl-], the console escape key
STATS = (r"^\[hyp\] console input: (on the UART interrupt|polled every 10 ms); (\d+) UART "
         r"interrupts, (\d+) bytes by interrupt, (\d+) by poll")


@fvtest.timeout(240)
def test_typed_input_arrives_on_the_uart_interrupt():
    with fvtest.Qemu(hyp_cmd("console")) as q:
        q.expect(r"^\[hyp\] console input: UART interrupt \d+", 60)
        q.expect(r"^\[echo\] echo: ready", 60)
        for word in ("ping", "second-line", "x" * 40):
            q.send(word + "\r")
            q.expect(rf"^\[echo\] echo: {word}", 20)
        q.send(ESC + "0")
        q.expect(r"^\[hyp\] console focus: hyp", 10)
        m = shell(q, "console", STATS, 10)
        mode, irqs, irq_bytes, poll_bytes = m.group(1), *map(int, m.group(2, 3, 4))
        assert mode == "on the UART interrupt", m.group(0)
        # Every byte typed so far (the words, their returns, Ctrl-] 0 and "console\r"
        # up to the moment the count was taken) came in through the interrupt.
        typed = len("ping\rsecond-line\r" + "x" * 40 + "\r") + 2
        assert irq_bytes >= typed, m.group(0)
        assert irqs > 0 and poll_bytes == 0, m.group(0)
        # The 16-byte FIFO: more than one byte per interrupt is fine, but not all in one.
        assert irqs >= typed // 16, m.group(0)
        assert not re.search(r"console input: polled", q.output), q.output[-2000:]
        assert_healthy(q)
