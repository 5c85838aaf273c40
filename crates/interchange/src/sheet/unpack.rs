//! The zip layer's checks, made before the workbook parser opens the file: every part is
//! unpacked into a counting sink that stops at the limits, whatever sizes the zip declares.

use std::collections::HashSet;
use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::xml_events::EventSizes;
use super::{
    MAX_CELLS, MAX_PART_BYTES, MAX_SHARED_STRINGS_BYTES, MAX_XML_BYTES, MAX_XML_EVENT_BYTES,
    MAX_ZIP_ENTRIES, SheetError,
};

/// How much of a part is read at a time.
const CHUNK: usize = 64 << 10;

/// Checks a workbook's zip before it is parsed: the number of files, the unpacked size of all
/// parts together, of each part the parser keeps in memory, and of the longest XML event, and
/// the shared strings' declared count (which sizes an allocation).
pub fn check(bytes: &[u8]) -> Result<(), SheetError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| SheetError::NotXlsx {
        detail: e.to_string(),
    })?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(SheetError::TooManyEntries {
            limit: MAX_ZIP_ENTRIES,
        });
    }
    let workbooks = workbook_parts(&mut archive)?;
    let mut total = 0u64;
    let mut buffer = vec![0u8; CHUNK];
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| SheetError::NotXlsx {
            detail: e.to_string(),
        })?;
        if entry.is_dir() {
            continue;
        }
        let name = normalized(&entry_name(&entry)?);
        let role = Role::of(&name, &workbooks);
        let mut sink = Sink::new(&name, role);
        loop {
            let read = match entry.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(SheetError::NotXlsx {
                        detail: format!("{name}: {e}"),
                    });
                }
            };
            total += read as u64;
            if total > MAX_XML_BYTES {
                return Err(SheetError::TooLarge {
                    part: None,
                    limit_bytes: MAX_XML_BYTES,
                });
            }
            sink.feed(&buffer[..read])?;
        }
    }
    Ok(())
}

/// An entry's name, which the zip may fail to decode.
fn entry_name<R: Read>(entry: &zip::read::ZipFile<'_, R>) -> Result<String, SheetError> {
    entry
        .name()
        .map(|name| name.into_owned())
        .map_err(|e| SheetError::NotXlsx {
            detail: e.to_string(),
        })
}

/// Zip names as the parser looks them up: case-insensitive, forward slashes.
fn normalized(name: &str) -> String {
    name.replace('\\', "/").to_ascii_lowercase()
}

/// What the parser does with a part, which decides its limit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Kept in memory as a list of texts.
    SharedStrings,
    /// Kept in memory: the workbook, styles, theme, relationships.
    InMemory,
    /// Streamed (a sheet) or never read (images, properties).
    Other,
}

impl Role {
    fn of(name: &str, workbooks: &HashSet<String>) -> Role {
        let base = name.rsplit('/').next().unwrap_or(name);
        if base == "sharedstrings.xml" {
            Role::SharedStrings
        } else if workbooks.contains(name)
            || base.ends_with(".rels")
            || base == "styles.xml"
            || base == "theme1.xml"
        {
            Role::InMemory
        } else {
            Role::Other
        }
    }
}

/// Counts one part's bytes and measures its XML events.
struct Sink<'a> {
    name: &'a str,
    role: Role,
    bytes: u64,
    events: EventSizes,
    /// For shared strings, until the `<sst …>` tag is seen: the parser sizes its list from it.
    awaiting_count: bool,
}

impl<'a> Sink<'a> {
    fn new(name: &'a str, role: Role) -> Sink<'a> {
        let shared_strings = role == Role::SharedStrings;
        Sink {
            name,
            role,
            bytes: 0,
            events: if shared_strings {
                EventSizes::capturing()
            } else {
                EventSizes::default()
            },
            awaiting_count: shared_strings,
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), SheetError> {
        self.bytes += bytes.len() as u64;
        let limit = match self.role {
            Role::SharedStrings => Some(MAX_SHARED_STRINGS_BYTES),
            Role::InMemory => Some(MAX_PART_BYTES),
            Role::Other => None,
        };
        if let Some(limit) = limit
            && self.bytes > limit
        {
            return Err(SheetError::TooLarge {
                part: Some(self.name.to_string()),
                limit_bytes: limit,
            });
        }
        let mut declared = None;
        let awaiting = &mut self.awaiting_count;
        self.events.feed_tags(bytes, |tag| {
            if *awaiting && let Some(count) = sst_count(tag) {
                *awaiting = false;
                declared = Some(count);
            }
        });
        if self.events.longest > MAX_XML_EVENT_BYTES {
            return Err(SheetError::ElementTooLarge {
                part: self.name.to_string(),
                limit_bytes: MAX_XML_EVENT_BYTES,
            });
        }
        if declared.is_some_and(|count| count > u128::from(MAX_CELLS)) {
            return Err(SheetError::TooManyStrings { limit: MAX_CELLS });
        }
        Ok(())
    }
}

/// For a start tag named `sst` (any prefix), as the parser finds it: its `uniqueCount` as the
/// parser reads it (0 when absent). `None` for any other tag.
fn sst_count(tag: &[u8]) -> Option<u128> {
    let text = std::str::from_utf8(tag).ok()?;
    let name_length = text
        .find(|c: char| c.is_whitespace() || c == '/')
        .unwrap_or(text.len());
    let name = &text[..name_length];
    if name.starts_with(['/', '!', '?']) || name.rsplit(':').next() != Some("sst") {
        return None;
    }
    let start = quick_xml::events::BytesStart::from_content(text, name_length);
    let count = start
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == "uniqueCount")
        .map_or(0, |a| digits_value(a.value.as_bytes()));
    Some(count)
}

/// An XML reader configured as the workbook parser configures its own, so that both stop (or
/// go on) at the same places.
fn parser_like_calamine(xml: &[u8]) -> quick_xml::Reader<&[u8]> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    config.trim_text(false);
    config.expand_empty_elements = true;
    reader
}

/// The number a parser would read from the digits of `value` (saturating), or 0.
fn digits_value(value: &[u8]) -> u128 {
    let digits = value
        .iter()
        .skip_while(|b| b.is_ascii_whitespace() || **b == b'+')
        .take_while(|b| b.is_ascii_digit());
    digits.fold(0u128, |n, d| {
        n.saturating_mul(10).saturating_add(u128::from(d - b'0'))
    })
}

/// The workbook parts named by the package's relationships (`_rels/.rels`), as the parser
/// resolves them; the usual one when none is named.
fn workbook_parts(archive: &mut ZipArchive<Cursor<&[u8]>>) -> Result<HashSet<String>, SheetError> {
    let mut parts = HashSet::from(["xl/workbook.xml".to_string()]);
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| SheetError::NotXlsx {
            detail: e.to_string(),
        })?;
        if normalized(&entry_name(&entry)?) != "_rels/.rels" {
            continue;
        }
        let mut xml = Vec::new();
        (&mut entry)
            .take(MAX_PART_BYTES + 1)
            .read_to_end(&mut xml)
            .map_err(|e| SheetError::NotXlsx {
                detail: format!("_rels/.rels: {e}"),
            })?;
        if xml.len() as u64 > MAX_PART_BYTES {
            return Err(SheetError::TooLarge {
                part: Some("_rels/.rels".to_string()),
                limit_bytes: MAX_PART_BYTES,
            });
        }
        parts.extend(office_document_targets(&xml));
    }
    Ok(parts)
}

/// Every `officeDocument` relationship's target, as a zip name.
fn office_document_targets(xml: &[u8]) -> Vec<String> {
    let mut reader = parser_like_calamine(xml);
    let mut buffer = Vec::new();
    let mut targets = Vec::new();
    loop {
        buffer.clear();
        match reader.read_event_into(&mut buffer) {
            Ok(quick_xml::events::Event::Start(tag) | quick_xml::events::Event::Empty(tag))
                if tag.local_name().as_ref() == "Relationship" =>
            {
                let mut office_document = false;
                let mut target = None;
                for attribute in tag.attributes().flatten() {
                    match attribute.key.local_name().as_ref() {
                        "Type" => {
                            office_document =
                                attribute.value.ends_with("/relationships/officeDocument");
                        }
                        "Target" => {
                            let raw = &attribute.value;
                            target = Some(
                                quick_xml::escape::unescape(raw)
                                    .map(|v| v.into_owned())
                                    .unwrap_or_else(|_| raw.to_string()),
                            );
                        }
                        _ => {}
                    }
                }
                if let (true, Some(target)) = (office_document, target) {
                    let target = target.strip_prefix('/').unwrap_or(&target);
                    let path = if target.ends_with('/') {
                        format!("{target}workbook.xml")
                    } else {
                        target.to_string()
                    };
                    targets.push(normalized(&path));
                }
            }
            Ok(quick_xml::events::Event::Eof) | Err(_) => return targets,
            Ok(_) => {}
        }
    }
}
