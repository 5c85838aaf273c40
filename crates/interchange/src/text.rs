//! Showing text from input files on a terminal.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character but the line break written as a Rust escape
/// (`\u{1b}`), so that a unit code or a file name holding an escape sequence is shown, not run
/// by the terminal (colours, a rewritten title, a cleared screen). Line breaks stay: messages
/// and tables are several lines long.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_but_line_breaks() {
        assert_eq!(escape_controls("Hà Nội\n01"), "Hà Nội\n01");
        assert_eq!(
            escape_controls("\u{1b}[31mRED\u{1b}[0m\t\r\0\u{7f}\u{9b}"),
            "\\u{1b}[31mRED\\u{1b}[0m\\u{9}\\u{d}\\u{0}\\u{7f}\\u{9b}"
        );
    }
}
