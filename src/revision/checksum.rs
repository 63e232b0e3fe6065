//! The SHA-256 of a revision's `up` section (docs/reference.md, "Revision files"), held as its 32 bytes
//! and shown as 64 lower-case hex digits, which is how the version table
//! stores it.

use std::fmt;

use sha2::{Digest, Sha256};

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum([u8; 32]);

impl Checksum {
    /// Of an `up` section, with every `\r\n` read as `\n`, so a checkout
    /// with other line endings keeps its checksum.
    pub fn of_up(up: &str) -> Self {
        let mut hasher = Sha256::new();
        if up.contains('\r') {
            let mut pieces = up.split("\r\n");
            if let Some(first) = pieces.next() {
                hasher.update(first);
            }
            for piece in pieces {
                hasher.update(b"\n");
                hasher.update(piece);
            }
        } else {
            // Most files: no substring search to set up per file.
            hasher.update(up);
        }
        Checksum(hasher.finalize().into())
    }

    /// Reads the 64 hex digits (either case) of a stored checksum.
    pub fn from_hex(text: &str) -> Option<Self> {
        let text = text.as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut bytes = [0; 32];
        for (byte, pair) in bytes.iter_mut().zip(text.chunks_exact(2)) {
            let digit = |b: u8| char::from(b).to_digit(16);
            let high = u8::try_from(digit(pair[0])?).ok()?;
            let low = u8::try_from(digit(pair[1])?).ok()?;
            *byte = high << 4 | low;
        }
        Some(Checksum(bytes))
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({self})")
    }
}

impl PartialEq<&str> for Checksum {
    fn eq(&self, other: &&str) -> bool {
        Checksum::from_hex(other).is_some_and(|c| c == *self)
    }
}

/// The `checksum` column of a version-table row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordedChecksum {
    /// Empty: a stamp of an id that had no file; nothing to compare.
    None,
    Sha256(Checksum),
    /// Not 64 hex digits (written by hand or by another tool): it matches
    /// no file, and is shown as it is.
    Other(Box<str>),
}

impl RecordedChecksum {
    pub fn parse(text: &str) -> Self {
        if text.is_empty() {
            Self::None
        } else {
            Checksum::from_hex(text).map_or_else(|| Self::Other(text.into()), Self::Sha256)
        }
    }

    /// Whether a file with checksum `file` is what was recorded.
    pub fn matches(&self, file: &Checksum) -> bool {
        match self {
            Self::None => true,
            Self::Sha256(recorded) => recorded == file,
            Self::Other(_) => false,
        }
    }
}

impl fmt::Display for RecordedChecksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => Ok(()),
            Self::Sha256(c) => c.fmt(f),
            Self::Other(text) => f.write_str(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_reads_either_case() {
        let c = Checksum::of_up("SELECT 1;\n");
        let hex = c.to_string();
        assert_eq!(hex.len(), 64);
        assert_eq!(Checksum::from_hex(&hex), Some(c));
        assert_eq!(Checksum::from_hex(&hex.to_uppercase()), Some(c));
        assert_eq!(Checksum::from_hex(&hex[1..]), None);
        assert_eq!(Checksum::from_hex(&format!("{}g", &hex[1..])), None);
    }

    #[test]
    fn recorded_values() {
        let c = Checksum::of_up("SELECT 1;\n");
        assert!(RecordedChecksum::parse("").matches(&c));
        assert!(RecordedChecksum::parse(&c.to_string()).matches(&c));
        let other = Checksum::of_up("SELECT 2;\n");
        assert!(!RecordedChecksum::parse(&other.to_string()).matches(&c));
        let odd = RecordedChecksum::parse("md5:abc");
        assert!(!odd.matches(&c));
        assert_eq!(odd.to_string(), "md5:abc");
    }
}
