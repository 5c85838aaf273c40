//! Organisational units (đơn vị): kinds, the hierarchy they form, and the search form of
//! Vietnamese names (docs/method.md §6).

use std::fmt;

/// The kind of an organisational unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgKind {
    Nation,
    Province,
    /// A department (sở, ban, ngành) of a province.
    Department,
    /// A commune-level unit (xã, phường, đặc khu).
    Commune,
    /// A district-level unit (huyện, quận, thị xã, thành phố thuộc tỉnh): the middle level
    /// until 30/6/2025, kept for the 2019–2024 campaigns and for the communes' lineage through
    /// their districts (docs/method.md §6).
    District,
    /// A ministry or ministry-level agency: a separate kind under the nation.
    Ministry,
}

impl OrgKind {
    pub const ALL: [OrgKind; 6] = [
        OrgKind::Nation,
        OrgKind::Province,
        OrgKind::Department,
        OrgKind::District,
        OrgKind::Commune,
        OrgKind::Ministry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Nation => "nation",
            OrgKind::Province => "province",
            OrgKind::Department => "department",
            OrgKind::Commune => "commune",
            OrgKind::District => "district",
            OrgKind::Ministry => "ministry",
        }
    }

    pub fn parse(text: &str) -> Option<OrgKind> {
        OrgKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// The kinds a unit of this kind may sit under: nation → province → department, district
    /// or commune, and a commune under its district as it was until 30/6/2025; ministries
    /// under the nation. `None` (a root) is always allowed.
    pub fn allowed_parents(self) -> &'static [OrgKind] {
        match self {
            OrgKind::Nation => &[],
            OrgKind::Province | OrgKind::Ministry => &[OrgKind::Nation],
            OrgKind::Department | OrgKind::District => &[OrgKind::Province],
            OrgKind::Commune => &[OrgKind::Province, OrgKind::District],
        }
    }
}

/// A stored kind that is not one chiso knows (the store names the row when it decodes one).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a unit kind")]
pub struct UnknownKind(pub String);

impl TryFrom<String> for OrgKind {
    type Error = UnknownKind;

    fn try_from(text: String) -> Result<OrgKind, UnknownKind> {
        OrgKind::parse(&text).ok_or(UnknownKind(text))
    }
}

impl fmt::Display for OrgKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The search form of a name: lowercase, without diacritics, đ → d ("Thừa Thiên Huế" →
/// "thua thien hue"), so that `LIKE` finds names on both databases whatever the user types
/// (engineering guide §2: no ILIKE).
pub fn search_form(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(strip_vietnamese_mark)
        .collect()
}

fn strip_vietnamese_mark(c: char) -> char {
    const GROUPS: [(char, &str); 7] = [
        ('a', "àáạảãâầấậẩẫăằắặẳẵ"),
        ('e', "èéẹẻẽêềếệểễ"),
        ('i', "ìíịỉĩ"),
        ('o', "òóọỏõôồốộổỗơờớợởỡ"),
        ('u', "ùúụủũưừứựửữ"),
        ('y', "ỳýỵỷỹ"),
        ('d', "đ"),
    ];
    GROUPS
        .iter()
        .find(|(_, marked)| marked.contains(c))
        .map_or(c, |(plain, _)| *plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_form_strips_vietnamese_marks() {
        assert_eq!(search_form("Thừa Thiên Huế"), "thua thien hue");
        assert_eq!(search_form("ĐẮK LẮK"), "dak lak");
        assert_eq!(search_form("Bà Rịa–Vũng Tàu"), "ba ria–vung tau");
        assert_eq!(search_form("Sở Nội vụ"), "so noi vu");
    }

    #[test]
    fn hierarchy_follows_nation_province_department_commune() {
        assert!(
            OrgKind::Commune
                .allowed_parents()
                .contains(&OrgKind::Province)
        );
        assert!(
            !OrgKind::Commune
                .allowed_parents()
                .contains(&OrgKind::Department)
        );
        assert_eq!(OrgKind::Ministry.allowed_parents(), [OrgKind::Nation]);
        assert!(OrgKind::Nation.allowed_parents().is_empty());
        assert_eq!(OrgKind::parse("Commune"), Some(OrgKind::Commune));
    }
}
