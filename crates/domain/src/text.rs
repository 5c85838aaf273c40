//! The kinds of text chiso accepts from people and files, with their limits.
//!
//! Every piece of text that enters the application (a form field, a query parameter, a path
//! segment, a JSON string, a cell of an imported file) is one of these kinds. A kind fixes the
//! longest text accepted, in characters (Unicode scalar values, what a person counts), and
//! whether line breaks may appear. Control characters are refused everywhere: PostgreSQL
//! cannot store NUL in text at all, and the others (escape, backspace, bell…) only hide or
//! garble what is shown; multi-line kinds keep TAB, LF and CR, which typed prose contains.
//!
//! The limits are generous for what each kind holds (a unit's name is a few dozen
//! characters) and small enough that one value cannot bloat every page that lists it.

use std::fmt;

/// What a piece of text is, which decides its limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextKind {
    /// Identifiers and machine values: codes, ids, tokens, dates, numbers, choices, path
    /// segments.
    Code,
    /// A login name.
    Username,
    /// A name or title shown in lists and headings: units, campaigns, people, devices.
    Name,
    /// A search or filter term.
    Search,
    /// Any other single-line field.
    Short,
    /// Prose on several lines: explanations, comments, reasons, descriptions, guidance.
    Long,
    /// A pasted document: a questionnaire's definition, a list of lines.
    Document,
}

impl TextKind {
    /// Every kind, for tests and documentation.
    pub const ALL: [TextKind; 7] = [
        TextKind::Code,
        TextKind::Username,
        TextKind::Name,
        TextKind::Search,
        TextKind::Short,
        TextKind::Long,
        TextKind::Document,
    ];

    /// The longest text accepted, in characters.
    pub const fn max_chars(self) -> usize {
        match self {
            TextKind::Code => 100,
            TextKind::Username => 100,
            TextKind::Name => 300,
            TextKind::Search => 200,
            TextKind::Short => 1_000,
            // The store's own bound on explanations, comments and answers.
            TextKind::Long => 20_000,
            // The bundled questionnaires are 8 KB; a province's unit list a few dozen.
            TextKind::Document => 500_000,
        }
    }

    /// Whether TAB, LF and CR are accepted.
    pub const fn multi_line(self) -> bool {
        matches!(self, TextKind::Long | TextKind::Document)
    }

    /// Whether a character is accepted in this kind of text.
    pub fn allows(self, c: char) -> bool {
        !c.is_control() || (self.multi_line() && matches!(c, '\t' | '\n' | '\r'))
    }
}

/// Why a text is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextError {
    /// Longer than the kind allows.
    TooLong { max: usize },
    /// Holds a control character the kind does not allow (a NUL, an escape, a line break in
    /// a single-line field); `at` is its position in characters.
    Control { at: usize },
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextError::TooLong { max } => write!(f, "longer than {max} characters"),
            TextError::Control { .. } => f.write_str("contains a control character"),
        }
    }
}

impl std::error::Error for TextError {}

/// Checks a text against its kind. Reading stops at the first problem from the start, so a
/// huge value costs no more than its first `max_chars` characters.
pub fn check(kind: TextKind, text: &str) -> Result<(), TextError> {
    let max = kind.max_chars();
    // Fewer bytes than the limit means fewer characters too: only the control scan remains.
    if text.len() <= max {
        return match text.chars().position(|c| !kind.allows(c)) {
            Some(at) => Err(TextError::Control { at }),
            None => Ok(()),
        };
    }
    for (at, c) in text.chars().enumerate() {
        if at >= max {
            return Err(TextError::TooLong { max });
        }
        if !kind.allows(c) {
            return Err(TextError::Control { at });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nul_is_refused_in_every_kind() {
        for kind in TextKind::ALL {
            assert_eq!(
                check(kind, "a\0b"),
                Err(TextError::Control { at: 1 }),
                "{kind:?}"
            );
            assert_eq!(check(kind, "\u{7f}"), Err(TextError::Control { at: 0 }));
            assert_eq!(check(kind, "\u{1b}[2J"), Err(TextError::Control { at: 0 }));
            assert_eq!(check(kind, "\u{85}"), Err(TextError::Control { at: 0 }));
        }
    }

    #[test]
    fn line_breaks_only_in_multi_line_kinds() {
        for kind in TextKind::ALL {
            let multi = check(kind, "dòng 1\r\n\tdòng 2").is_ok();
            assert_eq!(multi, kind.multi_line(), "{kind:?}");
        }
        assert!(TextKind::Long.multi_line() && TextKind::Document.multi_line());
        assert_eq!(
            check(TextKind::Name, "Sở\tTư pháp"),
            Err(TextError::Control { at: 2 })
        );
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let name = "Đ".repeat(300);
        assert_eq!(name.len(), 600);
        assert_eq!(check(TextKind::Name, &name), Ok(()));
        assert_eq!(
            check(TextKind::Name, &format!("{name}x")),
            Err(TextError::TooLong { max: 300 })
        );
        assert_eq!(check(TextKind::Code, ""), Ok(()));
        assert_eq!(
            TextError::TooLong { max: 300 }.to_string(),
            "longer than 300 characters"
        );
    }

    #[test]
    fn a_huge_value_stops_at_the_limit() {
        let huge = "x".repeat(15 * 1024 * 1024);
        assert_eq!(
            check(TextKind::Name, &huge),
            Err(TextError::TooLong { max: 300 })
        );
    }

    fn kind() -> impl Strategy<Value = TextKind> {
        prop::sample::select(TextKind::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn printable_text_within_the_limit_passes(
            kind in kind(),
            text in "[^\\p{Cc}]{0,120}",
        ) {
            prop_assume!(text.chars().count() <= kind.max_chars());
            prop_assert_eq!(check(kind, &text), Ok(()));
        }

        #[test]
        fn one_control_character_anywhere_is_found(
            kind in kind(),
            before in "[^\\p{Cc}]{0,40}",
            after in "[^\\p{Cc}]{0,40}",
            control in prop::sample::select(
                vec!['\0', '\u{1}', '\u{8}', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}', '\u{9f}'],
            ),
        ) {
            let text = format!("{before}{control}{after}");
            let at = before.chars().count();
            prop_assume!(at < kind.max_chars());
            prop_assert_eq!(check(kind, &text), Err(TextError::Control { at }));
        }

        #[test]
        fn anything_over_the_limit_is_too_long(kind in kind(), extra in 1usize..50) {
            let text = "ư".repeat(kind.max_chars() + extra);
            let max = kind.max_chars();
            prop_assert_eq!(check(kind, &text), Err(TextError::TooLong { max }));
        }

        #[test]
        // Up to 121 characters: across the limit of codes and usernames (100).
        fn the_verdict_agrees_with_a_plain_reading(
            kind in kind(),
            text in "\\PC{0,60}[\\x00-\\x1f\\x7f]?\\PC{0,60}",
        ) {
            let count = text.chars().count();
            let plain_ok = count <= kind.max_chars() && text.chars().all(|c| kind.allows(c));
            prop_assert_eq!(check(kind, &text).is_ok(), plain_ok);
        }
    }
}
