//! Numbers and dates the Vietnamese way (88,47; 1.234,5; 30/12/2020) or the English one.

use chrono::{DateTime, NaiveDate, Utc};

use super::Lang;

/// A number with `decimals` decimals: `88,47` and `1.234,5` in Vietnamese, `88.47` and
/// `1,234.5` in English.
pub fn number(lang: Lang, value: f64, decimals: usize) -> String {
    let (group, point) = match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    let formatted = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = formatted.split_once('.').unwrap_or((&formatted, ""));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(digit);
    }
    let sign = if value < 0.0 && formatted.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{point}{fraction}")
    }
}

/// Points as the rubric writes them: at most 4 decimals, no trailing zeros (`0,25`, `10`).
pub fn points(lang: Lang, value: f64) -> String {
    let text = number(lang, value, 4);
    let point = if lang == Lang::Vi { ',' } else { '.' };
    if text.contains(point) {
        text.trim_end_matches('0')
            .trim_end_matches(point)
            .to_string()
    } else {
        text
    }
}

/// `30/12/2020` (both languages: the day-first form is the convention in Vietnam).
pub fn date(value: NaiveDate) -> String {
    value.format("%d/%m/%Y").to_string()
}

/// `30/12/2020 14:05` in Vietnam's time (UTC+7, no daylight saving).
pub fn date_time(value: DateTime<Utc>) -> String {
    let local = value + chrono::Duration::hours(7);
    local.format("%d/%m/%Y %H:%M").to_string()
}

/// `30/12/2020 14:05:09` in Vietnam's time, to the second (the audit log and its exports).
pub fn date_time_seconds(value: DateTime<Utc>) -> String {
    let local = value + chrono::Duration::hours(7);
    local.format("%d/%m/%Y %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_number_and_date_conventions() {
        assert_eq!(number(Lang::Vi, 88.47, 2), "88,47");
        assert_eq!(number(Lang::Vi, 1234.5, 1), "1.234,5");
        assert_eq!(number(Lang::Vi, 1234567.0, 0), "1.234.567");
        assert_eq!(number(Lang::En, 1234.5, 1), "1,234.5");
        assert_eq!(number(Lang::Vi, -11.669, 2), "-11,67");
        assert_eq!(number(Lang::Vi, -0.001, 2), "0,00");
        assert_eq!(points(Lang::Vi, 0.25), "0,25");
        assert_eq!(points(Lang::Vi, 10.0), "10");
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2020, 12, 30).unwrap()),
            "30/12/2020"
        );
        let utc = DateTime::parse_from_rfc3339("2020-12-30T07:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(date_time(utc), "30/12/2020 14:05");
    }
}
