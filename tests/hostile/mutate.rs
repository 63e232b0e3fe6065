//! Mutations of valid files, as proptest strategies: the damage a bad merge,
//! an editor, a transfer or a hostile contributor does to a revision file or
//! `migrate.toml`. Positions are `Index`es, so one mutation fits any file.

use proptest::prelude::*;
use proptest::sample::Index;

/// Text fragments that reach deeper than random bytes: directive names,
/// section markers, TOML syntax, ids and the characters parsers split on.
const TOKENS: &[&str] = &[
    "-- migrate:up\n",
    "-- migrate:down\n",
    "-- migrate:revision ",
    "-- migrate:parents ",
    "-- migrate:depends-on ",
    "-- migrate:labels ",
    "-- migrate:created ",
    "-- migrate:message ",
    "-- migrate:transaction off\n",
    "-- migrate:",
    "head",
    "base",
    "ab12",
    ",",
    " ",
    "\t",
    "\r",
    "\r\n",
    "\n",
    "\u{feff}",
    "é",
    "\u{202e}",
    "$$",
    "'",
    "\"",
    "[",
    "]",
    "[databases.x]\n",
    "[settings]\n",
    "=",
    "url_env = \"X\"\n",
    "after = [\"core\"]\n",
    "fallback_env = []\n",
    "default_url = \"postgres://u:pw@h:99999/db\"\n",
    "default_url = \"sqlite+aiosqlite:////abs.db\"\n",
    "lock_timeout = \"-1s\"\n",
    "wait = 18446744073709551615\n",
    "2025-13-45T25:61:61Z",
    "9999-12-31T23:59:60+14:00",
    "0000000000000000000000000000000000000000000000000000000000000000x",
];

/// One change to a file.
#[derive(Clone, Debug)]
pub(super) enum Mutation {
    FlipBit {
        at: Index,
        bit: u8,
    },
    SetByte {
        at: Index,
        byte: u8,
    },
    Insert {
        at: Index,
        bytes: Vec<u8>,
    },
    InsertToken {
        at: Index,
        token: Index,
    },
    Delete {
        at: Index,
        len: usize,
    },
    SwapLines {
        a: Index,
        b: Index,
    },
    DuplicateLine {
        line: Index,
    },
    DeleteLine {
        line: Index,
    },
    Truncate {
        at: Index,
    },
    /// Turn every `\n` from a point on into `\r\n` (a half-converted checkout).
    CrlfFrom {
        at: Index,
    },
    /// Turn every `\r\n` into `\n`, then make every other line end `\r\n`.
    MixedEndings,
    /// Bytes that are never valid UTF-8, or a truncated multi-byte sequence.
    InvalidUtf8 {
        at: Index,
        which: u8,
    },
    Nul {
        at: Index,
    },
    /// A line of `len` copies of one byte (no newline inside).
    HugeLine {
        at: Index,
        byte: u8,
        len: usize,
    },
}

pub(super) fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Mutation::SetByte { at, byte }),
        1 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        3 => (any::<Index>(), any::<Index>())
            .prop_map(|(at, token)| Mutation::InsertToken { at, token }),
        1 => (any::<Index>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        2 => any::<Index>().prop_map(|line| Mutation::DuplicateLine { line }),
        2 => any::<Index>().prop_map(|line| Mutation::DeleteLine { line }),
        1 => any::<Index>().prop_map(|at| Mutation::Truncate { at }),
        1 => any::<Index>().prop_map(|at| Mutation::CrlfFrom { at }),
        1 => Just(Mutation::MixedEndings),
        1 => (any::<Index>(), 0u8..4).prop_map(|(at, which)| Mutation::InvalidUtf8 { at, which }),
        1 => any::<Index>().prop_map(|at| Mutation::Nul { at }),
        1 => (any::<Index>(), any::<u8>(), 1_000usize..200_000)
            .prop_map(|(at, byte, len)| Mutation::HugeLine { at, byte, len }),
    ]
}

/// One to four mutations in a row.
pub(super) fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..5)
}

pub(super) fn apply_all(original: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for m in mutations {
        apply(&mut bytes, m);
    }
    bytes
}

pub(super) fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    // `at` indexes the gaps between bytes, so inserting at the end is possible.
    let gap = |at: &Index, bytes: &Vec<u8>| at.index(bytes.len() + 1);
    match m {
        Mutation::FlipBit { at, bit } => {
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] ^= 1 << bit;
            }
        }
        Mutation::SetByte { at, byte } => {
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] = *byte;
            }
        }
        Mutation::Insert { at, bytes: new } => {
            let i = gap(at, bytes);
            bytes.splice(i..i, new.iter().copied());
        }
        Mutation::InsertToken { at, token } => {
            let i = gap(at, bytes);
            let token = TOKENS[token.index(TOKENS.len())].as_bytes();
            bytes.splice(i..i, token.iter().copied());
        }
        Mutation::Delete { at, len } => {
            let i = gap(at, bytes);
            let end = (i + len).min(bytes.len());
            bytes.drain(i..end);
        }
        Mutation::SwapLines { a, b } => {
            let mut lines = split_lines(bytes);
            let (a, b) = (a.index(lines.len()), b.index(lines.len()));
            lines.swap(a, b);
            *bytes = lines.concat();
        }
        Mutation::DuplicateLine { line } => {
            let mut lines = split_lines(bytes);
            let i = line.index(lines.len());
            let copy = with_newline(&lines[i]);
            lines.insert(i, copy);
            *bytes = lines.concat();
        }
        Mutation::DeleteLine { line } => {
            let mut lines = split_lines(bytes);
            let i = line.index(lines.len());
            lines.remove(i);
            *bytes = lines.concat();
        }
        Mutation::Truncate { at } => {
            let i = gap(at, bytes);
            bytes.truncate(i);
        }
        Mutation::CrlfFrom { at } => {
            let i = gap(at, bytes);
            let tail = bytes.split_off(i);
            for b in tail {
                if b == b'\n' {
                    bytes.push(b'\r');
                }
                bytes.push(b);
            }
        }
        Mutation::MixedEndings => {
            let lines = split_lines(bytes);
            let mut out = Vec::with_capacity(bytes.len() + lines.len());
            for (n, line) in lines.iter().enumerate() {
                let body = line
                    .strip_suffix(b"\r\n")
                    .or_else(|| line.strip_suffix(b"\n"));
                match body {
                    Some(body) if n % 2 == 1 => {
                        out.extend_from_slice(body);
                        out.extend_from_slice(b"\r\n");
                    }
                    Some(body) => {
                        out.extend_from_slice(body);
                        out.push(b'\n');
                    }
                    None => out.extend_from_slice(line),
                }
            }
            *bytes = out;
        }
        Mutation::InvalidUtf8 { at, which } => {
            let bad: &[u8] = match which {
                0 => b"\xff",
                1 => b"\xc3",         // a lead byte with no continuation
                2 => b"\xe2\x82",     // a three-byte sequence cut short
                _ => b"\xed\xa0\x80", // an encoded surrogate
            };
            let i = gap(at, bytes);
            bytes.splice(i..i, bad.iter().copied());
        }
        Mutation::Nul { at } => {
            let i = gap(at, bytes);
            bytes.insert(i, 0);
        }
        Mutation::HugeLine { at, byte, len } => {
            let byte = if *byte == b'\n' { b'x' } else { *byte };
            let i = gap(at, bytes);
            bytes.splice(i..i, std::iter::repeat_n(byte, *len));
        }
    }
}

/// Lines with their endings; at least one (possibly empty) element.
fn split_lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = bytes
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    if lines.is_empty() {
        lines.push(Vec::new());
    }
    lines
}

fn with_newline(line: &[u8]) -> Vec<u8> {
    let mut line = line.to_vec();
    if !line.ends_with(b"\n") {
        line.push(b'\n');
    }
    line
}
