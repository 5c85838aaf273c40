//! The typesetting world of a report: the bundled fonts (no system font lookup), the report's
//! typst sources compiled into the binary and its data as one virtual JSON file. Nothing is
//! read from disk or the network (docs/method.md §10).

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, Source, VirtualPath};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// The fonts bundled with the binary (SIL Open Font License, `fonts/OFL.txt`).
static FONT_FILES: [&[u8]; 6] = [
    include_bytes!("../fonts/NotoSans-Regular.ttf"),
    include_bytes!("../fonts/NotoSans-Bold.ttf"),
    include_bytes!("../fonts/NotoSerif-Regular.ttf"),
    include_bytes!("../fonts/NotoSerif-Bold.ttf"),
    include_bytes!("../fonts/NotoSerif-Italic.ttf"),
    include_bytes!("../fonts/NotoSerif-BoldItalic.ttf"),
];

/// The report sources, by their virtual path.
static SOURCES: [(&str, &str); 6] = [
    ("/common.typ", include_str!("../typ/common.typ")),
    ("/campaign.typ", include_str!("../typ/campaign.typ")),
    ("/unit.typ", include_str!("../typ/unit.typ")),
    ("/announcement.typ", include_str!("../typ/announcement.typ")),
    ("/leadership.typ", include_str!("../typ/leadership.typ")),
    ("/plan.typ", include_str!("../typ/plan.typ")),
];

/// Where the report's data is found by the sources (`json("/data.json")`).
pub const DATA_PATH: &str = "/data.json";

/// Fonts parsed once per process.
static FONTS: LazyLock<(LazyHash<FontBook>, Vec<Font>)> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
});

/// The standard library, built once per process.
static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// One report to typeset: its main source and its data.
pub struct ReportWorld {
    main: FileId,
    data: Bytes,
    today: Option<Datetime>,
}

impl ReportWorld {
    /// `main` is one of the bundled sources (`/campaign.typ` …), `data` the JSON it reads.
    pub fn new(main: &str, data: Vec<u8>, today: Option<(i32, u8, u8)>) -> ReportWorld {
        ReportWorld {
            main: FileId::new(None, VirtualPath::new(main)),
            data: Bytes::new(data),
            today: today.and_then(|(y, m, d)| Datetime::from_ymd(y, m, d)),
        }
    }

    /// How many fonts are bundled (for tests).
    #[cfg(test)]
    pub fn font_count() -> usize {
        FONTS.1.len()
    }
}

fn path_of(id: FileId) -> Option<String> {
    if id.package().is_some() {
        return None;
    }
    Some(id.vpath().as_rooted_path().to_string_lossy().into_owned())
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.0
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        let path = path_of(id).ok_or(FileError::AccessDenied)?;
        SOURCES
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, text)| Source::new(id, (*text).to_string()))
            .ok_or_else(|| FileError::NotFound(path.into()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        let path = path_of(id).ok_or(FileError::AccessDenied)?;
        if path == DATA_PATH {
            return Ok(self.data.clone());
        }
        SOURCES
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, text)| Bytes::new(text.as_bytes().to_vec()))
            .ok_or_else(|| FileError::NotFound(path.into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.1.get(index).cloned()
    }

    fn today(&self, _offset: Option<i64>) -> Option<Datetime> {
        self.today
    }
}
