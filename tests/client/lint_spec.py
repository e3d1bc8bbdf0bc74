"""Lints an OpenAPI 3.1 document the way a client author reads it.

Usage: python lint_spec.py [SPEC] (default: openapi/openapi.json of this repository).

Fails, printing each failure with its JSON path, when
- an example does not validate against its schema: a schema's `example` / `examples`, a media
  type's `example` / `examples`, a parameter's or a header's (JSON Schema 2020-12, `$ref`s
  resolved within the document, formats checked);
- an operation has no `description`, or a summary of more than one line;
- `servers` or `info.contact` is missing.

Uses `jsonschema_rs`, which schemathesis brings into the virtualenv `.ci/run` makes.
"""

import json
import re
import sys
from pathlib import Path
from urllib.parse import quote

import jsonschema_rs

SPEC_URI = "urn:sgh:openapi"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Keywords whose value is a schema, a list of schemas, or a map of names to schemas.
ONE_SCHEMA = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
              "unevaluatedItems", "unevaluatedProperties", "additionalItems", "contentSchema")
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")


def json_path(tokens):
    """`$.paths["/v1/me"].get.responses["200"]` for the tokens of a location."""
    out = "$"
    for t in tokens:
        if isinstance(t, int):
            out += f"[{t}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", t):
            out += f".{t}"
        else:
            out += f"[{json.dumps(t, ensure_ascii=False)}]"
    return out


def pointer(tokens):
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


class Linter:
    def __init__(self, spec):
        self.spec = spec
        self.registry = jsonschema_rs.Registry([(SPEC_URI, spec)], draft=jsonschema_rs.Draft202012)
        self.validators = {}
        self.failures = []
        self.examples = 0
        self.operations = 0

    def fail(self, tokens, message):
        self.failures.append(f"{json_path(tokens)}: {message}")

    def node(self, tokens):
        node = self.spec
        for t in tokens:
            node = node[t]
        return node

    def resolve(self, tokens):
        """Follows a non-schema object's `$ref` (`#/components/...`) to where it is written."""
        seen = set()
        node = self.node(tokens)
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            ref = node["$ref"]
            if ref in seen:
                break
            seen.add(ref)
            tokens = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
            node = self.node(tokens)
        return tokens, node

    def check_example(self, schema_tokens, example, where):
        """`example` (at `where`) against the schema written at `schema_tokens`."""
        self.examples += 1
        key = pointer(schema_tokens)
        validator = self.validators.get(key)
        if validator is None:
            validator = jsonschema_rs.Draft202012Validator(
                {"$ref": f"{SPEC_URI}#{quote(key, safe='/~')}"}, registry=self.registry, validate_formats=True)
            self.validators[key] = validator
        for error in validator.iter_errors(example):
            at = "".join(f"/{p}" for p in error.instance_path) or "the whole example"
            self.fail(where, f"at {at}: {error.message} (schema {json_path(schema_tokens)})")

    def schema(self, tokens):
        node = self.node(tokens)
        if not isinstance(node, dict):
            return
        if "example" in node:
            self.check_example(tokens, node["example"], tokens + ["example"])
        if isinstance(node.get("examples"), list):
            for i, example in enumerate(node["examples"]):
                self.check_example(tokens, example, tokens + ["examples", i])
        for key in ONE_SCHEMA:
            if isinstance(node.get(key), dict):
                self.schema(tokens + [key])
        for key in SCHEMA_LISTS:
            for i, _ in enumerate(node.get(key) or []):
                self.schema(tokens + [key, i])
        for key in SCHEMA_MAPS:
            for name in node.get(key) or {}:
                self.schema(tokens + [key, name])

    def examples_of(self, tokens, schema_tokens):
        """The `example` and `examples` of a media type, parameter or header."""
        node = self.node(tokens)
        if "example" in node:
            self.check_example(schema_tokens, node["example"], tokens + ["example"])
        for name in node.get("examples") or {}:
            where, example = self.resolve(tokens + ["examples", name])
            if "value" in example:
                self.check_example(schema_tokens, example["value"], where + ["value"])

    def with_schema(self, tokens):
        """A media type, parameter or header: its schema and the examples of it."""
        tokens, node = self.resolve(tokens)
        if "schema" in node:
            self.schema(tokens + ["schema"])
            self.examples_of(tokens, tokens + ["schema"])
        elif "example" in node or "examples" in node:
            self.fail(tokens, "examples without a schema to hold them to")
        for media in node.get("content") or {}:
            self.with_schema(tokens + ["content", media])

    def body_or_response(self, tokens):
        tokens, node = self.resolve(tokens)
        for name in node.get("headers") or {}:
            self.with_schema(tokens + ["headers", name])
        for media in node.get("content") or {}:
            self.with_schema(tokens + ["content", media])

    def operation(self, tokens):
        self.operations += 1
        op = self.node(tokens)
        if not (isinstance(op.get("description"), str) and op["description"].strip()):
            self.fail(tokens, "no description (who may call it, what it does and changes)")
        if "\n" in (op.get("summary") or ""):
            self.fail(tokens + ["summary"], "more than one line: end the doc comment's first paragraph after a line")
        for i, _ in enumerate(op.get("parameters") or []):
            self.with_schema(tokens + ["parameters", i])
        if "requestBody" in op:
            self.body_or_response(tokens + ["requestBody"])
        for status in op.get("responses") or {}:
            self.body_or_response(tokens + ["responses", status])

    def run(self):
        spec = self.spec
        contact = spec.get("info", {}).get("contact")
        if not (isinstance(contact, dict) and any(contact.get(k) for k in ("name", "url", "email"))):
            self.fail(["info"], "no contact (name, url or email)")
        servers = spec.get("servers")
        if not (isinstance(servers, list) and servers and all(isinstance(s, dict) and s.get("url") for s in servers)):
            self.fail([], "no servers, each with its url")
        components = spec.get("components", {})
        for name in components.get("schemas") or {}:
            self.schema(["components", "schemas", name])
        for kind in ("parameters", "headers"):
            for name in components.get(kind) or {}:
                self.with_schema(["components", kind, name])
        for kind in ("responses", "requestBodies"):
            for name in components.get(kind) or {}:
                self.body_or_response(["components", kind, name])
        for path, item in (spec.get("paths") or {}).items():
            for i, _ in enumerate(item.get("parameters") or []):
                self.with_schema(["paths", path, "parameters", i])
            for method in METHODS:
                if method in item:
                    self.operation(["paths", path, method])
        if self.operations == 0 or self.examples == 0:
            self.fail([], f"nothing to lint: {self.operations} operations, {self.examples} examples")


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "openapi/openapi.json"
    linter = Linter(json.loads(path.read_text(encoding="utf-8")))
    linter.run()
    for failure in linter.failures:
        print(failure)
    print(f"{path}: {linter.operations} operations, {linter.examples} examples checked, "
          f"{len(linter.failures)} failures")
    return 1 if linter.failures else 0


if __name__ == "__main__":
    sys.exit(main())
