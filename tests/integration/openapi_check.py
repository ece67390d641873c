# SPDX-License-Identifier: MIT
"""A small OpenAPI 3.1 checker for the tests of ferrovisord (docs/api/openapi.yaml).

check_document(doc) validates the document's structure (version, paths, operations with
responses, every $ref resolvable) and returns a list of errors. validate_response(doc,
path, method, status, ctype, body) finds the operation of a concrete path (templates such
as /vms/{name} match one segment) and validates the body against the response's schema
with the JSON-schema subset the document uses: type, enum, required, properties,
additionalProperties, items, pattern, minimum, maximum, minLength, $ref; a type may be
[T, "null"].
"""

import re

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def resolve(doc, node):
    """Follows $ref chains ("#/a/b") to the node they name."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"external $ref {ref!r} not supported")
        node = doc
        for part in ref[2:].split("/"):
            if not isinstance(node, dict) or part not in node:
                raise ValueError(f"$ref {ref!r} does not resolve")
            node = node[part]
        seen += 1
        if seen > 32:
            raise ValueError(f"$ref loop at {ref!r}")
    return node


def _walk_refs(doc, node, where, errors):
    if isinstance(node, dict):
        if "$ref" in node:
            try:
                resolve(doc, node)
            except ValueError as e:
                errors.append(f"{where}: {e}")
        for k, v in node.items():
            _walk_refs(doc, v, f"{where}/{k}", errors)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _walk_refs(doc, v, f"{where}/{i}", errors)


def check_document(doc):
    errors = []
    if not str(doc.get("openapi", "")).startswith("3."):
        errors.append("openapi: not a 3.x document")
    for key in ("title", "version"):
        if key not in doc.get("info", {}):
            errors.append(f"info.{key} missing")
    paths = doc.get("paths")
    if not isinstance(paths, dict) or not paths:
        errors.append("paths missing or empty")
        paths = {}
    _walk_refs(doc, doc, "#", errors)
    for p, item in paths.items():
        if not p.startswith("/"):
            errors.append(f"path {p!r} does not start with /")
        try:
            item = resolve(doc, item)
        except ValueError:
            continue  # reported by _walk_refs
        ops = [m for m in METHODS if m in item]
        if not ops:
            errors.append(f"{p}: no operation")
        params = re.findall(r"\{([^}]+)\}", p)
        declared = {resolve(doc, x).get("name") for x in item.get("parameters", [])}
        for m in ops:
            op = item[m]
            declared_op = declared | {resolve(doc, x).get("name") for x in op.get("parameters", [])}
            for name in params:
                if name not in declared_op:
                    errors.append(f"{m.upper()} {p}: path parameter {name!r} not declared")
            if not op.get("responses"):
                errors.append(f"{m.upper()} {p}: no responses")
            for code in op.get("responses", {}):
                if code != "default" and not re.fullmatch(r"[1-5][0-9][0-9]", str(code)):
                    errors.append(f"{m.upper()} {p}: bad status {code!r}")
    return errors


def operation(doc, path, method):
    """(template, operation) for a concrete path, or (None, None)."""
    for tmpl, item in doc["paths"].items():
        rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(tmpl)) + "$"
        if re.match(rx, path):
            item = resolve(doc, item)
            op = item.get(method.lower())
            if op is not None:
                return tmpl, op
    return None, None


def validate(doc, schema, value, where="$"):
    """Errors of value against schema (list of strings)."""
    schema = resolve(doc, schema)
    errs = []
    t = schema.get("type")
    if isinstance(t, list):  # OpenAPI 3.1 / JSON schema: [T, "null"] (one T besides null)
        if value is None:
            return [] if "null" in t else [f"{where}: null where {t} expected"]
        rest = [x for x in t if x != "null"]
        t = rest[0] if len(rest) == 1 else None
    types = {"object": dict, "array": list, "string": str, "boolean": bool}
    if t == "integer":
        if isinstance(value, bool) or not (isinstance(value, int) or
                                           (isinstance(value, float) and value.is_integer())):
            return [f"{where}: {value!r} is not an integer"]
    elif t == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [f"{where}: {value!r} is not a number"]
    elif t in types and not isinstance(value, types[t]):
        return [f"{where}: {type(value).__name__} where {t} expected"]
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errs.append(f"{where}: {value!r} does not match {schema['pattern']!r}")
        if len(value) < schema.get("minLength", 0):
            errs.append(f"{where}: shorter than {schema['minLength']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append(f"{where}: {value} < minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errs.append(f"{where}: {value} > maximum {schema['maximum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in value:
                errs.append(f"{where}: required {k!r} missing")
        for k, v in value.items():
            if k in props:
                errs += validate(doc, props[k], v, f"{where}.{k}")
            elif schema.get("additionalProperties", True) is False:
                errs.append(f"{where}: unexpected property {k!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                errs += validate(doc, schema["additionalProperties"], v, f"{where}.{k}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            errs += validate(doc, schema["items"], v, f"{where}[{i}]")
    return errs


def validate_response(doc, path, method, status, ctype, body):
    """Errors of one HTTP response against the document (list of strings)."""
    tmpl, op = operation(doc, path, method)
    if op is None:
        return [f"{method} {path}: not in the document"]
    responses = op["responses"]
    resp = responses.get(str(status)) or responses.get("default")
    if resp is None:
        return [f"{method} {tmpl}: status {status} not documented"]
    resp = resolve(doc, resp)
    content = resp.get("content")
    if not content:
        return [] if not body else [f"{method} {tmpl} {status}: body where none documented"]
    ctype = (ctype or "").split(";")[0].strip()
    if ctype not in content:
        return [f"{method} {tmpl} {status}: content type {ctype!r} not in {list(content)}"]
    schema = content[ctype].get("schema")
    if schema is None:
        return []
    return validate(doc, schema, body, f"{method} {tmpl} {status}")


def parse_sse(text):
    """Server-sent events (text/event-stream) as a list of dicts {event, id, data} (data
    joined over its lines; event "message" when absent); comment lines are skipped. A
    trailing incomplete event (no blank line yet) is left out."""
    events = []
    cur = {}
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line == "":
            if "data" in cur:  # a block without data (e.g. only retry:) is no event
                cur.setdefault("event", "message")
                events.append(cur)
            cur = {}
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "data":
            cur["data"] = cur["data"] + "\n" + value if "data" in cur else value
        elif field in ("event", "id", "retry"):
            cur[field] = value
    return events


def validate_sse(doc, path, method, status, ctype, events):
    """Errors of an event stream response: each event's data must be JSON valid against the
    schema its `x-sse-events` entry names (the event's type, else `default`)."""
    import json

    tmpl, op = operation(doc, path, method)
    if op is None:
        return [f"{method} {path}: not in the document"]
    resp = op["responses"].get(str(status)) or op["responses"].get("default")
    if resp is None:
        return [f"{method} {tmpl}: status {status} not documented"]
    content = resolve(doc, resp).get("content", {})
    ctype = (ctype or "").split(";")[0].strip()
    if ctype != "text/event-stream" or ctype not in content:
        return [f"{method} {tmpl} {status}: content type {ctype!r} not in {list(content)}"]
    kinds = content[ctype].get("x-sse-events", {})
    errs = []
    for i, ev in enumerate(events):
        schema = kinds.get(ev.get("event")) or kinds.get("default")
        where = f"{method} {tmpl} event[{i}] {ev.get('event')}"
        if schema is None:
            errs.append(f"{where}: event type not documented")
            continue
        try:
            data = json.loads(ev.get("data", ""))
        except ValueError:
            errs.append(f"{where}: data is not JSON: {ev.get('data')!r}")
            continue
        errs += validate(doc, schema, data, where)
    return errs
