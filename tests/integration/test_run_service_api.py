# SPDX-License-Identifier: MIT
"""`ferrovisor run` announces the management API of a configuration with a service VM.

With a fake QEMU (records its arguments, exits 0) nothing boots: the test checks that the
tool prints `Management API: http://ADDR:PORT/api/v1` for the host side of the TCP forward
to the daemon's port (8080) on a user-mode uplink of the service VM's switch, passes that
forward to QEMU, and prints nothing of the kind without a service VM or without such a
forward. The default `make run` configuration (examples/multi-vm.yaml) is checked with
--dry-run: it has the service VM and forwards 127.0.0.1:8080 (only 127.0.0.1) to it.
"""

import os
import stat
import subprocess
import tempfile
from pathlib import Path

import fvtest

ROOT = fvtest.REPO_ROOT
TOOL = ROOT / "build" / "tools" / "ferrovisor"
HYP = ROOT / "build" / "riscv64" / "ferrovisor.bin"
HELLO = ROOT / "build" / "guests" / "hello.bin"


def _run(cfg, tmp):
    for f in (TOOL, HYP, HELLO):
        if not f.is_file():
            raise fvtest.TestFailure(f"{f} missing: run `make all`")
    fake = Path(tmp) / "fake-qemu"
    fake.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{tmp}/qemu-args'\nexit 0\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    p = subprocess.run([str(TOOL), "run", "-c", str(cfg), "--qemu", str(fake), "--hypervisor",
                        str(HYP)], cwd=str(ROOT), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stderr.decode(), (Path(tmp) / "qemu-args").read_text()


def _config(tmp, service, fwd):
    role = "    role: service\n" if service else ""
    cfg = Path(tmp) / "svc.yaml"
    cfg.write_text(f"""host:
  cpus: 2
  memory: 512M
  switches:
    - name: mgmt
      uplink:
        user:
          hostfwd: [{", ".join(f'"{f}"' for f in fwd)}]
vms:
  - name: svc
{role}    memory: 32M
    kernel: {HELLO}
    network:
      - switch: mgmt
  - name: hello
    memory: 32M
    kernel: {HELLO}
""")
    return cfg


def test_run_prints_management_api_url():
    with tempfile.TemporaryDirectory() as tmp:
        fwd = ["tcp:127.0.0.1:10022-10.0.2.15:22", "tcp:127.0.0.1:18080-10.0.2.15:8080"]
        rc, err, args = _run(_config(tmp, True, fwd), tmp)
        assert rc == 0, err
        assert "Management API: http://127.0.0.1:18080/api/v1\n" in err, err
        assert err.count("Management API:") == 1, err
        assert "Dashboard: http://127.0.0.1:18080/\n" in err, err
        assert "hostfwd=tcp:127.0.0.1:18080-10.0.2.15:8080" in args, args


def test_run_no_url_without_service_vm_or_forward():
    with tempfile.TemporaryDirectory() as tmp:
        rc, err, _ = _run(_config(tmp, False, ["tcp:127.0.0.1:18080-10.0.2.15:8080"]), tmp)
        assert rc == 0 and "Management API" not in err, err
    with tempfile.TemporaryDirectory() as tmp:
        rc, err, _ = _run(_config(tmp, True, ["tcp:127.0.0.1:10022-10.0.2.15:22"]), tmp)
        assert rc == 0 and "Management API" not in err, err
        assert "Dashboard:" not in err, err


def test_make_run_config_has_service_vm():
    suite = fvtest.kernel_suite()
    if not (ROOT / "build" / "images" / suite / "svc-initramfs.cpio.gz").is_file():
        raise fvtest.Skip("no service initramfs (`make images`, then `make run` or "
                          f"`make build/images/{suite}/initramfs.cpio.gz`)")
    p = subprocess.run([str(TOOL), "run", "-c", "examples/multi-vm.yaml", "--dry-run"],
                       cwd=str(ROOT), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60,
                       env=dict(os.environ, FERROVISOR_KERNEL=suite))
    out, err = p.stdout.decode(), p.stderr.decode()
    assert p.returncode == 0, err
    assert "hostfwd=tcp:127.0.0.1:8080-10.0.2.20:8080" in out, out
    p = subprocess.run([str(TOOL), "validate", "-c", "examples/multi-vm.yaml"], cwd=str(ROOT),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60, env=dict(os.environ, FERROVISOR_KERNEL=suite))
    shown = p.stdout.decode()
    assert p.returncode == 0, shown
    svc = shown[shown.index('name: "svc"'):]
    assert "role: service" in svc and 'switch: "mgmt"' in svc, svc
    assert "fv.svc.backend=hvc" in svc and "svc-initramfs.cpio.gz" in svc, svc
    # Its state disk (tokens, audit log) is its first virtio disk, /dev/vda.
    assert "fv.svc.state=/dev/vda" in svc and "svc-state.img" in svc, svc
    assert "guest virtio device 0 " in svc[svc.index("svc-state.img"):], svc
