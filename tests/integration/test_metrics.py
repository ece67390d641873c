# SPDX-License-Identifier: MIT
"""Metrics (issue 12): promtool on the daemon's exposition and the shipped alert rules, and a
real Prometheus scraping the hypervisor through the service VM.

Host-only (seconds): the sim daemon's /metrics passes `promtool check metrics` (and a broken
copy of it does not, so the check means something); examples/alerts.yml passes `promtool
check rules` and the unit tests tests/prometheus/alerts_test.yml (and a weakened copy of the
rules fails them).

With QEMU: Ferrovisor boots a Linux service VM running ferrovisord with the control-channel
backend beside two bare-metal guests (hello beats; crash dies at once), configuration
linux-svc-metrics. Debian's Prometheus on the host scrapes /metrics through a 127.0.0.1 port
forward every second, evaluating examples/alerts.yml (the shipped expressions, `for:` cut
to 0 s so the test need not wait minutes). Through Prometheus' HTTP API the test checks that
hello's CPU seconds grow, exits by cause and SBI calls by extension exist, the service VM's
disk has read bytes, counters never reset across scrapes; then it restarts the crashed VM
through the REST API until it crash-loops and waits for FerrovisorVMDown and
FerrovisorVMCrashLooping to fire for it (and for nothing else).

The service VM boots the kernel of the runner's current suite; the metrics do not depend on
the kernel, so this module is not a kernel-matrix one. The QEMU test also runs on the arm64
port (`[arm64]`, @fvtest.arch_matrix): the same families, exit causes and hypercalls in arm64's
words (ARCH_WORDS), no SBI family.
"""

import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

import fvapi
import fvtest
from hyp import hyp_cmd, require_svc_layer

ROOT = fvtest.REPO_ROOT
DAEMON = ROOT / "build" / "tools" / "ferrovisord"
RULES = ROOT / "examples" / "alerts.yml"
RULE_TESTS = ROOT / "tests" / "prometheus" / "alerts_test.yml"
# A bearer token for the daemon once it requires one (viewer is enough for /metrics): _http
# sends it and the test Prometheus gets it as authorization.credentials_file.
TOKEN = None


def _tool(name):
    path = shutil.which(name)
    if not path:
        raise fvtest.TestFailure(f"{name} missing: run scripts/install-deps.sh (Debian package "
                                 "prometheus)")
    return path


def _http(url, method="GET", body=None, timeout=30):
    """Every HTTP request of this module (daemon and Prometheus): the one place to add an
    Authorization header once the daemon wants a token. Returns (status, content type, body
    bytes)."""
    headers = {"Authorization": f"Bearer {TOKEN}"} if TOKEN else {}
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def _promtool(*args, stdin=None):
    return subprocess.run([_tool("promtool"), *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


# --------------------------------------------------------------------------- host only


class SimDaemon:
    def __enter__(self):
        if not DAEMON.is_file():
            raise fvtest.TestFailure(f"{DAEMON} missing: run `make ferrovisord`")
        self.proc = subprocess.Popen([str(DAEMON), "--port", "0"], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        global TOKEN
        banner = []
        while True:  # the first-start admin token comes before "listening on"
            line = self.proc.stdout.readline()
            banner.append(line)
            if not line or "listening on http://127.0.0.1:" in line:
                break
        if "listening on http://127.0.0.1:" not in line:
            self.proc.kill()
            raise fvtest.TestFailure(f"ferrovisord did not start: {banner!r}")
        TOKEN = fvapi.first_admin_token("".join(banner))
        self.base = "http://127.0.0.1:" + line.split("127.0.0.1:")[1].split("/")[0]
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(10)


def test_sim_exposition_passes_promtool():
    with SimDaemon() as d:
        status, ctype, body = _http(d.base + "/metrics")
        time.sleep(0.3)
        text2 = _http(d.base + "/metrics")[2].decode()
    text = body.decode()
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4"), (status, ctype)
    r = _promtool("check", "metrics", stdin=text)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), \
        (r.returncode, r.stdout, r.stderr)
    for family in ("ferrovisor_vm_cpu_seconds_total", "ferrovisor_vm_exits_total",
                   "ferrovisor_sbi_calls_total", "ferrovisor_vm_state",
                   "ferrovisor_vm_restarts_total", "ferrovisor_vm_blk_read_bytes_total",
                   "ferrovisor_vm_net_rx_bytes_total", "ferrovisor_host_cpu_seconds_total",
                   "ferrovisor_host_heap_bytes", "ferrovisor_control_errors_total"):
        assert f"\n# TYPE {family} " in text, family
    assert 'ferrovisor_vm_state{vm="alpha",state="running"} 1\n' in text
    # The sim's running VM accumulates CPU time between two scrapes.
    def cpu(t):
        line = next(x for x in t.splitlines()
                    if x.startswith('ferrovisor_vm_cpu_seconds_total{vm="alpha"}'))
        return float(line.split()[-1])
    assert cpu(text2) > cpu(text), (cpu(text), cpu(text2))
    # promtool rejects a broken exposition (a family twice, a bad label): the check is real.
    first_family = text.split("# HELP ", 2)[1]
    r = _promtool("check", "metrics", stdin=text + "# HELP " + first_family)
    assert r.returncode != 0, "promtool accepted a duplicated family"
    r = _promtool("check", "metrics", stdin=text + 'ferrovisor_x{vm="a} 1\n')
    assert r.returncode != 0, "promtool accepted a broken label"


def test_alert_rules_promtool():
    r = _promtool("check", "rules", str(RULES))
    assert r.returncode == 0 and "SUCCESS: 7 rules found" in r.stdout, (r.stdout, r.stderr)
    r = _promtool("test", "rules", str(RULE_TESTS))
    assert r.returncode == 0 and "SUCCESS" in r.stdout, (r.stdout, r.stderr)
    # Weakened rules (crash-looping at 4 crashes, VM down never) must fail the unit tests.
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "examples").mkdir()
        (tmp / "tests" / "prometheus").mkdir(parents=True)
        text = RULES.read_text()
        assert text.count(">= 3") == 1 and text.count('{state="crashed"} == 1') == 1
        for old, new in ((">= 3", ">= 4"), ('{state="crashed"} == 1', '{state="crashed"} == 2')):
            (tmp / "examples" / "alerts.yml").write_text(text.replace(old, new))
            shutil.copy(RULE_TESTS, tmp / "tests" / "prometheus" / "alerts_test.yml")
            r = _promtool("test", "rules", str(tmp / "tests" / "prometheus" / "alerts_test.yml"))
            assert r.returncode != 0, f"rule tests pass with {new!r}"


# --------------------------------------------------------------------------- with QEMU


class Prometheus:
    """Debian's prometheus on 127.0.0.1:<free port>, scraping target every second and
    evaluating rules every second, storage in a temporary directory."""

    def __init__(self, target, rules_file):
        self.dir = tempfile.TemporaryDirectory(prefix="fv-prom-")
        d = Path(self.dir.name)
        cfg = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s",
                       "scrape_timeout": "1s"},
            "rule_files": [str(rules_file)],
            "scrape_configs": [{"job_name": "ferrovisor", "metrics_path": "/metrics",
                                "static_configs": [{"targets": [target]}]}],
        }
        if TOKEN:
            (d / "token").write_text(TOKEN)
            cfg["scrape_configs"][0]["authorization"] = {"credentials_file": str(d / "token")}
        (d / "prometheus.yml").write_text(yaml.safe_dump(cfg))
        self.port = fvapi.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(fvtest.LOG_DIR / "test_metrics-prometheus.log", "w")
        self.proc = subprocess.Popen(
            [_tool("prometheus"), f"--config.file={d / 'prometheus.yml'}",
             f"--storage.tsdb.path={d / 'data'}", f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if _http(self.base + "/-/ready", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            assert self.proc.poll() is None, "prometheus exited (see its log)"
            assert time.monotonic() < deadline, "prometheus not ready in 60 s"
            time.sleep(0.5)

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.dir.cleanup()

    def api(self, path, **params):
        status, _, body = _http(f"{self.base}/api/v1/{path}?" + urllib.parse.urlencode(params))
        data = json.loads(body)
        assert status == 200 and data["status"] == "success", (path, params, status, data)
        return data["data"]

    def query(self, q):
        """Instant vector: {frozenset(labels.items()): float}."""
        res = self.api("query", query=q)["result"]
        return {frozenset(r["metric"].items()): float(r["value"][1]) for r in res}

    def value(self, q):
        res = self.query(q)
        assert len(res) == 1, (q, res)
        return next(iter(res.values()))

    def wait_value(self, q, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            res = self.query(q)
            if len(res) == 1 and pred(next(iter(res.values()))):
                return next(iter(res.values()))
            assert time.monotonic() < deadline, f"{what}: {q} = {res}"
            time.sleep(1)


# What each architecture calls its exit causes and hypercalls (tools/ferrovisord/fvd_metrics.c);
# `call` is a hypercall hello makes (riscv64: SBI set_timer; arm64: PSCI_VERSION at boot).
ARCH_WORDS = {
    "riscv64": {"causes": {"sbi", "mmio", "wfi", "irq", "virtual_instruction", "guest_fault",
                           "other"}, "hcall": "sbi", "interface": "sbi", "call": "time"},
    "arm64": {"causes": {"hvc", "mmio", "wfi", "irq", "sysreg", "guest_fault", "other"},
              "hcall": "hvc", "interface": "smccc", "call": "psci"},
}


def _test_rules(dst):
    """The shipped rules with `for:` cut to 0 s: same expressions, no minutes of waiting."""
    doc = yaml.safe_load(RULES.read_text())
    for group in doc["groups"]:
        for rule in group["rules"]:
            rule.pop("for", None)
    dst.write_text(yaml.safe_dump(doc))
    return dst


@fvtest.timeout(900)
@fvtest.arch_matrix
def test_prometheus_scrapes_hypervisor_and_alerts_fire():
    require_svc_layer("linux-svc-metrics")
    words = ARCH_WORDS[fvtest.arch()]
    _tool("prometheus")
    port = fvapi.free_port()
    # One image per architecture: the matrix runs both at the same time.
    disk = fvtest.BUILD_DIR / "test-data" / f"metrics-disk-{fvtest.arch()}.img"
    extra = ["-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
             "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.0"]
    extra += fvtest.virtio_disk(disk, 1, size="16M")
    base = f"http://127.0.0.1:{port}"
    with fvtest.Qemu(hyp_cmd("linux-svc-metrics", mem="1G", extra=extra)) as q, \
            tempfile.TemporaryDirectory(prefix="fv-rules-") as rdir:
        q.expect(r"^\[svc\] FV-SERVICE: ferrovisord pid \d+ on 10\.0\.2\.15:8080: "
                 r"ferrovisord: listening on http://0\.0\.0\.0:8080/api/v1 \(backend hvc\)",
                 400)
        global TOKEN
        TOKEN = fvapi.console_admin_token(q)
        # crash died long before the service VM was up.
        assert re.search(r"^\[hyp\] vm crash: stopped after a fatal guest error", q.output,
                         re.M), "crash did not crash"
        status, ctype, body = fvapi.until_reachable(lambda: _http(base + "/metrics", timeout=20),
                                                    ok=lambda r: r[0] == 200)
        text = body.decode()
        assert "\nferrovisor_up 1\n" in text, text[:500]
        r = _promtool("check", "metrics", stdin=text)
        assert r.returncode == 0 and not r.stdout.strip(), (r.stdout, r.stderr)

        prom = Prometheus(f"127.0.0.1:{port}", _test_rules(Path(rdir) / "alerts.yml"))
        try:
            # Scrapes arrive and the hypervisor answers.
            prom.wait_value('up{job="ferrovisor"}', lambda v: v == 1, 90, "target not up")
            prom.wait_value("ferrovisor_up", lambda v: v == 1, 60, "hypervisor not read")
            # hello runs: its CPU time grows between two queries.
            q_cpu = 'ferrovisor_vm_cpu_seconds_total{vm="hello"}'
            c0 = prom.wait_value(q_cpu, lambda v: v > 0, 60, "no CPU time for hello")
            prom.wait_value(q_cpu, lambda v: v > c0, 60, "hello's CPU time does not grow")
            # Exits by cause: every cause is a series, in the architecture's words; hello's
            # hypercall exits count (riscv64: SBI set_timer; arm64: PSCI_VERSION).
            exits = prom.query('ferrovisor_vm_exits_total{vm="hello"}')
            causes = {dict(k)["cause"] for k in exits}
            assert causes == words["causes"], causes
            assert prom.value(f'ferrovisor_vm_exits_total{{vm="hello",cause="{words["hcall"]}"}}') > 0
            assert prom.value(f'ferrovisor_vm_hypercalls_total{{vm="hello",interface='
                              f'"{words["interface"]}",service="{words["call"]}"}}') > 0
            # The daemon knows which words these are: the hypervisor said (GET /host).
            assert json.loads(_http(base + "/api/v1/host")[2])["arch"] == fvtest.arch()
            sbi = prom.query('ferrovisor_sbi_calls_total{vm="hello",extension="time"}')
            if fvtest.arch() == "riscv64":  # the RISC-V family, unchanged for dashboards
                assert len(sbi) == 1 and next(iter(sbi.values())) > 0, sbi
            else:
                assert not prom.query('{__name__="ferrovisor_sbi_calls_total"}'), "SBI on arm64"
            # The service VM's kernel read its disk's partition table.
            assert prom.value('ferrovisor_vm_blk_read_bytes_total{vm="svc",disk="vda"}') > 0
            assert prom.value('ferrovisor_vm_blk_requests_total{vm="svc",disk="vda"}') > 0
            # Network: the service VM's NIC on lan0 received the scrapes (its view and the
            # switch's view of its port), and the uplink port carried them in.
            assert prom.value('ferrovisor_vm_net_rx_bytes_total{vm="svc",nic="eth0",'
                              'switch="lan0"}') > 0
            assert prom.value('ferrovisor_vm_net_tx_packets_total{vm="svc",nic="eth0"}') > 0
            assert prom.value('ferrovisor_net_port_tx_packets_total{switch="lan0",vm="svc"}') > 0
            assert prom.value('ferrovisor_net_port_rx_packets_total{switch="lan0",'
                              'vm="(uplink)"}') > 0
            assert len(prom.query('ferrovisor_net_switch_dropped_total{switch="lan0"}')) == 1
            # Host: both CPUs, idle and busy, memory and heap gauges.
            assert len(prom.query("ferrovisor_host_cpu_seconds_total")) == 4
            assert prom.value('ferrovisor_host_heap_bytes{state="used"}') > 0
            assert prom.value('ferrovisor_host_memory_bytes{state="free"}') > 0
            assert prom.value('ferrovisor_vm_state{vm="crash",state="crashed"}') == 1
            assert prom.value('ferrovisor_vm_crashes_total{vm="crash"}') == 1
            # Crash-looping: restart the crashed VM until it has crashed four times.
            for n in range(2, 5):
                status, _, body = _http(base + "/api/v1/vms/crash/start", method="POST")
                assert status == 200, (status, body)
                deadline = time.monotonic() + 60
                while True:
                    st = json.loads(_http(base + "/api/v1/vms/crash")[2])["state"]
                    if st == "crashed":
                        break
                    assert time.monotonic() < deadline, f"crash is {st} after start #{n}"
                    time.sleep(0.5)
            prom.wait_value('ferrovisor_vm_crashes_total{vm="crash"}', lambda v: v == 4, 60,
                            "crash counter")
            assert prom.value('ferrovisor_vm_restarts_total{vm="crash"}') == 3

            # The shipped rules fire in Prometheus for crash, and only for crash.
            deadline = time.monotonic() + 120
            while True:
                alerts = prom.api("alerts")["alerts"]
                firing = {(a["labels"]["alertname"], a["labels"].get("vm")) for a in alerts
                          if a["state"] == "firing"}
                if {("FerrovisorVMDown", "crash"),
                        ("FerrovisorVMCrashLooping", "crash")} <= firing:
                    break
                assert time.monotonic() < deadline, f"alerts never fired: {alerts}"
                time.sleep(1)
            assert firing == {("FerrovisorVMDown", "crash"),
                              ("FerrovisorVMCrashLooping", "crash")}, firing
            fired = [a for a in alerts if a["labels"]["alertname"] == "FerrovisorVMCrashLooping"]
            assert fired[0]["labels"]["severity"] == "critical", fired
            assert "crash-looping" in fired[0]["annotations"]["summary"], fired
            # The same through the ALERTS series.
            assert prom.value('ALERTS{alertname="FerrovisorVMDown",alertstate="firing"}') == 1
            # Counters are monotonic across all the scrapes (crashes and
            # restarts included): every sample of every
            # ferrovisor_*_total series is at least the one before.
            prom.wait_value(f"count_over_time({q_cpu}[10m])", lambda v: v >= 5, 60,
                            "fewer than 5 scrapes")
            series = prom.api("query", query='{__name__=~"ferrovisor_.*_total"}[10m]')["result"]
            assert len(series) > 50, len(series)
            for s in series:
                vals = [float(v) for _, v in s["values"]]
                assert vals == sorted(vals), (s["metric"], vals)

        finally:
            prom.close()
        q.assert_absent(r"PANIC")
        assert "[hello] heartbeat" in q.output
