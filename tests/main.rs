mod harness;
mod cli;
