//! The length of the longest XML event in a stream, measured without parsing it.
//!
//! An XML pull parser buffers one event at a time (a tag with its attributes, a text, a
//! comment), so one 200 MB attribute costs 200 MB however the file is read. This scanner
//! follows just enough of XML's lexical structure to know where each event starts and ends,
//! and erring on the long side: it honours quotes inside tags and brackets inside a DOCTYPE,
//! so it never sees an event end before a parser would.

/// Where the scanner is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Character data between tags.
    Text,
    /// Just after `<`.
    Open,
    /// Inside a start or end tag; `quote` is the open quote, or 0.
    Tag { quote: u8 },
    /// After `<!`, matching `--` or `[CDATA[`; `matched` bytes of each so far.
    Bang { comment: u8, cdata: u8 },
    /// Inside `<!-- … -->`; `dashes` counts the `-` just seen.
    Comment { dashes: u8 },
    /// Inside `<![CDATA[ … ]]>`; `brackets` counts the `]` just seen.
    CData { brackets: u8 },
    /// Inside `<? … ?>`; `question` when the last byte was `?`.
    Instruction { question: bool },
    /// Inside another `<! … >` (a DOCTYPE), with its bracket depth and open quote.
    Declaration { depth: u32, quote: u8 },
}

const CDATA: &[u8] = b"[CDATA[";

/// Feeds bytes in any chunks; remembers the longest event seen, and can hand out each tag.
pub struct EventSizes {
    state: State,
    /// Bytes of the current event so far.
    current: u64,
    /// The longest event so far.
    pub longest: u64,
    /// When capturing, the current tag's bytes between `<` and `>`.
    tag: Option<Vec<u8>>,
}

impl Default for EventSizes {
    fn default() -> Self {
        EventSizes {
            state: State::Text,
            current: 0,
            longest: 0,
            tag: None,
        }
    }
}

impl EventSizes {
    /// A scanner that also hands out every start or end tag, whole, to the `on_tag` of
    /// [`EventSizes::feed_tags`] (tags are at most as long as the longest event allowed).
    pub fn capturing() -> EventSizes {
        EventSizes {
            tag: Some(Vec::new()),
            ..EventSizes::default()
        }
    }

    #[cfg(test)]
    pub fn feed(&mut self, bytes: &[u8]) {
        self.feed_tags(bytes, |_| {});
    }

    /// Feeds bytes; `on_tag` gets each complete tag (between `<` and `>`, comments,
    /// declarations and instructions left out) when the scanner was made [`capturing`].
    ///
    /// [`capturing`]: EventSizes::capturing
    pub fn feed_tags(&mut self, bytes: &[u8], mut on_tag: impl FnMut(&[u8])) {
        let mut i = 0;
        while i < bytes.len() {
            if self.state == State::Text {
                // Text runs to the next `<`: skip it in one step.
                match bytes[i..].iter().position(|&b| b == b'<') {
                    None => {
                        self.grow((bytes.len() - i) as u64);
                        return;
                    }
                    Some(p) => {
                        self.grow(p as u64);
                        self.end();
                        self.state = State::Open;
                        self.grow(1);
                        i += p + 1;
                        continue;
                    }
                }
            }
            let byte = bytes[i];
            self.grow(1);
            let before = self.state;
            self.state = self.step(byte);
            if let Some(tag) = &mut self.tag {
                match (before, self.state) {
                    (State::Open | State::Tag { .. }, State::Text) => {
                        on_tag(tag);
                        tag.clear();
                    }
                    (State::Open | State::Tag { .. }, State::Tag { .. }) => tag.push(byte),
                    _ => tag.clear(),
                }
            }
            if self.state == State::Text {
                self.end();
            }
            i += 1;
        }
    }

    /// The state after `byte`; `Text` when the byte closed the event.
    fn step(&self, byte: u8) -> State {
        match self.state {
            State::Text => State::Text,
            State::Open => match byte {
                b'!' => State::Bang {
                    comment: 0,
                    cdata: 0,
                },
                b'?' => State::Instruction { question: false },
                b'>' => State::Text,
                b'"' | b'\'' => State::Tag { quote: byte },
                _ => State::Tag { quote: 0 },
            },
            State::Tag { quote: 0 } => match byte {
                b'>' => State::Text,
                b'"' | b'\'' => State::Tag { quote: byte },
                _ => State::Tag { quote: 0 },
            },
            State::Tag { quote } if byte == quote => State::Tag { quote: 0 },
            State::Tag { .. } => self.state,
            State::Bang { comment, cdata } => {
                let comment = if comment < 2 && byte == b'-' && cdata == 0 {
                    comment + 1
                } else {
                    0
                };
                let cdata = if (cdata as usize) < CDATA.len()
                    && byte == CDATA[cdata as usize]
                    && comment == 0
                {
                    cdata + 1
                } else {
                    0
                };
                if comment == 2 {
                    State::Comment { dashes: 0 }
                } else if cdata as usize == CDATA.len() {
                    State::CData { brackets: 0 }
                } else if comment > 0 || cdata > 0 {
                    State::Bang { comment, cdata }
                } else {
                    Self::declaration(0, 0, byte)
                }
            }
            State::Comment { dashes } => match byte {
                b'>' if dashes >= 2 => State::Text,
                b'-' => State::Comment {
                    dashes: dashes.saturating_add(1),
                },
                _ => State::Comment { dashes: 0 },
            },
            State::CData { brackets } => match byte {
                b'>' if brackets >= 2 => State::Text,
                b']' => State::CData {
                    brackets: brackets.saturating_add(1),
                },
                _ => State::CData { brackets: 0 },
            },
            State::Instruction { question } => match byte {
                b'>' if question => State::Text,
                b'?' => State::Instruction { question: true },
                _ => State::Instruction { question: false },
            },
            State::Declaration { depth, quote } => Self::declaration(depth, quote, byte),
        }
    }

    fn declaration(depth: u32, quote: u8, byte: u8) -> State {
        match (quote, byte) {
            (0, b'"' | b'\'') => State::Declaration { depth, quote: byte },
            (0, b'[') => State::Declaration {
                depth: depth.saturating_add(1),
                quote,
            },
            (0, b']') => State::Declaration {
                depth: depth.saturating_sub(1),
                quote,
            },
            (0, b'>') if depth == 0 => State::Text,
            (q, b) if q != 0 && b == q => State::Declaration { depth, quote: 0 },
            _ => State::Declaration { depth, quote },
        }
    }

    fn grow(&mut self, bytes: u64) {
        self.current += bytes;
        self.longest = self.longest.max(self.current);
    }

    fn end(&mut self) {
        self.current = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn longest(text: &str, chunk: usize) -> u64 {
        let mut sizes = EventSizes::default();
        for part in text.as_bytes().chunks(chunk) {
            sizes.feed(part);
        }
        sizes.longest
    }

    #[test]
    fn measures_tags_texts_and_comments_in_any_chunks() {
        for chunk in [1, 2, 3, 7, 1000] {
            assert_eq!(longest("<a>hello</a>", chunk), 5, "chunk {chunk}");
            // A `>` inside quotes does not end the tag.
            assert_eq!(longest(r#"<a x=">>>>"/>"#, chunk), 13);
            // A comment runs to `-->`, whatever `<` or `>` it holds.
            assert_eq!(longest("<!-- < > -- > --><b/>", chunk), 17);
            assert_eq!(longest("<![CDATA[ <x> ]] ]]><b/>", chunk), 20);
            assert_eq!(longest("<?xml version=\"1.0\"?><b/>", chunk), 21);
            assert_eq!(longest("<!DOCTYPE a [<!ENTITY b \">\">]><c/>", chunk), 30);
        }
    }

    #[test]
    fn hands_out_tags_but_not_comments() {
        let mut tags = Vec::new();
        let mut sizes = EventSizes::capturing();
        for part in
            br#"<?xml?><!-- <sst uniqueCount="1"> --><x:sst a=">" uniqueCount="7"><si/></x:sst>"#
                .chunks(3)
        {
            sizes.feed_tags(part, |t| tags.push(String::from_utf8_lossy(t).into_owned()));
        }
        assert_eq!(tags, [r#"x:sst a=">" uniqueCount="7""#, "si/", "/x:sst"]);
    }

    #[test]
    fn a_long_text_or_attribute_is_one_long_event() {
        let text = format!("<a>{}</a>", "x".repeat(5000));
        assert_eq!(longest(&text, 64), 5000);
        let attribute = format!("<a b=\"{}\">", "y".repeat(5000));
        assert_eq!(longest(&attribute, 64), 5000 + 8);
    }
}
