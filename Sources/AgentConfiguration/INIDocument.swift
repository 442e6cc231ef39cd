/// A parsed INI file in the agent's dialect, with sections and keys in file order.
///
/// The dialect:
/// - `[name]` starts a section; `[postgres:NAME]` is one section named `postgres:NAME`. Section names
///   may contain letters, digits, `_`, `-`, `.` and `:`. A section may appear only once.
/// - `key = value` sets a key in the current section (spaces around `=` are optional). Keys may
///   contain letters, digits, `_`, `-` and `.`. A key may appear only once per section, and no key
///   may come before the first section header.
/// - A line whose first non-blank character is `;` or `#` is a comment.
/// - An inline comment starts at a `;` or `#` that begins the value or follows a space or tab, so
///   `path = /var/log/postgresql   ; the log directory` has the value `/var/log/postgresql`, while
///   `pattern = a#b` keeps its `#`. Trailing blanks are not part of a value.
/// - A value that starts with `"` is quoted: `;` and `#` inside are literal, `\"` and `\\` are the
///   only escapes, and only blanks or a comment may follow the closing quote.
/// - `=` with nothing after it gives the empty value.
/// - Lines end with `\n`, `\r\n` or `\r`; a leading UTF-8 byte order mark is ignored.
///
/// Parse errors carry the 1-based line number and never quote the line (it may hold a secret).
/// Semantic checks (which sections and keys exist) belong to ``AgentConfiguration``.
package struct INIDocument: Sendable, Equatable {
    /// One `key = value` line.
    package struct Entry: Sendable, Equatable {
        /// The key, as written.
        package var key: String
        /// The value without surrounding blanks, comment or quotes, escapes resolved.
        package var value: String
        /// The 1-based line the entry is on.
        package var line: Int

        /// Creates an entry.
        package init(key: String, value: String, line: Int) {
            self.key = key
            self.value = value
            self.line = line
        }
    }

    /// A `[name]` section and its entries in file order.
    package struct Section: Sendable, Equatable {
        /// The name between the brackets, blanks trimmed (`agent`, `postgres:main`).
        package var name: String
        /// The 1-based line of the section header.
        package var line: Int
        /// The entries in file order; keys are unique.
        package var entries: [Entry]

        /// Creates a section.
        package init(name: String, line: Int, entries: [Entry] = []) {
            self.name = name
            self.line = line
            self.entries = entries
        }

        /// The entry for `key`, if the section sets it.
        package subscript(key: String) -> Entry? {
            self.entries.first { $0.key == key }
        }
    }

    /// The sections in file order; names are unique.
    package var sections: [Section]

    /// Creates a document from sections (an empty document by default).
    package init(sections: [Section] = []) {
        self.sections = sections
    }

    /// The section called `name`, if the document has one.
    package subscript(section name: String) -> Section? {
        self.sections.first { $0.name == name }
    }
}
