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
    (
        "shard",
        "只模拟每次重复中用户的第 K 个分片（共 N 个，0 <= K < N），并写出供 `merge` 使用的原始计数（shard.bin）",
    ),
];

const BENCH: &[(&str, &str)] = &[
    ("scenario", "场景文件（TOML）；省略时测量内置默认场景"),
    (
        "users",
        "每次测量运行的存量用户数，以逗号分隔；每个规模在单独的进程中运行",
    ),
    ("replications", "每次测量运行的蒙特卡洛重复次数"),
    ("threads", "工作线程数（默认每核一个）"),
    (
        "horizon",
        "模拟时长，如 3d 或 14d；覆盖 run.horizon，必须是 run.sample_every 的整数倍",
    ),
    ("no_floor", "跳过随机数下限的测量"),
];

const MERGE: &[(&str, &str)] = &[
    ("scenario", "运行分片时所用的场景文件（TOML）"),
    (
        "shards",
        "`run --shard K/N` 的输出目录（或其中的 shard.bin 文件），K 从 0 到 N-1 各一次",
    ),
    ("out", "输出目录（默认：out/<场景文件名>）"),
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

/// Per subcommand: its name, its Chinese summary and its arguments' help.
/// Help texts of one command's arguments: (argument id, Chinese help).
type ArgTexts = &'static [(&'static str, &'static str)];

const SUBCOMMANDS: &[(&str, &str, ArgTexts)] = &[
    (
        "run",
        "运行场景中的所有策略，写出 timeseries.csv、summary.csv 和图表",
        RUN,
    ),
    ("check", "校验场景并打印将要模拟的内容，不运行", CHECK),
    ("bench", "测量引擎在若干用户规模下的速度和峰值内存", BENCH),
    (
        "merge",
        "汇总 `run --shard` 输出的计数，写出整次运行的文件",
        MERGE,
    ),
    (
        "sweep",
        "在一个参数的多个取值上运行场景，写出 sweep.csv 和图表",
        SWEEP,
    ),
    (
        "explain",
        "打印一个模拟用户在某一策略下的完整时间线",
        EXPLAIN,
    ),
];

/// Chinese titles for the help layout; clap's own headings are English.
const LEAF_TEMPLATE: &str =
    "{about}\n\n用法：{usage}\n\n参数：\n{positionals}\n\n选项：\n{options}";
const ROOT_TEMPLATE: &str =
    "{about}\n\n用法：{usage}\n\n子命令：\n{subcommands}\n\n选项：\n{options}";

fn help_arg() -> Arg {
    Arg::new("help")
        .short('h')
        .long("help")
        .action(ArgAction::Help)
        .help("显示帮助")
}

fn apply(mut command: Command, texts: &[(&'static str, &'static str)]) -> Command {
    for (id, text) in texts {
        command = command.mut_arg(*id, |arg| arg.help(*text));
    }
    command
        .disable_help_flag(true)
        .arg(help_arg())
        .help_template(LEAF_TEMPLATE)
        .next_help_heading("选项")
}

/// Replaces the help texts with Chinese ones.
pub fn localize(command: Command) -> Command {
    let mut command = command
        .about("模拟小程序新版本触达用户的速度，以及各种更新策略的代价")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true)
        .arg(help_arg())
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("显示版本"),
        )
        .help_template(ROOT_TEMPLATE)
        .subcommand_help_heading("子命令");
    for (id, text) in ROOT {
        command = command.mut_arg(*id, |arg| arg.help(*text));
    }
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_string())
        .collect();
    for name in names {
        let (about, texts) = SUBCOMMANDS
            .iter()
            .find(|(sub, _, _)| *sub == name)
            .map_or((None, &[][..]), |(_, about, texts)| (Some(*about), *texts));
        command = command.mut_subcommand(&name, |sub| {
            let sub = match about {
                Some(about) => sub.about(about),
                None => sub,
            };
            apply(sub, texts)
        });
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn chinese_help_renders_for_every_subcommand() {
        let mut command = localize(crate::cli::Cli::command());
        command.build();
        let root = command.render_help().to_string();
        assert!(root.contains("子命令"), "{root}");
        for name in ["run", "check", "sweep", "explain", "bench", "merge"] {
            let mut sub = command
                .find_subcommand_mut(name)
                .expect("subcommand")
                .clone();
            let help = sub.render_help().to_string();
            assert!(help.contains("用法"), "{help}");
            assert!(help.contains("显示帮助"), "{help}");
        }
    }
}
