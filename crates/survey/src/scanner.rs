//! The byte scanner of responses.csv: RFC 4180 records over any reader, in large blocks,
//! each field a byte range of the block (only a quoted field with a doubled quote is copied).

use std::io::Read;

use chiso_interchange::csv_out::restore_bytes;
use chiso_interchange::sheet::{MAX_COLUMNS, MAX_HEADER_BYTES, MAX_ROW_BYTES, SheetError};

use crate::reader::Fields;

/// A field of the current record: a byte range of the block, or of the scratch buffer for a
/// quoted field that had to be rewritten (doubled quotes).
#[derive(Clone, Copy)]
struct Span {
    start: u32,
    end: u32,
    scratch: bool,
}

/// One CSV record, borrowed from the scanner's block.
pub struct Record<'a> {
    data: &'a [u8],
    fields: &'a [Span],
    scratch: &'a [u8],
}

impl Fields for Record<'_> {
    #[inline]
    fn len(&self) -> usize {
        self.fields.len()
    }
    /// The field, without the `'` our CSV writer puts before a cell a spreadsheet would run
    /// as a formula.
    #[inline]
    fn get(&self, index: usize) -> &[u8] {
        let s = self.fields[index];
        let field = if s.scratch {
            &self.scratch[s.start as usize..s.end as usize]
        } else {
            &self.data[s.start as usize..s.end as usize]
        };
        restore_bytes(field)
    }
}

/// Why a header row could not be read.
#[derive(Debug)]
pub enum HeaderError {
    Io(std::io::Error),
    /// Beyond a limit of the shared reader.
    Limit(SheetError),
    NotUtf8,
}

impl From<std::io::Error> for HeaderError {
    fn from(error: std::io::Error) -> HeaderError {
        match limit_of(&error) {
            Some(limit) => HeaderError::Limit(limit),
            None => HeaderError::Io(error),
        }
    }
}

/// The limit an I/O error of [`Scanner::next_record`] carries, if that is what it is.
pub fn limit_of(error: &std::io::Error) -> Option<SheetError> {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<SheetError>())
        .cloned()
}

impl Record<'_> {
    /// The record's length in the file, line end included.
    pub fn len_bytes(&self) -> usize {
        self.data.len()
    }
}

/// Bytes that end an unquoted field.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    table[b',' as usize] = true;
    table[b'\n' as usize] = true;
    table[b'\r' as usize] = true;
    table
};

const BLOCK: usize = 1 << 20;

/// An RFC 4180 record scanner over any reader: comma separator, `"` quoting with `""` for a
/// quote, CRLF, LF or CR line ends, a quoted line break kept in its field.
pub struct Scanner<R> {
    reader: R,
    buffer: Vec<u8>,
    position: usize,
    eof: bool,
    fields: Vec<Span>,
    scratch: Vec<u8>,
    /// The longest record read before giving up: a file of one endless line must not fill
    /// memory.
    limit: usize,
    /// Records read.
    records: u64,
}

enum Parsed {
    Done(usize),
    NeedMore,
}

impl<R: Read> Scanner<R> {
    pub fn new(reader: R) -> Scanner<R> {
        Scanner {
            reader,
            buffer: Vec::with_capacity(BLOCK),
            position: 0,
            eof: false,
            fields: Vec::new(),
            scratch: Vec::new(),
            limit: MAX_ROW_BYTES,
            records: 0,
        }
    }

    /// The next record, or `None` at the end of the input. A record longer than
    /// [`MAX_ROW_BYTES`] is an `InvalidData` error carrying [`SheetError::RowTooLong`].
    pub fn next_record(&mut self) -> std::io::Result<Option<Record<'_>>> {
        loop {
            if self.position == self.buffer.len() {
                if self.eof {
                    return Ok(None);
                }
                self.fill()?;
                continue;
            }
            let data = &self.buffer[self.position..];
            match parse_record(data, self.eof, &mut self.fields, &mut self.scratch) {
                Parsed::Done(consumed) => {
                    if consumed > self.limit {
                        return Err(self.too_long());
                    }
                    self.records += 1;
                    let start = self.position;
                    self.position += consumed;
                    return Ok(Some(Record {
                        data: &self.buffer[start..start + consumed],
                        fields: &self.fields,
                        scratch: &self.scratch,
                    }));
                }
                Parsed::NeedMore if self.buffer.len() - self.position > self.limit => {
                    return Err(self.too_long());
                }
                Parsed::NeedMore => self.fill()?,
            }
        }
    }

    fn too_long(&self) -> std::io::Error {
        let refusal = if self.records == 0 {
            SheetError::HeaderTooLong { limit: self.limit }
        } else {
            SheetError::RowTooLong {
                row: self.records + 1,
                limit: self.limit,
            }
        };
        std::io::Error::new(std::io::ErrorKind::InvalidData, refusal)
    }

    /// Reads the header row within the header limits ([`MAX_HEADER_BYTES`] and
    /// [`MAX_COLUMNS`]), as text, the byte-order mark left out; `None` for an empty input.
    pub fn header(&mut self) -> Result<Option<Vec<String>>, HeaderError> {
        self.limit = MAX_HEADER_BYTES;
        let names = self.header_names();
        self.limit = MAX_ROW_BYTES;
        names
    }

    fn header_names(&mut self) -> Result<Option<Vec<String>>, HeaderError> {
        let Some(record) = self.next_record()? else {
            return Ok(None);
        };
        if record.len() > MAX_COLUMNS {
            return Err(HeaderError::Limit(SheetError::TooManyColumns {
                row: 1,
                limit: MAX_COLUMNS,
            }));
        }
        let mut names = Vec::with_capacity(record.len());
        for i in 0..record.len() {
            let mut name = std::str::from_utf8(record.get(i)).map_err(|_| HeaderError::NotUtf8)?;
            if i == 0 {
                name = name.trim_start_matches('\u{feff}');
            }
            names.push(name.to_string());
        }
        Ok(Some(names))
    }

    /// Moves the unread part to the front and reads more after it (growing the block when a
    /// record is longer than it).
    fn fill(&mut self) -> std::io::Result<()> {
        if self.position > 0 {
            self.buffer.drain(..self.position);
            self.position = 0;
        }
        let length = self.buffer.len();
        if self.buffer.capacity() - length < BLOCK / 2 {
            self.buffer.reserve(BLOCK);
        }
        let capacity = self.buffer.capacity();
        self.buffer.resize(capacity, 0);
        let read = loop {
            match self.reader.read(&mut self.buffer[length..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buffer.truncate(length);
                    return Err(e);
                }
            }
        };
        self.buffer.truncate(length + read);
        if read == 0 {
            self.eof = true;
        }
        Ok(())
    }
}

/// Parses one record at the start of `data`. `NeedMore` when the record may continue past
/// the end of `data` and more input may come. The unquoted field and the separator after a
/// field stay in this loop: they are the hot path (a quoted field is its own function).
fn parse_record(data: &[u8], eof: bool, fields: &mut Vec<Span>, scratch: &mut Vec<u8>) -> Parsed {
    fields.clear();
    scratch.clear();
    let length = data.len();
    let mut i = 0;
    loop {
        if i < length && data[i] == b'"' {
            match quoted_field(data, i, eof, fields, scratch) {
                Some(k) => i = k,
                None => return Parsed::NeedMore,
            }
        } else {
            let k = i + data[i..]
                .iter()
                .position(|&b| SPECIAL[b as usize])
                .unwrap_or(length - i);
            if k == length && !eof {
                return Parsed::NeedMore;
            }
            fields.push(Span {
                start: i as u32,
                end: k as u32,
                scratch: false,
            });
            i = k;
        }
        if i == length {
            return Parsed::Done(length);
        }
        match data[i] {
            b',' => {
                i += 1;
                if i == length {
                    if !eof {
                        return Parsed::NeedMore;
                    }
                    fields.push(Span {
                        start: i as u32,
                        end: i as u32,
                        scratch: false,
                    });
                    return Parsed::Done(length);
                }
            }
            b'\n' => return Parsed::Done(i + 1),
            _ => {
                // '\r', alone or before '\n'.
                if i + 1 < length {
                    return Parsed::Done(if data[i + 1] == b'\n' { i + 2 } else { i + 1 });
                }
                if !eof {
                    return Parsed::NeedMore;
                }
                return Parsed::Done(i + 1);
            }
        }
    }
}

/// Reads a quoted field whose opening quote is at `i`: the position of the byte that ends
/// it, or `None` when it may continue past the end of `data`. A field with doubled quotes or
/// text after its closing quote is rewritten into `scratch`.
#[inline(always)]
fn quoted_field(
    data: &[u8],
    i: usize,
    eof: bool,
    fields: &mut Vec<Span>,
    scratch: &mut Vec<u8>,
) -> Option<usize> {
    let length = data.len();
    let content_start = i + 1;
    let (content_end, j, doubled) = closing_quote(data, content_start, eof)?;
    // Text between the closing quote and the separator is kept (lenient, as spreadsheets
    // are).
    let k = j + data[j..]
        .iter()
        .position(|&b| SPECIAL[b as usize])
        .unwrap_or(length - j);
    if k == length && !eof {
        return None;
    }
    if doubled || k > j {
        let start = scratch.len();
        let mut s = content_start;
        while s < content_end {
            scratch.push(data[s]);
            s += if data[s] == b'"' { 2 } else { 1 };
        }
        scratch.extend_from_slice(&data[j..k]);
        fields.push(Span {
            start: start as u32,
            end: scratch.len() as u32,
            scratch: true,
        });
    } else {
        fields.push(Span {
            start: content_start as u32,
            end: content_end as u32,
            scratch: false,
        });
    }
    Some(k)
}

/// Finds the quote that closes a quoted field whose content starts at `content_start`:
/// (the end of the content, the position after the closing quote, whether the content has
/// doubled quotes), or `None` when it may be past the end of `data`. An unclosed quote at the
/// end of the file makes the rest the field.
#[inline(always)]
fn closing_quote(data: &[u8], content_start: usize, eof: bool) -> Option<(usize, usize, bool)> {
    let length = data.len();
    let mut j = content_start;
    let mut doubled = false;
    loop {
        let Some(p) = data[j..].iter().position(|&b| b == b'"') else {
            return eof.then_some((length, length, doubled));
        };
        let quote = j + p;
        if quote + 1 < length {
            if data[quote + 1] == b'"' {
                doubled = true;
                j = quote + 2;
                continue;
            }
        } else if !eof {
            return None;
        }
        return Some((quote, quote + 1, doubled));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &[u8], chunk: usize) -> Vec<Vec<String>> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(self.0.len()).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut scanner = Scanner::new(Trickle(text, chunk));
        let mut out = Vec::new();
        while let Some(r) = scanner.next_record().unwrap() {
            out.push(
                (0..r.len())
                    .map(|i| String::from_utf8(r.get(i).to_vec()).unwrap())
                    .collect(),
            );
        }
        out
    }

    #[test]
    fn scans_rfc4180_in_any_chunking() {
        let text =
            "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n\n2,\"line\nbreak\",\r3,,\n4,\"q\"z,5";
        let expected: Vec<Vec<String>> = vec![
            vec!["a".into(), "b".into(), "c".into()],
            vec!["1".into(), "x, y".into(), "say \"hi\"".into()],
            vec!["".into()],
            vec!["2".into(), "line\nbreak".into(), "".into()],
            vec!["3".into(), "".into(), "".into()],
            vec!["4".into(), "qz".into(), "5".into()],
        ];
        for chunk in [1, 2, 3, 5, 7, 64, 4096] {
            assert_eq!(records(text.as_bytes(), chunk), expected, "chunk {chunk}");
        }
        assert_eq!(
            records(b"a,\"open", 3),
            vec![vec!["a".to_string(), "open".into()]]
        );
        assert_eq!(records(b"", 3), Vec::<Vec<String>>::new());
        assert_eq!(records(b"x,", 1), vec![vec!["x".to_string(), "".into()]]);
    }
}
