//! The command-line front end: argument parsing, language selection, exit
//! codes, and the `run`, `check`, `sweep` and `explain` commands.
//!
//! Exit codes: 0 success, 2 invalid input (scenario, flags, trace file),
//! 130 or 143 when SIGINT or SIGTERM stopped a run, 1 any other failure.

mod args;
mod bench;
mod calibrate;
mod check;
mod clap_zh;
mod explain;
mod forecast;
mod help_zh;
mod interrupt;
mod limits;
mod merge;
mod progress;
mod run;
mod sweep;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

pub use args::{Cli, Command};

use crate::i18n::Lang;

/// A failure of a command, with the exit code it maps to.
#[derive(Debug)]
pub enum CliError {
    /// Invalid input; the message is already in the user's language.
    Invalid(String),
    /// Stopped by SIGINT or SIGTERM before any output file was replaced.
    Interrupted {
        /// Exit code: 128 + the signal number.
        code: u8,
        /// What happened, in the user's language.
        message: String,
    },
    /// Any other failure.
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for CliError {
    fn from(error: anyhow::Error) -> Self {
        CliError::Failed(error)
    }
}

/// Finds `--lang` among raw arguments before clap parses them, so help and
/// parse errors can be localized too.
fn lang_from_args(args: &[OsString]) -> Option<Lang> {
    let mut iter = args.iter().filter_map(|a| a.to_str());
    while let Some(arg) = iter.next() {
        if let Some(value) = arg.strip_prefix("--lang=") {
            return Lang::parse(value);
        }
        if arg == "--lang" {
            return iter.next().and_then(Lang::parse);
        }
    }
    None
}

/// Prints a clap error, or help and version output, in the user's language.
fn print_clap_error(error: &clap::Error, lang: Lang) {
    match (lang, clap_zh::render(error)) {
        (Lang::ZhCn, Some(message)) => eprintln!("错误：{message}"),
        _ => {
            let _ = error.print();
        }
    }
}

/// Runs the program with the process arguments and returns its exit code.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    run_with_args(args)
}

/// Runs the program with explicit arguments (the first is the program name).
pub fn run_with_args(args: Vec<OsString>) -> ExitCode {
    let lang = lang_from_args(&args).unwrap_or_else(Lang::from_env);
    let mut command = Cli::command();
    if lang == Lang::ZhCn {
        command = help_zh::localize(command);
    }
    let matches = match command.try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(error) => {
            print_clap_error(&error, lang);
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => {
            print_clap_error(&error, lang);
            return ExitCode::from(2);
        }
    };
    if let Some(value) = &cli.lang {
        if Lang::parse(value).is_none() {
            eprintln!(
                "{}",
                match lang {
                    Lang::En =>
                        format!("error: invalid value '{value}' for '--lang'; use en or zh-CN"),
                    Lang::ZhCn =>
                        format!("错误：'--lang' 的取值 '{value}' 无效；请使用 en 或 zh-CN"),
                }
            );
            return ExitCode::from(2);
        }
    }
    let result = match cli.command {
        Command::Run(args) => run::execute(&args, lang),
        Command::Check(args) => check::execute(&args, lang),
        Command::Bench(args) => bench::execute(&args, lang),
        Command::Merge(args) => merge::execute(&args, lang),
        Command::Sweep(args) => sweep::execute(&args, lang),
        Command::Explain(args) => explain::execute(&args, lang),
        Command::Calibrate(args) => calibrate::execute(&args, lang),
        Command::Forecast(args) => forecast::execute(&args, lang),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Invalid(message)) => {
            eprintln!("{}{message}", lang.pick("error: ", "错误："));
            ExitCode::from(2)
        }
        Err(CliError::Interrupted { code, message }) => {
            eprintln!("{}{message}", lang.pick("error: ", "错误："));
            ExitCode::from(code)
        }
        Err(CliError::Failed(error)) => {
            eprintln!("{}{error:#}", lang.pick("error: ", "错误："));
            ExitCode::from(1)
        }
    }
}

/// Turns a failure of [`write_all`](crate::output::files::write_all) into
/// [`CliError::Failed`], with the message of a write error in `lang`.
pub(crate) fn write_failure(error: anyhow::Error, lang: Lang) -> CliError {
    match error.downcast_ref::<crate::output::files::WriteError>() {
        Some(write) => CliError::Failed(anyhow::anyhow!(write.render(lang))),
        None => CliError::Failed(error),
    }
}

/// Loads the scenario named on the command line, or the built-in default;
/// returns it with its text and the name used in messages.
pub(crate) fn load_scenario(
    path: Option<&std::path::Path>,
    lang: Lang,
) -> Result<(crate::scenario::Scenario, String), CliError> {
    use crate::scenario;
    match path {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|error| {
                CliError::Invalid(match lang {
                    Lang::En => {
                        format!("{}: cannot read the scenario file: {error}", path.display())
                    }
                    Lang::ZhCn => format!(
                        "{}：无法读取场景文件：{}",
                        path.display(),
                        crate::i18n::io_error_text(&error, lang)
                    ),
                })
            })?;
            let text = scenario::decode_text(&path.display().to_string(), bytes)
                .map_err(|error| CliError::Invalid(error.render(lang)))?;
            let scenario = scenario::parse(&text, &path.display().to_string(), path.parent())
                .map_err(|error| CliError::Invalid(error.render(lang)))?;
            Ok((scenario, text))
        }
        None => Ok((
            scenario::builtin_default(),
            scenario::DEFAULT_SCENARIO.to_string(),
        )),
    }
}
