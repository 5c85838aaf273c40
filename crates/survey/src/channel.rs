//! How a response reached chiso (docs/formats.md §5, the `channel` column): the three channels
//! the server itself takes (the public form online, a kiosk at the one-stop desk, a paper form
//! typed in), and any other name an imported file gives, kept as written in its stored form
//! (trimmed, lowercase, at most [`MAX_CHANNEL`] characters).

use std::fmt;

/// The longest stored channel name, in characters.
pub const MAX_CHANNEL: usize = 32;

/// A response channel.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// The public form, by a unit's link or a one-time token.
    Online,
    /// A kiosk (tablet) at the unit's one-stop desk.
    Kiosk,
    /// A paper form typed in by the unit's staff.
    Paper,
    /// Any other channel an imported file names ("bưu điện, thu tại nhà"), in stored form.
    Other(String),
}

impl Channel {
    /// The stored form of `text`: trimmed, lowercase, at most [`MAX_CHANNEL`] characters; the
    /// three known names become their variants.
    pub fn parse(text: &str) -> Channel {
        let normal: String = text
            .trim()
            .to_lowercase()
            .chars()
            .take(MAX_CHANNEL)
            .collect();
        match normal.as_str() {
            "online" => Channel::Online,
            "kiosk" => Channel::Kiosk,
            "paper" => Channel::Paper,
            _ => Channel::Other(normal),
        }
    }

    /// The stored name.
    pub fn as_str(&self) -> &str {
        match self {
            Channel::Online => "online",
            Channel::Kiosk => "kiosk",
            Channel::Paper => "paper",
            Channel::Other(name) => name,
        }
    }
}

impl From<String> for Channel {
    fn from(text: String) -> Channel {
        Channel::parse(&text)
    }
}

impl From<&str> for Channel {
    fn from(text: &str) -> Channel {
        Channel::parse(text)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Channel {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Channel {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Channel, D::Error> {
        Ok(Channel::parse(&String::deserialize(deserializer)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_become_variants_and_others_keep_their_stored_form() {
        assert_eq!(Channel::parse(" Kiosk "), Channel::Kiosk);
        assert_eq!(Channel::parse("paper"), Channel::Paper);
        assert_eq!(
            Channel::parse("Bưu điện, thu tại nhà"),
            Channel::Other("bưu điện, thu tại nhà".into())
        );
        let long = "x".repeat(100);
        assert_eq!(Channel::parse(&long).as_str().chars().count(), MAX_CHANNEL);
        assert_eq!(Channel::parse(Channel::Online.as_str()), Channel::Online);
    }
}
