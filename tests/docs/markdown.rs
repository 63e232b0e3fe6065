//! Reading the examples out of Markdown: fenced blocks with their language,
//! line and the `<!-- ... -->` markers just above them, the commands of a
//! `console` block with the output it shows, and the `run:` steps of a
//! GitHub Actions job. Pure text handling, no I/O.

/// One fenced code block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The first word of the info string (`sh`, `console`, `yaml`, ...).
    pub lang: String,
    /// 1-based line of the opening fence.
    pub line: usize,
    /// The lines between the fences, each ending in `\n`.
    pub text: String,
    /// `key: value` of each `<!-- key: value -->` line directly above the fence.
    pub markers: Vec<(String, String)>,
}

impl Block {
    /// The value of marker `key`, if present.
    pub fn marker(&self, key: &str) -> Option<&str> {
        self.markers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Every fenced block (``` or ~~~) of a Markdown text, in order.
pub fn blocks(markdown: &str) -> Vec<Block> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        let fence = if trimmed.starts_with("```") {
            "```"
        } else if trimmed.starts_with("~~~") {
            "~~~"
        } else {
            i += 1;
            continue;
        };
        let lang = trimmed[fence.len()..]
            .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
            .next()
            .unwrap_or("")
            .to_owned();
        let mut markers = Vec::new();
        let mut j = i;
        while j > 0 {
            let above = lines[j - 1].trim();
            let Some(inner) = above
                .strip_prefix("<!--")
                .and_then(|s| s.strip_suffix("-->"))
            else {
                break;
            };
            if let Some((k, v)) = inner.split_once(':') {
                markers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
            j -= 1;
        }
        let start = i;
        // A fence indented inside a list item: its lines lose that indent.
        let indent = lines[i].len() - trimmed.len();
        let mut text = String::new();
        i += 1;
        while i < lines.len() && !lines[i].trim_start().starts_with(fence) {
            let line = lines[i];
            let strip = line.len() - line.trim_start_matches(' ').len();
            text.push_str(&line[strip.min(indent)..]);
            text.push('\n');
            i += 1;
        }
        out.push(Block {
            lang,
            line: start + 1,
            text,
            markers,
        });
        i += 1;
    }
    out
}

/// One `$ command` of a `console` block and the output shown below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Block-relative line of the prompt (0-based).
    pub offset: usize,
    /// The command, continuation lines (`\` at the end) joined.
    pub command: String,
    /// The lines shown below it (none: the output is not compared).
    pub output: Vec<String>,
}

/// The commands of a `console` block; text before the first `$ ` is ignored.
pub fn sessions(text: &str) -> Vec<Session> {
    let mut out: Vec<Session> = Vec::new();
    let mut continuing = false;
    for (offset, line) in text.lines().enumerate() {
        if continuing && let Some(last) = out.last_mut() {
            last.command.push('\n');
            last.command.push_str(line);
            continuing = line.ends_with('\\');
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            out.push(Session {
                offset,
                command: command.to_owned(),
                output: Vec::new(),
            });
            continuing = command.ends_with('\\');
        } else if let Some(last) = out.last_mut() {
            last.output.push(line.to_owned());
        }
    }
    for s in &mut out {
        while s.output.last().is_some_and(|l| l.trim().is_empty()) {
            s.output.pop();
        }
    }
    out
}

/// The shell commands of every `run:` step of a GitHub Actions YAML text:
/// `run: CMD` and `run: |` followed by more-indented lines.
pub fn workflow_runs(yaml: &str) -> Vec<String> {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let indent = line.len() - line.trim_start().len();
        let body = line.trim_start().trim_start_matches("- ").trim_start();
        i += 1;
        let Some(value) = body.strip_prefix("run:") else {
            continue;
        };
        let value = value.trim();
        if value == "|" || value == ">" {
            let mut script = String::new();
            while i < lines.len()
                && (lines[i].trim().is_empty()
                    || lines[i].len() - lines[i].trim_start().len() > indent)
            {
                script.push_str(lines[i].trim_start());
                script.push('\n');
                i += 1;
            }
            out.push(script);
        } else {
            out.push(format!("{value}\n"));
        }
    }
    out
}

/// True when `actual` matches `expected` line by line after normalising
/// both: a `...` line matches any number of lines, `[..]` inside a line any
/// text, and trailing spaces are ignored.
pub fn output_matches(expected: &[String], actual: &str) -> bool {
    let actual: Vec<String> = actual.lines().map(|l| l.trim_end().to_owned()).collect();
    let expected: Vec<String> = expected.iter().map(|l| l.trim_end().to_owned()).collect();
    lines_match(&expected, &actual)
}

fn lines_match(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..]))
        }
        Some((first, rest)) => match actual.split_first() {
            Some((line, more)) => line_matches(first, line) && lines_match(rest, more),
            None => false,
        },
    }
}

/// `[..]` in `pattern` matches any text (non-greedy, backtracking).
pub fn line_matches(pattern: &str, line: &str) -> bool {
    let mut parts = pattern.split("[..]");
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    if parts.is_empty() {
        return rest.is_empty();
    }
    for (k, part) in parts.iter().enumerate() {
        let last = k + 1 == parts.len();
        if last {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[test]
fn blocks_carry_language_line_and_markers() {
    let md = "# T\n\n<!-- needs: postgres -->\n<!-- env: A=1 -->\n```sh\nmigrate up --all\n```\n\n```console\n$ x\n```\n";
    let b = blocks(md);
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].lang, "sh");
    assert_eq!(b[0].line, 5);
    assert_eq!(b[0].text, "migrate up --all\n");
    assert_eq!(b[0].marker("needs"), Some("postgres"));
    assert_eq!(b[0].marker("env"), Some("A=1"));
    assert_eq!(b[1].lang, "console");
    assert!(b[1].markers.is_empty());
}

#[test]
fn a_block_inside_a_list_item_loses_the_items_indent() {
    let md = "- item:\n\n  <!-- needs: alembic -->\n  ```console\n  $ migrate check --all\n    indented\n\n  ```\n";
    let b = blocks(md);
    assert_eq!(b[0].marker("needs"), Some("alembic"));
    assert_eq!(b[0].text, "$ migrate check --all\n  indented\n\n");
}

#[test]
fn console_sessions_split_commands_and_output() {
    let s = sessions("$ migrate a \\\n  --all\nline 1\n\n$ migrate b\n");
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].command, "migrate a \\\n  --all");
    assert_eq!(s[0].output, ["line 1"]);
    assert_eq!(s[1].offset, 4);
    assert!(s[1].output.is_empty());
}

#[test]
fn workflow_runs_reads_single_and_block_steps() {
    let yaml = "steps:\n  - uses: x\n  - run: migrate check --all\n  - name: up\n    run: |\n      migrate up --all\n      migrate check --all --online\n  - uses: y\n";
    assert_eq!(
        workflow_runs(yaml),
        [
            "migrate check --all\n",
            "migrate up --all\nmigrate check --all --online\n"
        ]
    );
}

#[test]
fn wildcards_match_text_and_lines() {
    assert!(line_matches("core: ok ([..] ms)", "core: ok (12 ms)"));
    assert!(!line_matches("core: ok ([..] ms)", "core: failed (12 ms)"));
    assert!(line_matches("[..]", "anything"));
    let exp = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(output_matches(&exp(&["a", "...", "z"]), "a\nb\nc\nz\n"));
    assert!(output_matches(&exp(&["a  "]), "a\n"));
    assert!(!output_matches(&exp(&["a"]), "a\nb\n"));
    assert!(!output_matches(&exp(&["a", "...", "z"]), "a\nb\n"));
}
