//! "Did you mean" suggestions for misspelt names (database names, keys).
//!
//! Pure.

/// The candidate closest to `input` by edit distance, when it is close
/// enough to be a likely typo (at most a third of the input's length, and at
/// least one edit).
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // Long input is no typo of a short name, and distance is quadratic.
    if input.chars().count() > 64 {
        return None;
    }
    let limit = (input.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (distance(input, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars, case-insensitive.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            let insert = cur[j] + 1;
            let delete = prev[j + 1] + 1;
            cur.push(substitute.min(insert).min(delete));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["core", "ai", "analytics"];
        assert_eq!(closest("cor", names), Some("core"));
        assert_eq!(closest("analytcs", names), Some("analytics"));
        assert_eq!(closest("AI", names), Some("ai"));
        assert_eq!(closest("billing", names), None);
        assert_eq!(closest(&"x".repeat(1000), names), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
