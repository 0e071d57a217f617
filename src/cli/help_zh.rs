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
    ("seed", "主随机种子；覆盖 run.seed；取 0 到 2^63 − 1，与场景文件中 run.seed 的范围相同"),
    ("replications", "蒙特卡洛重复次数；覆盖 run.replications"),
    ("users", "存量用户数；覆盖 population.users"),
    ("threads", "工作线程数（默认每核一个）；结果与线程数无关"),
    ("force", "覆盖保存着其他场景结果的输出目录"),
    (
        "shard",
        "只模拟每次重复中用户的第 K 个分片（共 N 个，0 <= K < N），并写出供 `merge` 使用的原始计数（shard.bin）",
    ),
    (
        "memory_limit",
        "运行可使用的最大内存，例如 8GB（默认：可用内存）",
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

const CHECK: &[(&str, &str)] = &[
    ("scenario", "场景文件（TOML）；省略时检查内置默认场景"),
    (
        "memory_limit",
        "运行可使用的最大内存，例如 8GB（默认：可用内存）",
    ),
];

const SWEEP: &[(&str, &str)] = &[
    ("scenario", "场景文件（TOML）"),
    (
        "param",
        "要扫描的参数及范围，格式为 KEY=START:END:STEP，例如 policy.prompt.accept=0.1:0.9:0.1 或 population.segment.daily.keep_alive=5m:60m:5m",
    ),
    ("metric", "要收集并绘图的汇总指标，名称同 summary.csv"),
    ("policy", "只看该策略（默认：场景中的所有策略）"),
    ("out", "输出目录（默认：out/<场景文件名>-sweep）"),
    ("seed", "主随机种子；覆盖 run.seed（0 到 2^63 − 1）。每个取值使用同一种子"),
    ("replications", "每个取值的蒙特卡洛重复次数；覆盖 run.replications"),
    ("users", "存量用户数；覆盖 population.users"),
    ("threads", "工作线程数（默认每核一个）；结果与线程数无关"),
    (
        "memory_limit",
        "每个取值的运行可使用的最大内存，例如 8GB（默认：可用内存）",
    ),
];

const EXPLAIN: &[(&str, &str)] = &[
    ("scenario", "场景文件（TOML）；省略时使用内置默认场景"),
    (
        "user",
        "用户编号：存量用户为 0 到 users - 1，其后按到达顺序为新用户",
    ),
    ("policy", "要重放的策略（默认：场景中的第一个策略）"),
    ("replication", "重复编号，从 0 开始（默认：0）"),
    (
        "seed",
        "主随机种子；覆盖 run.seed（0 到 2^63 − 1），与 run 相同",
    ),
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
    (
        "calibrate",
        "按启动轨迹拟合场景的用户群体，写出场景文件和拟合报告",
        CALIBRATE,
    ),
    (
        "forecast",
        "按发布后最初几小时的启动覆盖率拟合不确定参数，并预测之后的曲线",
        FORECAST,
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
        command = command.mut_arg(*id, |arg| {
            // clap labels a default "[default: …]" in English only, so the
            // Chinese text names it itself.
            let defaults: Vec<String> = arg
                .get_default_values()
                .iter()
                .map(|value| value.to_string_lossy().into_owned())
                .collect();
            if defaults.is_empty() {
                arg.help(*text)
            } else {
                arg.help(format!("{text}（默认：{}）", defaults.join(",")))
                    .hide_default_value(true)
            }
        });
    }
    // clap adds its own `help` and `version` flags only when the command is
    // built, so `mut_arg` cannot reach them here. Flags of the same names
    // with Chinese texts replace them.
    command
        .disable_help_flag(true)
        .arg(help_arg())
        .help_template(LEAF_TEMPLATE)
        .next_help_heading("选项")
}

const CALIBRATE: &[(&str, &str)] = &[
    (
        "trace",
        "启动轨迹（含 user_id、app、event、timestamp 列的 CSV；见 docs/trace-format.zh-CN.md）",
    ),
    ("out", "要写出的场景文件"),
    ("apps", "只保留这些应用（逗号分隔）；默认保留全部"),
    (
        "exclude_file",
        "要剔除的应用名列表文件，每行一个（以 # 开头的行被忽略）",
    ),
    (
        "timezone",
        "每日分布所用本地时间的 UTC 偏移，例如 +01:00（默认取轨迹中第一次打开的偏移）",
    ),
    (
        "merge_gap",
        "合并同一对中间隔不超过该时长的访问，例如 1s 或 0s",
    ),
    (
        "max_segments",
        "尝试的最大分群数（1 到 8）；由 BIC 在其中选择",
    ),
    (
        "template",
        "复制其 run、client、network、release 和 policy 表的场景（默认：内置微信场景）",
    ),
    (
        "report",
        "拟合报告的目录（默认：场景路径去掉 .toml 后加 -fit）",
    ),
    ("seed", "验证模拟的随机种子"),
    ("force", "覆盖已存在的 --out 场景文件"),
    (
        "memory_limit",
        "校准可使用的最大内存，例如 8GB（默认：可用内存）",
    ),
];

/// Replaces the help texts with Chinese ones.
const FORECAST: &[(&str, &str)] = &[
    ("scenario", "所观测版本的场景文件（TOML）"),
    (
        "observed",
        "观测到的启动覆盖率：含 time_h、launch_coverage 列（platform 列可选）的 CSV",
    ),
    ("out", "输出目录（默认：out/<场景文件名>-forecast）"),
    ("policy", "应用所用的策略名（默认：场景中的第一个策略）"),
    (
        "users",
        "每次模拟的用户数（默认取场景的用户数，最多 20000）",
    ),
    ("draws", "预测区间所用的参数抽样组数"),
    ("max_evaluations", "参数搜索中最多的模拟次数"),
    (
        "seed",
        "主随机种子；覆盖 run.seed；取 0 到 2^63 − 1，与场景文件中 run.seed 的范围相同",
    ),
    ("threads", "工作线程数（默认每核一个）；结果与线程数无关"),
    (
        "memory_limit",
        "预测可使用的最大内存，例如 8GB（默认：可用内存）",
    ),
];

pub fn localize(command: Command) -> Command {
    let mut command = command
        .about("模拟小程序新版本触达用户的速度，以及各种更新策略的代价")
        .disable_help_flag(true)
        .disable_version_flag(true)
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
        let bench = command
            .find_subcommand_mut("bench")
            .expect("bench exists")
            .render_help()
            .to_string();
        assert!(bench.contains("（默认：1）"), "{bench}");
        assert!(!bench.contains("[default:"), "{bench}");
        for name in [
            "run",
            "check",
            "sweep",
            "explain",
            "calibrate",
            "forecast",
            "bench",
            "merge",
        ] {
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
