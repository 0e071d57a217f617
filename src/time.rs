//! Simulated time: instants and spans in whole milliseconds.
//!
//! Integer milliseconds keep event ordering exact and make every per-bin sum
//! associative, which is what lets any thread count produce identical bytes.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Milliseconds in one second.
pub const MS_PER_SECOND: i64 = 1_000;
/// Milliseconds in one minute.
pub const MS_PER_MINUTE: i64 = 60 * MS_PER_SECOND;
/// Milliseconds in one hour.
pub const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;
/// Milliseconds in one day.
pub const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// An instant of simulated time, in milliseconds since t = 0 (the scenario's
/// `population.start`). Negative instants lie in the warm-up before the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub i64);

/// A span of simulated time in milliseconds. Never negative once validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration(pub i64);

impl SimTime {
    /// t = 0, the start of the run.
    pub const ZERO: SimTime = SimTime(0);
    /// An instant later than any the simulator schedules.
    pub const NEVER: SimTime = SimTime(i64::MAX / 4);

    /// Returns the instant in hours since t = 0.
    pub fn as_hours(self) -> f64 {
        self.0 as f64 / MS_PER_HOUR as f64
    }
}

impl SimDuration {
    /// The empty span.
    pub const ZERO: SimDuration = SimDuration(0);

    /// Builds a span from seconds, rounding to the nearest millisecond.
    pub fn from_secs_f64(seconds: f64) -> SimDuration {
        SimDuration((seconds * MS_PER_SECOND as f64).round() as i64)
    }

    /// Builds a span from whole hours.
    pub const fn from_hours(hours: i64) -> SimDuration {
        SimDuration(hours * MS_PER_HOUR)
    }

    /// Builds a span from whole minutes.
    pub const fn from_minutes(minutes: i64) -> SimDuration {
        SimDuration(minutes * MS_PER_MINUTE)
    }

    /// Builds a span from whole days.
    pub const fn from_days(days: i64) -> SimDuration {
        SimDuration(days * MS_PER_DAY)
    }

    /// Returns the span in seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MS_PER_SECOND as f64
    }

    /// Returns the span in hours.
    pub fn as_hours(self) -> f64 {
        self.0 as f64 / MS_PER_HOUR as f64
    }
}

/// 2^52: from here on every `f64` is an integer.
const EXACT_LIMIT: f64 = 4_503_599_627_370_496.0;

/// Rounds to the nearest integer, half away from zero: the same value as
/// `x.round() as i64` for every `x`, NaN and out-of-range values included.
///
/// `f64::round` is a call into the math library on x86-64 without SSE4.1,
/// and the engine rounds every sampled duration, so the common range is
/// done with a truncating conversion instead.
#[inline]
pub fn round_to_i64(x: f64) -> i64 {
    // Below 2^52 the truncation and the fraction `x - t` are exact.
    if x.is_nan() || x.abs() >= EXACT_LIMIT {
        return x.round() as i64;
    }
    let t = x as i64;
    let fraction = x - t as f64;
    if fraction >= 0.5 {
        t + 1
    } else if fraction <= -0.5 {
        t - 1
    } else {
        t
    }
}

/// Rounds up to an integer: the same value as `x.ceil() as i64` for every
/// `x`, computed without the math library call for the common range.
#[inline]
pub fn ceil_to_i64(x: f64) -> i64 {
    if x.is_nan() || x.abs() >= EXACT_LIMIT {
        return x.ceil() as i64;
    }
    let t = x as i64;
    if (t as f64) < x {
        t + 1
    } else {
        t
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, rhs: SimDuration) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}

impl Sub<SimDuration> for SimTime {
    type Output = SimTime;
    fn sub(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0.saturating_sub(rhs.0))
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, rhs: SimTime) -> SimDuration {
        SimDuration(self.0 - rhs.0)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(rhs.0))
    }
}

impl fmt::Display for SimDuration {
    /// Formats with the largest unit that divides the span exactly, in the
    /// scenario file's syntax (`"90s"`, `"30m"`, `"7d"`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        for (unit, size) in [
            ("d", MS_PER_DAY),
            ("h", MS_PER_HOUR),
            ("m", MS_PER_MINUTE),
            ("s", MS_PER_SECOND),
        ] {
            if ms != 0 && ms % size == 0 {
                return write!(f, "{}{}", ms / size, unit);
            }
        }
        write!(f, "{ms}ms")
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}h", self.as_hours())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_display_picks_exact_unit() {
        assert_eq!(SimDuration::from_days(7).to_string(), "7d");
        assert_eq!(SimDuration::from_minutes(90).to_string(), "90m");
        assert_eq!(SimDuration(250).to_string(), "250ms");
        assert_eq!(SimDuration(0).to_string(), "0ms");
    }

    #[test]
    fn fast_rounding_matches_std() {
        let mut cases = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            2.5,
            -2.5,
            0.499_999_999_999_999_94,
            -0.499_999_999_999_999_94,
            1e-300,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            -4_503_599_627_370_497.0,
            9.3e18,
            -9.3e18,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        // A spread of magnitudes, each with a tail of fractions.
        let mut state = 99u64;
        for _ in 0..20_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            let scale = 10f64.powi((state % 17) as i32 - 2);
            cases.push((unit - 0.5) * scale);
        }
        for x in cases {
            assert_eq!(round_to_i64(x), x.round() as i64, "round {x:e}");
            assert_eq!(ceil_to_i64(x), x.ceil() as i64, "ceil {x:e}");
        }
    }

    #[test]
    fn time_arithmetic_saturates() {
        assert_eq!(SimTime::NEVER + SimDuration(i64::MAX), SimTime(i64::MAX));
        assert_eq!(SimTime(5) - SimTime(2), SimDuration(3));
    }
}
