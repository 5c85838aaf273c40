//! Vietnamese first, English available: interface texts by key (locales/*.toml), Vietnamese
//! number and date conventions ([`format`]: 88,47; 1.234,5; 30/12/2020), the file reader's
//! refusals ([`files`]), and the gettext-style catalogue that still renders some libraries'
//! English messages in Vietnamese (its entries go as each area's refusals become typed).

use std::collections::HashMap;
use std::sync::OnceLock;

mod files;
mod format;

pub use files::{sheet_error, sheet_error_with_row};
pub use format::{date, date_time, date_time_seconds, number, points};

/// The interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// Every locale file of a language, by feature; a key is `file.key`.
const VI_FILES: &[(&str, &str)] = &[
    ("common", include_str!("../locales/vi/common.toml")),
    ("audit", include_str!("../locales/vi/audit.toml")),
    (
        "notifications",
        include_str!("../locales/vi/notifications.toml"),
    ),
    ("units", include_str!("../locales/vi/units.toml")),
    ("frameworks", include_str!("../locales/vi/frameworks.toml")),
    ("campaigns", include_str!("../locales/vi/campaigns.toml")),
    ("checklist", include_str!("../locales/vi/checklist.toml")),
    ("users", include_str!("../locales/vi/users.toml")),
    ("assessment", include_str!("../locales/vi/assessment.toml")),
    ("appraisal", include_str!("../locales/vi/appraisal.toml")),
    ("results", include_str!("../locales/vi/results.toml")),
    ("public", include_str!("../locales/vi/public.toml")),
    ("surveys", include_str!("../locales/vi/surveys.toml")),
    (
        "survey_form",
        include_str!("../locales/vi/survey_form.toml"),
    ),
    ("input", include_str!("../locales/vi/input.toml")),
    ("files", include_str!("../locales/vi/files.toml")),
];
const EN_FILES: &[(&str, &str)] = &[
    ("common", include_str!("../locales/en/common.toml")),
    ("audit", include_str!("../locales/en/audit.toml")),
    (
        "notifications",
        include_str!("../locales/en/notifications.toml"),
    ),
    ("units", include_str!("../locales/en/units.toml")),
    ("frameworks", include_str!("../locales/en/frameworks.toml")),
    ("campaigns", include_str!("../locales/en/campaigns.toml")),
    ("checklist", include_str!("../locales/en/checklist.toml")),
    ("users", include_str!("../locales/en/users.toml")),
    ("assessment", include_str!("../locales/en/assessment.toml")),
    ("appraisal", include_str!("../locales/en/appraisal.toml")),
    ("results", include_str!("../locales/en/results.toml")),
    ("public", include_str!("../locales/en/public.toml")),
    ("surveys", include_str!("../locales/en/surveys.toml")),
    (
        "survey_form",
        include_str!("../locales/en/survey_form.toml"),
    ),
    ("input", include_str!("../locales/en/input.toml")),
    ("files", include_str!("../locales/en/files.toml")),
];

type Texts = HashMap<String, String>;

fn load(files: &[(&str, &str)]) -> Texts {
    let mut texts = HashMap::new();
    for (prefix, source) in files {
        let table: toml::Table =
            toml::from_str(source).unwrap_or_else(|e| panic!("locale {prefix}: {e}"));
        flatten(&mut texts, prefix, table);
    }
    texts
}

/// A file's texts under dotted keys: `[verb] create = …` in `audit.toml` is `audit.verb.create`.
fn flatten(texts: &mut Texts, prefix: &str, table: toml::Table) {
    for (key, value) in table {
        match value {
            toml::Value::String(text) => {
                texts.insert(format!("{prefix}.{key}"), text);
            }
            toml::Value::Table(inner) => flatten(texts, &format!("{prefix}.{key}"), inner),
            _ => {}
        }
    }
}

fn texts(lang: Lang) -> &'static Texts {
    static VI: OnceLock<Texts> = OnceLock::new();
    static EN: OnceLock<Texts> = OnceLock::new();
    match lang {
        Lang::Vi => VI.get_or_init(|| load(VI_FILES)),
        Lang::En => EN.get_or_init(|| load(EN_FILES)),
    }
}

/// The text for a key; a missing key shows as itself (and a test keeps both files complete).
pub fn text(lang: Lang, key: &str) -> &'static str {
    match texts(lang).get(key) {
        Some(text) => text.as_str(),
        None => texts(Lang::Vi)
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| Box::leak(key.to_string().into_boxed_str())),
    }
}

/// The text for a key with its `{name}` placeholders filled in.
pub fn fill(lang: Lang, key: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut text = text(lang, key).to_string();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), &value.to_string());
    }
    text
}

/// The text for a key, or `None` when neither language has it (for optional texts such as a
/// field's label).
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    texts(lang)
        .get(key)
        .or_else(|| texts(Lang::Vi).get(key))
        .map(String::as_str)
}

/// Keys of a language, for the completeness test.
pub fn keys(lang: Lang) -> Vec<&'static str> {
    let mut keys: Vec<&str> = texts(lang).keys().map(String::as_str).collect();
    keys.sort();
    keys
}

/// English message templates and their Vietnamese renderings. `{}` keeps the captured text,
/// `{*}` translates it again (messages nest: a file and row wrap a problem).
const CATALOGUE: &[(&str, &str)] = &[
    // Wrappers from the file readers.
    ("{} row {}: {*}", "{} dòng {}: {*}"),
    ("{} line {}: {*}", "{} dòng {}: {*}"),
    ("row {}: {*}", "dòng {}: {*}"),
    (
        "wrong column count: {}, expected {}",
        "số cột sai: {}, cần {}",
    ),
    ("'{}' is not a number", "'{}' không phải là số"),
    ("'{}' is too large", "'{}' quá lớn"),
    ("is empty: no header row", "trống: không có dòng tiêu đề"),
    ("not readable as .xlsx: {}", "không đọc được dạng .xlsx: {}"),
    ("has no sheet", "không có trang tính nào"),
    // The self-assessment workflow as a unit meets it: deadlines, locked sheets,
    // evidence links, explanation answers.
    ("self-assessment", "tự đánh giá"),
    ("explanation", "giải trình"),
    (
        "the explanation is longer than {} characters",
        "giải trình dài quá {} ký tự",
    ),
    (
        "the answer is longer than {} characters",
        "nội dung giải trình dài quá {} ký tự",
    ),
    ("leaf {}", "tiêu chí {}"),
    (
        "the evidence of leaf {}",
        "tài liệu kiểm chứng của tiêu chí {}",
    ),
    (
        "the removal of evidence from leaf {}",
        "việc gỡ tài liệu khỏi tiêu chí {}",
    ),
    (
        "the answer on leaf {}",
        "nội dung giải trình của tiêu chí {}",
    ),
    (
        "the sheet changed after you reviewed it (version {} now, yours {}): review it again before you {*}",
        "Bảng tự chấm điểm đã thay đổi sau khi bạn xem lại (phiên bản hiện tại {}, bạn xem phiên bản {}): hãy xem lại trước khi {*}",
    ),
    ("submit", "nộp Bảng tự chấm điểm"),
    ("continue", "tiếp tục"),
    (
        "appraisal round {} started first: the sheet is in appraisal and was not changed",
        "vòng thẩm định {} đã bắt đầu trước: Bảng tự chấm điểm đang được thẩm định, không có thay đổi nào",
    ),
    (
        "the sheet is now {*}: it was not changed",
        "Bảng tự chấm điểm hiện {*}: không có thay đổi nào",
    ),
    (
        "{} is already attached to leaf {}",
        "{} đã được gắn vào tiêu chí {}",
    ),
    (
        "{} on leaf {} belongs to an earlier stage and can no longer be removed",
        "{} ở tiêu chí {} thuộc giai đoạn trước, không gỡ được nữa",
    ),
    (
        "{} was removed from leaf {} meanwhile",
        "{} vừa được người khác gỡ khỏi tiêu chí {}",
    ),
    (
        "input {} = {} is not a finite number",
        "số liệu {} = {} không phải là số hợp lệ",
    ),
    (
        "the campaign is a draft: sheets are created when it opens",
        "đợt đánh giá còn là bản nháp: Bảng tự chấm điểm được tạo khi đợt mở",
    ),
    // Scoring rules in framework files (the `rule` column).
    ("levels: the list is empty", "mức điểm: danh sách trống"),
    (
        "levels: values must be strictly ascending",
        "mức điểm: các giá trị phải tăng dần",
    ),
    (
        "levels: {} is outside [0, {}]",
        "mức điểm: {} nằm ngoài khoảng [0, {}]",
    ),
    (
        "levels: max_points {} is not one of the levels",
        "mức điểm: điểm tối đa {} không thuộc các mức",
    ),
    (
        "threshold: the input has no name",
        "ngưỡng: chưa đặt tên chỉ số đầu vào",
    ),
    ("threshold: no steps", "ngưỡng: chưa có bậc nào"),
    (
        "threshold: step minima must be strictly descending",
        "ngưỡng: các bậc phải giảm dần",
    ),
    (
        "threshold: a step minimum is not a number",
        "ngưỡng: ngưỡng của một bậc không phải là số",
    ),
    (
        "threshold: step points {} are outside [0, {}]",
        "ngưỡng: điểm của bậc {} nằm ngoài khoảng [0, {}]",
    ),
    (
        "threshold: otherwise {} is outside [0, {}]",
        "ngưỡng: điểm còn lại {} nằm ngoài khoảng [0, {}]",
    ),
    (
        "'{}' lacks a closing parenthesis",
        "'{}' thiếu dấu đóng ngoặc",
    ),
    (
        "{} needs the input name in parentheses, e.g. {}",
        "{} cần tên chỉ số đầu vào trong ngoặc đơn, ví dụ {}",
    ),
    (
        "{} needs the survey source in parentheses, e.g. {}",
        "{} cần tên nguồn khảo sát trong ngoặc đơn, ví dụ {}",
    ),
    (
        "step '{}' is not 'minimum => points'",
        "bậc '{}' không đúng dạng 'ngưỡng => điểm'",
    ),
    (
        "step minimum '{}' is not a number",
        "ngưỡng '{}' của bậc không phải là số",
    ),
    (
        "'{}' is not a rule kind (levels, threshold, proportional, survey)",
        "'{}' không phải loại quy tắc hợp lệ (levels, threshold, proportional, survey)",
    ),
    (
        "first sheet not readable: {}",
        "không đọc được trang tính đầu tiên: {}",
    ),
    // The assessment workflow as the council and the secretariat meet it. Actions,
    // sheet statuses and campaign states are translated where a message nests them.
    ("a draft", "còn là bản nháp"),
    ("submitted", "đã nộp"),
    ("in appraisal", "đang thẩm định"),
    ("appraised", "đã thẩm định xong"),
    (
        "waiting for the unit's explanation",
        "đang chờ đơn vị giải trình",
    ),
    (
        "explained, waiting for the next round",
        "đã giải trình, chờ vòng sau",
    ),
    ("finalized", "đã chốt"),
    ("draft", "còn là bản nháp"),
    ("open", "đang tự đánh giá"),
    ("appraisal", "đang thẩm định"),
    ("published", "đã công bố"),
    (
        "{} is not a leaf: points go on its sub-criteria",
        "{} không phải tiêu chí lá: điểm chấm ở các tiêu chí con",
    ),
    (
        "points {} are outside [0, {}] for {}",
        "điểm {} nằm ngoài khoảng [0, {}] của tiêu chí {}",
    ),
    (
        "points {} are not one of the levels {}",
        "điểm {} không thuộc các mức {}",
    ),
    (
        "input {} = {} is outside [{}, {}]",
        "số liệu {} = {} nằm ngoài khoảng [{}, {}]",
    ),
    ("input {} is negative", "số liệu {} là số âm"),
    (
        "this leaf has no rule that computes points from an input",
        "tiêu chí này không tính điểm từ số liệu",
    ),
    ("the appraisal of leaf {}", "kết quả thẩm định tiêu chí {}"),
    (
        "{*} was not saved: the sheet is now {*}",
        "{*} chưa được lưu: Bảng tự chấm điểm hiện {*}",
    ),
    (
        "{*} was not saved: the sheet is now {*} (round {})",
        "{*} chưa được lưu: Bảng tự chấm điểm hiện {*} (vòng {})",
    ),
    (
        "leaf {} was saved by {} at {} (version {}) after you opened it: reload it to see their values, then save again",
        "tiêu chí {} đã được {} lưu lúc {} (phiên bản {}) sau khi bạn mở trang.",
    ),
    (
        "leaf {} changed after you opened it: reload it and save again",
        "tiêu chí {} đã thay đổi sau khi bạn mở trang.",
    ),
    (
        "round {} was closed meanwhile",
        "vòng {} vừa được người khác đóng",
    ),
    (
        "round {} was opened meanwhile, or another round is open",
        "vòng {} vừa được người khác mở, hoặc đang có vòng khác mở",
    ),
    (
        "the extension must end after the deadline ({})",
        "ngày gia hạn phải sau hạn chót ({})",
    ),
    ("an extension needs a reason", "gia hạn cần có lý do"),
    (
        "unit {} does not take part in this campaign",
        "đơn vị {} không tham gia đợt đánh giá này",
    ),
    (
        "the comment is longer than {} characters",
        "nhận xét dài quá {} ký tự",
    ),
    (
        "node {} is not part of this sheet's framework",
        "tiêu chí {} không thuộc bộ tiêu chí của Bảng tự chấm điểm này",
    ),
    // Survey services (store::survey_services).
    ("the service code is empty", "mã dịch vụ để trống"),
    (
        "service code {}: use at most {} letters, digits, '-', '_' or '.'",
        "mã dịch vụ {}: chỉ dùng tối đa {} chữ cái, chữ số, '-', '_' hoặc '.'",
    ),
    ("service {}: the name is empty", "dịch vụ {}: chưa nhập tên"),
    (
        "service {}: the name is longer than {} characters",
        "dịch vụ {}: tên dài quá {} ký tự",
    ),
    (
        "service {}: transactions {} is negative",
        "dịch vụ {}: số giao dịch {} là số âm",
    ),
    (
        "service {} has responses or tokens in this wave",
        "dịch vụ {} đã có phiếu trả lời hoặc mã khảo sát trong đợt này",
    ),
    (
        "the unit is not in the wave",
        "đơn vị không thuộc đợt khảo sát",
    ),
    (
        "the service is not one of the unit's services in the wave",
        "dịch vụ không thuộc các dịch vụ của đơn vị trong đợt khảo sát",
    ),
    (
        "the service is not one of the unit's services in this survey",
        "dịch vụ không thuộc các dịch vụ của đơn vị trong đợt khảo sát này",
    ),
    // A file name before a message: the most general pattern, so it comes last.
    ("{}: {*}", "{}: {*}"),
];

/// Renders an English library message in `lang`. Unknown messages stay as they are.
pub fn message(lang: Lang, english: &str) -> String {
    if lang == Lang::En {
        return english.to_string();
    }
    translate(english).unwrap_or_else(|| english.to_string())
}

/// The most specific template wins (the one with the most literal text), so a general
/// "{} row {}: {*}" never swallows a message that has its own entry, such as
/// "missing column '{}' in the header row (found: {})".
fn translate(english: &str) -> Option<String> {
    let literal_length = |template: &str| {
        template
            .split(['{', '}'])
            .step_by(2)
            .map(str::len)
            .sum::<usize>()
    };
    CATALOGUE
        .iter()
        .filter_map(|(source, target)| {
            Some((
                literal_length(source),
                target,
                match_template(source, english)?,
            ))
        })
        .max_by_key(|(length, _, _)| *length)
        .and_then(|(_, target, captures)| fill_template(target, captures))
}

fn fill_template(target: &str, captures: Vec<String>) -> Option<String> {
    let mut output = String::new();
    let mut captures = captures.into_iter();
    let mut rest = target;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}')? + start;
        output.push_str(&rest[..start]);
        let captured = captures.next()?;
        if &rest[start..=end] == "{*}" {
            output.push_str(&translate(&captured).unwrap_or(captured));
        } else {
            output.push_str(&captured);
        }
        rest = &rest[end + 1..];
    }
    output.push_str(rest);
    Some(output)
}

/// Matches `text` against a template with `{}`/`{*}` holes; holes are non-empty and a hole is
/// as short as possible, except the last, which takes the rest.
fn match_template(template: &str, text: &str) -> Option<Vec<String>> {
    let pieces: Vec<&str> = template.split(['{', '}']).collect();
    // split gives literal, hole-name, literal, hole-name, …, literal
    let literals: Vec<&str> = pieces.iter().step_by(2).copied().collect();
    let holes = literals.len() - 1;
    let mut rest = text.strip_prefix(literals[0])?;
    let mut captures = Vec::with_capacity(holes);
    for (i, literal) in literals.iter().enumerate().skip(1) {
        if i == literals.len() - 1 {
            let value = rest.strip_suffix(literal)?;
            if value.is_empty() {
                return None;
            }
            captures.push(value.to_string());
            rest = "";
        } else {
            let position = rest.get(1..)?.find(literal)? + 1;
            captures.push(rest[..position].to_string());
            rest = &rest[position + literal.len()..];
        }
    }
    (rest.is_empty() && captures.len() == holes).then_some(captures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_message_template_wins() {
        // "header row" inside the problem is not taken for the wrapper's row.
        assert_eq!(
            message(Lang::Vi, "t.csv row 1: is empty: no header row"),
            "t.csv dòng 1: trống: không có dòng tiêu đề"
        );
        assert_eq!(
            message(Lang::Vi, "x.csv row 3: wrong column count: 4, expected 3"),
            "x.csv dòng 3: số cột sai: 4, cần 3"
        );
    }

    #[test]
    fn library_messages_render_in_vietnamese() {
        assert_eq!(message(Lang::En, "title is empty"), "title is empty");
        assert_eq!(message(Lang::Vi, "something unknown"), "something unknown");
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        assert_eq!(keys(Lang::Vi), keys(Lang::En));
        assert!(!keys(Lang::Vi).is_empty());
        assert_eq!(text(Lang::Vi, "common.app_name"), "chiso");
    }
}
