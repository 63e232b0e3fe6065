//! Hostile input never panics (issue 4, item 1): arbitrary bytes and
//! mutated valid revision files and configs, through the library parsers
//! (many cheap cases) and through the real binary's `check --all`.
//!
//! Case counts are fixed in code (not taken from `PROPTEST_CASES`) so CI
//! time stays bounded; `PROPTEST_RNG_SEED=<u64>` replays a run.

mod cli;
mod corpus;
mod mutate;
mod parsers;
