//! Distributions of durations: session lengths, keep-alive times, latencies.

use rand::Rng;
use rand_distr::{Distribution, Exp, LogNormal};

use crate::time::{round_to_i64, SimDuration};

/// The standard normal quantile at 0.9, used to turn a (median, p90) pair
/// into the log-normal's sigma.
const Z_90: f64 = 1.281_551_565_544_600_4;

/// A distribution of non-negative durations, as a scenario writes it.
#[derive(Clone, Debug, PartialEq)]
pub enum DurationDist {
    /// Always the same span.
    Fixed(SimDuration),
    /// Exponential with the given mean.
    Exponential {
        /// Mean span.
        mean: SimDuration,
    },
    /// Log-normal given by its median and 90th percentile.
    LogNormal {
        /// Median span.
        median: SimDuration,
        /// 90th percentile span; at least the median.
        p90: SimDuration,
    },
    /// Uniform between two spans.
    Uniform {
        /// Lower bound.
        min: SimDuration,
        /// Upper bound; at least `min`.
        max: SimDuration,
    },
}

/// A [`DurationDist`] prepared for fast sampling.
#[derive(Clone, Debug)]
pub enum DurationSampler {
    /// Always the same number of milliseconds.
    Fixed(i64),
    /// Exponential in milliseconds.
    Exponential(Exp<f64>),
    /// Log-normal in milliseconds.
    LogNormal(LogNormal<f64>),
    /// Uniform in milliseconds, `[min, max]`.
    Uniform(i64, i64),
}

impl DurationDist {
    /// Builds the sampler.
    ///
    /// # Panics
    /// Panics on parameters that validation rejects (a non-positive mean or
    /// median, `p90 < median`, `max < min`).
    pub fn sampler(&self) -> DurationSampler {
        match *self {
            DurationDist::Fixed(span) => DurationSampler::Fixed(span.0),
            DurationDist::Exponential { mean } => {
                DurationSampler::Exponential(Exp::new(1.0 / mean.0 as f64).expect("validated mean"))
            }
            DurationDist::LogNormal { median, p90 } => {
                let mu = (median.0 as f64).ln();
                let sigma = ((p90.0 as f64) / (median.0 as f64)).ln() / Z_90;
                DurationSampler::LogNormal(
                    LogNormal::new(mu, sigma).expect("validated median and p90"),
                )
            }
            DurationDist::Uniform { min, max } => DurationSampler::Uniform(min.0, max.0),
        }
    }

    /// Returns the mean in milliseconds.
    pub fn mean_ms(&self) -> f64 {
        match *self {
            DurationDist::Fixed(span) => span.0 as f64,
            DurationDist::Exponential { mean } => mean.0 as f64,
            DurationDist::LogNormal { median, p90 } => {
                let sigma = ((p90.0 as f64) / (median.0 as f64)).ln() / Z_90;
                median.0 as f64 * (sigma * sigma / 2.0).exp()
            }
            DurationDist::Uniform { min, max } => (min.0 + max.0) as f64 / 2.0,
        }
    }

    /// Returns the variance in square milliseconds.
    pub fn variance_ms2(&self) -> f64 {
        match *self {
            DurationDist::Fixed(_) => 0.0,
            DurationDist::Exponential { mean } => (mean.0 as f64).powi(2),
            DurationDist::LogNormal { median, p90 } => {
                let sigma = ((p90.0 as f64) / (median.0 as f64)).ln() / Z_90;
                self.mean_ms().powi(2) * (sigma * sigma).exp_m1()
            }
            DurationDist::Uniform { min, max } => ((max.0 - min.0) as f64).powi(2) / 12.0,
        }
    }

    /// Returns an upper bound that the distribution exceeds with probability
    /// at most about 1e-9 (the fixed value, the uniform maximum, or a far
    /// quantile of the unbounded ones).
    pub fn practical_max(&self) -> SimDuration {
        match *self {
            DurationDist::Fixed(span) => span,
            DurationDist::Exponential { mean } => SimDuration((mean.0 as f64 * 21.0) as i64),
            DurationDist::LogNormal { median, p90 } => {
                let sigma = ((p90.0 as f64) / (median.0 as f64)).ln() / Z_90;
                SimDuration((median.0 as f64 * (6.0 * sigma).exp()) as i64)
            }
            DurationDist::Uniform { max, .. } => max,
        }
    }
}

impl std::fmt::Display for DurationDist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DurationDist::Fixed(span) => write!(f, "{span}"),
            DurationDist::Exponential { mean } => write!(f, "exponential(mean {mean})"),
            DurationDist::LogNormal { median, p90 } => {
                write!(f, "lognormal(median {median}, p90 {p90})")
            }
            DurationDist::Uniform { min, max } => write!(f, "uniform({min}..{max})"),
        }
    }
}

impl DurationSampler {
    /// Draws one span in milliseconds (never negative).
    #[inline]
    pub fn sample_ms<R: Rng + ?Sized>(&self, rng: &mut R) -> i64 {
        match self {
            DurationSampler::Fixed(ms) => *ms,
            DurationSampler::Exponential(exp) => round_to_i64(exp.sample(rng)),
            DurationSampler::LogNormal(lognormal) => round_to_i64(lognormal.sample(rng)),
            DurationSampler::Uniform(min, max) => {
                if max > min {
                    rng.random_range(*min..=*max)
                } else {
                    *min
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    #[test]
    fn lognormal_hits_median_and_p90() {
        let dist = DurationDist::LogNormal {
            median: SimDuration(180_000),
            p90: SimDuration(720_000),
        };
        let sampler = dist.sampler();
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        let n = 40_000;
        let mut draws: Vec<i64> = (0..n).map(|_| sampler.sample_ms(&mut rng)).collect();
        draws.sort_unstable();
        // The sample median's standard error is about 1.2533 * sigma_x / sqrt(n)
        // in log space; 3 % is more than four standard errors at n = 40,000.
        let median = draws[n / 2] as f64;
        let p90 = draws[n * 9 / 10] as f64;
        assert!((median / 180_000.0 - 1.0).abs() < 0.03, "median {median}");
        assert!((p90 / 720_000.0 - 1.0).abs() < 0.04, "p90 {p90}");
    }

    #[test]
    fn exponential_mean_matches() {
        let dist = DurationDist::Exponential {
            mean: SimDuration(60_000),
        };
        let sampler = dist.sampler();
        let mut rng = Pcg64Mcg::seed_from_u64(11);
        let n = 40_000;
        let mean = (0..n)
            .map(|_| sampler.sample_ms(&mut rng) as f64)
            .sum::<f64>()
            / n as f64;
        // Standard error of the mean is 60,000 / sqrt(40,000) = 300 ms; allow 4.
        assert!((mean - 60_000.0).abs() < 1_200.0, "mean {mean}");
        assert_eq!(dist.mean_ms(), 60_000.0);
    }
}
