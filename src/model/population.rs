//! Who the users are: segment and network by exact proportion, per-user
//! traits from their own random stream, new-user arrivals, and the source
//! of launches (synthetic or a replayed trace). The host client, a stale
//! first launch and start failures come from a separate field stream.

use rand::Rng;
use rand_distr::{Distribution, Exp1};

use crate::engine::rng::{self, SimRng, Stream};
use crate::model::background_trips::{draw_background_trips, BackgroundTrip};
use crate::model::launches::{draw_visits, BurstSampler, LaunchClock, Visit};
use crate::model::user::UserTraits;
use crate::scenario::dist::DurationSampler;
use crate::scenario::{Scenario, StaleSource, UpdateReadyCallback};
use crate::time::{SimDuration, SimTime};

/// Splits `n` items into groups in exact proportion to `shares` by the
/// largest-remainder method; ties go to the earlier group.
pub fn allocate(n: u64, shares: &[f64]) -> Vec<u64> {
    let exact: Vec<f64> = shares.iter().map(|s| s * n as f64).collect();
    let mut counts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let assigned: u64 = counts.iter().sum();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        let fa = exact[a] - exact[a].floor();
        let fb = exact[b] - exact[b].floor();
        fb.partial_cmp(&fa)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    for &index in order.iter().take(n.saturating_sub(assigned) as usize) {
        counts[index] += 1;
    }
    counts
}

/// Group of item `index` given group sizes in order.
fn group_of(index: u64, counts: &[u64]) -> usize {
    let mut end = 0;
    for (group, count) in counts.iter().enumerate() {
        end += count;
        if index < end {
            return group;
        }
    }
    counts.len() - 1
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A fixed permutation of `0..m` that spreads consecutive indices, so that
/// networks are not correlated with the order of users within a segment.
fn spread(index: u64, m: u64) -> u64 {
    spread_with(index, m, spread_multiplier(m))
}

/// Returns the multiplier of [`spread`] for `m` items: the first number
/// from `0.618 m` on that is coprime with `m`, or 0 when `m <= 2`.
fn spread_multiplier(m: u64) -> u64 {
    if m <= 2 {
        return 0;
    }
    let mut multiplier = ((m as f64) * 0.618_033_988_75) as u64;
    while gcd(multiplier, m) != 1 {
        multiplier += 1;
    }
    multiplier
}

/// [`spread`] with its multiplier computed once per group.
#[inline]
fn spread_with(index: u64, m: u64, multiplier: u64) -> u64 {
    if m <= 2 {
        return index;
    }
    // index < m and multiplier < m, so below 2^32 the product fits in 64 bits.
    if m <= u32::MAX as u64 {
        return index * multiplier % m;
    }
    ((index as u128 * multiplier as u128) % m as u128) as u64
}

/// Per-segment samplers.
pub struct SegmentModel {
    /// Launch intensity by local hour; with `burst`, the intensity of
    /// episode starts.
    pub clock: LaunchClock,
    /// Session length sampler.
    pub session: DurationSampler,
    /// Keep-alive sampler.
    pub keep_alive: DurationSampler,
    /// Brief trips to the background: rate per foreground hour and duration.
    pub background_trips: Option<(f64, DurationSampler)>,
    /// Episodes of use, when the segment has a burst model.
    pub burst: Option<BurstSampler>,
}

/// Traits drawn from the user's field stream.
struct FieldTraits {
    host: usize,
    stale_first_launch: Option<StaleSource>,
    start_failures: u64,
}

/// Launch times of a replayed trace, relative to t = 0.
#[derive(Clone, Debug, Default)]
pub struct TraceLaunches {
    /// Per (user, app) pair: visits as (open, close), in time order.
    pub pairs: Vec<Vec<(SimTime, SimTime)>>,
}

impl TraceLaunches {
    /// Maps a read trace onto simulated time: `start_unix_ms` becomes t = 0.
    pub fn from_trace(trace: &crate::trace::Trace, start_unix_ms: i64) -> TraceLaunches {
        let pairs = trace
            .pairs
            .iter()
            .map(|pair| {
                pair.visits
                    .iter()
                    .map(|v| {
                        (
                            SimTime(v.open_ms - start_unix_ms),
                            SimTime(v.close_ms - start_unix_ms),
                        )
                    })
                    .collect()
            })
            .collect();
        TraceLaunches { pairs }
    }
}

/// Reads the scenario's launch source: the segments' Poisson model, or the
/// trace file it names.
///
/// # Errors
/// Returns the trace reader's error, with file, line, column and value.
pub fn load_launch_source(scenario: &Scenario) -> Result<LaunchSource, crate::trace::TraceError> {
    let Some(source) = &scenario.population.trace else {
        return Ok(LaunchSource::Synthetic);
    };
    let options = crate::trace::TraceOptions {
        apps: (!source.apps.is_empty()).then(|| source.apps.clone()),
        exclude_apps: source.exclude_apps.clone(),
        merge_gap_ms: source.merge_gap.0,
    };
    let trace = crate::trace::read_trace(&source.path, &options)?;
    Ok(LaunchSource::Trace(TraceLaunches::from_trace(
        &trace,
        source.start_unix_ms,
    )))
}

/// Source of launches.
pub enum LaunchSource {
    /// The segments' Poisson launch model.
    Synthetic,
    /// Replayed real launches.
    Trace(TraceLaunches),
}

/// One user, ready to simulate.
pub struct PlannedUser {
    /// Traits shared by every policy.
    pub traits: UserTraits,
    /// Segment index.
    pub segment: usize,
    /// Network index.
    pub network: usize,
}

/// Everything needed to create the users of one replication.
pub struct PopulationPlan<'a> {
    scenario: &'a Scenario,
    /// Existing users.
    pub existing: u64,
    segment_counts: Vec<u64>,
    network_counts: Vec<Vec<u64>>,
    /// [`spread_multiplier`] of each segment's existing users.
    spread_multipliers: Vec<u64>,
    /// Per-segment samplers.
    pub segments: Vec<SegmentModel>,
    source: &'a LaunchSource,
    seed: u64,
    /// Upper ends of the hosts' cumulative shares, in host order.
    host_share_ends: Vec<f64>,
    /// Keep-alive samplers of hosts that replace the segment's.
    host_keep_alive: Vec<Option<DurationSampler>>,
    /// Whether any field trait is in use, so the field stream is drawn.
    uses_field_stream: bool,
}

impl<'a> PopulationPlan<'a> {
    /// Prepares the plan for `existing` users.
    pub fn new(
        scenario: &'a Scenario,
        existing: u64,
        seed: u64,
        source: &'a LaunchSource,
    ) -> PopulationPlan<'a> {
        let population = &scenario.population;
        let segment_shares: Vec<f64> = population.segments.iter().map(|s| s.share).collect();
        let segment_counts = allocate(existing, &segment_shares);
        let network_shares: Vec<f64> = scenario.networks.iter().map(|n| n.share).collect();
        let network_counts = segment_counts
            .iter()
            .map(|&m| allocate(m, &network_shares))
            .collect();
        let segments = population
            .segments
            .iter()
            .map(|s| {
                // With bursts, `launches_per_day` counts visits, and each
                // episode brings `mean_visits` of them on average.
                let episodes_per_day = match &s.burst {
                    Some(burst) => s.launches_per_day / burst.mean_visits,
                    None => s.launches_per_day,
                };
                SegmentModel {
                    clock: LaunchClock::new(
                        episodes_per_day,
                        &population.daily_profile,
                        population.start_minute_of_day,
                    ),
                    session: s.session.sampler(),
                    keep_alive: s.keep_alive.sampler(),
                    background_trips: s
                        .brief_background
                        .as_ref()
                        .map(|b| (b.per_hour, b.duration.sampler())),
                    burst: s
                        .burst
                        .as_ref()
                        .map(|burst| BurstSampler::new(burst.mean_visits, burst.gap.sampler())),
                }
            })
            .collect();
        let mut end = 0.0;
        let host_share_ends = scenario
            .hosts
            .iter()
            .map(|host| {
                end += host.share;
                end
            })
            .collect();
        let host_keep_alive = scenario
            .hosts
            .iter()
            .map(|host| host.keep_alive.as_ref().map(|k| k.sampler()))
            .collect();
        let uses_field_stream = !scenario.hosts.is_empty()
            || population.stale_first_launch.is_some()
            || scenario.releases.iter().any(|r| r.start_failure > 0.0);
        PopulationPlan {
            scenario,
            existing,
            spread_multipliers: segment_counts
                .iter()
                .map(|&m| spread_multiplier(m))
                .collect(),
            segment_counts,
            network_counts,
            segments,
            source,
            seed,
            host_share_ends,
            host_keep_alive,
            uses_field_stream,
        }
    }

    /// Arrival times of new users in one replication, in time order.
    pub fn new_user_arrivals(&self, replication: u32) -> Vec<SimTime> {
        let population = &self.scenario.population;
        if population.new_users_per_day <= 0.0 {
            return Vec::new();
        }
        let clock = LaunchClock::new(
            population.new_users_per_day,
            &population.daily_profile,
            population.start_minute_of_day,
        );
        let mut rng = rng::stream(self.seed, replication, u64::MAX, Stream::Replication);
        let horizon = SimTime::ZERO + self.scenario.run.horizon;
        let mut arrivals = Vec::new();
        let mut t = SimTime::ZERO;
        loop {
            let work: f64 = Exp1.sample(&mut rng);
            t = clock.advance(t, work);
            if t >= horizon {
                return arrivals;
            }
            arrivals.push(t);
        }
    }

    /// Creates user `index` of a replication; indices from `existing` on are
    /// new users, `arrivals` giving their first launches.
    pub fn user(
        &self,
        replication: u32,
        index: u64,
        arrivals: &[SimTime],
        traits_rng: &mut SimRng,
    ) -> PlannedUser {
        let client = &self.scenario.client;
        let (segment, network, present_from, is_new) = if index < self.existing {
            let segment = group_of(index, &self.segment_counts);
            let first: u64 = self.segment_counts[..segment].iter().sum();
            let within = index - first;
            let m = self.segment_counts[segment];
            let spread = spread_with(within, m, self.spread_multipliers[segment]);
            let network = group_of(spread, &self.network_counts[segment]);
            (segment, network, SimTime::ZERO, false)
        } else {
            let new_index = index - self.existing;
            let total = arrivals.len() as u64;
            let shares: Vec<f64> = self
                .scenario
                .population
                .segments
                .iter()
                .map(|s| s.share)
                .collect();
            let counts = allocate(total, &shares);
            let segment = group_of(new_index, &counts);
            let first: u64 = counts[..segment].iter().sum();
            let net_shares: Vec<f64> = self.scenario.networks.iter().map(|n| n.share).collect();
            let m = counts[segment];
            let network = group_of(spread(new_index - first, m), &allocate(m, &net_shares));
            (segment, network, arrivals[new_index as usize], true)
        };
        let bucket = traits_rng.random::<f64>() * 100.0;
        let periodic_draw: f64 = traits_rng.random();
        let update_manager_draw: f64 = traits_rng.random();
        let periodic_phase =
            SimDuration(traits_rng.random_range(0..client.periodic_check_interval.0.max(1)));
        let field = self.field_traits(replication, index, is_new);
        let host = self.scenario.hosts.get(field.host);
        let periodic_check_share =
            host.map_or(client.periodic_check_share, |h| h.periodic_check_share);
        let update_manager_share =
            host.map_or(client.update_manager_share, |h| h.update_manager_share);
        PlannedUser {
            traits: UserTraits {
                bucket,
                periodic_check: periodic_draw < periodic_check_share,
                periodic_phase,
                update_manager: update_manager_draw < update_manager_share,
                present_from,
                is_new,
                host: field.host as u16,
                apply_update_restarts: host.is_none_or(|h| h.apply_update_restarts),
                update_ready_callback: host
                    .map_or(UpdateReadyCallback::Once, |h| h.update_ready_callback),
                stale_first_launch: field.stale_first_launch,
                start_failures: field.start_failures,
            },
            segment,
            network,
        }
    }

    /// Draws the traits of the field mechanisms from the user's own stream,
    /// or returns the neutral ones without drawing when none is in use.
    fn field_traits(&self, replication: u32, index: u64, is_new: bool) -> FieldTraits {
        let mut traits = FieldTraits {
            host: 0,
            stale_first_launch: None,
            start_failures: 0,
        };
        if !self.uses_field_stream {
            return traits;
        }
        let mut rng = rng::stream(self.seed, replication, index, Stream::Field);
        // Every draw happens whether or not its mechanism is on, so turning
        // one on does not change the draws of another.
        let host_draw: f64 = rng.random();
        let stale_draw: f64 = rng.random();
        traits.host = self
            .host_share_ends
            .iter()
            .position(|&end| host_draw < end)
            .unwrap_or(self.host_share_ends.len().saturating_sub(1));
        traits.stale_first_launch = self
            .scenario
            .population
            .stale_first_launch
            .as_ref()
            .filter(|stale| is_new && stale_draw < stale.share)
            .map(|stale| stale.source);
        for release in &self.scenario.releases[1..] {
            let draw: f64 = rng.random();
            if draw < release.start_failure {
                traits.start_failures |= 1u64 << release.package;
            }
        }
        traits
    }

    /// Draws the brief trips to the background inside a user's visits into
    /// `out` (none when the user's segment has none).
    pub fn background_trips(
        &self,
        user: &PlannedUser,
        replication: u32,
        index: u64,
        visits: &[Visit],
        out: &mut Vec<BackgroundTrip>,
    ) {
        out.clear();
        let Some((per_hour, duration)) = &self.segments[user.segment].background_trips else {
            return;
        };
        let mut rng = rng::stream(self.seed, replication, index, Stream::BackgroundTrips);
        draw_background_trips(&mut rng, visits, *per_hour, duration, out);
    }

    /// Draws the visits of a user into `out`.
    pub fn visits(
        &self,
        user: &PlannedUser,
        index: u64,
        launch_rng: &mut SimRng,
        traits_rng: &mut SimRng,
        out: &mut Vec<Visit>,
    ) {
        let model = &self.segments[user.segment];
        let horizon = SimTime::ZERO + self.scenario.run.horizon;
        // A host with its own keep-alive (a desktop client) replaces the segment's.
        let keep_alive = self
            .host_keep_alive
            .get(user.traits.host as usize)
            .and_then(Option::as_ref)
            .unwrap_or(&model.keep_alive);
        match self.source {
            LaunchSource::Synthetic => {
                let first_open = user.traits.is_new.then_some(user.traits.present_from);
                draw_visits(
                    launch_rng,
                    &model.clock,
                    &model.session,
                    keep_alive,
                    model.burst.as_ref(),
                    SimTime::ZERO,
                    !user.traits.is_new,
                    first_open,
                    horizon,
                    out,
                );
            }
            LaunchSource::Trace(trace) => {
                out.clear();
                let pairs = trace.pairs.len() as u64;
                if pairs == 0 {
                    return;
                }
                let pair = if self.existing == pairs {
                    index
                } else {
                    traits_rng.random_range(0..pairs)
                };
                let visits = &trace.pairs[pair as usize];
                // Only the last visit before t = 0 matters for the start state.
                let first = visits
                    .partition_point(|(open, _)| open.0 < 0)
                    .saturating_sub(1);
                for &(open, close) in &visits[first..] {
                    if open >= horizon {
                        break;
                    }
                    let alive_until = close + SimDuration(keep_alive.sample_ms(launch_rng));
                    out.push(Visit {
                        open,
                        close,
                        alive_until,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_is_exact() {
        assert_eq!(allocate(10, &[0.6, 0.35, 0.05]), [6, 4, 0]);
        assert_eq!(allocate(100, &[0.6, 0.35, 0.05]), [60, 35, 5]);
        assert_eq!(allocate(7, &[0.5, 0.5]), [4, 3]);
        assert_eq!(allocate(0, &[1.0]), [0]);
    }

    #[test]
    fn spread_is_a_permutation() {
        for m in [1u64, 2, 3, 10, 97, 1000] {
            let mut seen: Vec<u64> = (0..m).map(|i| spread(i, m)).collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..m).collect::<Vec<_>>(), "m = {m}");
        }
    }
}
