//! Recognising a publisher's columns by their headers (docs/formats.md §7.5): a header is
//! compared in its folded form (no case, diacritics, punctuation or spacing) with the names
//! of the year's structure in either language, never by its position.

use std::collections::HashMap;

use chiso_domain::indices::Structure;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A text without case, diacritics (đ → d), punctuation or spacing: "Tham gia của người dân ở
/// cấp cơ sở" → "thamgiacuanguoidanocapcoso"; decomposed and composed marks fold alike.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'đ' { 'd' } else { c })
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The first year (1990–2100) written in a text, as four digits standing alone
/// ("2016_PAPI", "PAPI 2015 total").
pub fn year_in(text: &str) -> Option<i32> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 4
                && let Ok(year) = text[start..i].parse::<i32>()
                && (1990..=2100).contains(&year)
            {
                return Some(year);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// A folded header without the years written in it.
fn without_years(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len());
    let chars: Vec<char> = folded.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let run: String = chars[start..i].iter().collect();
            let is_year =
                run.len() == 4 && run.parse::<i32>().is_ok_and(|y| (1990..=2100).contains(&y));
            if !is_year {
                out.push_str(&run);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// What a column holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnRole {
    /// The statistics-office code (or a ministry's code).
    Id,
    /// A unit's name, in either language.
    Name,
    /// The published rank of the total.
    Rank,
    /// A row number (STT): ignored.
    Serial,
    /// The total; `year` when the header names one ("PAPI 2015").
    Total { year: Option<i32> },
    /// A weighted variant of a total that is a sum: not read.
    Weighted,
    /// A dimension, sub-dimension or component, by measure code.
    Item(String),
}

const ID_KEYS: &[&str] = &[
    "id",
    "gsoid",
    "gso",
    "gsocode",
    "ma",
    "matinh",
    "madonvi",
    "mahanhchinh",
    "magso",
    "code",
    "provincecode",
    "provinceid",
    "unitcode",
    "pid",
    "idtinh",
    "mabo",
];
const SERIAL_KEYS: &[&str] = &["stt", "tt", "no", "sott", "number", "so"];
const RANK_KEYS: &[&str] = &[
    "rank",
    "ranking",
    "xephang",
    "thuhang",
    "hang",
    "vitri",
    "xephangtong",
];
const TOTAL_KEYS: &[&str] = &[
    "total",
    "tong",
    "tongdiem",
    "tongcong",
    "diemtong",
    "totalscore",
    "chiso",
    "index",
    "overall",
    "ketqua",
];
const NAME_PARTS: &[&str] = &[
    "province",
    "tinh",
    "name",
    "ten",
    "donvi",
    "unit",
    "thanhpho",
    "locality",
    "diaphuong",
    "ministry",
    "bonganh",
    "coquan",
];

/// The names of one structure's columns, folded.
pub struct HeaderKeys {
    items: HashMap<String, Option<String>>,
    /// A word and a code ("linhvuc1"): a header that starts with one and goes on in letters
    /// ("Lĩnh vực 1: Công tác chỉ đạo, điều hành CCHC") names that item, whatever the wording.
    prefixes: Vec<(String, String)>,
    totals: Vec<String>,
}

impl HeaderKeys {
    pub fn new(structure: &Structure) -> HeaderKeys {
        let mut items: HashMap<String, Option<String>> = HashMap::new();
        let mut prefixes: Vec<(String, String)> = Vec::new();
        let mut add = |key: String, code: &str| {
            if key.is_empty() {
                return;
            }
            items
                .entry(key)
                .and_modify(|c| {
                    // A name two items share names neither.
                    if c.as_deref() != Some(code) {
                        *c = None;
                    }
                })
                .or_insert_with(|| Some(code.to_string()));
        };
        for item in structure.items() {
            let names: Vec<&str> = [item.title.as_str(), item.title_en.as_str()]
                .into_iter()
                .chain(item.aliases.iter().map(String::as_str))
                .collect();
            for name in &names {
                add(fold(name), &item.code);
                add(fold(&format!("{} {name}", item.code)), &item.code);
                for word in &structure.words {
                    add(fold(&format!("{word} {} {name}", item.code)), &item.code);
                }
            }
            for word in &structure.words {
                add(fold(&format!("{word} {}", item.code)), &item.code);
                prefixes.push((fold(&format!("{word} {}", item.code)), item.code.clone()));
            }
        }
        // Longest first, so "linhvuc10" wins over "linhvuc1".
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
        let mut totals: Vec<String> = TOTAL_KEYS.iter().map(|k| k.to_string()).collect();
        totals.extend(structure.total_names.iter().map(|n| fold(n)));
        totals.extend([
            fold(&structure.index),
            fold(&structure.title),
            fold(&structure.title_en),
        ]);
        HeaderKeys {
            items,
            prefixes,
            totals,
        }
    }

    /// The names that two items of the structure share, so name neither (a structure's data
    /// should have none).
    pub fn ambiguous(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .items
            .iter()
            .filter(|(_, code)| code.is_none())
            .map(|(key, _)| key.as_str())
            .collect();
        keys.sort_unstable();
        keys
    }

    /// What a header names, if anything.
    pub fn classify(&self, header: &str) -> Option<ColumnRole> {
        let folded = fold(header);
        if folded.is_empty() {
            return None;
        }
        if ID_KEYS.contains(&folded.as_str()) {
            return Some(ColumnRole::Id);
        }
        if SERIAL_KEYS.contains(&folded.as_str()) {
            return Some(ColumnRole::Serial);
        }
        if let Some(found) = self.items.get(&folded) {
            return found.clone().map(ColumnRole::Item);
        }
        let by_prefix = self.prefixes.iter().find(|(prefix, _)| {
            folded
                .strip_prefix(prefix.as_str())
                .and_then(|rest| rest.chars().next())
                .is_some_and(|next| next.is_alphabetic())
        });
        if let Some((_, code)) = by_prefix {
            return Some(ColumnRole::Item(code.clone()));
        }
        let plain = without_years(&folded);
        if RANK_KEYS.contains(&plain.as_str()) {
            return Some(ColumnRole::Rank);
        }
        if self.totals.contains(&plain) {
            return Some(ColumnRole::Total {
                year: year_in(header),
            });
        }
        let weighted = plain.contains("weighted") || plain.contains("trongso");
        let unweighted = plain.contains("unweighted")
            || plain.contains("chuacotrongso")
            || plain.contains("khongtrongso");
        if weighted && !unweighted {
            return Some(ColumnRole::Weighted);
        }
        if NAME_PARTS.iter().any(|part| plain.contains(part)) {
            return Some(ColumnRole::Name);
        }
        None
    }
}

/// Whether a row's name is a summary of the others: highest, lowest, mean, median, national.
pub fn is_summary_name(name: &str) -> bool {
    const STARTS: &[&str] = &[
        "max",
        "min",
        "mean",
        "average",
        "avg",
        "highest",
        "lowest",
        "median",
        "caonhat",
        "thapnhat",
        "trungbinh",
        "trungvi",
        "toanquoc",
        "canuoc",
        "national",
        "vietnam",
        "tong",
        "total",
        "stdev",
        "standarddeviation",
        "dolechchuan",
    ];
    let folded = fold(name);
    STARTS.iter().any(|s| folded.starts_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_drops_case_marks_punctuation_and_spacing() {
        assert_eq!(
            fold("Tham gia của người dân ở cấp cơ sở"),
            "thamgiacuanguoidanocapcoso"
        );
        assert_eq!(fold("ĐẮK LẮK"), "daklak");
        // Decomposed marks fold like composed ones.
        assert_eq!(fold("Thu\u{300}a Thie\u{302}n"), fold("Thừa Thiên"));
        assert_eq!(
            fold("Sub-dimension 1.1: Civic Knowledge"),
            "subdimension11civicknowledge"
        );
    }

    #[test]
    fn a_word_and_a_code_name_an_item_whatever_follows() {
        let structure: Structure = toml::from_str(
            r#"
            id = "par"
            index = "par"
            publisher = "Bộ Nội vụ"
            title = "Chỉ số CCHC"
            title_en = "PAR INDEX"
            years = { from = 2022 }
            units = "province"
            scale = { min = 0, max = 100 }
            words = ["lĩnh vực"]
            dimensions = [
              { code = "1", title = "Công tác chỉ đạo, điều hành cải cách hành chính", title_en = "Direction" },
              { code = "10", title = "Mười", title_en = "Ten" },
            ]
            "#,
        )
        .unwrap();
        let keys = HeaderKeys::new(&structure);
        let item = |code: &str| Some(ColumnRole::Item(code.to_string()));
        assert_eq!(
            keys.classify("Lĩnh vực 1: Công tác chỉ đạo, điều hành CCHC"),
            item("1")
        );
        assert_eq!(keys.classify("LĨNH VỰC 10 – khác"), item("10"));
        assert_eq!(keys.classify("Lĩnh vực 1"), item("1"));
        assert_eq!(
            keys.classify("cong tac chi dao, dieu hanh cai cach hanh chinh"),
            item("1")
        );
        assert_eq!(
            keys.classify("Chỉ số CCHC 2023"),
            Some(ColumnRole::Total { year: Some(2023) })
        );
        assert_eq!(keys.classify("Xếp hạng"), Some(ColumnRole::Rank));
        assert_eq!(keys.classify("Tỉnh, thành phố"), Some(ColumnRole::Name));
        assert_eq!(keys.classify("Mã tỉnh"), Some(ColumnRole::Id));
        assert_eq!(keys.classify("Ghi chú"), None);
    }

    #[test]
    fn years_are_found_and_stripped() {
        assert_eq!(year_in("2016_PAPI"), Some(2016));
        assert_eq!(year_in("PAPI 2015 (unweighted)"), Some(2015));
        assert_eq!(year_in("Sheet12345"), None);
        assert_eq!(without_years("papi2015total"), "papitotal");
        assert_eq!(without_years("a12345"), "a12345");
    }
}
