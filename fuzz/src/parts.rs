//! Workbooks as the text of their parts, so that a fuzzer's byte changes land in the XML
//! rather than in the zip's checksums:
//!
//! ```text
//! == xl/worksheets/sheet1.xml
//! <worksheet …><sheetData><row r="1">…</row></sheetData></worksheet>
//! == xl/sharedStrings.xml
//! <sst …>…</sst>
//! ```
//!
//! A line `== NAME` starts a part; the text up to the next such line is its content. Input
//! without such a line is the first sheet's XML. The minimal parts of a one-sheet workbook
//! are added where the text does not give them, and the whole is zipped (stored, not
//! deflated) before the reader sees it. Input that starts with `PK` is a zip already and is
//! read as it is.

use std::borrow::Cow;
use std::io::{Cursor, Read, Write};

use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

/// The first sheet's part, which takes input without part lines.
pub const SHEET: &str = "xl/worksheets/sheet1.xml";

/// The parts every one-sheet workbook needs besides its sheet.
pub const DEFAULT_PARTS: [(&str, &str); 4] = [
    (
        "[Content_Types].xml",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
    ),
    (
        "_rels/.rels",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    ),
    (
        "xl/workbook.xml",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
    ),
    (
        "xl/_rels/workbook.xml.rels",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
    ),
];

const PART_LINE: &[u8] = b"== ";

/// Whether `data` is a zip rather than parts' text.
pub fn is_zip(data: &[u8]) -> bool {
    data.starts_with(b"PK")
}

/// The parts named in `data`, in order, a later part of the same name replacing an earlier.
pub fn parse(data: &[u8]) -> Vec<(String, &[u8])> {
    let mut parts: Vec<(String, &[u8])> = Vec::new();
    // Where each part line starts: at the beginning, or after a line break.
    let mut starts: Vec<usize> = Vec::new();
    if data.starts_with(PART_LINE) {
        starts.push(0);
    }
    for (i, window) in data.windows(PART_LINE.len() + 1).enumerate() {
        if window[0] == b'\n' && &window[1..] == PART_LINE {
            starts.push(i + 1);
        }
    }
    let sheet_end = starts.first().copied().unwrap_or(data.len());
    if starts.first() != Some(&0) {
        put(&mut parts, SHEET.to_string(), &data[..sheet_end]);
    }
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(data.len(), |&next| next - 1);
        let line_end = data[start..end]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(end, |p| start + p);
        let name = String::from_utf8_lossy(&data[start + PART_LINE.len()..line_end])
            .trim()
            .to_string();
        let content = &data[(line_end + 1).min(end)..end];
        put(&mut parts, name, content);
    }
    parts
}

fn put<'a>(parts: &mut Vec<(String, &'a [u8])>, name: String, content: &'a [u8]) {
    match parts.iter_mut().find(|(n, _)| *n == name) {
        Some(part) => part.1 = content,
        None => parts.push((name, content)),
    }
}

/// `data` as the bytes of a workbook: as it is when it is a zip, else its parts zipped with
/// the default parts it does not replace. `None` when the zip cannot be written (a part name
/// the zip writer refuses): the target then reads the bytes as they are.
pub fn workbook(data: &[u8]) -> Cow<'_, [u8]> {
    if is_zip(data) {
        return Cow::Borrowed(data);
    }
    match zip_parts(&parse(data)) {
        Some(bytes) => Cow::Owned(bytes),
        None => Cow::Borrowed(data),
    }
}

fn zip_parts(given: &[(String, &[u8])]) -> Option<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for (name, content) in DEFAULT_PARTS {
        if !given.iter().any(|(n, _)| n == name) {
            zip.start_file(name, options).ok()?;
            zip.write_all(content.as_bytes()).ok()?;
        }
    }
    for (name, content) in given {
        if name.is_empty() {
            continue;
        }
        zip.start_file(name.as_str(), options).ok()?;
        zip.write_all(content).ok()?;
    }
    Some(zip.finish().ok()?.into_inner())
}

/// A workbook's parts as text, for seeding a corpus: every part that is UTF-8 text, in the
/// zip's order, each exactly as [`parse`] reads it back. `None` when `xlsx` is not a readable zip.
pub fn to_text(xlsx: &[u8]) -> Option<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(xlsx)).ok()?;
    let mut out = Vec::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).ok()?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().ok()?.to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).ok()?;
        if std::str::from_utf8(&content).is_err() {
            continue;
        }
        if !out.is_empty() {
            out.push(b'\n');
        }
        out.extend_from_slice(PART_LINE);
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&content);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_without_part_lines_is_the_sheet() {
        let parts = parse(b"<worksheet/>");
        assert_eq!(parts, vec![(SHEET.to_string(), &b"<worksheet/>"[..])]);
    }

    #[test]
    fn part_lines_split_the_text() {
        let parts = parse(b"== a.xml\n<a/>\n== b.xml\n<b/>\n== a.xml\n<c/>");
        assert_eq!(
            parts,
            vec![
                ("a.xml".to_string(), &b"<c/>"[..]),
                ("b.xml".to_string(), &b"<b/>"[..]),
            ]
        );
    }

    #[test]
    fn parts_round_trip_through_a_zip() {
        let text = b"== xl/worksheets/sheet1.xml\n<worksheet/>\n";
        let zipped = workbook(text).into_owned();
        assert!(is_zip(&zipped));
        let back = to_text(&zipped).unwrap();
        let parts = parse(&back);
        assert_eq!(parts.len(), 5);
        assert!(parts.contains(&(SHEET.to_string(), &b"<worksheet/>\n"[..])));
    }
}
