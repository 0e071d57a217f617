//! Validation of the keys that describe what teams see in the field: host
//! clients, server outages, stale first launches, brief backgrounding,
//! on-device rollback, skipped critical releases and the version a policy's
//! handler ships in.

use super::*;

/// Packages are tracked in 64-bit masks (incidents, start failures), so a
/// release that fails to start on some devices must have a package id below
/// this.
const MASK_BITS: usize = 64;

/// Largest number of `[[host]]` tables. Each host repeats the per-client
/// output rows, so a few dozen already multiply the output files' size.
const MAX_HOSTS: usize = 64;

/// Characters that a host name cannot contain, because it appears in output
/// metric names such as `launch_coverage|client=desktop` and in CSV fields.
const HOST_NAME_FORBIDDEN: [char; 6] = ['|', '=', ',', '"', '\n', '\r'];

/// The action of a parameterless `on_update_ready` name.
///
/// # Panics
/// Panics on a name that takes parameters or is unknown; callers pass the
/// names `none`, `force` and `force_critical` only.
pub(super) fn default_action(name: &str) -> UpdateAction {
    match name {
        "none" => UpdateAction::None,
        "force" => UpdateAction::Force,
        "force_critical" => UpdateAction::ForceCritical,
        other => panic!("`{other}` is not a parameterless policy action"),
    }
}

/// Resolves `policy[i].since_version` to a package id (0 when absent).
pub(super) fn since_package(
    ctx: &Context,
    key: &str,
    policy: &RawPolicy,
    versions: &[String],
) -> Result<usize> {
    let Some(since) = &policy.since_version else {
        return Ok(0);
    };
    known_package(ctx, key, since, versions)
}

/// Resolves `client.skipped_critical` against the profile default.
pub(super) fn skipped_critical(
    ctx: &mut Context,
    platform: Platform,
    raw: &RawClient,
    defaults: &ProfileDefaults,
) -> Result<SkippedCritical> {
    let key = "client.skipped_critical";
    let Some(value) = &raw.skipped_critical else {
        let default = &defaults.skipped_critical;
        ctx.record(
            key,
            default.value.name().to_string(),
            Origin::Profile(platform.name(), default.source),
        );
        return Ok(default.value);
    };
    let parsed = match value.get_ref().as_str() {
        "ignore" => SkippedCritical::Ignore,
        "inherit" => SkippedCritical::Inherit,
        _ => {
            return Err(ctx.rule(
                key,
                Some(value.span()),
                "unknown value",
                "未知的取值",
                "use \"ignore\" (each update keeps its own release's flag) or \"inherit\" (a skipped critical release makes the update critical)",
                "请使用 \"ignore\"（每次更新只看自身版本的标记）或 \"inherit\"（跳过的关键版本使更新也成为关键更新）",
            ))
        }
    };
    let line = ctx.line_of(&value.span());
    ctx.record(key, parsed.name().to_string(), Origin::File(line));
    Ok(parsed)
}

/// Reads a segment's brief backgrounding keys.
pub(super) fn brief_background(
    ctx: &Context,
    index: usize,
    segment: &RawSegment,
) -> Result<Option<BriefBackground>> {
    let key = |field: &str| format!("population.segment[{index}].{field}");
    let Some(rate) = &segment.brief_backgrounds_per_hour else {
        if let Some(raw) = &segment.brief_background {
            return Err(ctx.rule(
                &key("brief_background"),
                Some(raw.span()),
                "applies only with brief_backgrounds_per_hour",
                "仅在设置 brief_backgrounds_per_hour 时有效",
                "set brief_backgrounds_per_hour (the mean number per foreground hour) or remove this key",
                "请设置 brief_backgrounds_per_hour（每小时前台时间的平均次数），或删除此键",
            ));
        }
        return Ok(None);
    };
    let per_hour = *rate.get_ref();
    if !(0.0..=3_600.0).contains(&per_hour) || per_hour.is_nan() {
        return Err(ctx.error(
            &key("brief_backgrounds_per_hour"),
            Some(rate.span()),
            Problem::OutOfRange {
                min: 0.0,
                max: 3_600.0,
            },
        ));
    }
    if per_hour == 0.0 {
        return Ok(None);
    }
    let duration = match &segment.brief_background {
        Some(raw) => distribution(ctx, &key("brief_background"), raw)?,
        // Estimate: a payment page or a system dialog takes tens of seconds.
        None => DurationDist::Fixed(SimDuration(30_000)),
    };
    Ok(Some(BriefBackground { per_hour, duration }))
}

/// Reads `release[i].start_failure`.
pub(super) fn start_failure(
    ctx: &Context,
    index: usize,
    release: &RawRelease,
    is_rollback: bool,
) -> Result<f64> {
    let Some(value) = &release.start_failure else {
        return Ok(0.0);
    };
    let key = format!("release[{index}].start_failure");
    if is_rollback {
        return Err(ctx.rule(
            &key,
            Some(value.span()),
            "a rollback republishes a package whose start failures were set where it was first released",
            "回退发布的是已有的代码包，其启动失败率应在该包首次发布处设置",
            "remove start_failure here and set it on the release that first published this version",
            "请删除此处的 start_failure，在首次发布该版本的 [[release]] 中设置",
        ));
    }
    probability(ctx, &key, value)
}

/// Rejects start failures on a platform without on-device rollback, and on
/// packages beyond the mask width.
pub(super) fn check_start_failures(
    ctx: &Context,
    raw: &Option<Vec<RawRelease>>,
    client: &ClientConfig,
) -> Result<()> {
    let mut new_versions = 0;
    for (i, release) in raw.iter().flatten().enumerate() {
        if release.rollback_to.is_none() {
            new_versions += 1;
        }
        let Some(value) = &release.start_failure else {
            continue;
        };
        if *value.get_ref() == 0.0 {
            continue;
        }
        let key = format!("release[{i}].start_failure");
        if !client.on_device_rollback {
            return Err(ctx.rule(
                &key,
                Some(value.span()),
                &format!(
                    "platform {} has no on-device rollback, so a release cannot fail to start and roll back",
                    client.platform.name()
                ),
                &format!(
                    "平台 {} 没有设备端回退，版本无法在启动失败后回退",
                    client.platform.name()
                ),
                "set client.on_device_rollback = true, or choose platform = \"codepush\" or \"expo\"",
                "请设置 client.on_device_rollback = true，或选择 platform = \"codepush\" 或 \"expo\"",
            ));
        }
        // The baseline is package 0, so the n-th new version is package n.
        if new_versions >= MASK_BITS {
            return Err(ctx.rule(
                &key,
                Some(value.span()),
                &format!(
                    "start failures are tracked for the first {} versions only",
                    MASK_BITS - 1
                ),
                &format!("只有前 {} 个版本可以设置启动失败率", MASK_BITS - 1),
                "set start_failure on an earlier release or publish fewer versions",
                "请在更早的版本上设置 start_failure，或减少发布的版本数",
            ));
        }
    }
    Ok(())
}

/// Reads the stale first launch keys of `[population]`.
pub(super) fn stale_first_launch(
    ctx: &Context,
    raw: &RawPopulation,
    versions: &[String],
    releases: &[Release],
) -> Result<Option<StaleFirstLaunch>> {
    let Some(share_value) = &raw.stale_first_launch_share else {
        for (key, span) in [
            (
                "population.stale_first_launch_version",
                raw.stale_first_launch_version.as_ref().map(|v| v.span()),
            ),
            (
                "population.stale_first_launch_age",
                raw.stale_first_launch_age.as_ref().map(|v| v.span()),
            ),
        ] {
            if let Some(span) = span {
                return Err(ctx.rule(
                    key,
                    Some(span),
                    "applies only with population.stale_first_launch_share",
                    "仅在设置 population.stale_first_launch_share 时有效",
                    "set stale_first_launch_share (the share of new users) or remove this key",
                    "请设置 stale_first_launch_share（新用户中的占比），或删除此键",
                ));
            }
        }
        return Ok(None);
    };
    let share = probability(ctx, "population.stale_first_launch_share", share_value)?;
    let source = match (&raw.stale_first_launch_version, &raw.stale_first_launch_age) {
        (Some(_), Some(age)) => {
            return Err(ctx.rule(
                "population.stale_first_launch_age",
                Some(age.span()),
                "stale_first_launch_version and stale_first_launch_age exclude each other",
                "stale_first_launch_version 与 stale_first_launch_age 不能同时设置",
                "keep the version for a bundle embedded in a store binary, or the age for a package prefetched earlier",
                "应用商店二进制内置旧包时保留 version，宿主提前预下载时保留 age",
            ))
        }
        (Some(version), None) => {
            let key = "population.stale_first_launch_version";
            let package = known_package(ctx, key, version, versions)?;
            check_embedded_version_published(ctx, key, version, package, releases)?;
            StaleSource::Package(package)
        }
        (None, Some(age)) => StaleSource::Age(duration(
            ctx,
            "population.stale_first_launch_age",
            age,
            true,
        )?),
        // Estimate: a host prefetches about a day before the first launch.
        (None, None) => StaleSource::Age(SimDuration::from_hours(24)),
    };
    Ok(Some(StaleFirstLaunch { share, source }))
}

/// Rejects an embedded stale version that is first published after t = 0.
/// New users' first launches start at t = 0, and a store binary can only
/// embed a bundle that exists. A later version would also run before the
/// server offers it, so the first check would offer an older package.
fn check_embedded_version_published(
    ctx: &Context,
    key: &str,
    version: &Spanned<String>,
    package: usize,
    releases: &[Release],
) -> Result<()> {
    // Rollbacks republish a package, so its first publication is the
    // release that introduced it; the baseline's is before t = 0.
    let Some(first) = releases
        .iter()
        .find(|release| release.package == package && !release.is_rollback)
    else {
        return Ok(());
    };
    if first.at <= SimTime::ZERO {
        return Ok(());
    }
    let at = SimDuration(first.at.0);
    Err(ctx.rule(
        key,
        Some(version.span()),
        &format!(
            "version {} is first published at t = {at}, but new users launch from t = 0 on, so the first of them would start from a version that does not exist yet",
            version.get_ref()
        ),
        &format!(
            "版本 {} 首次发布于 t = {at}，但新用户从 t = 0 起就开始启动，最早的新用户会从尚不存在的版本启动",
            version.get_ref()
        ),
        "name the baseline or a version released at \"0h\", or use stale_first_launch_age for a package offered some time before each first launch",
        "请填写基线版本或在 \"0h\" 发布的版本，或改用 stale_first_launch_age 表示每次首次启动前一段时间提供的包",
    ))
}

fn update_ready_callback(
    ctx: &Context,
    key: &str,
    value: &Spanned<String>,
) -> Result<UpdateReadyCallback> {
    match value.get_ref().as_str() {
        "once" => Ok(UpdateReadyCallback::Once),
        "never" => Ok(UpdateReadyCallback::Never),
        "repeat" => Ok(UpdateReadyCallback::Repeat),
        _ => Err(ctx.rule(
            key,
            Some(value.span()),
            "unknown value",
            "未知的取值",
            "use \"once\", \"never\" or \"repeat\" (fires again at every resume until the new version runs)",
            "请使用 \"once\"、\"never\" 或 \"repeat\"（每次回到前台都再次触发，直到新版本运行）",
        )),
    }
}

/// Validates the `[[host]]` tables.
pub(super) fn build_hosts(
    ctx: &Context,
    raw: &Option<Vec<RawHost>>,
    client: &ClientConfig,
) -> Result<Vec<Host>> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    if raw.is_empty() {
        return Err(ctx.rule(
            "host",
            None,
            "the list of hosts is empty",
            "宿主列表为空",
            "add a [[host]] table with name and share, or remove the empty list",
            "请添加包含 name 与 share 的 [[host]] 表，或删除空列表",
        ));
    }
    if raw.len() > MAX_HOSTS {
        return Err(ctx.rule(
            "host",
            Some(raw[MAX_HOSTS].name.span()),
            &format!("{} hosts exceed the limit of {MAX_HOSTS}", raw.len()),
            &format!("宿主数量 {} 超过上限 {MAX_HOSTS}", raw.len()),
            "merge hosts that behave alike into one table",
            "请把行为相同的宿主合并为一个表",
        ));
    }
    let mut hosts: Vec<Host> = Vec::with_capacity(raw.len());
    let mut shares = Vec::with_capacity(raw.len());
    for (i, host) in raw.iter().enumerate() {
        let key = |field: &str| format!("host[{i}].{field}");
        let name = host.name.get_ref();
        if name.is_empty() || name.contains(HOST_NAME_FORBIDDEN) {
            return Err(ctx.rule(
                &key("name"),
                Some(host.name.span()),
                "invalid host name",
                "无效的宿主名称",
                "use a non-empty name without |, =, commas, quotes or line breaks",
                "请使用非空且不含 |、=、逗号、引号或换行的名称",
            ));
        }
        if hosts.iter().any(|h| &h.name == name) {
            return Err(ctx.rule(
                &key("name"),
                Some(host.name.span()),
                "duplicate host name",
                "宿主名称重复",
                "give each host its own name",
                "请为每个宿主取不同的名称",
            ));
        }
        let share = probability(ctx, &key("share"), &host.share)?;
        shares.push((share, host.share.span()));
        let periodic_check_share = match &host.periodic_check_share {
            Some(value) => probability(ctx, &key("periodic_check_share"), value)?,
            None => client.periodic_check_share,
        };
        let update_manager_share = match &host.update_manager_share {
            Some(value) => probability(ctx, &key("update_manager_share"), value)?,
            None => client.update_manager_share,
        };
        let update_ready_callback = match &host.update_ready_callback {
            Some(value) => update_ready_callback(ctx, &key("update_ready_callback"), value)?,
            None => UpdateReadyCallback::Once,
        };
        let keep_alive = match &host.keep_alive {
            Some(raw) => Some(distribution(ctx, &key("keep_alive"), raw)?),
            None => None,
        };
        hosts.push(Host {
            name: name.clone(),
            share,
            periodic_check_share,
            update_manager_share,
            apply_update_restarts: host
                .apply_update_restarts
                .as_ref()
                .is_none_or(|value| *value.get_ref()),
            update_ready_callback,
            keep_alive,
        });
    }
    check_shares(ctx, "host[*].share", &shares)?;
    Ok(hosts)
}

/// Validates the `[[outage]]` tables.
pub(super) fn build_outages(ctx: &Context, raw: &Option<Vec<RawOutage>>) -> Result<Vec<Outage>> {
    let mut outages = Vec::new();
    for (i, outage) in raw.iter().flatten().enumerate() {
        let key = |field: &str| format!("outage[{i}].{field}");
        let from = SimTime::ZERO + duration(ctx, &key("from"), &outage.from, false)?;
        let until = match &outage.until {
            Some(raw) => {
                let until = SimTime::ZERO + duration(ctx, &key("until"), raw, false)?;
                if until <= from {
                    return Err(ctx.rule(
                        &key("until"),
                        Some(raw.span()),
                        "the outage ends before it starts",
                        "故障的结束时间早于开始时间",
                        "make until later than from",
                        "请让 until 晚于 from",
                    ));
                }
                until
            }
            None => SimTime::NEVER,
        };
        let (checks, downloads) = match outage.affects.get_ref().as_str() {
            "checks" => (true, false),
            "downloads" => (false, true),
            "both" => (true, true),
            _ => {
                return Err(ctx.rule(
                    &key("affects"),
                    Some(outage.affects.span()),
                    "unknown value",
                    "未知的取值",
                    "use \"checks\", \"downloads\" or \"both\"",
                    "请使用 \"checks\"、\"downloads\" 或 \"both\"",
                ))
            }
        };
        let failure = match &outage.failure {
            Some(value) => {
                let failure = probability(ctx, &key("failure"), value)?;
                if failure == 0.0 {
                    return Err(ctx.rule(
                        &key("failure"),
                        Some(value.span()),
                        "an outage with failure probability 0 fails nothing",
                        "失败概率为 0 的故障不会造成任何失败",
                        "use a probability above 0, or remove the [[outage]] table",
                        "请使用大于 0 的概率，或删除该 [[outage]] 表",
                    ));
                }
                failure
            }
            None => 1.0,
        };
        let name = outage
            .name
            .as_ref()
            .map_or_else(|| format!("outage {}", i + 1), |n| n.get_ref().clone());
        outages.push(Outage {
            name,
            from,
            until,
            checks,
            downloads,
            failure,
        });
    }
    Ok(outages)
}
