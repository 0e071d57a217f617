//! Chinese help texts, applied to the clap command when the language is
//! Chinese. Keys are argument ids; a missing id keeps the English text.

use clap::Command;

const ROOT: &[(&str, &str)] = &[(
    "lang",
    "消息、表格和图表的语言：en 或 zh-CN（默认取自 LANG/LC_ALL）",
)];

const RUN: &[(&str, &str)] = &[
    ("scenario", "场景文件（TOML）；省略时运行内置的微信默认场景"),
    ("out", "输出目录（默认：out/<场景文件名>）"),
    ("seed", "主随机种子；覆盖 run.seed"),
    ("replications", "蒙特卡洛重复次数；覆盖 run.replications"),
    ("users", "存量用户数；覆盖 population.users"),
    ("threads", "工作线程数（默认每核一个）；结果与线程数无关"),
    ("force", "覆盖保存着其他场景结果的输出目录"),
    (
        "memory_limit",
        "运行可使用的最大内存，例如 8GB（默认：可用内存）",
    ),
];

const CHECK: &[(&str, &str)] = &[
    ("scenario", "场景文件（TOML）；省略时检查内置默认场景"),
    (
        "memory_limit",
        "运行可使用的最大内存，例如 8GB（默认：可用内存）",
    ),
];

fn apply(command: Command, texts: &[(&'static str, &'static str)]) -> Command {
    // `mut_args` edits the arguments in place. `mut_arg` would move the
    // argument to the end, which breaks the positional indexes of a built
    // command.
    command.mut_args(|arg| {
        let text = match arg.get_id().as_str() {
            "help" => Some("显示帮助"),
            "version" => Some("显示版本"),
            id => ROOT
                .iter()
                .chain(texts)
                .find(|(key, _)| *key == id)
                .map(|(_, text)| *text),
        };
        match text {
            Some(text) => arg.help(text),
            None => arg,
        }
    })
}

/// Replaces the help texts with Chinese ones.
pub fn localize(mut command: Command) -> Command {
    // clap adds the `help` and `version` flags, the `help` subcommand and
    // the copies of global arguments only when it builds the command.
    command.build();
    let command = command
        .about("模拟小程序新版本触达用户的速度，以及各种更新策略的代价")
        .help_template("{about}\n\n{usage-heading} {usage}\n\n{all-args}")
        .next_help_heading("选项");
    let command = apply(command, ROOT)
        .mut_subcommand("run", |sub| {
            apply(
                sub.about("运行场景中的所有策略，写出 timeseries.csv、summary.csv 和图表"),
                RUN,
            )
        })
        .mut_subcommand("check", |sub| {
            apply(sub.about("校验场景并打印将要模拟的内容，不运行"), CHECK)
        });
    command.mut_subcommand("help", |sub| sub.about("显示帮助"))
}
