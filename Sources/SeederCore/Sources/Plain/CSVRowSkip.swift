/// Skips for the rows ``CSVRecordReader`` could not read, shared by the CSV-based sources.
enum CSVRowSkip {
    /// Counts the skip of a row the reader could not read (not UTF-8, too long, an unclosed quote).
    static func skip(_ item: CSVRecordReader.Item, ordinal: Int64, maxRecordBytes: Int, into builder: inout RecordChunkBuilder) {
        let lineID = "line \(item.line)"
        switch item {
        case .row:
            break
        case .invalidUTF8(let line):
            builder.skip(.invalidUTF8, ordinal: ordinal, recordID: lineID, detail: "line \(line): the row is not valid UTF-8")
        case .tooLong(let line, let endLine, let count):
            let lines = endLine > line ? "lines \(line)–\(endLine)" : "line \(line)"
            builder.skip(.tooLong, ordinal: ordinal, recordID: lineID,
                         detail: "\(lines): the row is \(count) bytes long, more than max_record_bytes \(maxRecordBytes) (or has too many fields)")
        case .unterminatedQuote(let line):
            builder.skip(.malformed, ordinal: ordinal, recordID: lineID,
                         detail: "line \(line): a quoted field opened in this row is never closed (the file ends inside it)")
        }
    }

    /// The fatal error for a header row that cannot be read.
    static func headerError(_ item: CSVRecordReader.Item, path: String) -> SourceError {
        let problem: String
        switch item {
        case .row: problem = "cannot be read"
        case .invalidUTF8: problem = "is not valid UTF-8"
        case .tooLong(_, _, let count): problem = "is \(count) bytes long"
        case .unterminatedQuote: problem = "opens a quote that is never closed"
        }
        return SourceError(.wrongFormat, file: path, position: "line \(item.line)", message: "the header row \(problem)",
                           hint: "check that the file is CSV/TSV text, or read it without a header row")
    }
}
