//! Server outages in time: while one is on, update checks or downloads
//! started then fail with its probability, for every user at once. These
//! correlated failures flatten the coverage curves in a way that
//! independent per-request failures never do.

use crate::scenario::Outage;
use crate::time::SimTime;

/// The outages of a scenario, ready for lookups by time.
#[derive(Clone, Debug, Default)]
pub struct OutageWindows {
    windows: Vec<Outage>,
}

impl OutageWindows {
    /// Prepares the lookups.
    pub fn new(outages: &[Outage]) -> OutageWindows {
        OutageWindows {
            windows: outages.to_vec(),
        }
    }

    /// Probability that an update check started at `t` fails because of an
    /// outage (0 outside every outage). Overlapping outages fail a request
    /// independently of each other.
    #[inline]
    pub fn check_failure(&self, t: SimTime) -> f64 {
        self.failure(t, |outage| outage.checks)
    }

    /// Probability that a download started at `t` fails because of an
    /// outage (0 outside every outage).
    #[inline]
    pub fn download_failure(&self, t: SimTime) -> f64 {
        self.failure(t, |outage| outage.downloads)
    }

    fn failure(&self, t: SimTime, affects: impl Fn(&Outage) -> bool) -> f64 {
        let mut survive = 1.0;
        let mut any = false;
        for outage in &self.windows {
            if outage.from <= t && t < outage.until && affects(outage) {
                survive *= 1.0 - outage.failure;
                any = true;
            }
        }
        if any {
            1.0 - survive
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outage(from_h: i64, until_h: i64, checks: bool, downloads: bool, failure: f64) -> Outage {
        Outage {
            name: "test".into(),
            from: SimTime(from_h * 3_600_000),
            until: SimTime(until_h * 3_600_000),
            checks,
            downloads,
            failure,
        }
    }

    #[test]
    fn failure_applies_inside_window_only() {
        let windows = OutageWindows::new(&[outage(2, 4, false, true, 0.5)]);
        assert_eq!(windows.download_failure(SimTime(3_600_000)), 0.0);
        assert_eq!(windows.download_failure(SimTime(2 * 3_600_000)), 0.5);
        assert_eq!(windows.download_failure(SimTime(4 * 3_600_000)), 0.0);
        assert_eq!(windows.check_failure(SimTime(3 * 3_600_000)), 0.0);
    }

    #[test]
    fn overlapping_outages_combine_independently() {
        let windows = OutageWindows::new(&[
            outage(0, 10, true, true, 0.5),
            outage(5, 10, true, false, 0.5),
        ]);
        let t = SimTime(6 * 3_600_000);
        assert!((windows.check_failure(t) - 0.75).abs() < 1e-12);
        assert!((windows.download_failure(t) - 0.5).abs() < 1e-12);
    }
}
