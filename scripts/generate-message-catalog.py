#!/usr/bin/env python3
"""Generate Sources/LogPipeline/Classifying/MessageCatalog+Generated.swift.

Reads the templates in scripts/message-templates.tsv (id, English msgid, flags) and PostgreSQL's
compiled message catalogs (.mo), and writes every template's English text plus each catalog's
translation of it as `(id, language, text)` rows of a Swift array.

    scripts/generate-message-catalog.py                  # Debian's postgresql-15 catalogs
    scripts/generate-message-catalog.py --catalogs '/opt/pg/share/locale/*/LC_MESSAGES/postgres-15.mo' \
        --plpgsql-catalogs '/opt/pg/share/locale/*/LC_MESSAGES/plpgsql-15.mo'
    scripts/generate-message-catalog.py --report         # also print coverage to stderr

The .mo files are parsed directly (not with Python's gettext module, which drops msgid_plural).
A .mo file holds no fuzzy or untranslated entries (msgfmt leaves them out), so every entry found is
a real translation; empty ones and ones equal to the English text are skipped all the same.
The language is the directory name above LC_MESSAGES (de, zh_CN, …).
"""

import argparse
import glob
import os
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TSV = os.path.join(ROOT, "scripts", "message-templates.tsv")
DEFAULT_OUTPUT = os.path.join(ROOT, "Sources", "LogPipeline", "Classifying", "MessageCatalog+Generated.swift")
DEFAULT_CATALOGS = "/usr/share/locale/*/LC_MESSAGES/postgres-15.mo"
DEFAULT_PLPGSQL_CATALOGS = "/usr/share/locale/*/LC_MESSAGES/plpgsql-15.mo"

# A printf conversion as PostgreSQL writes them: %%, or % [N$] [flags] [width] [.precision] [length] type.
CONVERSION = re.compile(r"%(?:%|(\d+\$)?[-+ #0]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?:hh|h|ll|l|L|z|j|t|q)?[a-zA-Z])")


class Entry:
    """One catalog entry: msgid, msgid_plural (or None) and the msgstr forms."""

    def __init__(self, msgid, plural, forms):
        self.msgid, self.plural, self.forms = msgid, plural, forms


def read_mo(path):
    """Parse a GNU .mo file into {msgid: Entry} (msgctxt-qualified entries are keyed "ctx\\x04msgid")."""
    with open(path, "rb") as handle:
        data = handle.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic == 0x950412DE:
        order = "<"
    elif magic == 0xDE120495:
        order = ">"
    else:
        raise SystemExit(f"{path}: not a GNU .mo file")
    _revision, count, originals, translations = struct.unpack(order + "4I", data[4:20])
    entries = {}
    for index in range(count):
        o_len, o_off = struct.unpack(order + "2I", data[originals + 8 * index: originals + 8 * index + 8])
        t_len, t_off = struct.unpack(order + "2I", data[translations + 8 * index: translations + 8 * index + 8])
        original = data[o_off: o_off + o_len].decode("utf-8")
        translated = data[t_off: t_off + t_len].decode("utf-8")
        if original == "":
            continue  # the header
        ids = original.split("\x00")
        entries[ids[0]] = Entry(ids[0], ids[1] if len(ids) > 1 else None, translated.split("\x00"))
    return entries


def language_of(path):
    parts = os.path.normpath(path).split(os.sep)
    if "LC_MESSAGES" not in parts or parts.index("LC_MESSAGES") == 0:
        raise SystemExit(f"{path}: cannot tell the language (expected …/<lang>/LC_MESSAGES/<domain>.mo)")
    return parts[parts.index("LC_MESSAGES") - 1]


def load_catalogs(pattern):
    catalogs = {}
    for path in sorted(glob.glob(pattern)):
        catalogs[language_of(path)] = read_mo(path)
    return catalogs


def unescape_c(text, where):
    """Undo the C escapes the tsv uses: \\n \\t \\" \\\\."""
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text):
                raise SystemExit(f"{where}: dangling backslash")
            nxt = text[i + 1]
            mapping = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
            if nxt not in mapping:
                raise SystemExit(f"{where}: unsupported escape \\{nxt}")
            out.append(mapping[nxt])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


class Template:
    def __init__(self, tsv_id, msgid, flags, line):
        self.tsv_id = tsv_id
        self.id = tsv_id.split("@", 1)[0]
        self.msgid = msgid
        self.line = line
        self.english_only = False
        self.domain = "postgres"
        self.fill = None  # (conversion number, inner msgid)
        for flag in flags:
            if flag == "english-only":
                self.english_only = True
            elif flag.startswith("domain="):
                self.domain = flag[len("domain="):]
            elif re.fullmatch(r"arg\d+=.+", flag):
                number, inner = flag[3:].split("=", 1)
                self.fill = (int(number), inner)
            else:
                raise SystemExit(f"line {line}: unknown flag {flag!r}")


def read_tsv(path):
    templates = []
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            columns = line.split("\t")
            if len(columns) not in (2, 3):
                raise SystemExit(f"{path}:{number}: expected 2 or 3 tab-separated columns, got {len(columns)}")
            tsv_id, msgid = columns[0], unescape_c(columns[1], f"{path}:{number}")
            if not re.fullmatch(r"[a-z][a-z0-9_]*(@[a-z0-9_]+)?", tsv_id):
                raise SystemExit(f"{path}:{number}: bad id {tsv_id!r}")
            flags = [f.strip() for f in columns[2].split(",")] if len(columns) == 3 and columns[2].strip() else []
            templates.append(Template(tsv_id, msgid, flags, number))
    return templates


def fill_conversion(template, number, literal, where):
    """Replace the number-th (1-based) conversion of a printf template by a literal text."""
    if any(match.group(1) for match in CONVERSION.finditer(template)):
        # Positional (a translator reordered the arguments): fill %N$, and number the later ones one lower.
        def renumber(match):
            if match.group(0) == "%%" or not match.group(1):
                return match.group(0)
            index = int(match.group(1)[:-1])
            if index == number:
                return literal.replace("%", "%%")
            if index > number:
                return "%" + str(index - 1) + "$" + match.group(0)[len(match.group(1)) + 1:]
            return match.group(0)
        filled = CONVERSION.sub(renumber, template)
        if filled == template:
            raise SystemExit(f"{where}: template has no conversion #{number}: {template!r}")
        return filled
    seen = 0
    for match in CONVERSION.finditer(template):
        if match.group(0) == "%%":
            continue
        seen += 1
        if seen == number:
            return template[: match.start()] + literal.replace("%", "%%") + template[match.end():]
    raise SystemExit(f"{where}: template has no conversion #{number}: {template!r}")


def translations(entry):
    """The msgstr forms of an entry that are real translations."""
    return [form for form in entry.forms if form != ""]


def swift_string(text):
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append("\\u{%x}" % ord(char))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--templates", default=DEFAULT_TSV, help="the templates tsv (default: %(default)s)")
    parser.add_argument("--catalogs", default=DEFAULT_CATALOGS, help="glob of the postgres .mo files (default: %(default)s)")
    parser.add_argument("--plpgsql-catalogs", default=DEFAULT_PLPGSQL_CATALOGS,
                        help="glob of the plpgsql .mo files, for rows flagged domain=plpgsql (default: %(default)s)")
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="the Swift file to write (default: %(default)s)")
    parser.add_argument("--report", action="store_true", help="print coverage and findings to stderr")
    args = parser.parse_args()

    domains = {"postgres": load_catalogs(args.catalogs), "plpgsql": load_catalogs(args.plpgsql_catalogs)}
    if not domains["postgres"]:
        raise SystemExit(f"no catalogs match {args.catalogs}")
    templates = read_tsv(args.templates)

    rows = set()  # (id, language, text)
    missing = []  # templates not found in any catalog of their domain
    untranslated = {}  # id -> languages of its domain with no translation of some template
    positional = []  # (id, language, text) using %N$
    for template in templates:
        rows.add((template.id, "en", fill_conversion(template.msgid, template.fill[0], template.fill[1], f"line {template.line}")
                  if template.fill else template.msgid))
        if template.english_only:
            continue
        catalogs = domains.get(template.domain)
        if catalogs is None:
            raise SystemExit(f"line {template.line}: unknown domain {template.domain!r}")
        found_anywhere = any(template.msgid in catalog for catalog in catalogs.values())
        if not found_anywhere:
            missing.append(template)
            continue
        for language, catalog in sorted(catalogs.items()):
            entry = catalog.get(template.msgid)
            if template.fill:
                number, inner = template.fill
                inner_entry = catalog.get(inner)
                inner_text = translations(inner_entry)[0] if inner_entry and translations(inner_entry) else inner
                outers = translations(entry) if entry else [template.msgid]
                texts = [fill_conversion(outer, number, inner_text, f"line {template.line} ({language})") for outer in outers]
                english = fill_conversion(template.msgid, number, inner, f"line {template.line}")
                texts = [text for text in texts if text != english]
            else:
                if entry is None:
                    texts = []
                else:
                    if entry.plural is not None:
                        rows.add((template.id, "en", entry.plural))
                    english = {template.msgid, entry.plural}
                    texts = [text for text in translations(entry) if text not in english]
            if not texts:
                untranslated.setdefault(template.tsv_id, set()).add(language)
            for text in texts:
                rows.add((template.id, language, text))
                if re.search(r"%\d+\$", text) and (template.tsv_id, language, text) not in positional:
                    positional.append((template.tsv_id, language, text))

    if missing:
        for template in missing:
            print(f"error: line {template.line}: msgid not in any {template.domain} catalog "
                  f"(mark it english-only if intended): {template.msgid!r}", file=sys.stderr)
        raise SystemExit(1)

    ordered = sorted(rows, key=lambda row: (row[0], row[1] != "en", row[1], row[2]))
    source_note = ("(Debian's postgresql-15, /usr/share/locale/*/LC_MESSAGES/postgres-15.mo); do not edit by hand."
                   if args.catalogs == DEFAULT_CATALOGS else f"({args.catalogs}); do not edit by hand.")
    lines = [
        "// Generated by scripts/generate-message-catalog.py from PostgreSQL 15's message catalogs",
        "// " + source_note,
        "extension MessageCatalog {",
        '    /// Every template: its id, the language ("en" for the English msgid), and the printf-style text.',
        "    static let generatedTemplates: [(id: String, language: String, text: String)] = [",
    ]
    for template_id, language, text in ordered:
        lines.append(f"        ({swift_string(template_id)}, {swift_string(language)}, {swift_string(text)}),")
    lines += ["    ]", "}", ""]
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))

    if args.report:
        ids = sorted({row[0] for row in ordered})
        reported = set()
        print(f"{len(ids)} ids, {len(ordered)} rows -> {args.output}", file=sys.stderr)
        per_language = {}
        for _, language, _ in ordered:
            per_language[language] = per_language.get(language, 0) + 1
        print("rows per language: " + ", ".join(f"{lang} {n}" for lang, n in
                                                sorted(per_language.items(), key=lambda kv: (kv[0] != "en", kv[0]))),
              file=sys.stderr)
        print("ids with no translated row at all in a language of their catalogs (id: languages):", file=sys.stderr)
        translated_ids = {}
        for template_id, language, _ in ordered:
            translated_ids.setdefault(template_id, set()).add(language)
        for template in templates:
            if template.english_only or template.id in reported:
                continue
            reported.add(template.id)
            languages = set(domains[template.domain]) - translated_ids.get(template.id, set())
            if languages:
                print(f"  {template.id}: {' '.join(sorted(languages))}", file=sys.stderr)
        print("templates without a translation (tsv id: languages):", file=sys.stderr)
        for tsv_id in sorted(untranslated):
            print(f"  {tsv_id}: {' '.join(sorted(untranslated[tsv_id]))}", file=sys.stderr)
        print("translations with positional (%N$) conversions:", file=sys.stderr)
        for tsv_id, language, text in positional:
            print(f"  {tsv_id} [{language}] {text!r}", file=sys.stderr)


if __name__ == "__main__":
    main()
