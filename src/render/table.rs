//! Tables for text output: boxed on a terminal, plain aligned columns otherwise.

use comfy_table::{ContentArrangement, Table, presets};

/// Renders rows under headers; `tty` picks the boxed style.
pub(crate) fn render(headers: &[&str], rows: &[Vec<String>], tty: bool) -> String {
    let mut table = Table::new();
    if tty {
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic);
    } else {
        table.load_style(presets::NOTHING);
    }
    table.set_header(headers.iter().map(|h| h.to_uppercase()));
    for row in rows {
        table.add_row(row.clone());
    }
    let text = table.to_string();
    // Plain tables pad with a leading space per column; trim line ends for stable output.
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_tables_align_columns_without_borders() {
        let out = render(
            &["database", "state"],
            &[
                vec!["core".into(), "ok".into()],
                vec!["ai".into(), "pending".into()],
            ],
            false,
        );
        assert!(!out.contains('│') && !out.contains('|'));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].find("ok"), lines[2].find("pending"));
    }
}
