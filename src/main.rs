//! The `rollout-sim` binary: all logic lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    rollout_sim::cli::main()
}
