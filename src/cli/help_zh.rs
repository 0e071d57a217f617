//! Chinese help texts, applied to the clap command when the language is
//! Chinese. Keys are argument ids; a missing id keeps the English text.

use clap::{Arg, ArgAction, Command};

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
];

const CHECK: &[(&str, &str)] = &[("scenario", "场景文件（TOML）；省略时检查内置默认场景")];

const SWEEP: &[(&str, &str)] = &[
    ("scenario", "场景文件（TOML）"),
    (
        "param",
        "要扫描的参数及范围，格式为 KEY=START:END:STEP，例如 policy.prompt.accept=0.1:0.9:0.1 或 population.segment.daily.keep_alive=5m:60m:5m",
    ),
    ("metric", "要收集并绘图的汇总指标，名称同 summary.csv"),
    ("policy", "只看该策略（默认：场景中的所有策略）"),
    ("out", "输出目录（默认：out/<场景文件名>-sweep）"),
    ("seed", "主随机种子；覆盖 run.seed。每个取值使用同一种子"),
    ("replications", "每个取值的蒙特卡洛重复次数；覆盖 run.replications"),
    ("users", "存量用户数；覆盖 population.users"),
    ("threads", "工作线程数（默认每核一个）；结果与线程数无关"),
];

const EXPLAIN: &[(&str, &str)] = &[
    ("scenario", "场景文件（TOML）；省略时使用内置默认场景"),
    (
        "user",
        "用户编号：存量用户为 0 到 users - 1，其后按到达顺序为新用户",
    ),
    ("policy", "要重放的策略（默认：场景中的第一个策略）"),
    ("replication", "重复编号，从 0 开始（默认：0）"),
    ("seed", "主随机种子；覆盖 run.seed，与 run 相同"),
    (
        "replications",
        "重复次数；覆盖 run.replications，与 run 相同",
    ),
    ("users", "存量用户数；覆盖 population.users，与 run 相同"),
];

fn apply(mut command: Command, texts: &[(&'static str, &'static str)]) -> Command {
    for (id, text) in texts {
        command = command.mut_arg(*id, |arg| arg.help(*text));
    }
    // clap adds its own `--help` and `--version` only when the command is
    // built, too late to change their texts, so they are replaced here.
    command
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("显示帮助"),
        )
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("显示版本"),
        )
}

/// Replaces the help texts with Chinese ones.
pub fn localize(command: Command) -> Command {
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
        })
        .mut_subcommand("sweep", |sub| {
            apply(
                sub.about("在一个参数的多个取值上运行场景，写出 sweep.csv 和图表"),
                SWEEP,
            )
        })
        .mut_subcommand("explain", |sub| {
            apply(
                sub.about("打印一个模拟用户在某一策略下的完整时间线"),
                EXPLAIN,
            )
        });
    // NOTE: the `help` subcommand keeps its English description, because
    // clap creates it only when the command is built.
    command
}
