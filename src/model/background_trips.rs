//! Brief trips to the background inside a session: a system dialog, a
//! payment page, a share sheet. The app is hidden and shown again without a
//! new launch, and the time away counts as background time (for
//! `min_background` and for a callback deferred to the next foreground).
//!
//! NOTE: the process stays alive for the whole trip, even a trip longer
//! than the keep-alive. A host that ends the process mid-trip is not
//! modelled.

use rand::Rng;
use rand_distr::{Distribution, Exp1};

use crate::model::launches::Visit;
use crate::scenario::dist::DurationSampler;
use crate::time::{SimTime, MS_PER_HOUR};

/// One trip to the background inside a visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackgroundTrip {
    /// Index of the visit in the user's visit list.
    pub visit: u32,
    /// The app goes to the background.
    pub hide: SimTime,
    /// The app comes back; always before the visit closes.
    pub show: SimTime,
}

/// Draws the background trips of a user's visits into `out`, in time order.
///
/// Trips start as a Poisson process of `per_hour` per hour of foreground
/// time, from the later of the visit's open and t = 0. A trip that would end
/// at or after the visit's close is dropped: the user left the app then, and
/// the visit's close already describes that.
pub fn draw_background_trips<R: Rng + ?Sized>(
    rng: &mut R,
    visits: &[Visit],
    per_hour: f64,
    duration: &DurationSampler,
    out: &mut Vec<BackgroundTrip>,
) {
    out.clear();
    if per_hour <= 0.0 {
        return;
    }
    let mean_gap_ms = MS_PER_HOUR as f64 / per_hour;
    for (index, visit) in visits.iter().enumerate() {
        if visit.close.0 <= 0 {
            continue;
        }
        let mut cursor = visit.open.max(SimTime::ZERO);
        loop {
            let gap: f64 = Exp1.sample(rng);
            let hide = SimTime(cursor.0.saturating_add((gap * mean_gap_ms).ceil() as i64));
            if hide >= visit.close {
                break;
            }
            let show = SimTime(hide.0.saturating_add(duration.sample_ms(rng).max(1)));
            if show >= visit.close {
                break;
            }
            out.push(BackgroundTrip {
                visit: index as u32,
                hide,
                show,
            });
            cursor = show;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{stream, Stream};
    use crate::scenario::dist::DurationDist;
    use crate::time::SimDuration;

    #[test]
    fn trips_lie_inside_their_visits() {
        let visits = [
            Visit {
                open: SimTime(-600_000),
                close: SimTime(1_200_000),
                alive_until: SimTime(1_500_000),
            },
            Visit {
                open: SimTime(5_000_000),
                close: SimTime(9_000_000),
                alive_until: SimTime(9_100_000),
            },
        ];
        let duration = DurationDist::Fixed(SimDuration(20_000)).sampler();
        let mut rng = stream(1, 0, 0, Stream::BackgroundTrips);
        let mut trips = Vec::new();
        draw_background_trips(&mut rng, &visits, 6.0, &duration, &mut trips);
        assert!(!trips.is_empty());
        for trip in &trips {
            let visit = visits[trip.visit as usize];
            assert!(trip.hide >= visit.open.max(SimTime::ZERO), "{trip:?}");
            assert!(trip.hide < trip.show, "{trip:?}");
            assert!(trip.show < visit.close, "{trip:?}");
        }
        for pair in trips.windows(2) {
            assert!(pair[0].show <= pair[1].hide, "{pair:?}");
        }
    }

    #[test]
    fn trip_count_matches_rate() {
        // One visit of 1,000 h with trips of 1 ms at 2 per hour gives a
        // Poisson count with mean 2,000, because the 1 ms trips remove a
        // negligible share of foreground time. Its standard deviation is
        // about 45, so 200 is more than four standard deviations.
        let visits = [Visit {
            open: SimTime(0),
            close: SimTime(1_000 * MS_PER_HOUR),
            alive_until: SimTime(1_000 * MS_PER_HOUR),
        }];
        let duration = DurationDist::Fixed(SimDuration(1)).sampler();
        let mut rng = stream(5, 0, 0, Stream::BackgroundTrips);
        let mut trips = Vec::new();
        draw_background_trips(&mut rng, &visits, 2.0, &duration, &mut trips);
        assert!(
            (trips.len() as f64 - 2_000.0).abs() < 200.0,
            "{} trips",
            trips.len()
        );
    }
}
