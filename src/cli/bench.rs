//! `rollout-sim bench`: the engine's throughput and peak memory at several
//! population sizes.
//!
//! Each size runs in a child process of this binary (`bench --child`), so
//! the peak memory read from `VmHWM` in `/proc/self/status` belongs to that
//! size alone. The child times the runner (simulation and the merge of the
//! counters, not the output files) and then the random-number floor of the
//! same run (`engine::floor`), and prints one [`Measurement`] as TOML.

use std::io::IsTerminal;
use std::process::Command;
use std::time::Instant;

use anyhow::Context as _;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table};
use serde::{Deserialize, Serialize};

use crate::cli::args::BenchArgs;
use crate::cli::run::{invalid_flag, launch_source};
use crate::cli::{load_scenario, CliError};
use crate::engine::floor;
use crate::engine::runner::{self, RunOptions};
use crate::i18n::Lang;
use crate::model::launches::Visit;
use crate::model::user::{UserTraits, USER_STATE_BYTES};
use crate::report::table::group_thousands;
use crate::scenario::{self, Scenario};
use crate::stats::bins::Total;

/// The result of one child process's measurement.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct Measurement {
    /// Existing users per replication.
    users: u64,
    /// Replications.
    replications: u32,
    /// Worker threads.
    threads: usize,
    /// Users simulated in all replications, new users included.
    simulated_users: u64,
    /// Per-user events of all timelines, over all policies and replications.
    events: u64,
    /// The part of `events` the engine handled itself; the rest belong to
    /// timelines that took over the end of the first policy's timeline.
    handled: u64,
    /// Wall time of the runner, seconds.
    engine_s: f64,
    /// Wall time of the random-number floor, seconds.
    floor_s: Option<f64>,
    /// Peak resident memory of the process (`VmHWM`), KiB.
    peak_kib: Option<u64>,
}

/// Formats a rate per second in millions (English) or ten-thousands
/// (Chinese, 万), the units the benchmark document uses.
fn rate(per_s: f64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{:.1} M", per_s / 1e6),
        Lang::ZhCn => format!("{} 万", group_thousands(per_s / 1e4)),
    }
}

/// Runs the `bench` command.
pub fn execute(args: &BenchArgs, lang: Lang) -> Result<(), CliError> {
    let (mut scenario, _) = load_scenario(args.scenario.as_deref(), lang)?;
    validate(args, lang)?;
    if let Some(text) = &args.horizon {
        apply_horizon(&mut scenario, text, lang)?;
    }
    let threads = match args.threads {
        Some(threads) => threads,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    if args.child {
        end_with_parent();
        let users = args.users[0];
        let measurement = measure(&scenario, users, args, threads, lang)?;
        print!(
            "{}",
            toml::to_string(&measurement).context("cannot encode the measurement")?
        );
        return Ok(());
    }

    let load = load_average();
    let mut measurements = Vec::with_capacity(args.users.len());
    for &users in &args.users {
        if std::io::stderr().is_terminal() {
            eprintln!(
                "{}",
                match lang {
                    Lang::En => format!("measuring {users} users…"),
                    Lang::ZhCn => format!("正在测量 {users} 个用户…"),
                }
            );
        }
        measurements.push(run_child(args, users, threads, lang)?);
    }
    print_report(&scenario, args, threads, load, &measurements, lang);
    Ok(())
}

fn validate(args: &BenchArgs, lang: Lang) -> Result<(), CliError> {
    if args.users.is_empty() {
        return Err(invalid_flag(
            "--users",
            "''",
            "give at least one number of users",
            "请至少给出一个用户数",
            lang,
        ));
    }
    for &users in &args.users {
        if users == 0 || users > scenario::MAX_USERS {
            return Err(invalid_flag(
                "--users",
                users,
                &format!("use numbers from 1 to {}", scenario::MAX_USERS),
                &format!("请使用 1 到 {} 之间的数", scenario::MAX_USERS),
                lang,
            ));
        }
    }
    if args.replications == 0 || args.replications > scenario::MAX_REPLICATIONS {
        return Err(invalid_flag(
            "--replications",
            args.replications,
            &format!("use a number from 1 to {}", scenario::MAX_REPLICATIONS),
            &format!("请使用 1 到 {} 之间的数", scenario::MAX_REPLICATIONS),
            lang,
        ));
    }
    if args.threads == Some(0) {
        return Err(invalid_flag(
            "--threads",
            0,
            "use at least 1 (or omit it for one per core)",
            "至少为 1（或省略以每核一个）",
            lang,
        ));
    }
    Ok(())
}

/// Sets `run.horizon` from `--horizon`, with the checks the scenario file gets.
fn apply_horizon(scenario: &mut Scenario, text: &str, lang: Lang) -> Result<(), CliError> {
    let width = scenario.run.sample_every;
    let horizon = crate::units::parse_duration(text).map_err(|_| {
        invalid_flag(
            "--horizon",
            text,
            "use a number with a unit (ms, s, m, h or d), such as 3d or 14d",
            "请使用带单位（ms、s、m、h 或 d）的数，例如 3d 或 14d",
            lang,
        )
    })?;
    let bins = horizon.0 / width.0.max(1);
    if horizon.0 <= 0 || horizon.0 % width.0 != 0 || bins as usize > scenario::MAX_BINS {
        return Err(invalid_flag(
            "--horizon",
            text,
            &format!(
                "use a positive multiple of run.sample_every ({width}) of at most {} bins",
                scenario::MAX_BINS
            ),
            &format!(
                "请使用 run.sample_every（{width}）的正整数倍，且不超过 {} 个时间分箱",
                scenario::MAX_BINS
            ),
            lang,
        ));
    }
    // The scenario file's rule, applied to the new horizon
    // (`releases[0]` is the baseline).
    if let Some(late) = scenario.releases[1..]
        .iter()
        .find(|r| !r.published_within(horizon))
    {
        let at = late.at - crate::time::SimTime::ZERO;
        return Err(invalid_flag(
            "--horizon",
            text,
            &format!(
                "the scenario publishes {} at {at}, at or after this horizon; use a horizon longer than {at}",
                late.version
            ),
            &format!(
                "场景在 {at} 发布 {}，不早于该模拟时长；请使用长于 {at} 的模拟时长",
                late.version
            ),
            lang,
        ));
    }
    scenario.run.horizon = horizon;
    Ok(())
}

/// Measures one size in this process.
fn measure(
    scenario: &Scenario,
    users: u64,
    args: &BenchArgs,
    threads: usize,
    lang: Lang,
) -> Result<Measurement, CliError> {
    let source = launch_source(scenario, lang)?;
    let options = RunOptions {
        threads,
        users: Some(users),
        replications: Some(args.replications),
        seed: None,
        shard: None,
    };
    let started = Instant::now();
    let output = runner::run(scenario, &source, &options, &|_, _| {})?;
    let engine_s = started.elapsed().as_secs_f64();
    let events = output
        .bins
        .iter()
        .flatten()
        .map(|bins| bins.total(Total::Events))
        .sum();
    let simulated_users = output.bins[0]
        .iter()
        .map(|bins| bins.total(Total::Users))
        .sum();
    let handled = output.handled_events;
    drop(output);
    let floor_s = if args.no_floor {
        None
    } else {
        let started = Instant::now();
        let drawn = floor::draw_only(scenario, &source, &options, &|_, _| {})?;
        let seconds = started.elapsed().as_secs_f64();
        std::hint::black_box(drawn);
        Some(seconds)
    };
    Ok(Measurement {
        users,
        replications: args.replications,
        threads,
        simulated_users,
        events,
        handled,
        engine_s,
        floor_s,
        peak_kib: peak_memory_kib(),
    })
}

/// Runs `bench --child` for one size and reads its measurement.
fn run_child(
    args: &BenchArgs,
    users: u64,
    threads: usize,
    lang: Lang,
) -> Result<Measurement, CliError> {
    let exe = std::env::current_exe().context("cannot find the rollout-sim executable")?;
    let mut command = Command::new(exe);
    command.arg("bench");
    if let Some(path) = &args.scenario {
        command.arg(path);
    }
    command
        .args(["--users", &users.to_string()])
        .args(["--replications", &args.replications.to_string()])
        .args(["--threads", &threads.to_string()])
        .args(["--lang", lang.tag()])
        .arg("--child");
    if let Some(horizon) = &args.horizon {
        command.args(["--horizon", horizon]);
    }
    if args.no_floor {
        command.arg("--no-floor");
    }

    let output = command
        .output()
        .context("cannot start the measuring process")?;
    if !output.status.success() {
        return Err(CliError::Failed(anyhow::anyhow!(
            "the measurement of {users} users failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let measurement =
        toml::from_str(&text).context("cannot read the measuring process's output")?;
    Ok(measurement)
}

/// Makes a measuring process end when the `bench` process that started it
/// ends, so a SIGTERM or SIGKILL sent to `bench` alone (a CI timeout, say)
/// leaves no measurement running. Only Linux has `PR_SET_PDEATHSIG`.
#[cfg(target_os = "linux")]
fn end_with_parent() {
    // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number and changes
    // nothing but this process's parent-death signal.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
    }
    // The parent may have ended before the call; then the process was
    // handed to init and no signal will come.
    if std::os::unix::process::parent_id() == 1 {
        std::process::exit(143);
    }
}

// TODO: other systems have no parent-death signal, so a measuring process
// outlives a `bench` that is killed alone.
#[cfg(not(target_os = "linux"))]
fn end_with_parent() {}

/// Reads the peak resident memory of this process in KiB (`VmHWM`),
/// where `/proc` has it.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Reads the 1-minute load average, where `/proc` has it.
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Relative deviations of `ys` from their least-squares line over `xs`;
/// `None` with fewer than three points, where a line fits trivially.
fn deviations_from_line(xs: &[f64], ys: &[f64]) -> Option<Vec<f64>> {
    if xs.len() < 3 {
        return None;
    }
    let n = xs.len() as f64;
    let mean_x = xs.iter().sum::<f64>() / n;
    let mean_y = ys.iter().sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mean_x).powi(2)).sum();
    let sxy: f64 = xs
        .iter()
        .zip(ys)
        .map(|(x, y)| (x - mean_x) * (y - mean_y))
        .sum();
    if sxx == 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    Some(
        xs.iter()
            .zip(ys)
            .map(|(x, y)| {
                let fitted = intercept + slope * x;
                (y - fitted) / fitted
            })
            .collect(),
    )
}

fn print_report(
    scenario: &Scenario,
    args: &BenchArgs,
    threads: usize,
    load: Option<f64>,
    measurements: &[Measurement],
    lang: Lang,
) {
    let load_text = load.map_or_else(|| "?".to_string(), |l| format!("{l:.2}"));
    match lang {
        Lang::En => println!(
            "{}: {} policies, horizon {}, replications {}, threads {threads}; 1-minute load average at start {load_text}",
            scenario.run.name,
            scenario.policies.len(),
            scenario.run.horizon,
            args.replications
        ),
        Lang::ZhCn => println!(
            "{}：{} 个策略，模拟时长 {}，{} 次重复，{threads} 个线程；开始时 1 分钟平均负载 {load_text}",
            scenario.run.name,
            scenario.policies.len(),
            scenario.run.horizon,
            args.replications
        ),
    }

    let xs: Vec<f64> = measurements.iter().map(|m| m.users as f64).collect();
    let times: Vec<f64> = measurements.iter().map(|m| m.engine_s).collect();
    let memory: Vec<f64> = measurements
        .iter()
        .map(|m| m.peak_kib.unwrap_or(0) as f64)
        .collect();
    let time_off = deviations_from_line(&xs, &times);
    let memory_off = deviations_from_line(&xs, &memory);
    let percent = |values: &Option<Vec<f64>>, i: usize| {
        values
            .as_ref()
            .map_or_else(|| "-".to_string(), |v| format!("{:+.1} %", v[i] * 100.0))
    };

    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        lang.pick("users", "用户数"),
        lang.pick("users simulated", "模拟的用户数"),
        lang.pick("time (s)", "用时（秒）"),
        lang.pick("users/s", "用户/秒"),
        lang.pick("events", "事件数"),
        lang.pick("events/s", "事件/秒"),
        lang.pick("events/s per thread", "每线程事件/秒"),
        lang.pick("handled", "逐个处理"),
        lang.pick("handled/s per thread", "每线程逐个处理/秒"),
        lang.pick("floor (s)", "随机数下限（秒）"),
        lang.pick("time / floor", "用时/下限"),
        lang.pick("peak memory (MiB)", "峰值内存（MiB）"),
        lang.pick("time off line", "用时偏离直线"),
        lang.pick("memory off line", "内存偏离直线"),
    ]);
    for (i, m) in measurements.iter().enumerate() {
        let events_per_s = m.events as f64 / m.engine_s;
        table.add_row(vec![
            m.users.to_string(),
            group_thousands(m.simulated_users as f64),
            format!("{:.2}", m.engine_s),
            group_thousands(m.simulated_users as f64 / m.engine_s),
            group_thousands(m.events as f64),
            rate(events_per_s, lang),
            rate(events_per_s / m.threads as f64, lang),
            format!("{:.1} %", m.handled as f64 / m.events.max(1) as f64 * 100.0),
            rate(m.handled as f64 / m.engine_s / m.threads as f64, lang),
            m.floor_s.map_or_else(|| "-".into(), |f| format!("{f:.2}")),
            m.floor_s
                .map_or_else(|| "-".into(), |f| format!("{:.2}", m.engine_s / f)),
            m.peak_kib
                .map_or_else(|| "?".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
            percent(&time_off, i),
            percent(&memory_off, i),
        ]);
    }
    for column in table.column_iter_mut().skip(1) {
        column.set_cell_alignment(CellAlignment::Right);
    }
    println!("{table}");

    let traits = std::mem::size_of::<UserTraits>();
    let visit = std::mem::size_of::<Visit>();
    match lang {
        Lang::En => println!(
            "state per user: {} bytes ({USER_STATE_BYTES} of update state per policy run, {traits} of traits); visits are drawn into a reused per-thread buffer of {visit} bytes per visit, and nothing per user is kept once the user is simulated",
            USER_STATE_BYTES + traits
        ),
        Lang::ZhCn => println!(
            "每个用户的状态：{} 字节（每次策略运行的更新状态 {USER_STATE_BYTES} 字节，特征 {traits} 字节）；访问记录写入每个线程复用的缓冲区，每次访问 {visit} 字节；用户模拟完成后不保留任何逐用户数据",
            USER_STATE_BYTES + traits
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deviation_of_points_on_line_is_zero() {
        let xs = [1.0, 3.0, 10.0];
        let ys = [2.5, 6.5, 20.5];
        let off = deviations_from_line(&xs, &ys).expect("three points");
        for value in off {
            assert!(value.abs() < 1e-12, "{value}");
        }
        assert_eq!(deviations_from_line(&xs[..2], &ys[..2]), None);
    }

    #[test]
    fn deviation_of_bent_point_is_partial() {
        // y = x except the middle point, 20 % high: the fitted line moves
        // toward it, so its deviation is positive and below 20 %.
        let xs = [1.0, 3.0, 10.0];
        let ys = [1.0, 3.6, 10.0];
        let off = deviations_from_line(&xs, &ys).expect("three points");
        assert!(off[1] > 0.0, "{off:?}");
        assert!(off[1] < 0.2, "{off:?}");
    }

    #[test]
    fn measurement_round_trips_through_toml() {
        let m = Measurement {
            users: 1_000,
            replications: 2,
            threads: 2,
            simulated_users: 2_010,
            events: 123_456,
            handled: 100_000,
            engine_s: 0.5,
            floor_s: None,
            peak_kib: Some(10_240),
        };
        let text = toml::to_string(&m).expect("encodes");
        assert_eq!(toml::from_str::<Measurement>(&text).expect("decodes"), m);
    }
}
