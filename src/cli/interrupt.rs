//! SIGINT (Ctrl-C) and SIGTERM during `run`, `merge`, `sweep`, `calibrate`
//! and `forecast`: the handlers only set flags, which the runner reads
//! between chunks of users and each command reads between its steps (sweep
//! values, validation replications, fitted candidates, forecast
//! simulations). The command then stops, removes its temporary files and
//! exits with 128 + the signal number (130 for SIGINT, 143 for SIGTERM), so
//! the previous output files stay as they were.
//!
//! A second signal ends the process at once with the same code, for a step
//! that does not stop soon enough. Its temporary files, if any, stay
//! behind until the next run into the same folder removes them.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};

use crate::cli::CliError;
use crate::i18n::Lang;

/// Flags set by the signal handlers of one command.
pub(crate) struct Interrupt {
    /// Set by either signal; shared with the runner.
    cancel: Arc<AtomicBool>,
    /// The number of the last signal received, 0 before any.
    signal: Arc<AtomicUsize>,
}

impl Interrupt {
    /// Registers the SIGINT and SIGTERM handlers. The default action of
    /// those signals (ending the process at once) no longer applies.
    ///
    /// # Errors
    /// Returns the error of `sigaction` when a handler cannot be registered.
    pub(crate) fn install() -> std::io::Result<Interrupt> {
        let cancel = Arc::new(AtomicBool::new(false));
        let signal = Arc::new(AtomicUsize::new(0));
        for number in [SIGINT, SIGTERM] {
            // Actions run in registration order, so the shutdown sees the
            // flag as the previous signal left it.
            signal_hook::flag::register_conditional_shutdown(
                number,
                128 + number,
                Arc::clone(&cancel),
            )?;
            signal_hook::flag::register_usize(number, Arc::clone(&signal), number as usize)?;
            signal_hook::flag::register(number, Arc::clone(&cancel))?;
        }
        Ok(Interrupt { cancel, signal })
    }

    /// Returns the flag to hand to
    /// [`run_until`](crate::engine::runner::run_until).
    pub(crate) fn flag(&self) -> &AtomicBool {
        &self.cancel
    }

    /// Returns whether a signal arrived.
    pub(crate) fn requested(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Returns [`CliError::Interrupted`] when a signal arrived, with a
    /// message saying that the files in `out_dir` were not changed.
    pub(crate) fn check(&self, out_dir: &std::path::Path, lang: Lang) -> Result<(), CliError> {
        if !self.requested() {
            return Ok(());
        }
        let folder = out_dir.display();
        Err(self.interrupted(
            lang,
            &format!("the files already in {folder} are unchanged"),
            &format!("{folder} 中已有的文件保持不变"),
        ))
    }

    /// Returns [`CliError::Interrupted`] when a signal arrived, for a
    /// command that writes the file `out_file` and the folder `out_dir`.
    pub(crate) fn check_file_and_folder(
        &self,
        out_file: &std::path::Path,
        out_dir: &std::path::Path,
        lang: Lang,
    ) -> Result<(), CliError> {
        if !self.requested() {
            return Ok(());
        }
        let (file, dir) = (out_file.display(), out_dir.display());
        Err(self.interrupted(
            lang,
            &format!("{file} and the files already in {dir} are unchanged"),
            &format!("{file} 以及 {dir} 中已有的文件保持不变"),
        ))
    }

    /// Returns [`CliError::Interrupted`] for a run that created `out_dir`
    /// and removed it again after a signal.
    pub(crate) fn removed(&self, out_dir: &std::path::Path, lang: Lang) -> CliError {
        let folder = out_dir.display();
        self.interrupted(
            lang,
            &format!("the new output folder {folder} was removed"),
            &format!("新建的输出目录 {folder} 已删除"),
        )
    }

    /// Builds the error for the signal that arrived. `outputs_en` and
    /// `outputs_zh` describe what became of the output files.
    fn interrupted(&self, lang: Lang, outputs_en: &str, outputs_zh: &str) -> CliError {
        let (number, name) = self.signal_name();
        let message = match lang {
            Lang::En => format!("interrupted by {name}; nothing was written, and {outputs_en}"),
            Lang::ZhCn => format!("收到 {name}，运行已中断；没有写出任何文件，{outputs_zh}"),
        };
        CliError::Interrupted {
            code: (128 + number) as u8,
            message,
        }
    }

    /// Returns the number and name of the signal that arrived.
    fn signal_name(&self) -> (i32, &'static str) {
        let number = self.signal.load(Ordering::Relaxed) as i32;
        let name = match number {
            SIGINT => "SIGINT",
            SIGTERM => "SIGTERM",
            _ => "signal",
        };
        (number, name)
    }
}
