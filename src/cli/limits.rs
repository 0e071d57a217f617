//! Resource checks before a run: the memory estimate against the limit,
//! and a warning for runs that take hours.

use crate::engine::budget::{self, LimitSource, MemoryEstimate, MemoryLimit, MemoryPart};
use crate::i18n::Lang;
use crate::scenario::Scenario;
use crate::units::{self, format_bytes};

use super::CliError;

/// Parses `--memory-limit`, a size such as `"8GB"`.
pub(crate) fn parse_memory_limit(text: &str, lang: Lang) -> Result<u64, CliError> {
    match units::parse_size(text) {
        Ok(bytes) if bytes >= 1.0 && bytes.is_finite() => Ok(bytes as u64),
        _ => Err(CliError::Invalid(match lang {
            Lang::En => format!(
                "invalid value {text} for --memory-limit: use a size with a unit, such as 8GB or 500MB"
            ),
            Lang::ZhCn => format!("--memory-limit 的取值 {text} 无效：请使用带单位的大小，例如 8GB 或 500MB"),
        })),
    }
}

fn source_text(source: &LimitSource, lang: Lang) -> &'static str {
    match (source, lang) {
        (LimitSource::Flag, Lang::En) => "set by --memory-limit",
        (LimitSource::Flag, Lang::ZhCn) => "由 --memory-limit 设置",
        (LimitSource::Available, Lang::En) => "the available memory in /proc/meminfo",
        (LimitSource::Available, Lang::ZhCn) => "/proc/meminfo 中的可用内存",
        (LimitSource::Cgroup, Lang::En) => "the room left under the cgroup memory limit",
        (LimitSource::Cgroup, Lang::ZhCn) => "cgroup 内存上限下的剩余空间",
        (LimitSource::Default, Lang::En) => {
            "the default, because the system reports no available memory"
        }
        (LimitSource::Default, Lang::ZhCn) => "默认值，因为系统未报告可用内存",
    }
}

/// The command whose memory is estimated, which decides how a message
/// names it and which fix it gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Job {
    /// `run`, `sweep` and `check`.
    Run,
    /// `calibrate`.
    Calibration,
    /// `forecast`.
    Forecast,
}

/// Returns what a part of the estimate is and how to shrink it, for `job`.
fn part_text(part: MemoryPart, job: Job, lang: Lang) -> (&'static str, &'static str) {
    match (part, job, lang) {
        // A forecast runs one replication of one policy, so only its bins
        // can shrink. The fitting runs use bins as wide as the largest whole
        // number of minutes that divides every observed time.
        (MemoryPart::Counters, Job::Forecast, Lang::En) => (
            "the per-bin counters of one simulation",
            "use fewer time bins: a longer run.sample_every, a shorter run.horizon, or observed times (time_h) on whole hours",
        ),
        (MemoryPart::Counters, Job::Forecast, Lang::ZhCn) => (
            "一次模拟的分箱计数器",
            "请减少时间分箱：加大 run.sample_every、缩短 run.horizon，或让观测时间（time_h）取整到小时",
        ),
        _ => run_part_text(part, lang),
    }
}

/// Returns what a part of the estimate is and how to shrink it, in the
/// words of `run`.
fn run_part_text(part: MemoryPart, lang: Lang) -> (&'static str, &'static str) {
    match (part, lang) {
        (MemoryPart::Counters, Lang::En) => (
            "the per-bin counters of every policy and replication",
            "use fewer replications (--replications) or policies, or fewer time bins (a longer run.sample_every or a shorter run.horizon)",
        ),
        (MemoryPart::Counters, Lang::ZhCn) => (
            "每个策略和每次重复的分箱计数器",
            "请减少重复次数（--replications）或策略数，或减少时间分箱（加大 run.sample_every 或缩短 run.horizon）",
        ),
        (MemoryPart::ThreadBuffers, Lang::En) => (
            "the buffers of the worker threads",
            "use fewer threads (--threads)",
        ),
        (MemoryPart::ThreadBuffers, Lang::ZhCn) => ("工作线程的缓冲区", "请减少线程数（--threads）"),
        (MemoryPart::Curves | MemoryPart::OutputFiles, Lang::En) => (
            "the curves and timeseries.csv",
            "use fewer time bins (a longer run.sample_every or a shorter run.horizon) or fewer policies",
        ),
        (MemoryPart::Curves | MemoryPart::OutputFiles, Lang::ZhCn) => (
            "曲线和 timeseries.csv",
            "请减少时间分箱（加大 run.sample_every 或缩短 run.horizon）或减少策略数",
        ),
        (MemoryPart::NewUsers, Lang::En) => (
            "the arrival times of new users",
            "lower population.new_users_per_day or use fewer replications (--replications)",
        ),
        (MemoryPart::NewUsers, Lang::ZhCn) => (
            "新用户的到达时间",
            "请降低 population.new_users_per_day 或减少重复次数（--replications）",
        ),
        (MemoryPart::Trace, Lang::En) => (
            "the launch trace",
            "use a smaller trace, or keep fewer apps with population.trace_apps",
        ),
        (MemoryPart::Trace, Lang::ZhCn) => (
            "启动轨迹",
            "请使用更小的轨迹文件，或用 population.trace_apps 保留更少的应用",
        ),
        (MemoryPart::CalibrationTrace, Lang::En) => (
            "the trace and the samples and gaps fitted from it",
            "calibrate a shorter trace, or keep fewer apps with --apps or --exclude-file",
        ),
        (MemoryPart::CalibrationTrace, Lang::ZhCn) => (
            "轨迹及由其拟合的样本和间隔",
            "请校准更短的轨迹，或用 --apps 或 --exclude-file 保留更少的应用",
        ),
        (MemoryPart::Validation, Lang::En) => (
            "the validation, which simulates 20 users per trace pair in each of 10 replications",
            "calibrate a shorter trace, or keep fewer apps with --apps or --exclude-file",
        ),
        (MemoryPart::Validation, Lang::ZhCn) => (
            "验证模拟（每个轨迹对模拟 20 个用户，共 10 次重复）",
            "请校准更短的轨迹，或用 --apps 或 --exclude-file 保留更少的应用",
        ),
        (MemoryPart::ForecastCurves, Lang::En) => (
            "the curves of the parameter draws and the output rows",
            "use fewer draws (--draws), or fewer time bins (a longer run.sample_every or a shorter run.horizon)",
        ),
        (MemoryPart::ForecastCurves, Lang::ZhCn) => (
            "参数抽样的曲线和输出行",
            "请减少抽样次数（--draws），或减少时间分箱（加大 run.sample_every 或缩短 run.horizon）",
        ),
        (MemoryPart::Base, Lang::En) => ("the program itself", "free memory"),
        (MemoryPart::Base, Lang::ZhCn) => ("程序本身", "请释放内存"),
    }
}

/// Returns the worker threads a run uses: `threads`, or one per core for 0.
pub(crate) fn effective_threads(threads: usize) -> usize {
    if threads > 0 {
        return threads;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Rejects a run whose memory estimate exceeds the limit, with the
/// estimate, the limit and the fix for its largest part.
pub(crate) fn check_memory(
    scenario: &Scenario,
    replications: u32,
    threads: usize,
    limit: &MemoryLimit,
    lang: Lang,
) -> Result<(), CliError> {
    let estimate = budget::estimate_memory(scenario, replications, effective_threads(threads));
    check_estimate(&estimate, Job::Run, limit, lang)
}

/// Rejects `job` when `estimate` exceeds the limit, with the estimate, the
/// limit and the fix for its largest part.
pub(crate) fn check_estimate(
    estimate: &MemoryEstimate,
    job: Job,
    limit: &MemoryLimit,
    lang: Lang,
) -> Result<(), CliError> {
    let total = estimate.total();
    if total <= limit.bytes {
        return Ok(());
    }
    let (part, part_bytes) = estimate.largest();
    let (what, fix) = part_text(part, job, lang);
    let source = source_text(&limit.source, lang);
    let (job_en, job_zh) = match job {
        Job::Run => ("run", "运行"),
        Job::Calibration => ("calibration", "校准"),
        Job::Forecast => ("forecast", "预测"),
    };
    Err(CliError::Invalid(match lang {
        Lang::En => format!(
            "the {job_en} needs about {} of memory (estimate), more than the limit of {} ({source}); the largest part is {what}, {}. To fix it, {fix}, or raise the limit with --memory-limit, e.g. --memory-limit {}",
            format_bytes(total as f64),
            format_bytes(limit.bytes as f64),
            format_bytes(part_bytes as f64),
            suggested_limit(total),
        ),
        Lang::ZhCn => format!(
            "本次{job_zh}约需 {} 内存（估计值），超过上限 {}（{source}）；其中最大的部分是{what}，{}。解决办法：{fix}，或用 --memory-limit 提高上限，例如 --memory-limit {}",
            format_bytes(total as f64),
            format_bytes(limit.bytes as f64),
            format_bytes(part_bytes as f64),
            suggested_limit(total),
        ),
    }))
}

/// Describes the memory estimate and the limit in one line, for `check`.
pub(crate) fn describe_memory(
    scenario: &Scenario,
    replications: u32,
    threads: usize,
    limit: &MemoryLimit,
    lang: Lang,
) -> String {
    let estimate = budget::estimate_memory(scenario, replications, effective_threads(threads));
    let total = format_bytes(estimate.total() as f64);
    let limit_text = format_bytes(limit.bytes as f64);
    let source = source_text(&limit.source, lang);
    match lang {
        Lang::En => format!("memory: about {total} (estimate), limit {limit_text} ({source})"),
        Lang::ZhCn => format!("内存：约 {total}（估计值），上限 {limit_text}（{source}）"),
    }
}

/// Returns a `--memory-limit` value above `bytes`, in whole GB.
fn suggested_limit(bytes: u64) -> String {
    format!("{}GB", bytes.div_ceil(1_000_000_000).max(1))
}

/// Prints a warning to standard error when the run simulates so many
/// launches that it takes hours.
pub(crate) fn warn_long_run(scenario: &Scenario, users: u64, replications: u32, lang: Lang) {
    let launches = budget::estimate_launches(scenario, users, replications);
    if launches < budget::LONG_RUN_LAUNCHES {
        return;
    }
    match lang {
        Lang::En => eprintln!(
            "warning: this run simulates about {launches:.1e} launches (users × replications × policies × launches per user) and may take hours; use --users and --replications for a quick look"
        ),
        Lang::ZhCn => eprintln!(
            "警告：本次运行约模拟 {launches:.1e} 次启动（用户数 × 重复次数 × 策略数 × 每用户启动次数），可能需要数小时；如只想快速查看，请使用 --users 和 --replications"
        ),
    }
}
