//! The `rollout-sim` binary: all logic lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    restore_default_sigpipe();
    rollout_sim::cli::main()
}

/// Restores the default action of SIGPIPE, which the Rust runtime ignores.
/// Ignored, a write into a closed pipe (`rollout-sim check | head`) fails,
/// and `println!` panics on that failure. With the default action the
/// process ends quietly, as other Unix tools do. Every command writes its
/// output files before it prints to standard output, so they are complete.
#[cfg(unix)]
fn restore_default_sigpipe() {
    // SAFETY: this runs first in `main`, before any thread starts, and only
    // sets the signal's disposition back to the system default.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_default_sigpipe() {}
