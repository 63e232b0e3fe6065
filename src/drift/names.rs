//! Telling a name PostgreSQL made up from one a person chose.
//!
//! Pure. PostgreSQL names an unnamed constraint or index
//! `<table>_<columns>_<suffix>` (each part cut short to fit 63 bytes, a
//! number added to the suffix on a clash: `accounts_check1`). Such a name
//! follows the columns, so two databases built the same way may name the
//! same constraint differently; it is compared by definition instead.

/// True when `name` has the shape of a name PostgreSQL makes up for an
/// object on `table` with one of `suffixes`.
pub(crate) fn is_generated(name: &str, table: &str, suffixes: &[&str]) -> bool {
    let without_number = name.trim_end_matches(|c: char| c.is_ascii_digit());
    suffixes.iter().any(|suffix| {
        without_number
            .strip_suffix(suffix)
            .and_then(|rest| rest.strip_suffix('_'))
            .is_some_and(|stem| starts_with_table(stem, table))
    })
}

/// True when `stem` is a non-empty prefix of `table`, alone or followed by
/// `_` and more (the column part).
fn starts_with_table(stem: &str, table: &str) -> bool {
    let common = stem
        .char_indices()
        .zip(table.chars())
        .take_while(|((_, a), b)| a == b)
        .map(|((i, a), _)| i + a.len_utf8())
        .last()
        .unwrap_or(0);
    (1..=common)
        .filter(|&k| stem.is_char_boundary(k))
        .any(|k| k == stem.len() || stem[k..].starts_with('_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONSTRAINT: &[&str] = &["pkey", "key", "fkey", "check", "excl", "not_null"];

    #[test]
    fn postgres_made_up_names_are_recognised() {
        for (name, table) in [
            ("accounts_pkey", "accounts"),
            ("accounts_email_key", "accounts"),
            ("accounts_org_id_fkey", "accounts"),
            ("accounts_check", "accounts"),
            ("accounts_score_check1", "accounts"),
            ("ex_a_excl", "ex"),
            // The table part cut short to fit 63 bytes.
            (
                "a_very_long_table_name_that_goes_o_some_column_name_that_is_fkey",
                "a_very_long_table_name_that_goes_on_and_on_and_on",
            ),
        ] {
            assert!(is_generated(name, table, CONSTRAINT), "{name} on {table}");
        }
        assert!(is_generated("accounts_lower_idx", "accounts", &["idx"]));
    }

    #[test]
    fn chosen_names_are_not() {
        for (name, table) in [
            ("positive_score", "accounts"),
            ("accounts_org_fk", "accounts"),
            ("fk_accounts_org", "accounts"),
            ("_pkey", "accounts"),
            ("orders_pkey", "accounts"),
            ("accountsx_pkey", "accounts"),
        ] {
            assert!(!is_generated(name, table, CONSTRAINT), "{name} on {table}");
        }
        assert!(!is_generated("accounts_pkey", "accounts", &[]));
    }

    #[test]
    fn odd_characters_do_not_panic() {
        assert!(is_generated("tä_b_key", "täble", CONSTRAINT));
        assert!(!is_generated("é_key", "e", CONSTRAINT));
        assert!(!is_generated("", "", CONSTRAINT));
    }
}
