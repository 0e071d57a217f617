//! Platform profiles: the documented update behaviour of each super-app and
//! of the two React Native over-the-air update SDKs, used as defaults for the
//! `[client]` table and for a policy without `on_update_ready`.
//!
//! Each default carries its source, which `rollout-sim check` prints beside
//! the effective value. Values no vendor publishes are marked as estimates.

use crate::scenario::dist::DurationDist;
use crate::scenario::types::SkippedCritical;
use crate::time::SimDuration;

/// A host platform whose update behaviour a profile describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// WeChat, as its current developer documentation describes it.
    Wechat,
    /// WeChat, as its 2019 documentation described it.
    Wechat2019,
    /// Alipay mini-programs.
    Alipay,
    /// Douyin (TikTok China) mini-programs.
    Douyin,
    /// React Native apps updated by Microsoft CodePush
    /// (`react-native-code-push` with its `sync` defaults).
    Codepush,
    /// React Native apps updated by `expo-updates` (EAS Update).
    Expo,
}

/// Every platform name a scenario may use.
pub const PLATFORM_NAMES: [&str; 6] = [
    "wechat",
    "wechat-2019",
    "alipay",
    "douyin",
    "codepush",
    "expo",
];

impl Platform {
    /// Parses a `client.platform` value.
    pub fn parse(name: &str) -> Option<Platform> {
        match name {
            "wechat" => Some(Platform::Wechat),
            "wechat-2019" => Some(Platform::Wechat2019),
            "alipay" => Some(Platform::Alipay),
            "douyin" => Some(Platform::Douyin),
            "codepush" => Some(Platform::Codepush),
            "expo" => Some(Platform::Expo),
            _ => None,
        }
    }

    /// Returns the name as a scenario writes it.
    pub fn name(self) -> &'static str {
        match self {
            Platform::Wechat => "wechat",
            Platform::Wechat2019 => "wechat-2019",
            Platform::Alipay => "alipay",
            Platform::Douyin => "douyin",
            Platform::Codepush => "codepush",
            Platform::Expo => "expo",
        }
    }
}

/// Behaviour of a cold start whose synchronous update fails or times out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncFailure {
    /// Open the cached package (WeChat).
    Cached,
    /// Show an error page: the launch fails (Alipay).
    Error,
}

/// A default value and where it comes from.
#[derive(Clone, Debug)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Source, in English and Chinese.
    pub source: (&'static str, &'static str),
}

fn sourced<T>(value: T, en: &'static str, zh: &'static str) -> Sourced<T> {
    Sourced {
        value,
        source: (en, zh),
    }
}

/// The `[client]` defaults of one platform.
#[derive(Clone, Debug)]
pub struct ProfileDefaults {
    /// Time in the background before the process is destroyed.
    pub keep_alive: Sourced<DurationDist>,
    /// Share of clients running the periodic check.
    pub periodic_check_share: Sourced<f64>,
    /// Interval of the periodic check.
    pub periodic_check_interval: Sourced<SimDuration>,
    /// Share of clients whose base library has `UpdateManager`.
    pub update_manager_share: Sourced<f64>,
    /// Round trip of an update check.
    pub check_latency: Sourced<DurationDist>,
    /// Window of "recently used" for the periodic check.
    pub recently_used: Sourced<SimDuration>,
    /// A cold start after this long unused updates synchronously.
    pub long_unused: Sourced<SimDuration>,
    /// A synchronous update slower than this falls back.
    pub sync_timeout: Sourced<SimDuration>,
    /// Whether hot starts check for updates too.
    pub check_on_hot_start: Sourced<bool>,
    /// Minimum time between two asynchronous checks of one user.
    pub async_check_min_interval: Sourced<SimDuration>,
    /// Outcome of a failed synchronous update.
    pub sync_failure: Sourced<SyncFailure>,
    /// Whether a timed-out synchronous download goes on in the background.
    pub continue_after_timeout: Sourced<bool>,
    /// A phased release completes on its own after this long.
    pub phased_auto_complete: Sourced<SimDuration>,
    /// Attempts a cold start below the minimum required version makes.
    pub minimum_required_attempts: Sourced<u32>,
    /// Whether a rollback makes the next cold start update synchronously.
    pub rollback_sync: Sourced<bool>,
    /// Rollout percentages the console allows, if restricted.
    pub allowed_rollout_percents: Option<&'static [f64]>,
    /// Whether the platform has a minimum required version setting.
    pub supports_minimum_required: bool,
    /// How many earlier versions a rollback may go back to.
    pub rollback_depth: usize,
    /// How many rollbacks one release allows.
    pub rollbacks_per_release: usize,
    /// Whether every cold start waits for a check and download.
    pub sync_check_on_cold_start: Sourced<bool>,
    /// Whether a skipped critical release makes a later update critical.
    pub skipped_critical: Sourced<SkippedCritical>,
    /// Whether a device rolls back a release that fails to start.
    pub on_device_rollback: Sourced<bool>,
    /// The `on_update_ready` action of a policy that names none.
    pub default_action: Sourced<&'static str>,
}

const ESTIMATE_EN: &str = "estimate: not published by the vendor";
const ESTIMATE_ZH: &str = "估计值：平台未公开";

/// A span long enough that a rule keyed to it never fires within a run.
const NEVER_WITHIN_A_RUN: SimDuration = SimDuration::from_days(36_500);

/// Returns the defaults of a platform.
pub fn defaults(platform: Platform) -> ProfileDefaults {
    let wechat = ProfileDefaults {
        keep_alive: sourced(
            DurationDist::Fixed(SimDuration(30 * 60_000 + 5_000)),
            "WeChat docs (runtime mechanism): suspended after 5 s in the background, destroyed after 30 min suspended",
            "微信官方文档（运行机制）：切后台 5 秒后挂起，挂起 30 分钟后销毁",
        ),
        periodic_check_share: sourced(
            0.99,
            "WeChat team article on forced updates: clients 6.6.3 and later check recently used mini-programs; share is an estimate",
            "微信团队文章《强制更新》：6.6.3 及以上客户端会定时检查最近使用的小程序；比例为估计值",
        ),
        periodic_check_interval: sourced(
            SimDuration::from_hours(24),
            "WeChat team article on forced updates: new version within 24 hours of release",
            "微信团队文章《强制更新》：发布后 24 小时内可用上新版本",
        ),
        update_manager_share: sourced(
            0.99,
            "wx.getUpdateManager needs base library 1.9.90 (2018); share is an estimate",
            "wx.getUpdateManager 需基础库 1.9.90（2018 年）；比例为估计值",
        ),
        check_latency: sourced(DurationDist::Fixed(SimDuration(300)), ESTIMATE_EN, ESTIMATE_ZH),
        recently_used: sourced(SimDuration::from_days(7), ESTIMATE_EN, ESTIMATE_ZH),
        long_unused: sourced(SimDuration::from_days(7), ESTIMATE_EN, ESTIMATE_ZH),
        sync_timeout: sourced(SimDuration(10_000), ESTIMATE_EN, ESTIMATE_ZH),
        check_on_hot_start: sourced(
            false,
            "WeChat team article on forced updates: only cold starts check; the current docs say hot starts check too, so set true to follow them",
            "微信团队文章《强制更新》：仅冷启动检查；现行文档称热启动也检查，如需遵循请设为 true",
        ),
        async_check_min_interval: sourced(SimDuration::ZERO, "WeChat docs: every cold start checks", "微信文档：每次冷启动都检查"),
        sync_failure: sourced(
            SyncFailure::Cached,
            "WeChat docs: a failed synchronous update opens the cached version",
            "微信文档：同步更新失败时打开本地缓存版本",
        ),
        continue_after_timeout: sourced(false, ESTIMATE_EN, ESTIMATE_ZH),
        phased_auto_complete: sourced(
            SimDuration::from_days(15),
            "WeChat console: a phased release completes automatically on day 15",
            "微信后台：分阶段发布第 15 天自动全量",
        ),
        minimum_required_attempts: sourced(5, ESTIMATE_EN, ESTIMATE_ZH),
        rollback_sync: sourced(false, "WeChat docs: a rollback spreads through the normal update path", "微信文档：回退版本通过正常更新流程生效"),
        allowed_rollout_percents: None,
        supports_minimum_required: true,
        rollback_depth: 5,
        rollbacks_per_release: usize::MAX,
        sync_check_on_cold_start: sourced(
            false,
            "WeChat docs: a cold start opens the cached package and checks asynchronously",
            "微信文档：冷启动先打开本地缓存包，再异步检查更新",
        ),
        skipped_critical: sourced(
            SkippedCritical::Ignore,
            "WeChat has no critical flag: the app's own rule decides, and each release keeps its own flag here",
            "微信没有关键版本标记，由小程序自行决定；此处每个版本只看自身的标记",
        ),
        on_device_rollback: sourced(
            false,
            "WeChat docs describe no on-device rollback of a package that fails to start",
            "微信文档未描述启动失败时在设备上回退代码包",
        ),
        default_action: sourced(
            "none",
            "without UpdateManager code the new version waits for the next cold start",
            "没有 UpdateManager 代码时，新版本等待下次冷启动",
        ),
    };
    let codepush = ProfileDefaults {
        keep_alive: sourced(
            DurationDist::Exponential {
                mean: SimDuration::from_hours(4),
            },
            "estimate: iOS and Android end background apps under memory pressure, with no published time",
            "估计值：iOS 和 Android 在内存紧张时结束后台应用，没有公开的时长",
        ),
        periodic_check_share: sourced(
            0.0,
            "CodePush and expo-updates docs: the app checks only while it runs (at launch or resume), never while it is closed",
            "CodePush 与 expo-updates 文档：只在应用运行时检查（启动或回到前台），应用关闭时不检查",
        ),
        periodic_check_interval: sourced(
            SimDuration::from_hours(24),
            "unused: there is no periodic check",
            "未使用：没有定时检查",
        ),
        update_manager_share: sourced(
            1.0,
            "the update SDK ships inside the app binary, so every client runs the app's update handler",
            "更新 SDK 随应用二进制发布，所有客户端都运行应用的更新处理代码",
        ),
        check_latency: sourced(DurationDist::Fixed(SimDuration(300)), ESTIMATE_EN, ESTIMATE_ZH),
        recently_used: sourced(
            SimDuration::from_days(7),
            "unused: there is no periodic check",
            "未使用：没有定时检查",
        ),
        long_unused: sourced(
            NEVER_WITHIN_A_RUN,
            "neither the CodePush nor the expo-updates docs describe a synchronous update after a long time unused",
            "CodePush 与 expo-updates 文档均未描述长时间未使用后的同步更新",
        ),
        sync_timeout: sourced(
            SimDuration(10_000),
            "unused unless a synchronous check is switched on: CodePush sync runs after the app has started",
            "仅在开启同步检查时使用：CodePush 的 sync 在应用启动后运行",
        ),
        check_on_hot_start: sourced(
            false,
            "CodePush docs: checkFrequency defaults to ON_APP_START; set true for ON_APP_RESUME",
            "CodePush 文档：checkFrequency 默认为 ON_APP_START；设为 true 表示 ON_APP_RESUME",
        ),
        async_check_min_interval: sourced(
            SimDuration::ZERO,
            "CodePush ON_APP_START and expo-updates checkAutomatically ALWAYS check at every launch",
            "CodePush 的 ON_APP_START 与 expo-updates 的 checkAutomatically ALWAYS 在每次启动时检查",
        ),
        sync_failure: sourced(
            SyncFailure::Cached,
            "CodePush and Expo docs: a failed check or download leaves the cached bundle in place",
            "CodePush 与 Expo 文档：检查或下载失败时继续使用缓存的包",
        ),
        continue_after_timeout: sourced(
            false,
            "unused: CodePush has no launch timeout",
            "未使用：CodePush 没有启动等待超时",
        ),
        phased_auto_complete: sourced(
            NEVER_WITHIN_A_RUN,
            "estimate: neither the CodePush nor the EAS Update docs describe an automatic completion of a rollout",
            "估计值：CodePush 与 EAS Update 文档均未描述灰度自动全量",
        ),
        minimum_required_attempts: sourced(5, ESTIMATE_EN, ESTIMATE_ZH),
        rollback_sync: sourced(
            false,
            "CodePush CLI docs: a rollback is a new release that spreads through the normal update path",
            "CodePush CLI 文档：回退是一次新的发布，通过正常更新流程生效",
        ),
        allowed_rollout_percents: None,
        supports_minimum_required: false,
        rollback_depth: usize::MAX,
        rollbacks_per_release: usize::MAX,
        sync_check_on_cold_start: sourced(
            false,
            "CodePush docs: sync checks after the app has started and never delays the launch",
            "CodePush 文档：sync 在应用启动后检查，不会推迟启动",
        ),
        skipped_critical: sourced(
            SkippedCritical::Inherit,
            "CodePush CLI docs: the server marks an update mandatory when a release the user skipped was mandatory",
            "CodePush CLI 文档：如果用户跳过的版本是强制更新，服务器会把之后的更新也标为强制",
        ),
        on_device_rollback: sourced(
            true,
            "CodePush docs: an update that does not reach notifyAppReady is rolled back at the next restart, and sync ignores it from then on",
            "CodePush 文档：未调用 notifyAppReady 的更新在下次重启时回退，之后 sync 会忽略它",
        ),
        default_action: sourced(
            "force_critical",
            "CodePush docs: installMode ON_NEXT_RESTART for optional updates, mandatoryInstallMode IMMEDIATE for mandatory ones",
            "CodePush 文档：可选更新 installMode 为 ON_NEXT_RESTART，强制更新 mandatoryInstallMode 为 IMMEDIATE",
        ),
    };
    match platform {
        Platform::Wechat => wechat,
        Platform::Wechat2019 => ProfileDefaults {
            keep_alive: sourced(
                DurationDist::Fixed(SimDuration::from_minutes(5)),
                "WeChat docs of 2019: destroyed after 5 min in the background",
                "2019 年微信文档：进入后台 5 分钟后销毁",
            ),
            periodic_check_share: sourced(
                0.95,
                "WeChat docs of 2019: clients 6.6.3 and later check periodically; share is an estimate for 2019",
                "2019 年微信文档：6.6.3 及以上客户端定时检查；比例为 2019 年的估计值",
            ),
            ..wechat
        },
        Platform::Alipay => ProfileDefaults {
            keep_alive: sourced(
                DurationDist::Fixed(SimDuration::from_minutes(5)),
                "Alipay docs: destroyed after 5 min in the background",
                "支付宝文档：进入后台 5 分钟后销毁",
            ),
            periodic_check_share: sourced(
                1.0,
                "Alipay docs: a synchronous check once a day",
                "支付宝文档：每天一次同步检查",
            ),
            async_check_min_interval: sourced(
                SimDuration::from_minutes(30),
                "Alipay docs: asynchronous check at most every 30 minutes",
                "支付宝文档：异步检查最多每 30 分钟一次",
            ),
            sync_failure: sourced(
                SyncFailure::Error,
                "Alipay docs: a failed synchronous check shows an error page",
                "支付宝文档：同步检查失败时显示错误页",
            ),
            allowed_rollout_percents: Some(&[10.0, 30.0, 50.0, 100.0]),
            supports_minimum_required: false,
            ..wechat
        },
        Platform::Douyin => ProfileDefaults {
            keep_alive: sourced(
                DurationDist::Fixed(SimDuration::from_minutes(5)),
                "Douyin docs: destroyed after 5 min in the background",
                "抖音文档：进入后台 5 分钟后销毁",
            ),
            periodic_check_share: sourced(
                0.0,
                "Douyin docs describe no periodic check",
                "抖音文档未描述定时检查",
            ),
            async_check_min_interval: sourced(
                SimDuration::from_minutes(30),
                "Douyin docs: the same asynchronous rule as Alipay, at most every 30 minutes",
                "抖音文档：与支付宝相同的异步规则，最多每 30 分钟一次",
            ),
            rollback_sync: sourced(
                true,
                "Douyin docs: a rollback takes effect within minutes",
                "抖音文档：回退在数分钟内生效",
            ),
            rollbacks_per_release: 1,
            ..wechat
        },
        Platform::Codepush => codepush,
        Platform::Expo => ProfileDefaults {
            sync_timeout: sourced(
                SimDuration::ZERO,
                "expo-updates docs: fallbackToCacheTimeout defaults to 0, so the launch does not wait",
                "expo-updates 文档：fallbackToCacheTimeout 默认为 0，启动不等待",
            ),
            check_on_hot_start: sourced(
                false,
                "expo-updates docs: checkAutomatically ALWAYS checks when the app launches, not when it resumes",
                "expo-updates 文档：checkAutomatically 为 ALWAYS 时在应用启动时检查，回到前台时不检查",
            ),
            continue_after_timeout: sourced(
                true,
                "Expo docs: after the timeout the cached version opens and the download goes on in the background",
                "Expo 文档：超时后打开缓存版本，下载在后台继续",
            ),
            sync_check_on_cold_start: sourced(
                true,
                "expo-updates docs: every launch checks and waits up to fallbackToCacheTimeout",
                "expo-updates 文档：每次启动都检查，并最多等待 fallbackToCacheTimeout",
            ),
            skipped_critical: sourced(
                SkippedCritical::Ignore,
                "expo-updates has no mandatory flag: the app's own rule decides",
                "expo-updates 没有强制更新标记，由应用自行决定",
            ),
            on_device_rollback: sourced(
                true,
                "Expo docs (error recovery): an update that fails before its first render is marked failed and not launched again",
                "Expo 文档（错误恢复）：首次渲染前失败的更新会被标记为失败，不再启动",
            ),
            default_action: sourced(
                "none",
                "expo-updates docs: a downloaded update is applied the next time the app is restarted",
                "expo-updates 文档：下载的更新在应用下次重启时生效",
            ),
            rollback_sync: sourced(
                false,
                "EAS Update docs: a rollback republishes an earlier update, which spreads through the normal update path",
                "EAS Update 文档：回退会重新发布较早的更新，通过正常更新流程生效",
            ),
            ..codepush
        },
    }
}
