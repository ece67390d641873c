# SPDX-License-Identifier: MIT
"""The service VM's state disk: tokens and the audit log survive a restart of the whole host.

The host is described in YAML (written by the test, built with `ferrovisor build` as `make
run` would): the service VM (control channel backend) with a blank 64 MiB disk image on
virtio-mmio slot 0 (fv.svc.state=/dev/vda), a configured viewer token `ci` (YAML `tokens:`,
carried in a cpio layer appended to its initrd), and the bare-metal `hello` VM. First boot: fv-service formats the blank disk (busybox mke2fs) and mounts it,
ferrovisord creates its token store there and prints the first admin token once on the
console ([svc]); the configured token works as a viewer and cannot stop a VM. Over REST with
the admin token the test makes an operator token, stops `hello`
with it, and leaves a refused request (401) in the audit log. Then QEMU is killed (no
shutdown) and booted again on the same disk image: the disk is mounted, not formatted; no
token is printed; both tokens still work; the audit records of the first boot are there
and the new ones continue their chain; after a second kill the audit log read from the disk
image on the host (debugfs, e2fsprogs) passes `ferrovisor audit verify` with the head hash
the API reported, and `e2fsck -fn` finds no block claimed twice (a file's fsync alone left
ext2's block bitmap behind: the second boot reused the log's first block). The audit
records carry the host's time (the service VM's RTC), not 1970.

Stable kernel only: what is tested is busybox and the daemon on a virtio-blk disk with ext2,
and both suites' virtio-blk and ext4 drivers are already covered by test_virtio.py on both
kernels; two Linux boots per suite would double the cost for no new coverage.
"""

import calendar
import hashlib
import json
import re
import shutil
import subprocess
import time

import fvapi
import fvtest
from hyp import assert_healthy, heartbeat, hyp_cmd

TOOL = fvtest.REPO_ROOT / "build" / "tools" / "ferrovisor"
LISTEN = (r"^\[svc\] FV-SERVICE: ferrovisord pid \d+ on 10\.0\.2\.15:8080: "
          r"ferrovisord: listening on http://0\.0\.0\.0:8080/api/v1 \(backend hvc\)")


def _api(port, method, path, token, **kw):
    """The module's one request helper (fvapi adds the bearer token)."""
    return fvapi.until_reachable(lambda: fvapi.request(port, method, path, token, **kw))


CI_TOKEN = "fvt_ci." + "5e" * 32
YAML = """host:
  cpus: 2
  memory: 1G
  console_focus: svc
  switches:
    - name: lan0
      uplink: {{user: {{}}}}
vms:
  - name: svc
    role: service
    vcpus: 1
    memory: 256M
    kernel: {images}/Image
    initrd: {images}/svc-initramfs.cpio.gz
    command_line: "console=ttyS0 quiet fv.svc.ip=10.0.2.15 fv.svc.backend=hvc fv.svc.device=/dev/hvc0 fv.svc.state=/dev/vda"
    network:
      - switch: lan0
    storage:
      - {{image: {disk}, format: raw}}
    tokens:
      - {{id: ci, role: viewer, sha256: {ci_sha}}}
  - name: hello
    memory: 32M
    kernel: {hello}
"""


def _bundle(disk):
    """The YAML host built into a boot bundle (the disk on slot 0, the uplink on slot 1)."""
    logs = fvtest.BUILD_DIR / "test-logs"
    cfg, bundle = logs / "svc-state.yaml", logs / "svc-state.fvb"
    cfg.write_text(YAML.format(images=fvtest.BUILD_DIR / "images" / fvtest.kernel_suite(),
                               disk=disk, hello=fvtest.BUILD_DIR / "guests" / "hello.bin",
                               ci_sha=hashlib.sha256(CI_TOKEN.encode()).hexdigest()))
    p = subprocess.run([str(TOOL), "build", "--config", str(cfg), "-o", str(bundle)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return bundle


def _boot(disk, bundle, port):
    extra = ["-initrd", str(bundle)] + fvtest.virtio_disk(disk, 0, size="64M") + [
        "-netdev", f"user,id=up0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:8080",
        "-device", "virtio-net-device,netdev=up0,bus=virtio-mmio-bus.1"]
    return fvtest.Qemu(hyp_cmd(None, mem="1G", extra=extra))


def _assert_audit_times_now(recs):
    """The service VM's clock is the host's (its goldfish RTC, read by the kernel at boot):
    audit records carry this year's date, within minutes of now, not 1970."""
    for r in recs:
        t = calendar.timegm(time.strptime(r["time"][:19], "%Y-%m-%dT%H:%M:%S"))
        assert abs(t - time.time()) < 900, f"audit time {r['time']} is not now"


@fvtest.timeout(900)
def test_tokens_and_audit_survive_host_restart():
    manifest = fvtest.BUILD_DIR / "images" / fvtest.kernel_suite() / "manifest.txt"
    if "\nsvc-layer " not in manifest.read_text():
        raise fvtest.Skip("service VM layer not built: the riscv64 libraries were not fetched "
                          "(`make guest-libs`, then `make test-configs`)")
    if not shutil.which("debugfs"):
        raise fvtest.TestFailure("debugfs (e2fsprogs) missing: run scripts/install-deps.sh")
    disk = fvtest.BUILD_DIR / "test-logs" / "svc-state.img"
    disk.unlink(missing_ok=True)
    fvtest.virtio_disk(disk, 0, size="64M")  # a blank image, as `run` creates one
    bundle = _bundle(disk)
    port = fvapi.free_port()

    with _boot(disk, bundle, port) as q:
        q.expect(r"^\[svc\] FV-SERVICE: state disk /dev/vda is blank: formatting it", 400)
        q.expect(r"^\[svc\] FV-SERVICE: state disk /dev/vda on /var/lib/ferrovisord", 60)
        q.expect(LISTEN, 120)
        admin = fvapi.console_admin_token(q)
        st, _, me = _api(port, "GET", "/whoami", admin)
        assert st == 200 and me == {"id": "admin", "role": "admin"}, (st, me)
        assert _api(port, "GET", "/whoami", CI_TOKEN)[2] == {"id": "ci", "role": "viewer"}
        st, _, prob = _api(port, "POST", "/vms/hello/stop", CI_TOKEN)
        assert st == 403 and "needs role operator" in prob["detail"], (st, prob)
        toks = {t["id"]: t["configured"] for t in _api(port, "GET", "/tokens", admin)[2]["tokens"]}
        assert toks == {"ci": True, "admin": False}, toks
        op_tok = fvapi.make_token(port, admin, "ops", "operator")
        heartbeat(q, "hello", 30)
        assert _api(port, "POST", "/vms/hello/stop", op_tok)[0] == 200
        assert _api(port, "POST", "/vms/hello/start", "fvt_ops." + "0" * 64)[0] == 401
        page = _api(port, "GET", "/audit", admin)[2]
        first = [(r["op"], r["status"], r["token"]) for r in page["records"]]
        assert first == [("POST /api/v1/vms/hello/stop", 403, "ci"),
                         ("POST /api/v1/tokens", 201, "admin"),
                         ("POST /api/v1/vms/hello/stop", 200, "ops"),
                         ("POST /api/v1/vms/hello/start", 401, None)], first
        _assert_audit_times_now(page["records"])
        q.kill()  # the whole host goes away without a shutdown

    with _boot(disk, bundle, port) as q:
        q.expect(r"^\[svc\] FV-SERVICE: state disk /dev/vda on /var/lib/ferrovisord", 400)
        q.expect(LISTEN, 120)
        time.sleep(1)
        assert "formatting" not in q.output, "the state disk was formatted again"
        assert not fvapi.first_admin_tokens(q.output), "a first admin token printed again"
        assert _api(port, "GET", "/whoami", admin)[2] == {"id": "admin", "role": "admin"}
        assert _api(port, "GET", "/whoami", op_tok)[2] == {"id": "ops", "role": "operator"}
        assert _api(port, "POST", "/vms/hello/stop", op_tok)[0] == 200
        assert _api(port, "DELETE", "/tokens/ops", admin)[0] == 204
        assert _api(port, "GET", "/whoami", op_tok)[0] == 401
        page = _api(port, "GET", "/audit", admin)[2]
        recs = page["records"]
        assert [(r["op"], r["status"], r["token"]) for r in recs[:4]] == first, recs
        assert [r["seq"] for r in recs] == list(range(1, len(recs) + 1)), recs
        assert [(r["op"], r["status"]) for r in recs[4:]] == [
            ("POST /api/v1/vms/hello/stop", 200), ("DELETE /api/v1/tokens/ops", 204),
            ("GET /api/v1/whoami", 401)], recs
        assert recs[4]["prev"] == recs[3]["hash"], "the chain does not continue over the restart"
        _assert_audit_times_now(recs[4:])
        head = page["head"]
        assert_healthy(q)
        q.kill()

    # The file system survived two kills: no block of a file handed out twice (ext2 has no
    # journal; the daemon syncs the bitmaps with syncfs). Lazy free-block counts are fine.
    p = subprocess.run(["e2fsck", "-fn", str(disk)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "Multiply-claimed" not in p.stdout, p.stdout + p.stderr
    # The log as it is on the disk, read on the host.
    out = fvtest.BUILD_DIR / "test-logs" / "svc-state-audit.log"
    p = subprocess.run(["debugfs", "-R", f"dump /audit.log {out}", str(disk)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and out.is_file(), p.stderr
    lines = out.read_text().splitlines()
    assert [json.loads(x)["hash"] for x in lines] == [r["hash"] for r in recs], lines
    p = subprocess.run([str(TOOL), "audit", "verify", str(out)], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0 and f"OK, {len(recs)} records, head {head}" in p.stdout, p.stdout
    p = subprocess.run(["debugfs", "-R", "cat /tokens.json", str(disk)], capture_output=True,
                       text=True, timeout=60)
    assert re.search(r'"id":\s*"admin"', p.stdout) and admin not in p.stdout, p.stdout
