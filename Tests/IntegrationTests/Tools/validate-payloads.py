#!/usr/bin/env python3
"""Validates postgres-agent payloads against docs/schema/payload-v1.schema.json.

usage: validate-payloads.py [--definition NAME] [--max-errors N] SCHEMA FILE [FILE ...]

Each FILE holds one JSON document, JSON lines (one payload per line), or several JSON documents one
after the other (as `collect --once [--pretty]` prints one per configured server). A file that
starts with the gzip magic bytes is decompressed first (a spooled or received body). `-` reads
standard input. Blank lines are skipped.

--definition NAME validates against `#/$defs/NAME` of the schema instead of the whole payload, for
example `--definition log_event` for the output of `logs parse` and `logs tail --output`.

For every failure it prints one line: the file, the line the payload starts on, the JSON path and what
is wrong. It never prints a payload, and prints a value only when it is a number, a boolean, null, or a
short string without blanks (payloads hold query texts and log messages).

The last line is `validated N payloads, M invalid`.
Exit status: 0 when every payload is valid, 1 when any is invalid (a line that is not JSON or an empty
file counts as one invalid payload), 2 on a usage error, an unreadable file or an unusable schema.
"""
import argparse
import gzip
import json
import re
import sys

try:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
except ImportError:  # pragma: no cover - depends on the machine
    print("validate-payloads.py: the jsonschema package is missing (pip install jsonschema)", file=sys.stderr)
    sys.exit(2)

SAFE_STRING = re.compile(r"^[A-Za-z0-9_.:+\-]{0,64}$")


class UsageError(Exception):
    """A problem with the command line, a file or the schema: exit 2."""


def summarize(value):
    """A description of a value that never repeats free text."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        if SAFE_STRING.match(value):
            return json.dumps(value)
        return f"a string of {len(value)} characters"
    if isinstance(value, list):
        return f"an array of {len(value)} items"
    if isinstance(value, dict):
        return f"an object with {len(value)} keys"
    return type(value).__name__


def json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def key_list(keys, limit=8):
    keys = sorted(str(key)[:60] for key in keys)
    text = ", ".join(repr(key) for key in keys[:limit])
    return text + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def describe(error, subject=None):
    """What is wrong, from the keyword and the schema's side only (never the payload's text)."""
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    value = summarize(instance) if subject is None else subject
    if keyword == "required":
        missing = [key for key in expected if isinstance(instance, dict) and key not in instance]
        return f"missing required key {key_list(missing)}"
    if keyword == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        extra = [key for key in instance if key not in known] if isinstance(instance, dict) else []
        return f"unexpected key {key_list(extra)}"
    if keyword == "type":
        return f"expected type {expected}, got {json_type(instance)}"
    if keyword == "const":
        return f"expected {json.dumps(expected)}, got {value}"
    if keyword == "enum":
        return f"{value} is not one of {', '.join(json.dumps(item) for item in expected)}"
    if keyword == "pattern":
        return f"{value} does not match {expected}"
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{value} violates {keyword} {expected}"
    if keyword in ("minLength", "maxLength"):
        return f"a string of {len(instance)} characters violates {keyword} {expected}"
    if keyword in ("minItems", "maxItems"):
        return f"an array of {len(instance)} items violates {keyword} {expected}"
    if keyword == "dependentRequired":
        pairs = [f"{key!r} needs {key_list(needed)}" for key, needed in expected.items()
                 if isinstance(instance, dict) and key in instance and any(n not in instance for n in needed)]
        return "; ".join(pairs) or "dependent keys missing"
    if keyword == "not":
        rule = error.schema.get("description") or "schema " + "/".join(str(p) for p in error.schema_path)
        return f"matches a form that is not allowed here ({rule})"
    if keyword in ("anyOf", "oneOf"):
        reasons = sorted({describe(sub, subject="it") for sub in error.context})
        return f"{value} matches none of the allowed forms: {'; or '.join(reasons)}"
    return f"fails {keyword} (schema " + "/".join(str(p) for p in error.schema_path) + ")"


def read_payloads(path):
    """Yields (line, document or None, decode problem or None) for every payload in the file."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                data = handle.read()
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror}")
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            yield 1, None, f"not valid gzip ({type(error).__name__})"
            return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        yield 1, None, f"not UTF-8 (byte {error.start})"
        return
    if not text.strip():
        yield 1, None, "empty file: no JSON document"
        return
    # A stream of JSON documents: one document (possibly pretty-printed), JSON lines, or several
    # pretty-printed documents one after the other (`collect --once --pretty` with several servers).
    # After a document that does not parse, reading resumes on the next line.
    decoder = json.JSONDecoder()
    position, line, length = 0, 1, len(text)
    while True:
        start = position
        while position < length and text[position] in " \t\r\n":
            position += 1
        line += text.count("\n", start, position)
        if position >= length:
            return
        try:
            document, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            # The decoder's message names a position, never the content.
            yield line, None, f"not JSON: {error.msg} at line {error.lineno} column {error.colno}"
            newline = text.find("\n", position)
            if newline < 0:
                return
            position, line = newline + 1, line + 1
            continue
        yield line, document, None
        line += text.count("\n", position, end)
        position = end


def main(arguments):
    parser = argparse.ArgumentParser(
        prog="validate-payloads.py",
        description="Validate postgres-agent payloads (JSON or JSON lines) against the schema.")
    parser.add_argument("--definition", metavar="NAME",
                        help="validate against #/$defs/NAME instead of the whole payload (e.g. log_event)")
    parser.add_argument("--max-errors", type=int, default=20, metavar="N",
                        help="failures printed per payload (default 20)")
    parser.add_argument("schema", help="docs/schema/payload-v1.schema.json")
    parser.add_argument("files", nargs="+", metavar="FILE")
    try:
        options = parser.parse_args(arguments)
    except SystemExit as exit:
        return 0 if exit.code == 0 else 2

    try:
        with open(options.schema, "rb") as handle:
            schema = json.load(handle)
    except OSError as error:
        print(f"validate-payloads.py: {options.schema}: cannot read: {error.strerror}", file=sys.stderr)
        return 2
    except json.JSONDecodeError as error:
        print(f"validate-payloads.py: {options.schema}: not JSON: {error.msg} at line {error.lineno}", file=sys.stderr)
        return 2
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        print(f"validate-payloads.py: {options.schema}: not a valid draft 2020-12 schema: {error.message[:200]}",
              file=sys.stderr)
        return 2
    if options.definition:
        if options.definition not in schema.get("$defs", {}):
            print(f"validate-payloads.py: {options.schema} has no $defs/{options.definition}; it has "
                  f"{', '.join(sorted(schema.get('$defs', {})))}", file=sys.stderr)
            return 2
        schema = {"$schema": schema.get("$schema"), "$defs": schema["$defs"],
                  "$ref": f"#/$defs/{options.definition}"}
    validator = Draft202012Validator(schema)

    total = invalid = 0
    try:
        for path in options.files:
            for line, document, problem in read_payloads(path):
                total += 1
                if problem is not None:
                    invalid += 1
                    print(f"{path}:{line}: $: {problem}")
                    continue
                errors = sorted(validator.iter_errors(document),
                                key=lambda error: (list(map(str, error.absolute_path)), str(error.validator)))
                if not errors:
                    continue
                invalid += 1
                lines = list(dict.fromkeys(f"{path}:{line}: {error.json_path}: {describe(error)}" for error in errors))
                for text in lines[: options.max_errors]:
                    print(text)
                if len(lines) > options.max_errors:
                    print(f"{path}:{line}: … and {len(lines) - options.max_errors} more")
    except UsageError as error:
        print(f"validate-payloads.py: {error}", file=sys.stderr)
        print(f"validated {total} payloads, {invalid} invalid")
        return 2
    print(f"validated {total} payloads, {invalid} invalid")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
