//! Progress on standard error: a bar that appears only when standard error
//! is a terminal and the work has already taken longer than [`DELAY`], so
//! quick runs print nothing but their results.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::i18n::Lang;

/// How long the work runs before the bar appears.
pub(crate) const DELAY: Duration = Duration::from_secs(1);

/// Redraw interval once the bar is shown, so the spinner and the estimate
/// move between updates.
const TICK: Duration = Duration::from_millis(200);

/// A progress bar that stays hidden for its first [`DELAY`].
pub(crate) struct DelayedProgress {
    bar: ProgressBar,
    started: Instant,
    delay: Duration,
    enabled: bool,
    shown: AtomicBool,
}

impl DelayedProgress {
    /// Creates a bar for simulated users, shown only on a terminal.
    pub(crate) fn for_users(lang: Lang) -> DelayedProgress {
        DelayedProgress::new(std::io::stderr().is_terminal(), DELAY, lang)
    }

    /// Creates a bar that is never shown when `enabled` is false, and otherwise
    /// appears at the first update after `delay`.
    pub(crate) fn new(enabled: bool, delay: Duration, lang: Lang) -> DelayedProgress {
        let bar = ProgressBar::hidden();
        let template = match lang {
            Lang::En => "{spinner} simulating [{bar:40}] {percent:>3}% users {pos}/{len} eta {eta}",
            Lang::ZhCn => "{spinner} 模拟中 [{bar:40}] {percent:>3}% 用户 {pos}/{len} 剩余 {eta}",
        };
        bar.set_style(
            ProgressStyle::with_template(template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        DelayedProgress {
            bar,
            started: Instant::now(),
            delay,
            enabled,
            shown: AtomicBool::new(false),
        }
    }

    /// Records `done` of `total` units; may be called from several threads.
    pub(crate) fn update(&self, done: u64, total: u64) {
        if !self.enabled {
            return;
        }
        self.bar.set_length(total);
        self.bar.set_position(done);
        let due = self.started.elapsed() >= self.delay;
        if due && !self.shown.swap(true, Ordering::Relaxed) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(TICK);
        }
    }

    /// Returns whether the bar has been switched to standard error.
    #[cfg(test)]
    pub(crate) fn shown(&self) -> bool {
        self.shown.load(Ordering::Relaxed)
    }

    /// Removes the bar from the terminal.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_stays_hidden_before_delay() {
        let progress = DelayedProgress::new(true, Duration::from_secs(3600), Lang::En);
        progress.update(10, 100);
        assert!(!progress.shown());
    }

    #[test]
    fn bar_never_shows_off_terminal() {
        let progress = DelayedProgress::new(false, Duration::ZERO, Lang::En);
        progress.update(10, 100);
        assert!(!progress.shown());
    }

    #[test]
    fn bar_shows_after_delay() {
        let progress = DelayedProgress::new(true, Duration::ZERO, Lang::En);
        progress.update(10, 100);
        assert!(progress.shown());
        progress.finish();
    }
}
