/// Turns one DevDocs page into records and skipped parts (the mapping is documented on ``DevDocsSource``).
struct DevDocsPage {
    let slug: String
    let category: String
    let maxChars: Int
    let html: HTMLText

    /// Adds the page as one item of `builder`.
    func add(page: String, html source: String, entries: [DevDocsIndex.Entry], ordinal: Int64,
             to builder: inout RecordChunkBuilder) {
        var records: [Record] = []
        var sawSection = false

        func emit(path: String, title: String, text: String) {
            sawSection = true
            let id = "\(slug)/\(path)"
            if text.isEmpty {
                builder.skipPart(.empty, ordinal: ordinal, recordID: id, detail: "")
                return
            }
            let characters = text.unicodeScalars.count
            if characters > maxChars {
                builder.skipPart(.tooLong, ordinal: ordinal, recordID: id,
                                 detail: "section \"\(title)\" has \(characters) characters, more than max_chars \(maxChars)")
                return
            }
            records.append(Record(id: id, title: title, body: text, url: "https://devdocs.io/\(slug)/\(path)",
                                  category: category, ordinal: ordinal))
        }

        if entries.isEmpty {
            var slugger = HeadingSlugger()
            for (position, section) in html.headingSections(source).sections.enumerated() {
                if position == 0 {
                    // Text before the first heading: a section only when there is some.
                    if !section.text.isEmpty { emit(path: page, title: page, text: section.text) }
                    continue
                }
                let fragment = section.anchor ?? slugger.slug(section.title)
                emit(path: "\(page)#\(fragment)", title: section.title.isEmpty ? page : section.title,
                     text: section.text)
            }
        } else {
            var names: [String: String] = [:]
            var top: DevDocsIndex.Entry?
            for entry in entries {
                if let anchor = entry.anchor {
                    if names[anchor] == nil { names[anchor] = entry.name }
                } else if top == nil {
                    top = entry
                }
            }
            var found: Set<String> = []
            for section in html.anchorSections(source, anchors: Set(names.keys)) {
                if let anchor = section.anchor {
                    found.insert(anchor)
                    emit(path: "\(page)#\(anchor)", title: names[anchor] ?? anchor, text: section.text)
                } else if let top {
                    emit(path: page, title: top.name, text: section.text)
                } else if !section.text.isEmpty {
                    emit(path: page, title: section.title.isEmpty ? page : section.title, text: section.text)
                }
            }
            var reported: Set<String> = []
            for entry in entries {
                guard let anchor = entry.anchor, !found.contains(anchor), reported.insert(entry.path).inserted else { continue }
                builder.skipPart(.malformed, ordinal: ordinal, recordID: "\(slug)/\(entry.path)",
                                 detail: "index.json entry \"\(entry.name)\" points to anchor #\(anchor), which page \"\(page)\" lacks")
            }
        }
        if records.isEmpty && !sawSection {
            builder.skip(.empty, ordinal: ordinal, recordID: "\(slug)/\(page)", detail: "")
        } else {
            builder.add(records) // possibly none: every section was counted as a skipped part
        }
    }
}
