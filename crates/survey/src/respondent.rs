//! Respondent ids as they are compared: the same dossier number typed on a phone, printed by
//! a kiosk or copied into a spreadsheet must be one id, so an id is compared after Unicode
//! compatibility normalisation (NFKC: a full-width `－` or `Ｈ` becomes `-` or `H`), with
//! every dash read as `-`, surrounding spaces trimmed and letters in upper case
//! (`hs-2026-000123` is `HS-2026-000123`).

use unicode_normalization::UnicodeNormalization;

/// The form of a respondent id that is stored and compared.
pub fn normalize_respondent_id(raw: &str) -> String {
    let normal: String = raw
        .nfkc()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{fe58}' | '\u{fe63}' => '-',
            other => other,
        })
        .collect();
    normal.trim().to_uppercase()
}

/// [`normalize_respondent_id`] for an owned id, without allocating in the usual case of an
/// ASCII id (which NFKC leaves as it is): bulk imports normalise one id per row.
pub fn normalize_respondent_id_owned(mut id: String) -> String {
    if !id.is_ascii() {
        return normalize_respondent_id(&id);
    }
    let end = id.trim_end().len();
    id.truncate(end);
    let start = id.len() - id.trim_start().len();
    if start > 0 {
        id.drain(..start);
    }
    id.make_ascii_uppercase();
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_dossier_number_however_typed_is_one_id() {
        let canonical = "HS-2026-000123";
        for typed in [
            "HS-2026-000123",
            "hs-2026-000123",
            "  Hs-2026-000123 ",
            "ＨＳ－２０２６－０００１２３",
            "HS\u{2013}2026\u{2212}000123",
        ] {
            assert_eq!(normalize_respondent_id(typed), canonical, "{typed:?}");
        }
        assert_ne!(normalize_respondent_id("HS-2026-000124"), canonical);
        for typed in [
            "  hs-2026-000123\t",
            "ＨＳ－２０２６－０００１２３",
            "HS-2026-000123",
        ] {
            assert_eq!(normalize_respondent_id_owned(typed.to_string()), canonical);
        }
    }
}
