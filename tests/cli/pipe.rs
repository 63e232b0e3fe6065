//! Output into a closed pipe (`migrate history | head`): the reader going
//! away is not an error and never a panic.

use crate::harness::env::TestEnv;

#[test]
fn text_results_into_a_closed_pipe() {
    let env = TestEnv::core_fixture("diverged");
    for args in [
        &["heads", "core"][..],
        &["history", "core"],
        &["history", "core", "--verbose"],
        &["graph", "core"],
        &["graph", "core", "--format-graph", "dot"],
        &["show", "core", "2d38"],
        &["completions", "bash"],
        &["--help"],
    ] {
        env.run_into_closed_pipe(args).success();
    }
    // A failing check still reports its own exit code.
    env.run_into_closed_pipe(&["check", "--all"]).code(1);
}

#[test]
fn json_results_into_a_closed_pipe() {
    let env = TestEnv::core_fixture("depends_on");
    for args in [
        &["heads", "core", "--format", "json"][..],
        &["history", "core", "--format", "json"],
        &["check", "--all", "--format", "json"],
    ] {
        env.run_into_closed_pipe(args).success();
    }
}
