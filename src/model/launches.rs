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
///
/// Launch times come from inverting the integrated intensity. The clock
/// keeps the intensity integrated from local midnight to the start of each
/// hour, so an inversion finds its day by one multiplication and its hour by a
/// search over the 24 hour ends, however far the next launch lies.
#[derive(Clone, Debug)]
pub struct LaunchClock {
    /// Launches per millisecond in each local hour.
    rate: [f64; 24],
    /// `cumulative[h]`: launches expected from local midnight to the start
    /// of hour `h`; `cumulative[24]` is the launches per day.
    cumulative: [f64; 25],
    /// `hour_ends[h]`: launches expected from midnight to the end of hour
    /// `h`, padded with infinities to 32 entries for a branchless search.
    hour_ends: [f64; 32],
    /// Milliseconds per launch in each local hour (the reciprocal of
    /// `rate`), or 0 where the rate is 0, so an inversion multiplies.
    ms_per_launch: [f64; 24],
    /// Days per launch: the reciprocal of `cumulative[24]`.
    days_per_launch: f64,
    /// Local milliseconds since midnight at t = 0.
    offset_ms: i64,
}

/// A position on the clock: local day, hour and the expected launches from
/// that day's midnight.
struct DayPosition {
    /// Local milliseconds of the day's midnight.
    midnight: i64,
    /// Expected launches from midnight to the position.
    work: f64,
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
        let mut cumulative = [0.0; 25];
        for hour in 0..24 {
            cumulative[hour + 1] = cumulative[hour] + rate[hour] * MS_PER_HOUR as f64;
        }
        let ms_per_launch = rate.map(|r| if r > 0.0 { 1.0 / r } else { 0.0 });
        let per_day = cumulative[24];
        let mut hour_ends = [f64::INFINITY; 32];
        hour_ends[..24].copy_from_slice(&cumulative[1..]);
        LaunchClock {
            rate,
            cumulative,
            hour_ends,
            ms_per_launch,
            days_per_launch: if per_day > 0.0 { 1.0 / per_day } else { 0.0 },
            offset_ms: start_minute_of_day as i64 * 60_000,
        }
    }

    /// Launches per day.
    pub fn per_day(&self) -> f64 {
        self.cumulative[24]
    }

    /// Integrated intensity Λ(a, b) between two instants.
    pub fn integrated(&self, a: SimTime, b: SimTime) -> f64 {
        if b <= a {
            return 0.0;
        }
        let from = self.position(a.0 + self.offset_ms);
        let to = self.position(b.0 + self.offset_ms);
        let days = (to.midnight - from.midnight) / MS_PER_DAY;
        days as f64 * self.per_day() + to.work - from.work
    }

    /// Returns the day of local instant `local` and the work done in it so far.
    #[inline]
    fn position(&self, local: i64) -> DayPosition {
        let into_day = local.rem_euclid(MS_PER_DAY);
        let hour = (into_day / MS_PER_HOUR) as usize;
        let into_hour = into_day - hour as i64 * MS_PER_HOUR;
        DayPosition {
            midnight: local - into_day,
            work: self.cumulative[hour] + self.rate[hour] * into_hour as f64,
        }
    }

    // NOTE: the offset inside an hour comes from subtracting two sums of a
    // day's work, so its rounding error is about 1e-16 of a day's launches
    // divided by the hour's rate. It stays below 1 ms unless an hour's
    // profile weight is under about 1e-6 of the day's.

    /// Returns the hour in which the work done since midnight reaches `work`, for
    /// `0 <= work < per_day`: the first hour whose end lies beyond `work`.
    /// Such an hour has a positive rate.
    #[inline]
    fn hour_of(&self, work: f64) -> usize {
        // The number of hours that end at or before `work`, by a binary
        // search whose steps compile to conditional moves.
        let mut hour = 0;
        for step in [16, 8, 4, 2, 1] {
            if self.hour_ends[hour + step - 1] <= work {
                hour += step;
            }
        }
        hour.min(23)
    }

    /// Splits `work` counted from some midnight into whole days, starting
    /// from the estimate `days`, and the work left in the last day, which
    /// lies in `[0, per_day)` whatever the rounding of the estimate.
    #[inline]
    fn split_days(&self, mut days: i64, work: f64) -> (i64, f64) {
        let per_day = self.per_day();
        let mut rest = work - days as f64 * per_day;
        if rest >= per_day {
            days += 1;
            rest -= per_day;
        } else if rest < 0.0 {
            days -= 1;
            rest += per_day;
        }
        (days, rest.clamp(0.0, per_day * (1.0 - f64::EPSILON)))
    }

    /// Returns whether `work` spans more than 100,000 days, so that the
    /// arrival is treated as never (about 274 years).
    #[inline]
    fn beyond_reach(&self, work: f64) -> bool {
        // The same bound as `floor(work / per_day) > 1e5`.
        work * self.days_per_launch >= 100_001.0
    }

    /// Returns the instant after `t` at which the integrated intensity
    /// reaches `work` (an Exp(1) draw gives the next arrival), or
    /// `SimTime::NEVER` when the rate is zero.
    pub fn advance(&self, t: SimTime, work: f64) -> SimTime {
        let per_day = self.per_day();
        if per_day <= 0.0 {
            return SimTime::NEVER;
        }
        if self.beyond_reach(work) {
            return SimTime::NEVER;
        }
        let local = t.0 + self.offset_ms;
        let from = self.position(local);
        let target = from.work + work;
        // `target` is not negative, so truncation is the floor;
        // `split_days` corrects the estimate where the product rounds.
        let (days, rest) = self.split_days((target * self.days_per_launch) as i64, target);
        let hour = self.hour_of(rest);
        let within = ceil_to_i64((rest - self.cumulative[hour]) * self.ms_per_launch[hour])
            .clamp(0, MS_PER_HOUR);
        let arrival = from.midnight + days * MS_PER_DAY + hour as i64 * MS_PER_HOUR + within;
        SimTime(arrival.max(local + 1) - self.offset_ms)
    }

    /// Mirrors [`LaunchClock::advance`], returning the instant before `t` at
    /// which the intensity integrated backwards reaches `work`.
    pub fn retreat(&self, t: SimTime, work: f64) -> SimTime {
        let per_day = self.per_day();
        if per_day <= 0.0 {
            return SimTime(i64::MIN / 4);
        }
        if self.beyond_reach(work) {
            return SimTime(i64::MIN / 4);
        }
        let local = t.0 + self.offset_ms;
        let from = self.position(local);
        // Days back from `from`'s midnight, then the work from the midnight
        // of the arrival's day to the arrival.
        let back = (work - from.work) * self.days_per_launch;
        let days = if back > 0.0 { ceil_to_i64(back) } else { 0 };
        let (days, rest) = self.split_days(-days, from.work - work);
        let hour = self.hour_of(rest);
        let within = (((rest - self.cumulative[hour]) * self.ms_per_launch[hour]) as i64)
            .clamp(0, MS_PER_HOUR);
        let arrival = from.midnight + days * MS_PER_DAY + hour as i64 * MS_PER_HOUR + within;
        SimTime(arrival.min(local - 1) - self.offset_ms)
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

    /// Integrates the intensity hour by hour over `[a, b)`, independently of
    /// the clock's table.
    fn walked(profile: &[f64; 24], per_day: f64, offset_ms: i64, a: i64, b: i64) -> f64 {
        let mut total = 0.0;
        let mut local = a + offset_ms;
        let end = b + offset_ms;
        while local < end {
            let hour = (local.rem_euclid(MS_PER_DAY) / MS_PER_HOUR) as usize;
            let next = ((local.div_euclid(MS_PER_HOUR) + 1) * MS_PER_HOUR).min(end);
            total += per_day * profile[hour] / MS_PER_DAY as f64 * (next - local) as f64;
            local = next;
        }
        total
    }

    #[test]
    fn inversion_hits_first_millisecond() {
        // A profile with silent hours at both ends of the day and inside it,
        // so arrivals must skip them.
        let mut profile = profile();
        for hour in [0, 1, 2, 13, 23] {
            profile[hour] = 0.0;
        }
        let per_day = 0.7;
        let offset_minutes = 17 * 60 + 5;
        let offset_ms = offset_minutes as i64 * 60_000;
        let clock = LaunchClock::new(per_day, &profile, offset_minutes);
        let mut rng = stream(11, 0, 0, Stream::Launches);
        for _ in 0..20_000 {
            let t = rng.random_range(-30 * MS_PER_DAY..30 * MS_PER_DAY);
            let draw: f64 = Exp1.sample(&mut rng);
            let work = draw * 3.0;
            let walk = |a: i64, b: i64| walked(&profile, per_day, offset_ms, a, b);
            // One millisecond of the busiest hour is worth this much work.
            let slack = per_day * 1.6 / MS_PER_DAY as f64 + 1e-9;

            let next = clock.advance(SimTime(t), work).0;
            assert!(next > t);
            assert!(
                walk(t, next) >= work - 1e-9,
                "advance({t}, {work}) = {next} is early"
            );
            assert!(
                walk(t, next - 1) < work + slack,
                "advance({t}, {work}) = {next} is late"
            );
            let silent = profile
                [((next - 1 + offset_ms).rem_euclid(MS_PER_DAY) / MS_PER_HOUR) as usize]
                == 0.0;
            assert!(
                !silent,
                "advance({t}, {work}) = {next} ends in a silent hour"
            );

            let last = clock.retreat(SimTime(t), work).0;
            assert!(last < t);
            assert!(
                walk(last, t) >= work - 1e-9,
                "retreat({t}, {work}) = {last} is late"
            );
            assert!(
                walk(last + 1, t) < work + slack,
                "retreat({t}, {work}) = {last} is early"
            );
        }
    }

    #[test]
    fn subnormal_hour_stays_in_bounds() {
        // The rate of hour 0 is subnormal, so its reciprocal is infinite.
        let mut profile = [1.0; 24];
        profile[0] = 1e-303;
        let clock = LaunchClock::new(1.0, &profile, 0);
        let next = clock.advance(SimTime::ZERO, 1e-306);
        assert!(next > SimTime::ZERO, "{next:?}");
        assert!(next.0 <= MS_PER_HOUR, "{next:?}");
        let last = clock.retreat(SimTime(MS_PER_HOUR), 1e-306);
        assert!(last.0 < MS_PER_HOUR, "{last:?}");
        assert!(last.0 >= 0, "{last:?}");
    }

    #[test]
    fn far_arrivals_are_never() {
        let clock = LaunchClock::new(0.001, &[1.0; 24], 0);
        // 100,001 days of work at 0.001 launches a day is 100.001.
        assert_eq!(clock.advance(SimTime::ZERO, 100.001), SimTime::NEVER);
        assert_eq!(clock.retreat(SimTime::ZERO, 100.001), SimTime(i64::MIN / 4));
        assert!(clock.advance(SimTime::ZERO, 99.0) < SimTime::NEVER);
    }

    #[test]
    fn hour_search_matches_count() {
        let mut sparse = profile();
        for hour in [0, 1, 2, 13, 23] {
            sparse[hour] = 0.0;
        }
        let mut peaked = [0.001; 24];
        peaked[20] = 23.9;
        for profile in [profile(), sparse, peaked, [1.0; 24]] {
            let clock = LaunchClock::new(2.5, &profile, 0);
            let per_day = clock.per_day();
            let mut works: Vec<f64> = (0..=1_000).map(|i| per_day * i as f64 / 1_000.0).collect();
            for edge in clock.cumulative {
                works.extend([edge, edge.next_down(), edge.next_up()]);
            }
            for work in works.into_iter().filter(|w| (0.0..per_day).contains(w)) {
                let counted = clock.cumulative[1..]
                    .iter()
                    .filter(|&&end| end <= work)
                    .count();
                assert_eq!(clock.hour_of(work), counted.min(23), "work {work}");
            }
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
