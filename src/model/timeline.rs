//! One user's timeline as the model played it out, for `rollout-sim
//! explain`.
//!
//! [`simulate_user`](crate::model::user::simulate_user) appends a
//! [`TimelineEvent`] at each step when it is given a log, and writes nothing
//! extra when it is not. Package ids index `Scenario::versions`.

use crate::time::{SimDuration, SimTime};

/// One step of a user's timeline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimelineEvent {
    /// Simulated time of the step.
    pub at: SimTime,
    /// What happened.
    pub kind: TimelineKind,
}

/// Outcome of a synchronous update at a cold start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncResult {
    /// The check found nothing newer than the cached package.
    UpToDate,
    /// The package was downloaded before the app opened.
    Updated,
    /// The download failed; the app opens the cached package, or shows an
    /// error page where the platform does so.
    Failed,
    /// The download was slower than the synchronous timeout.
    TimedOut,
    /// Below the minimum required version every attempt failed, so the app
    /// could not open.
    Blocked,
}

/// What happened at one step of a user's timeline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TimelineKind {
    /// The last launch before t = 0. It sets the state the run starts from
    /// and is not counted.
    LaunchBeforeStart {
        /// Package the launch ran.
        package: usize,
    },
    /// A cold start: the process was not alive. `None`: the launch showed
    /// an error page and ran no version.
    ColdStart {
        /// Package the launch ran.
        package: Option<usize>,
    },
    /// A hot start: the process was alive in the background.
    HotStart {
        /// Package the launch ran.
        package: usize,
    },
    /// A new user's first launch, which downloads the newest eligible
    /// version before it opens.
    FirstInstall {
        /// Package installed.
        package: usize,
    },
    /// The synchronous update of a cold start.
    SyncUpdate {
        /// Package the update was for (the cached one when up to date).
        package: usize,
        /// How it ended.
        result: SyncResult,
        /// Start-up delay the user waited, check latency included.
        waited: SimDuration,
        /// Download attempts made (0 when up to date).
        attempts: u32,
    },
    /// An asynchronous update check was sent.
    CheckStarted,
    /// An asynchronous check returned; `offered` is the newer package the
    /// user is eligible for, if any.
    CheckDone {
        /// Newer package offered.
        offered: Option<usize>,
    },
    /// A background download started.
    DownloadStarted {
        /// Package being downloaded.
        package: usize,
    },
    /// A background download ended.
    DownloadFinished {
        /// Package downloaded.
        package: usize,
        /// Whether it completed.
        ok: bool,
        /// Bytes received, partial bytes of a failed download included.
        bytes: u64,
    },
    /// The client's periodic check ran; `found` marks a newer eligible
    /// package, which makes the next cold start update synchronously.
    PeriodicCheck {
        /// Whether a newer package was found.
        found: bool,
    },
    /// `onUpdateReady` ran in the app.
    UpdateReady {
        /// The downloaded package.
        package: usize,
        /// It fired in the background and ran at this resume.
        deferred: bool,
    },
    /// The user answered the update prompt.
    PromptAnswered {
        /// Whether the user accepted the restart.
        accepted: bool,
    },
    /// `applyUpdate()` restarted the mini-program on a new package.
    Restart {
        /// Package the session runs after the restart.
        package: usize,
        /// The restart happened at a resume, not during a session.
        at_resume: bool,
    },
    /// An update check that failed in a server outage; `periodic` marks the
    /// client's periodic check.
    CheckFailed {
        /// The check was the client's periodic check.
        periodic: bool,
    },
    /// An `applyUpdate()` call that the host ignored.
    ApplyIgnored,
    /// An `on_suspend` restart in the background, so that the next resume
    /// shows the new package.
    SuspendRestart {
        /// Package the process runs after the restart.
        package: usize,
    },
    /// A brief trip to the background inside a visit (a system dialog, a
    /// payment page); the process stays alive.
    BriefBackground,
    /// The return from a brief trip to the background.
    BriefReturn,
    /// The app went to the background.
    Close {
        /// The process is destroyed at this time unless the user returns.
        alive_until: SimTime,
    },
}

impl TimelineKind {
    /// Returns the package a counted launch ran: cold and hot starts that
    /// opened a version. A new user's first launch is such a cold start.
    pub fn launched_package(&self) -> Option<usize> {
        match *self {
            TimelineKind::ColdStart { package } => package,
            TimelineKind::HotStart { package } => Some(package),
            _ => None,
        }
    }
}
