import Glibc

// Substring helpers
// Byte-level text helpers: every marker we look for is ASCII, and searching UTF-8 bytes is many
// times faster than the Character-based searches of the standard library (grapheme breaking).
extension Substring {
    /// The text after `prefix` when it starts with it; with `anywhere`, after its first occurrence.
    func after(_ prefix: String, anywhere: Bool = false) -> Substring? {
        if anywhere { return range(ofASCII: prefix).map { self[$0.upperBound...] } }
        guard hasASCIIPrefix(prefix) else { return nil }
        return self[utf8.index(startIndex, offsetBy: prefix.utf8.count)...]
    }

    /// The first occurrence of `needle` (ASCII), compared byte by byte.
    func range(ofASCII needle: String) -> Range<Index>? {
        byteRange(of: needle, fromEnd: false)
    }

    /// The last occurrence of `needle` (ASCII).
    func lastRange(ofASCII needle: String) -> Range<Index>? {
        byteRange(of: needle, fromEnd: true)
    }

    func containsASCII(_ needle: String) -> Bool {
        range(ofASCII: needle) != nil
    }

    /// Whether the text starts with `prefix`, compared with memcmp over contiguous bytes (a native string's
    /// always are); `starts(with:)` over the UTF-8 views went element by element through their indices.
    func hasASCIIPrefix(_ prefix: String) -> Bool {
        let fast: Bool? = utf8.withContiguousStorageIfAvailable { text in
            var prefix = prefix
            return prefix.withUTF8 { bytes in
                guard text.count >= bytes.count else { return false }
                guard let textBase = text.baseAddress, let prefixBase = bytes.baseAddress else { return true }
                return memcmp(textBase, prefixBase, bytes.count) == 0
            }
        }
        if let fast { return fast }
        return utf8.starts(with: prefix.utf8)
    }

    /// The parts between `separator`s (ASCII), as `split(separator:)` gives them.
    func splitASCII(_ separator: Unicode.Scalar, omittingEmpty: Bool = true) -> [Substring] {
        let byte = UInt8(separator.value)
        let view = utf8
        let split: [Substring]? = view.withContiguousStorageIfAvailable { bytes in
            // Offsets first, in one pass over contiguous bytes; then the pieces, whose indices a native
            // string gives in constant time.
            var parts: [Substring] = []
            var start = 0
            let base = startIndex
            func piece(_ lower: Int, _ upper: Int) -> Substring {
                self[view.index(base, offsetBy: lower)..<view.index(base, offsetBy: upper)]
            }
            for index in 0..<bytes.count where bytes[index] == byte {
                if !omittingEmpty || start < index { parts.append(piece(start, index)) }
                start = index + 1
            }
            if !omittingEmpty || start < bytes.count { parts.append(piece(start, bytes.count)) }
            return parts
        }
        if let split { return split }
        var parts: [Substring] = []
        var start = startIndex
        var index = startIndex
        let utf8 = self.utf8
        while index < endIndex {
            if utf8[index] == byte {
                if !omittingEmpty || start < index { parts.append(self[start..<index]) }
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        if !omittingEmpty || start < endIndex { parts.append(self[start...]) }
        return parts
    }

    /// The text without the leading characters in `set` (ASCII).
    func droppingLeading(_ set: StaticString) -> Substring {
        let bytes = UnsafeBufferPointer(start: set.utf8Start, count: set.utf8CodeUnitCount)
        guard let first = utf8.firstIndex(where: { !bytes.contains($0) }) else { return self[endIndex...] }
        return self[first...]
    }

    /// The text up to the first `byte` (ASCII), or all of it.
    func prefix(beforeASCII character: Unicode.Scalar) -> Substring {
        guard let end = utf8.firstIndex(of: UInt8(character.value)) else { return self }
        return self[..<end]
    }

    /// The ASCII digits the text starts with.
    var asciiDigits: Substring {
        self[..<(utf8.firstIndex { $0 &- 0x30 >= 10 } ?? endIndex)]
    }

    func byteRange(of needle: String, fromEnd: Bool) -> Range<Index>? {
        let length = needle.utf8.count
        let search = { (haystack: UnsafeBufferPointer<UInt8>) -> Int? in
            var needle = needle
            return needle.withUTF8 { pin -> Int? in
                guard let first = pin.first, haystack.count >= pin.count else { return nil }
                if !fromEnd, let start = pin.baseAddress {
                    return haystack.firstIndex(of: start, count: pin.count, from: 0, to: haystack.count)
                }
                let last = haystack.count - pin.count
                var start = fromEnd ? last : 0
                while fromEnd ? start >= 0 : start <= last {
                    if haystack[start] == first {
                        var offset = 1
                        while offset < pin.count, haystack[start + offset] == pin[offset] { offset += 1 }
                        if offset == pin.count { return start }
                    }
                    start += fromEnd ? -1 : 1
                }
                return nil
            }
        }
        let found = utf8.withContiguousStorageIfAvailable(search) ?? Array(utf8).withUnsafeBufferPointer(search)
        guard let found else { return nil }
        let lower = utf8.index(startIndex, offsetBy: found)
        return lower..<utf8.index(lower, offsetBy: length)
    }
}

extension String {
    func after(_ prefix: String) -> Substring? {
        Substring(self).after(prefix)
    }

    func range(ofASCII needle: String) -> Range<Index>? {
        Substring(self).range(ofASCII: needle)
    }

    func containsASCII(_ needle: String) -> Bool {
        Substring(self).range(ofASCII: needle) != nil
    }

    func splitASCII(_ separator: Unicode.Scalar, omittingEmpty: Bool = true) -> [Substring] {
        Substring(self).splitASCII(separator, omittingEmpty: omittingEmpty)
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Where the `count` bytes at `needle` first occur in `from..<to`: memchr for the first byte, then
    /// memcmp, so that text is scanned at the speed of the C library rather than byte by byte.
    func firstIndex(of needle: UnsafePointer<UInt8>, count needleCount: Int, from: Int, to: Int) -> Int? {
        guard needleCount > 0, let base = baseAddress else { return nil }
        var start = from
        let last = to - needleCount
        while start <= last {
            guard let hit = memchr(base + start, Int32(needle[0]), last - start + 1) else { return nil }
            let position = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if needleCount == 1 || memcmp(base + position + 1, needle + 1, needleCount - 1) == 0 { return position }
            start = position + 1
        }
        return nil
    }

    /// The ranges of the words between spaces, empty ones left out (as `splitASCII(" ")` gives them).
    func words() -> [Range<Int>] {
        var words: [Range<Int>] = []
        var start = 0
        while start < count {
            let end = firstIndex(of: 0x20, from: start) ?? count
            if end > start { words.append(start..<end) }
            start = end + 1
        }
        return words
    }

    /// The first index of `byte` in `from..<to` (to the end when `to` is nil).
    func firstIndex(of byte: UInt8, from: Int, to: Int? = nil) -> Int? {
        let end = to ?? count
        guard from < end, let base = baseAddress, let hit = memchr(base + from, Int32(byte), end - from) else { return nil }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }
}
