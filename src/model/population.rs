//! Who the users are: segment and network by exact proportion, per-user
//! traits from their own random stream, new-user arrivals, and the source
//! of launches (synthetic or a replayed trace).

use rand::Rng;
use rand_distr::{Distribution, Exp1};

use crate::engine::rng::{self, SimRng, Stream};
use crate::model::launches::{draw_visits, BurstSampler, LaunchClock, Visit};
use crate::model::user::UserTraits;
use crate::scenario::dist::DurationSampler;
use crate::scenario::Scenario;
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
    if m <= 2 {
        return index;
    }
    let mut multiplier = ((m as f64) * 0.618_033_988_75) as u64;
    while gcd(multiplier, m) != 1 {
        multiplier += 1;
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
    /// Episodes of use, when the segment has a burst model.
    pub burst: Option<BurstSampler>,
}

/// Launch times of a replayed trace, relative to t = 0.
#[derive(Clone, Debug, Default)]
pub struct TraceLaunches {
    /// Per (user, app) pair: visits as (open, close), in time order.
    pub pairs: Vec<Vec<(SimTime, SimTime)>>,
}

/// Where launches come from.
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
    /// Per-segment samplers.
    pub segments: Vec<SegmentModel>,
    source: &'a LaunchSource,
    seed: u64,
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
                    burst: s
                        .burst
                        .as_ref()
                        .map(|burst| BurstSampler::new(burst.mean_visits, burst.gap.sampler())),
                }
            })
            .collect();
        PopulationPlan {
            scenario,
            existing,
            segment_counts,
            network_counts,
            segments,
            source,
            seed,
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
            let network = group_of(spread(within, m), &self.network_counts[segment]);
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
        let _ = replication;
        let bucket = traits_rng.random::<f64>() * 100.0;
        let periodic_check = traits_rng.random::<f64>() < client.periodic_check_share;
        let update_manager = traits_rng.random::<f64>() < client.update_manager_share;
        let periodic_phase =
            SimDuration(traits_rng.random_range(0..client.periodic_check_interval.0.max(1)));
        PlannedUser {
            traits: UserTraits {
                bucket,
                periodic_check,
                periodic_phase,
                update_manager,
                present_from,
                is_new,
            },
            segment,
            network,
        }
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
        match self.source {
            LaunchSource::Synthetic => {
                let first_open = user.traits.is_new.then_some(user.traits.present_from);
                draw_visits(
                    launch_rng,
                    &model.clock,
                    &model.session,
                    &model.keep_alive,
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
                    let alive_until = close + SimDuration(model.keep_alive.sample_ms(launch_rng));
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
