# SPDX-License-Identifier: MIT
"""Tokens, roles and the audit log of ferrovisord on the host (sim backend, no QEMU).

- The role matrix is generated from docs/api/openapi.yaml: every operation must name its
  least role in `x-min-role` (an operation without one fails the test), and every operation
  is called with no token, bad tokens and a viewer, operator and admin token: 401 (problem
  `unauthorized`, `WWW-Authenticate: Bearer`) without a valid token, 403 naming the role
  needed below it, anything but 401/403 at or above it.
- Every mutating call (and every authentication failure) leaves one audit record with its
  token, role, source, operation, target and status, in order, read back page by page
  through GET /audit; the file passes `ferrovisor audit verify`, and a changed field, a
  deleted line, two lines swapped, a changed last record or a cut-off last line are each
  reported with the line and exit status 1.
- The state directory: the first admin token is printed on the first start only; after a
  restart the tokens still work and the audit chain continues.
- Configured tokens (--tokens) work and cannot be deleted; the remote CLI sends the token
  from --token-file or $FERROVISOR_TOKEN and prints the problem of a 401/403.
"""

import hashlib
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import yaml

import fvapi
import fvtest
import openapi_check

ROOT = fvtest.REPO_ROOT
TOOL = ROOT / "build" / "tools" / "ferrovisor"
ROLE_RANK = {"public": 0, "viewer": 1, "operator": 2, "admin": 3}


def _doc():
    doc = yaml.safe_load(fvapi.DOC_PATH.read_text())
    errs = openapi_check.check_document(doc)
    assert not errs, errs
    return doc


def _operations(doc):
    for tmpl, item in doc["paths"].items():
        item = openapi_check.resolve(doc, item)
        for m in openapi_check.METHODS:
            if m in item:
                yield tmpl, m, item[m]


def _call(d, method, path, token, doc=None, **kw):
    """The module's one request helper: a token (or None) and, with doc, the response
    validated against the document."""
    st, r, data = d.call(method, path, token, **kw)
    if doc is not None and st != 404:
        errs = openapi_check.validate_response(doc, path.split("?")[0], method, st,
                                               r.getheader("Content-Type", ""), data)
        assert not errs, (method, path, st, errs)
    return st, r, data


def _verify(path):
    p = subprocess.run([str(TOOL), "audit", "verify", str(path)], capture_output=True,
                       text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def test_role_matrix_from_openapi():
    doc = _doc()
    ops = list(_operations(doc))
    missing = [f"{m.upper()} {t}" for t, m, op in ops if op.get("x-min-role") not in ROLE_RANK]
    assert not missing, f"operations without x-min-role (add it and a row to fvd_auth.c): {missing}"
    with tempfile.TemporaryDirectory() as tmp, fvapi.SimDaemon(state_dir=tmp) as d:
        admin = d.token
        assert admin, d.banner
        tokens = {r: fvapi.make_token(d.port, admin, f"m-{r}", r) for r in fvapi.ROLES}
        wrong_secret = tokens["admin"][:-4] + ("0000" if not tokens["admin"].endswith("0000")
                                               else "1111")
        bad = {"none": None, "garbage": "fvt_nope", "unknown-id": "fvt_ghost." + "a" * 64,
               "wrong-secret": wrong_secret, "basic": None}
        n = 0
        for tmpl, method, op in ops:
            need = op["x-min-role"]
            path = tmpl.replace("{name}", "nosuch").replace("{id}", "nosuch")
            if tmpl == "/events":
                path += "?follow=false"  # the retained events, then the stream ends
            body, hdrs = None, {}
            if (tmpl, method) == ("/tokens", "post"):
                hdrs = {"Content-Type": "application/json"}
            for label, tok in bad.items():
                extra = dict(hdrs)
                if label == "basic":
                    extra["Authorization"] = "Basic YWRtaW46YWRtaW4="
                st, r, data = _call(d, method.upper(), path, tok, doc, body=body,
                                    extra_headers=extra)
                if need == "public":
                    assert st not in (401, 403), (method, path, label, st)
                    continue
                assert st == 401, (method, path, label, st, data)
                assert data["type"] == "urn:ferrovisor:problem:unauthorized", data
                assert r.getheader("WWW-Authenticate", "").startswith("Bearer"), r.headers
            for role in fvapi.ROLES:
                if (tmpl, method) == ("/tokens", "post"):
                    n += 1
                    body = json.dumps({"id": f"x{n}", "role": "viewer"})
                st, r, data = _call(d, method.upper(), path, tokens[role], doc, body=body,
                                    extra_headers=hdrs)
                if ROLE_RANK[role] < ROLE_RANK[need]:
                    assert st == 403, (method, path, role, st, data)
                    assert data["type"] == "urn:ferrovisor:problem:forbidden", data
                    assert f"needs role {need}" in data["detail"], data
                    assert f"token 'm-{role}' has role {role}" in data["detail"], data
                else:
                    assert st not in (401, 403), (method, path, role, st, data)
        # Outside the document: no token 401 first, a valid token learns 404/405.
        assert _call(d, "GET", "/nothing", None)[0] == 401
        assert _call(d, "GET", "/nothing", tokens["viewer"])[0] == 404
        assert _call(d, "PUT", "/vms", tokens["viewer"])[0] == 405
        assert _call(d, "PUT", "/vms", None)[0] == 401


def test_audit_records_each_mutating_call():
    doc = _doc()
    with tempfile.TemporaryDirectory() as tmp, fvapi.SimDaemon(state_dir=tmp) as d:
        admin = d.token
        op_tok = fvapi.make_token(d.port, admin, "ops", "operator")
        view = fvapi.make_token(d.port, admin, "look", "viewer")
        blob = b"\x5a" * 1000
        pkg = {"Content-Type": "application/octet-stream", "Content-Length": str(len(blob))}
        calls = [  # (method, path, token, body, headers, expected status, token id, target)
            ("POST", "/vms/alpha/pause", op_tok, None, {}, 200, "ops", "alpha"),
            ("POST", "/vms/alpha/pause", op_tok, None, {}, 409, "ops", "alpha"),
            ("POST", "/vms/alpha/resume", view, None, {}, 403, "look", "alpha"),
            ("POST", "/vms/alpha/resume", op_tok, None, {}, 200, "ops", "alpha"),
            ("GET", "/vms", None, None, {}, 401, None, ""),
            ("GET", "/vms", view, None, {}, 200, None, None),  # a read: not recorded
            ("POST", "/vms?name=gamma&memory_mb=64", admin, blob, pkg, 201, "admin", "gamma"),
            ("POST", "/vms?name=gamma2", op_tok, blob, pkg, 403, "ops", "gamma2"),
            ("DELETE", "/vms/gamma", admin, None, {}, 204, "admin", "gamma"),
            ("DELETE", "/vms/service", admin, None, {}, 403, "admin", "service"),
            ("POST", "/vms/beta/stop", "fvt_look." + "0" * 64, None, {}, 401, None, "beta"),
            ("DELETE", "/tokens/look", admin, None, {}, 204, "admin", "look"),
            ("GET", "/whoami", view, None, {}, 401, None, ""),  # revoked
        ]
        before = _call(d, "GET", "/audit?limit=500", admin, doc)[2]["records"]
        roles = {"admin": "admin", "ops": "operator", "look": "viewer", None: None}
        want = []
        for method, path, tok, body, hdrs, status, tid, target in calls:
            st = _call(d, method, path, tok, doc, body=body, extra_headers=hdrs)[0]
            assert st == status, (method, path, st)
            if target is not None:
                route = path.split("?")[0]
                want.append((method + " /api/v1" + route, status, tid, roles[tid], target))
        # Read back through the paged API, two records a page.
        recs, after = [], len(before)
        while True:
            page = _call(d, "GET", f"/audit?after={after}&limit=2", admin, doc)[2]
            recs += page["records"]
            assert len(page["records"]) <= 2
            if page["next"] is None:
                break
            after = page["next"]
        got = [(r["op"], r["status"], r["token"], r["role"], r["target"]) for r in recs]
        assert got == want, "\n".join(map(str, got))
        assert all(r["source"] == "127.0.0.1" for r in recs), recs
        assert [r["seq"] for r in before + recs] == list(range(1, len(before) + len(recs) + 1))
        assert page["head"] == recs[-1]["hash"]
        # The file on disk is the same chain and verifies.
        lines = (Path(tmp) / "audit.log").read_text().splitlines()
        assert [json.loads(x) for x in lines] == before + recs
        rc, out = _verify(Path(tmp) / "audit.log")
        assert rc == 0 and f"OK, {len(lines)} records, head {page['head']}" in out, out


def test_tampered_audit_log_detected():
    with tempfile.TemporaryDirectory() as tmp:
        with fvapi.SimDaemon(state_dir=tmp) as d:
            for verb in ("pause", "resume", "stop", "start", "reset", "stop"):
                assert _call(d, "POST", f"/vms/alpha/{verb}", d.token)[0] == 200
        log = Path(tmp) / "audit.log"
        lines = log.read_text().splitlines(keepends=True)
        assert len(lines) == 6
        rc, out = _verify(log)
        assert rc == 0 and "OK, 6 records" in out, out

        def broken(name, new_lines, line, why):
            f = Path(tmp) / name
            f.write_text("".join(new_lines))
            rc, out = _verify(f)
            assert rc == 1 and f"{f}:{line}: BROKEN" in out and why in out, (name, out)

        edited = list(lines)
        edited[2] = edited[2].replace('"status":200', '"status":403')
        assert edited[2] != lines[2]
        broken("field.log", edited, 3, "hash mismatch")
        edited = list(lines)
        edited[1] = edited[1].replace('"token":"admin"', '"token":"nobody"')
        broken("token.log", edited, 2, "hash mismatch")
        broken("deleted.log", lines[:2] + lines[3:], 3, "seq 4, expected 3")
        broken("reordered.log", lines[:2] + [lines[3], lines[2]] + lines[4:], 3, "seq")
        edited = list(lines)
        edited[5] = edited[5].replace("/stop", "/halt")
        broken("last.log", edited, 6, "hash mismatch")
        broken("cut.log", lines[:5] + [lines[5][:40]], 6, "cut off")
        # A record re-sealed with a correct own hash still fails to chain from the next one.
        rec = json.loads(lines[2])
        rec["status"] = 500
        del rec["hash"]
        body = json.dumps(rec, separators=(",", ":"))
        rec_hash = hashlib.sha256(body.encode()).hexdigest()
        resealed = body[:-1] + f',"hash":"{rec_hash}"}}\n'
        broken("resealed.log", lines[:2] + [resealed] + lines[3:], 4, "does not chain")
        # Renumbering records after a deletion does not help either.
        renum = []
        for i, x in enumerate(lines[:2] + lines[3:]):
            r = json.loads(x)
            r["seq"] = i + 1
            renum.append(json.dumps(r, separators=(",", ":")) + "\n")
        broken("renumbered.log", renum, 3, "")


def test_state_dir_survives_restart():
    with tempfile.TemporaryDirectory() as tmp:
        with fvapi.SimDaemon(state_dir=tmp) as d:
            admin = d.token
            assert admin and admin.startswith("fvt_admin."), d.banner
            op_tok = fvapi.make_token(d.port, admin, "ops", "operator")
            assert _call(d, "POST", "/vms/alpha/stop", op_tok)[0] == 200
            assert _call(d, "GET", "/vms", None)[0] == 401
        store = (Path(tmp) / "tokens.json").read_text()
        assert admin not in store and admin.split(".")[1] not in store, "secret stored"
        assert hashlib.sha256(admin.encode()).hexdigest() in store
        with fvapi.SimDaemon(state_dir=tmp) as d:
            assert d.token is None and not fvapi.first_admin_tokens("".join(d.banner)), d.banner
            assert _call(d, "GET", "/whoami", admin)[2] == {"id": "admin", "role": "admin"}
            assert _call(d, "GET", "/whoami", op_tok)[2] == {"id": "ops", "role": "operator"}
            assert _call(d, "POST", "/vms/alpha/stop", op_tok)[0] == 200  # the sim starts anew
            recs = _call(d, "GET", "/audit", admin)[2]["records"]
        assert [r["seq"] for r in recs] == [1, 2, 3, 4], recs
        assert [r["op"] for r in recs] == ["POST /api/v1/tokens", "POST /api/v1/vms/alpha/stop",
                                           "GET /api/v1/vms", "POST /api/v1/vms/alpha/stop"]
        rc, out = _verify(Path(tmp) / "audit.log")
        assert rc == 0 and "OK, 4 records" in out, out
        # Without a state directory nothing is kept: a new token on every start.
        with fvapi.SimDaemon() as d1, fvapi.SimDaemon() as d2:
            assert d1.token and d2.token and d1.token != d2.token
            assert _call(d2, "GET", "/whoami", d1.token)[0] == 401


def test_configured_tokens_and_cli():
    with tempfile.TemporaryDirectory() as tmp:
        ci = "fvt_ci." + "ab" * 32
        conf = Path(tmp) / "tokens.json"
        conf.write_text(json.dumps({"tokens": [
            {"id": "ci", "role": "viewer", "sha256": hashlib.sha256(ci.encode()).hexdigest()}]}))
        state = Path(tmp) / "state"
        state.mkdir()
        with fvapi.SimDaemon(state_dir=state, extra=["--tokens", str(conf)]) as d:
            assert _call(d, "GET", "/whoami", ci)[2] == {"id": "ci", "role": "viewer"}
            toks = _call(d, "GET", "/tokens", d.token)[2]["tokens"]
            assert {t["id"]: t["configured"] for t in toks} == {"ci": True, "admin": False}
            assert _call(d, "DELETE", "/tokens/ci", d.token)[0] == 409
            assert _call(d, "DELETE", "/tokens/admin", d.token)[0] == 409  # the last admin
            st, _, prob = _call(d, "DELETE", "/tokens/-bad", d.token)
            assert st == 400 and prob["title"] == "Invalid token id", (st, prob)
            assert _call(d, "POST", "/tokens", d.token, body='{"id":"ci","role":"admin"}')[0] == 409
            for bad in ('{"id":"-x","role":"admin"}', '{"id":"y","role":"root"}', "not json",
                        '{"id":"y","role":"admin","extra":1}'):
                assert _call(d, "POST", "/tokens", d.token, body=bad)[0] == 400, bad
            url = f"http://127.0.0.1:{d.port}"
            tf = Path(tmp) / "tok"
            env = {k: v for k, v in os.environ.items() if k != "FERROVISOR_TOKEN"}

            def cli(*args, token_env=None):
                e = dict(env, **({"FERROVISOR_TOKEN": token_env} if token_env else {}))
                p = subprocess.run([str(TOOL), "--api", url, *args], capture_output=True,
                                   text=True, timeout=30, env=e)
                return p.returncode, p.stdout + p.stderr

            rc, out = cli("vm", "list")
            assert rc == 3 and "401" in out and "no Authorization header" in out, out
            tf.write_text(ci + "\n")
            rc, out = cli("--token-file", str(tf), "vm", "list")
            assert rc == 0 and "alpha" in out, out
            rc, out = cli("--token-file", str(tf), "vm", "stop", "alpha")
            assert rc == 3 and "403" in out and "needs role operator" in out, out
            rc, out = cli("vm", "stop", "alpha", token_env=d.token)
            assert rc == 0 and "alpha: stopped" in out, out
            rc, out = cli("vm", "list", token_env="fvt_ci." + "00" * 32)
            assert rc == 3 and "401" in out and "invalid or revoked" in out, out
            tf.write_text("two words\n")
            rc, out = cli("--token-file", str(tf), "vm", "list")
            assert rc == 2 and "blank" in out, out
        # A configuration file with a bad entry stops the daemon with a message.
        conf.write_text('{"tokens":[{"id":"ci","role":"root","sha256":"00"}]}')
        p = subprocess.run([str(fvapi.DAEMON), "--port", "0", "--tokens", str(conf)],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 1 and "token entry needs" in p.stderr, p.stderr


def test_yaml_tokens_reach_the_initrd():
    """YAML `tokens:` of the service VM: checked with file:line:col, and carried as
    /etc/ferrovisord/tokens.json in a cpio layer at the end of its initrd, which ferrovisord
    accepts as --tokens (test_svc_state.py boots it)."""
    hello = ROOT / "build" / "guests" / "hello.bin"
    sha = hashlib.sha256(b"fvt_ci." + b"ab" * 32).hexdigest()
    with tempfile.TemporaryDirectory() as tmp:
        init = Path(tmp) / "init.bin"
        init.write_bytes(b"\x1f\x8b" + b"\x00" * 1001)  # a size that needs alignment padding

        def cfg(role, tokens):
            f = Path(tmp) / "t.yaml"
            f.write_text(f"vms:\n  - name: svc\n    role: {role}\n    kernel: {hello}\n"
                         f"    initrd: {init}\n    tokens:\n{tokens}")
            return f

        def tool(*args):
            p = subprocess.run([str(TOOL), *map(str, args)], capture_output=True, text=True,
                               timeout=30)
            return p.returncode, p.stdout + p.stderr

        good = f"      - {{id: ci, role: viewer, sha256: {sha}}}\n"
        # `ferrovisor token new` makes a token and its YAML entry.
        rc, out = tool("token", "new", "ops", "operator")
        ops_token, ops_entry = out.splitlines()
        assert rc == 0 and re.fullmatch(r"fvt_ops\.[0-9a-f]{64}", ops_token), out
        ops_sha = hashlib.sha256(ops_token.encode()).hexdigest()
        assert ops_entry == f"- {{id: ops, role: operator, sha256: {ops_sha}}}", out
        assert tool("token", "new", "-x", "admin")[0] == 2
        assert tool("token", "new", "x", "root")[0] == 2
        for role, toks, where in (
                ("service", "      - {id: -ci, role: viewer, sha256: %s}\n" % sha, "7:14: tokens[0].id"),
                ("service", "      - {id: ci, role: root, sha256: %s}\n" % sha, "7:24: tokens[0].role"),
                ("service", "      - {id: ci, role: admin, sha256: %s}\n" % sha.upper(), "7:39: tokens[0].sha256"),
                ("service", "      - {id: ci, role: admin}\n", "7:9: tokens[0]: needs"),
                ("service", good + good, "8:14: tokens[1]: id \"ci\" is already"),
                ("guest", good, "7:7: tokens: only the service VM")):
            f = cfg(role, toks)
            rc, out = tool("validate", f)
            assert rc == 1 and f"{f}:{where}" in out, (toks, out)
        f = cfg("service", good + "      " + ops_entry + "\n")
        bundle = Path(tmp) / "b.fvb"
        rc, out = tool("build", "--config", f, "-o", bundle)
        assert rc == 0, out
        blob = bundle.read_bytes()
        start = blob.index(init.read_bytes()) + 1003
        layer = blob[start:start + 1024]
        assert layer[:1] == b"\0" and layer[1:7] == b"070701", layer[:16]  # 4-byte aligned
        # Every header (and the trailer) 4-byte aligned from the initrd's start, as Linux
        # requires ("broken padding" otherwise); GNU cpio below would tolerate it.
        heads = [i for i in range(len(layer)) if layer[i:i + 6] == b"070701"]
        assert len(heads) == 4 and all((1003 + i) % 4 == 0 for i in heads), heads
        out_dir = Path(tmp) / "x"
        out_dir.mkdir()
        p = subprocess.run(["cpio", "-id", "--quiet"], input=layer[1:], cwd=out_dir,
                           capture_output=True, timeout=30)
        tokens_file = out_dir / "etc" / "ferrovisord" / "tokens.json"
        assert tokens_file.is_file(), p.stderr
        assert json.loads(tokens_file.read_text()) == {"tokens": [
            {"id": "ci", "role": "viewer", "sha256": sha},
            {"id": "ops", "role": "operator", "sha256": ops_sha}]}
        # The daemon takes exactly that file.
        with fvapi.SimDaemon(extra=["--tokens", str(tokens_file)]) as d:
            assert _call(d, "GET", "/whoami", "fvt_ci." + "ab" * 32)[2] == {
                "id": "ci", "role": "viewer"}
            assert _call(d, "GET", "/whoami", ops_token)[2] == {"id": "ops", "role": "operator"}
