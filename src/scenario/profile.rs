//! Platform profiles: the documented update behaviour of each super-app,
//! used as defaults for the `[client]` table.
//!
//! Each default carries its source, which `rollout-sim check` prints beside
//! the effective value. Values no vendor publishes are marked as estimates.

use crate::scenario::dist::DurationDist;
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
}

/// Every platform name a scenario may use.
pub const PLATFORM_NAMES: [&str; 4] = ["wechat", "wechat-2019", "alipay", "douyin"];

impl Platform {
    /// Parses a `client.platform` value.
    pub fn parse(name: &str) -> Option<Platform> {
        match name {
            "wechat" => Some(Platform::Wechat),
            "wechat-2019" => Some(Platform::Wechat2019),
            "alipay" => Some(Platform::Alipay),
            "douyin" => Some(Platform::Douyin),
            _ => None,
        }
    }

    /// The name as a scenario writes it.
    pub fn name(self) -> &'static str {
        match self {
            Platform::Wechat => "wechat",
            Platform::Wechat2019 => "wechat-2019",
            Platform::Alipay => "alipay",
            Platform::Douyin => "douyin",
        }
    }
}

/// What a cold start does when its synchronous update fails or times out.
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
    /// Where it comes from, in English and Chinese.
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
    /// What a failed synchronous update does.
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
}

const ESTIMATE_EN: &str = "estimate: not published by the vendor";
const ESTIMATE_ZH: &str = "估计值：平台未公开";

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
    }
}
