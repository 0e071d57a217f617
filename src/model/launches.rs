//! When a user opens the mini-program: a non-homogeneous Poisson process
//! shaped by the daily profile, sessions and keep-alive times.
//!
//! Launches arrive at `launches_per_day × profile(local hour)` while the app
//! is not in the foreground; a visit lasts one session draw, and after it
//! the process stays alive for one keep-alive draw.
//!
//! With a segment's `burst` model the Poisson process drives episodes of
//! use instead of single visits. After each visit the episode continues
//! with probability `1 - 1 / mean_visits`, and then the next open follows
//! the close after one gap draw. Otherwise the next episode starts at the
//! Poisson clock's next arrival after the close. Real re-opens cluster
//! like this: about half follow the previous close within 5 minutes in the
//! shipped Android trace, which a plain Poisson process cannot produce.

use rand::Rng;
use rand_distr::{Distribution, Exp1};

use crate::scenario::dist::DurationSampler;
use crate::time::{ceil_to_i64, SimTime, MS_PER_DAY, MS_PER_HOUR};

/// One foreground visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Visit {
    /// The user brings the app to the foreground.
    pub open: SimTime,
    /// The user leaves it.
    pub close: SimTime,
    /// The process is destroyed at this instant unless reopened before.
    pub alive_until: SimTime,
}

/// Launch intensity of one segment, by local hour.
#[derive(Clone, Debug)]
pub struct LaunchClock {
    /// Launches per millisecond in each local hour.
    rate: [f64; 24],
    /// Launches per day, the integral of `rate` over a day.
    per_day: f64,
    /// Local milliseconds since midnight at t = 0.
    offset_ms: i64,
}

impl LaunchClock {
    /// Builds the clock from a mean daily rate, a profile with mean 1, and
    /// the local time of t = 0 in minutes since midnight.
    pub fn new(
        launches_per_day: f64,
        profile: &[f64; 24],
        start_minute_of_day: u32,
    ) -> LaunchClock {
        let mut rate = [0.0; 24];
        for (slot, weight) in rate.iter_mut().zip(profile) {
            *slot = launches_per_day * weight / MS_PER_DAY as f64;
        }
        let per_day = rate.iter().map(|r| r * MS_PER_HOUR as f64).sum();
        LaunchClock {
            rate,
            per_day,
            offset_ms: start_minute_of_day as i64 * 60_000,
        }
    }

    /// Launches per day.
    pub fn per_day(&self) -> f64 {
        self.per_day
    }

    /// Integrated intensity Λ(a, b) between two instants.
    pub fn integrated(&self, a: SimTime, b: SimTime) -> f64 {
        if b <= a {
            return 0.0;
        }
        let mut local = a.0 + self.offset_ms;
        let end = b.0 + self.offset_ms;
        let days = (end - local) / MS_PER_DAY;
        let mut total = days as f64 * self.per_day;
        local += days * MS_PER_DAY;
        while local < end {
            let hour = (local.rem_euclid(MS_PER_DAY) / MS_PER_HOUR) as usize;
            let boundary = (local.div_euclid(MS_PER_HOUR) + 1) * MS_PER_HOUR;
            let next = boundary.min(end);
            total += self.rate[hour] * (next - local) as f64;
            local = next;
        }
        total
    }

    /// Returns the instant after `t` at which the integrated intensity
    /// reaches `work` (an Exp(1) draw gives the next arrival), or
    /// `SimTime::NEVER` when the rate is zero.
    pub fn advance(&self, t: SimTime, mut work: f64) -> SimTime {
        if self.per_day <= 0.0 {
            return SimTime::NEVER;
        }
        let mut local = t.0 + self.offset_ms;
        let days = (work / self.per_day).floor();
        if days > 0.0 {
            if days > 1e5 {
                return SimTime::NEVER;
            }
            work -= days * self.per_day;
            local += days as i64 * MS_PER_DAY;
        }
        // The divisions are done once; later hours are whole, so their
        // capacity is the same product the first-hour formula would give.
        let mut hour = (local.rem_euclid(MS_PER_DAY) / MS_PER_HOUR) as usize;
        let mut boundary = (local.div_euclid(MS_PER_HOUR) + 1) * MS_PER_HOUR;
        loop {
            let rate = self.rate[hour];
            let capacity = rate * (boundary - local) as f64;
            if rate > 0.0 && work <= capacity {
                let step = ceil_to_i64(work / rate);
                return SimTime(local + step.max(1) - self.offset_ms);
            }
            work -= capacity;
            local = boundary;
            boundary += MS_PER_HOUR;
            hour = if hour == 23 { 0 } else { hour + 1 };
        }
    }

    /// Mirrors [`LaunchClock::advance`], returning the instant before `t` at
    /// which the intensity integrated backwards reaches `work`.
    pub fn retreat(&self, t: SimTime, mut work: f64) -> SimTime {
        if self.per_day <= 0.0 {
            return SimTime(i64::MIN / 4);
        }
        let mut local = t.0 + self.offset_ms;
        let days = (work / self.per_day).floor();
        if days > 0.0 {
            if days > 1e5 {
                return SimTime(i64::MIN / 4);
            }
            work -= days * self.per_day;
            local -= days as i64 * MS_PER_DAY;
        }
        // The hour that ends at `local` (exclusive), found once as in
        // `advance`.
        let mut hour = ((local - 1).rem_euclid(MS_PER_DAY) / MS_PER_HOUR) as usize;
        let mut boundary = (local - 1).div_euclid(MS_PER_HOUR) * MS_PER_HOUR;
        loop {
            let rate = self.rate[hour];
            let capacity = rate * (local - boundary) as f64;
            if rate > 0.0 && work <= capacity {
                let step = ceil_to_i64(work / rate);
                return SimTime(local - step.max(1) - self.offset_ms);
            }
            work -= capacity;
            local = boundary;
            boundary -= MS_PER_HOUR;
            hour = if hour == 0 { 23 } else { hour - 1 };
        }
    }
}

/// Episodes of use of a bursty segment, ready for sampling.
#[derive(Clone, Debug)]
pub struct BurstSampler {
    /// Probability that another visit of the same episode follows a visit.
    pub continue_probability: f64,
    /// Time from a close to the next open within an episode.
    pub gap: DurationSampler,
}

impl BurstSampler {
    /// Builds the sampler from the mean number of visits per episode (at
    /// least 1) and the gap distribution.
    pub fn new(mean_visits: f64, gap: DurationSampler) -> BurstSampler {
        BurstSampler {
            continue_probability: 1.0 - 1.0 / mean_visits.max(1.0),
            gap,
        }
    }
}

/// Draws the visits of one synthetic user into `out`.
///
/// The first visit is the user's last one before `start` when
/// `with_history` is set (an existing user: its last launch before t = 0
/// decides "recently used", "long unused" and whether the process is still
/// alive); then visits follow until `horizon`. With `burst`, `clock` is
/// the clock of episode starts (see the module documentation). Without it
/// the draws are the same as before bursts existed, so results of
/// scenarios without `burst` do not change.
#[allow(clippy::too_many_arguments)]
pub fn draw_visits<R: Rng + ?Sized>(
    rng: &mut R,
    clock: &LaunchClock,
    session: &DurationSampler,
    keep_alive: &DurationSampler,
    burst: Option<&BurstSampler>,
    start: SimTime,
    with_history: bool,
    first_open: Option<SimTime>,
    horizon: SimTime,
    out: &mut Vec<Visit>,
) {
    if let Some(burst) = burst {
        draw_bursty_visits(
            rng,
            clock,
            session,
            keep_alive,
            burst,
            start,
            with_history,
            first_open,
            horizon,
            out,
        );
        return;
    }
    out.clear();
    let visit = |rng: &mut R, open: SimTime| -> Visit {
        let close = SimTime(open.0 + session.sample_ms(rng).max(0));
        let alive_until = SimTime(close.0 + keep_alive.sample_ms(rng).max(0));
        Visit {
            open,
            close,
            alive_until,
        }
    };
    let mut cursor = start;
    if with_history {
        // By the reversibility of a Poisson process, the last arrival before
        // `start` lies an independent Exp(1) of integrated intensity back.
        let work: f64 = Exp1.sample(rng);
        let last = clock.retreat(start, work);
        if last.0 > i64::MIN / 8 {
            let v = visit(rng, last);
            cursor = if v.close > start { v.close } else { start };
            out.push(v);
        }
    }
    let mut next_open = match first_open {
        Some(open) => open,
        None => clock.advance(cursor, Exp1.sample(rng)),
    };
    while next_open < horizon {
        let v = visit(rng, next_open);
        out.push(v);
        let work: f64 = Exp1.sample(rng);
        next_open = clock.advance(v.close, work);
    }
}

/// [`draw_visits`] for a bursty segment.
#[allow(clippy::too_many_arguments)]
fn draw_bursty_visits<R: Rng + ?Sized>(
    rng: &mut R,
    clock: &LaunchClock,
    session: &DurationSampler,
    keep_alive: &DurationSampler,
    burst: &BurstSampler,
    start: SimTime,
    with_history: bool,
    first_open: Option<SimTime>,
    horizon: SimTime,
    out: &mut Vec<Visit>,
) {
    out.clear();
    let visit = |rng: &mut R, open: SimTime| -> Visit {
        let close = SimTime(open.0 + session.sample_ms(rng).max(0));
        let alive_until = SimTime(close.0 + keep_alive.sample_ms(rng).max(0));
        Visit {
            open,
            close,
            alive_until,
        }
    };
    // The open after a close: the same episode's next visit, or the start
    // of the next episode, which is never before `not_before`.
    let next_after = |rng: &mut R, close: SimTime, not_before: SimTime| -> SimTime {
        if rng.random::<f64>() < burst.continue_probability {
            SimTime(close.0 + burst.gap.sample_ms(rng).max(0))
        } else {
            clock.advance(close.max(not_before), Exp1.sample(rng))
        }
    };

    let mut resume_at = first_open;
    if with_history {
        // Episode starts form a Poisson process, so the last one before
        // `start` lies an Exp(1) of integrated intensity back. That episode
        // is played forward: its last visit before `start` is the history
        // visit, and its visits from `start` on belong to the run. When it
        // ends before `start`, the next episode starts after `start`,
        // because no episode starts in between.
        // NOTE: this treats episode starts as exactly Poisson; the clock
        // pauses during episodes, which this ignores, as the Poisson case
        // ignores sessions.
        let episode_start = clock.retreat(start, Exp1.sample(rng));
        if episode_start.0 > i64::MIN / 8 {
            let mut open = episode_start;
            let mut history = None;
            while open < start {
                let v = visit(rng, open);
                history = Some(v);
                open = next_after(rng, v.close, start);
            }
            if let Some(v) = history {
                out.push(v);
            }
            if first_open.is_none() {
                resume_at = Some(open);
            }
        }
    }
    let mut next_open = match resume_at {
        Some(open) => open,
        None => clock.advance(start, Exp1.sample(rng)),
    };
    while next_open < horizon {
        let v = visit(rng, next_open);
        out.push(v);
        next_open = next_after(rng, v.close, v.close);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{stream, Stream};
    use crate::scenario::dist::DurationDist;
    use crate::time::SimDuration;

    fn profile() -> [f64; 24] {
        let mut p = [1.0; 24];
        for (h, slot) in p.iter_mut().enumerate() {
            *slot = if (8..20).contains(&h) { 1.6 } else { 0.4 };
        }
        p
    }

    #[test]
    fn advance_inverts_integrated_intensity() {
        let clock = LaunchClock::new(3.0, &profile(), 10 * 60);
        for (t, work) in [(0, 0.2), (5_000_000, 1.7), (-7_000_000, 4.3)] {
            let a = SimTime(t);
            let b = clock.advance(a, work);
            let integrated = clock.integrated(a, b);
            assert!((integrated - work).abs() < 1e-6, "{integrated} vs {work}");
            let back = clock.retreat(b, work);
            assert!((back.0 - a.0).abs() <= 1, "{back:?} vs {a:?}");
        }
    }

    #[test]
    fn launch_count_matches_rate() {
        // Sessions of 1 ms make the launch process almost exactly Poisson:
        // the count over 10 days has mean 30 and variance 30 per user, so
        // over 2,000 users the mean's standard error is sqrt(30/2000) = 0.12.
        let clock = LaunchClock::new(3.0, &profile(), 0);
        let session = DurationDist::Fixed(SimDuration(1)).sampler();
        let keep_alive = DurationDist::Fixed(SimDuration(1)).sampler();
        let horizon = SimTime(10 * MS_PER_DAY);
        let mut visits = Vec::new();
        let mut total = 0usize;
        for user in 0..2_000 {
            let mut rng = stream(3, 0, user, Stream::Launches);
            draw_visits(
                &mut rng,
                &clock,
                &session,
                &keep_alive,
                None,
                SimTime::ZERO,
                false,
                None,
                horizon,
                &mut visits,
            );
            total += visits.len();
        }
        let mean = total as f64 / 2_000.0;
        assert!((mean - 30.0).abs() < 0.5, "mean launches {mean}");
    }

    /// Draws the visits of `users` bursty users with 1 ms sessions, a flat
    /// profile, 2 episodes per day of 3 visits on average and 30 s gaps.
    fn bursty_visits(users: u64, with_history: bool) -> Vec<Vec<Visit>> {
        let clock = LaunchClock::new(6.0 / 3.0, &[1.0; 24], 0);
        let session = DurationDist::Fixed(SimDuration(1)).sampler();
        let keep_alive = DurationDist::Fixed(SimDuration(1)).sampler();
        let burst = BurstSampler::new(3.0, DurationDist::Fixed(SimDuration(30_000)).sampler());
        let horizon = SimTime(10 * MS_PER_DAY);
        (0..users)
            .map(|user| {
                let mut rng = stream(5, 0, user, Stream::Launches);
                let mut visits = Vec::new();
                draw_visits(
                    &mut rng,
                    &clock,
                    &session,
                    &keep_alive,
                    Some(&burst),
                    SimTime::ZERO,
                    with_history,
                    None,
                    horizon,
                    &mut visits,
                );
                visits
            })
            .collect()
    }

    #[test]
    fn bursty_launch_count_matches_rate() {
        // Episodes are Poisson with mean 2 × 10 = 20 per user, and visits
        // per episode are geometric with mean 3 and variance 6, so a user's
        // count has mean 60 and variance 20 × (6 + 9) = 300. Over 2,000
        // users the mean's standard error is sqrt(300 / 2000) = 0.39; the
        // tolerance is 4 standard errors. Episodes last about 1 minute, which
        // pauses the clock for 0.14 % of the time: a bias of 0.08 launches.
        let users = bursty_visits(2_000, false);
        let total: usize = users.iter().map(Vec::len).sum();
        let mean = total as f64 / users.len() as f64;
        assert!((mean - 60.0).abs() < 1.6, "mean launches {mean}");
    }

    #[test]
    fn bursty_gaps_continue_episodes() {
        // After each visit the episode continues with probability 2/3, and
        // only those gaps are exactly 30 s long (an exponential gap of
        // exactly 30,000 ms has probability about 1e-8). Dividing by visits
        // rather than gaps counts the decision after each user's last visit
        // too. With about 120,000 visits the share's standard error is
        // 0.0014; the tolerance is 4 of them.
        let users = bursty_visits(2_000, false);
        let visits: usize = users.iter().map(Vec::len).sum();
        let mut burst_gaps = 0usize;
        for user in &users {
            for pair in user.windows(2) {
                if pair[1].open.0 - pair[0].close.0 == 30_000 {
                    burst_gaps += 1;
                }
            }
        }
        let share = burst_gaps as f64 / visits as f64;
        assert!((share - 2.0 / 3.0).abs() < 0.0056, "burst share {share}");
    }

    #[test]
    fn bursty_history_is_one_visit_before_start() {
        for visits in bursty_visits(500, true) {
            let before = visits.iter().filter(|v| v.open.0 < 0).count();
            assert!(before <= 1, "{before} visits before t = 0");
            if before == 1 {
                assert!(visits[0].open.0 < 0, "history visit is not first");
            }
            for pair in visits.windows(2) {
                assert!(pair[1].open >= pair[0].close, "overlapping visits");
            }
        }
    }
}
