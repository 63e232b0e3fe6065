//! The terminal: no ANSI escapes in piped output, colour only when asked
//! for, completion scripts, the man page, and an example in every `--help`.

use crate::docs::project::Project;

const ESC: char = '\x1b';

/// The subcommands `migrate --help` lists (without `help`).
fn listed_commands(project: &Project) -> Vec<String> {
    let help = project.run(&["--help"], &[]);
    help.code(0);
    help.stdout
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn piped_output_has_no_ansi_escapes_even_without_no_color() {
    let p = Project::example();
    // Warnings (no variables set), progress, tables, an error, JSON.
    let runs = [
        p.run(&["up", "--all", "--color", "auto"], &[]),
        p.run(&["status", "--all"], &[]),
        p.run(&["history", "core", "--verbose"], &[]),
        p.run(&["check", "--all", "--format", "json"], &[]),
        p.run(&["show", "core", "nope"], &[]),
        p.run(&["up", "--all", "--strict"], &[]),
        p.run(&["stauts", "--all"], &[]),
    ];
    for run in &runs {
        assert!(
            !run.stdout.contains(ESC) && !run.stderr.contains(ESC),
            "ANSI escape in piped output\n{run}"
        );
    }
    // The runs did print something on both streams, so the check means something.
    assert!(runs[0].stderr.contains("warning:"), "{}", runs[0]);
    assert!(runs[1].stdout.contains("up to date"), "{}", runs[1]);
    assert_ne!(runs[4].code, 0, "{}", runs[4]);
}

#[test]
fn color_always_colours_stderr_and_never_does_not() {
    let p = Project::example();
    let always = p.run(&["status", "--all", "--color", "always"], &[]);
    assert!(always.stderr.contains(ESC), "no colour on stderr\n{always}");
    let error = p.run(&["show", "core", "nope", "--color", "always"], &[]);
    assert!(error.stderr.contains(ESC), "no colour on an error\n{error}");
    let never = p.run(&["status", "--all", "--color", "never"], &[]);
    assert!(
        !never.stderr.contains(ESC) && !never.stdout.contains(ESC),
        "{never}"
    );
}

#[test]
fn completions_mention_every_command() {
    let p = Project::example();
    let commands = listed_commands(&p);
    assert!(commands.len() >= 17, "{commands:?}");
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = p.run(&["completions", shell], &[]);
        run.code(0);
        assert!(run.stdout.len() > 1000, "short script\n{run}");
        for command in &commands {
            assert!(
                run.stdout.contains(command.as_str()),
                "{shell} completion lacks `{command}`"
            );
        }
    }
    p.run(&["completions", "tcsh"], &[]).code(2);
}

#[test]
fn man_page_is_roff_and_lists_the_commands() {
    let p = Project::example();
    let run = p.run(&["man"], &[]);
    run.code(0);
    assert!(run.stdout.contains(".TH migrate 1"), "{run}");
    assert!(run.stdout.contains(".SH SYNOPSIS"), "{run}");
    assert!(run.stdout.contains(env!("CARGO_PKG_VERSION")), "{run}");
    for command in listed_commands(&p) {
        assert!(
            run.stdout.contains(&format!("migrate\\-{command}")),
            "man page lacks `{command}`"
        );
    }
    // A hidden command: not in the list users scan.
    assert!(!listed_commands(&p).contains(&"man".to_owned()));
}

#[test]
fn every_command_help_shows_an_example() {
    let p = Project::example();
    let mut commands = listed_commands(&p);
    commands.push("man".to_owned());
    for command in &commands {
        let run = p.run(&[command, "--help"], &[]);
        run.code(0);
        let example = run
            .stdout
            .lines()
            .skip_while(|l| !l.starts_with("Example"))
            .nth(1)
            .unwrap_or_default();
        assert!(
            example
                .trim_start()
                .starts_with(&format!("migrate {command}")),
            "`migrate {command} --help` has no `Example:` followed by a `migrate {command}` line\n{run}"
        );
    }
    let top = p.run(&["--help"], &[]);
    assert!(
        top.stdout.contains("Examples:\n  migrate up --all"),
        "{top}"
    );
}
