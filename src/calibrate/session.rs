//! Log-normal fits of visit lengths that respect the timestamps'
//! resolution.

use crate::calibrate::numeric::{
    ks_rounded, lognormal_cdf, lognormal_ln_interval, nelder_mead, quantile, Z_90,
};

/// A log-normal distribution of durations in seconds: `ln x ~ N(mu, sigma²)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogNormal {
    /// Mean of the log duration in seconds.
    pub mu: f64,
    /// Standard deviation of the log duration.
    pub sigma: f64,
}

impl LogNormal {
    /// Returns the median in seconds.
    pub fn median_s(&self) -> f64 {
        self.mu.exp()
    }

    /// Returns the 90th percentile in seconds.
    pub fn p90_s(&self) -> f64 {
        (self.mu + Z_90 * self.sigma).exp()
    }

    /// Returns the distribution function at `seconds`.
    pub fn cdf(&self, seconds: f64) -> f64 {
        lognormal_cdf(seconds, self.mu, self.sigma)
    }
}

/// A fitted log-normal with its goodness of fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogNormalFit {
    /// The distribution.
    pub distribution: LogNormal,
    /// Weighted number of durations fitted.
    pub weight: f64,
    /// Kolmogorov–Smirnov distance to the durations closest to this fit
    /// (see [`ks_rounded`]); NaN without durations.
    pub ks_distance: f64,
    /// Number of durations behind `ks_distance`.
    pub ks_count: usize,
}

/// Fits a log-normal to weighted durations by maximum likelihood, treating
/// each duration of `d` seconds as rounded from a true value in
/// `[d - resolution / 2, d + resolution / 2]` (clamped at 0). So
/// zero-length visits of second-resolution logs are valid data, meaning
/// "shorter than half a second".
///
/// Returns `None` when the weights sum to zero.
pub fn fit_lognormal(durations_s: &[(f64, f64)], resolution_s: f64) -> Option<LogNormal> {
    let total: f64 = durations_s.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return None;
    }
    // Start from the moments of the log of each interval's midpoint (or of
    // a quarter of the resolution for zeros).
    let floor = (resolution_s / 4.0).max(1e-3);
    let logs: Vec<(f64, f64)> = durations_s
        .iter()
        .map(|&(d, w)| (d.max(floor).ln(), w))
        .collect();
    let mean = logs.iter().map(|(l, w)| l * w).sum::<f64>() / total;
    let variance = logs
        .iter()
        .map(|(l, w)| w * (l - mean).powi(2))
        .sum::<f64>()
        / total;
    let start_sigma = variance.sqrt().max(0.05);

    let half = resolution_s / 2.0;
    let negative_log_likelihood = |point: &[f64]| {
        let (mu, sigma) = (point[0], point[1].exp());
        let mut total = 0.0;
        for &(d, w) in durations_s {
            if w <= 0.0 {
                continue;
            }
            let ln_p = if half > 0.0 {
                lognormal_ln_interval((d - half).max(0.0), d + half, mu, sigma)
            } else {
                crate::calibrate::numeric::lognormal_ln_pdf(d.max(1e-6), mu, sigma)
            };
            total -= w * ln_p;
        }
        total
    };
    let minimum = nelder_mead(
        negative_log_likelihood,
        &[mean, start_sigma.ln()],
        &[0.3, 0.2],
        1e-9 * total,
        1e-5,
        800,
    );
    Some(LogNormal {
        mu: minimum.point[0],
        sigma: minimum.point[1].exp(),
    })
}

/// Fits weighted durations and measures the fit against the durations
/// whose weight is at least one half (the pairs assigned to this segment).
pub fn fit_with_goodness(durations_s: &[(f64, f64)], resolution_s: f64) -> Option<LogNormalFit> {
    let distribution = fit_lognormal(durations_s, resolution_s)?;
    let mut assigned: Vec<f64> = durations_s
        .iter()
        .filter(|(_, w)| *w >= 0.5)
        .map(|(d, _)| *d)
        .collect();
    assigned.sort_by(f64::total_cmp);
    let ks_distance = if assigned.is_empty() {
        f64::NAN
    } else {
        ks_rounded(&assigned, resolution_s, |x| distribution.cdf(x))
    };
    Some(LogNormalFit {
        distribution,
        weight: durations_s.iter().map(|(_, w)| w).sum(),
        ks_distance,
        ks_count: assigned.len(),
    })
}

/// Returns the two-sided 5 % critical value of the one-sample
/// Kolmogorov–Smirnov distance for `n` values, `1.358 / sqrt(n)` (the
/// asymptotic value). With parameters fitted to the same data the true
/// critical value is smaller, so this check is lenient.
pub fn ks_critical_5pct(n: usize) -> f64 {
    1.358 / (n as f64).sqrt()
}

/// Returns the two-sided 5 % critical value of the two-sample
/// Kolmogorov–Smirnov distance, `1.358 · sqrt((n + m) / (n · m))`.
pub fn ks_critical_two_sample_5pct(n: usize, m: usize) -> f64 {
    1.358 * ((n + m) as f64 / (n as f64 * m as f64)).sqrt()
}

/// Returns the median of sorted values.
pub fn median(sorted: &[f64]) -> f64 {
    quantile(sorted, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, LogNormal as LogNormalDraw};
    use rand_pcg::Pcg64Mcg;

    #[test]
    fn lognormal_recovered_from_rounded_draws() {
        // 20,000 draws with median 28 s and sigma 1.3, rounded down to whole
        // seconds as 1 s log timestamps do (about 2 % are 0). The standard
        // error of mu is sigma / sqrt(n) = 0.009 and that of sigma about
        // sigma / sqrt(2n) = 0.0065; the tolerances are 4 of them.
        let mut rng = Pcg64Mcg::seed_from_u64(17);
        let draw = LogNormalDraw::new(28f64.ln(), 1.3).unwrap();
        // Subtracting two uniform truncation offsets makes the rounding
        // symmetric, as the difference of two timestamps truncated to the
        // second is.
        let durations: Vec<(f64, f64)> = (0..20_000)
            .map(|_| {
                let open: f64 = rand::Rng::random(&mut rng);
                let x: f64 = draw.sample(&mut rng);
                ((open + x).floor() - open.floor(), 1.0)
            })
            .collect();
        let fit = fit_with_goodness(&durations, 1.0).unwrap();
        assert!(
            (fit.distribution.mu - 28f64.ln()).abs() < 0.036,
            "{:?}",
            fit
        );
        assert!((fit.distribution.sigma - 1.3).abs() < 0.026, "{:?}", fit);
        assert!(
            fit.ks_distance < ks_critical_5pct(fit.ks_count),
            "{:?}",
            fit
        );
    }

    #[test]
    fn empty_weights_give_no_fit() {
        assert_eq!(fit_lognormal(&[(3.0, 0.0)], 1.0), None);
    }
}
