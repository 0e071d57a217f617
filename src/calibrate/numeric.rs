//! Numerical helpers of the fits: the standard normal distribution, a
//! Nelder–Mead minimizer and Kolmogorov–Smirnov distances.

/// Returns the standard normal cumulative distribution function at `z`.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// Returns the standard normal upper tail `1 - Φ(z)` without cancellation
/// for large `z`.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * libm::erfc(z / std::f64::consts::SQRT_2)
}

/// Returns the log-normal cumulative distribution function at `x`, for
/// `ln x ~ N(mu, sigma²)`; 0 for `x <= 0`.
pub fn lognormal_cdf(x: f64, mu: f64, sigma: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    normal_cdf((x.ln() - mu) / sigma)
}

/// Returns the natural log of the log-normal density at `x > 0`.
pub fn lognormal_ln_pdf(x: f64, mu: f64, sigma: f64) -> f64 {
    let ln_x = x.ln();
    let z = (ln_x - mu) / sigma;
    -0.5 * z * z - ln_x - sigma.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

/// Returns the natural log of the probability that a log-normal draw lies
/// in `[low, high]`, computed from whichever tail keeps precision.
pub fn lognormal_ln_interval(low: f64, high: f64, mu: f64, sigma: f64) -> f64 {
    let z_high = (high.ln() - mu) / sigma;
    if low <= 0.0 {
        return normal_cdf(z_high).max(f64::MIN_POSITIVE).ln();
    }
    let z_low = (low.ln() - mu) / sigma;
    if z_high - z_low < 1e-3 {
        // A narrow interval: density at the midpoint times the width.
        let mid = 0.5 * (low + high);
        return lognormal_ln_pdf(mid, mu, sigma) + (high - low).ln();
    }
    let mass = if z_low > 0.0 {
        normal_sf(z_low) - normal_sf(z_high)
    } else {
        normal_cdf(z_high) - normal_cdf(z_low)
    };
    mass.max(f64::MIN_POSITIVE).ln()
}

/// The z value of the standard normal 90th percentile, which turns a
/// log-normal's sigma into its p90 / median ratio.
pub const Z_90: f64 = 1.281_551_565_544_600_4;

/// Result of [`nelder_mead`].
#[derive(Clone, Debug, PartialEq)]
pub struct Minimum {
    /// The best point found.
    pub point: Vec<f64>,
    /// The objective there.
    pub value: f64,
    /// Objective evaluations used.
    pub evaluations: usize,
}

/// Minimizes `objective` from `start` with the Nelder–Mead simplex method
/// (standard coefficients: reflection 1, expansion 2, contraction 0.5,
/// shrink 0.5).
///
/// The initial simplex adds `step[i]` to coordinate `i` of `start`. The
/// search stops after `max_evaluations` evaluations, or when the objective
/// values of the simplex differ by at most `tolerance` and no vertex is
/// more than `x_tolerance` from the best in any coordinate. The second
/// condition keeps a piecewise-constant objective, such as a simulation
/// with fixed random numbers, from stopping on a flat step. A NaN
/// objective is treated as +∞.
pub fn nelder_mead(
    objective: impl FnMut(&[f64]) -> f64,
    start: &[f64],
    step: &[f64],
    tolerance: f64,
    x_tolerance: f64,
    max_evaluations: usize,
) -> Minimum {
    nelder_mead_until(
        objective,
        start,
        step,
        tolerance,
        x_tolerance,
        max_evaluations,
        &|| false,
    )
}

/// Minimizes like [`nelder_mead`], and also stops when `stop` returns true
/// before an iteration, for example after a signal. The result is then the
/// best vertex found so far.
pub fn nelder_mead_until(
    mut objective: impl FnMut(&[f64]) -> f64,
    start: &[f64],
    step: &[f64],
    tolerance: f64,
    x_tolerance: f64,
    max_evaluations: usize,
    stop: &dyn Fn() -> bool,
) -> Minimum {
    let n = start.len();
    let evaluations = std::cell::Cell::new(0usize);
    let mut evaluate = |point: &[f64]| {
        evaluations.set(evaluations.get() + 1);
        let value = objective(point);
        if value.is_nan() {
            f64::INFINITY
        } else {
            value
        }
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((start.to_vec(), evaluate(start)));
    for i in 0..n {
        let mut point = start.to_vec();
        point[i] += step[i];
        let value = evaluate(&point);
        simplex.push((point, value));
    }
    let along = |from: &[f64], to: &[f64], factor: f64| -> Vec<f64> {
        from.iter()
            .zip(to)
            .map(|(a, b)| a + factor * (b - a))
            .collect()
    };
    loop {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let spread = simplex[n].1 - simplex[0].1;
        let size = simplex[1..]
            .iter()
            .flat_map(|(point, _)| point.iter().zip(&simplex[0].0).map(|(a, b)| (a - b).abs()))
            .fold(0.0, f64::max);
        if (spread <= tolerance && size <= x_tolerance)
            || evaluations.get() >= max_evaluations
            || stop()
        {
            break;
        }
        let mut centroid = vec![0.0; n];
        for (point, _) in &simplex[..n] {
            for (c, x) in centroid.iter_mut().zip(point) {
                *c += x / n as f64;
            }
        }
        let worst = simplex[n].clone();
        let reflected = along(&centroid, &worst.0, -1.0);
        let reflected_value = evaluate(&reflected);
        if reflected_value < simplex[0].1 {
            let expanded = along(&centroid, &worst.0, -2.0);
            let expanded_value = evaluate(&expanded);
            simplex[n] = if expanded_value < reflected_value {
                (expanded, expanded_value)
            } else {
                (reflected, reflected_value)
            };
            continue;
        }
        if reflected_value < simplex[n - 1].1 {
            simplex[n] = (reflected, reflected_value);
            continue;
        }
        // Contract towards the better of the worst point and its reflection.
        let (toward, toward_value) = if reflected_value < worst.1 {
            (reflected, reflected_value)
        } else {
            (worst.0.clone(), worst.1)
        };
        let contracted = along(&centroid, &toward, 0.5);
        let contracted_value = evaluate(&contracted);
        if contracted_value < toward_value {
            simplex[n] = (contracted, contracted_value);
            continue;
        }
        let best = simplex[0].0.clone();
        for vertex in simplex.iter_mut().skip(1) {
            let point = along(&best, &vertex.0, 0.5);
            let value = evaluate(&point);
            *vertex = (point, value);
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (point, value) = simplex.swap_remove(0);
    Minimum {
        point,
        value,
        evaluations: evaluations.get(),
    }
}

/// Returns the two-sample Kolmogorov–Smirnov statistic: the largest
/// distance between the empirical distribution functions of two sorted
/// samples. Returns NaN when either sample is empty.
pub fn ks_two_sample(first: &[f64], second: &[f64]) -> f64 {
    if first.is_empty() || second.is_empty() {
        return f64::NAN;
    }
    let (mut i, mut j) = (0, 0);
    let mut distance: f64 = 0.0;
    while i < first.len() && j < second.len() {
        let value = first[i].min(second[j]);
        while i < first.len() && first[i] <= value {
            i += 1;
        }
        while j < second.len() && second[j] <= value {
            j += 1;
        }
        let gap = (i as f64 / first.len() as f64 - j as f64 / second.len() as f64).abs();
        distance = distance.max(gap);
    }
    distance
}

/// Returns the Kolmogorov–Smirnov distance between a sorted sample of
/// values rounded to `resolution` and a model distribution function.
///
/// An observed value `v` stands for a true value in
/// `[v - resolution / 2, v + resolution / 2]` (clamped at 0), so the model
/// is evaluated at those edges: the distance is the largest of
/// `|F_n(v) - F(v + resolution / 2)|` and `|F_n(v-) - F(v - resolution / 2)|`
/// over the distinct values. With `resolution = 0` this is the usual
/// one-sample statistic.
pub fn ks_rounded(sorted: &[f64], resolution: f64, cdf: impl Fn(f64) -> f64) -> f64 {
    let n = sorted.len() as f64;
    let mut distance: f64 = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let value = sorted[i];
        let below = i as f64 / n;
        while i < sorted.len() && sorted[i] <= value {
            i += 1;
        }
        let at_or_below = i as f64 / n;
        let low = (value - resolution / 2.0).max(0.0);
        let high = value + resolution / 2.0;
        distance = distance
            .max((at_or_below - cdf(high)).abs())
            .max((below - cdf(low)).abs());
    }
    distance
}

/// Returns the sample quantile of sorted values with linear interpolation
/// between order statistics (NumPy's and R's default); NaN when empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    crate::stats::aggregate::percentile(sorted, q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-15);
        assert!((normal_cdf(Z_90) - 0.9).abs() < 1e-12);
        assert!((normal_cdf(-1.959_963_984_540_054) - 0.025).abs() < 1e-12);
        assert!((normal_sf(8.0) - 6.220_960_574_271_78e-16).abs() < 1e-25);
    }

    #[test]
    fn lognormal_interval_matches_cdf_difference() {
        let (mu, sigma) = (3.0, 1.2);
        let direct = lognormal_cdf(30.0, mu, sigma) - lognormal_cdf(10.0, mu, sigma);
        let logged = lognormal_ln_interval(10.0, 30.0, mu, sigma).exp();
        assert!((direct - logged).abs() < 1e-12, "{direct} vs {logged}");
        let narrow = lognormal_ln_interval(20.0, 20.0001, mu, sigma).exp();
        let expected = lognormal_cdf(20.0001, mu, sigma) - lognormal_cdf(20.0, mu, sigma);
        assert!(
            (narrow / expected - 1.0).abs() < 1e-4,
            "{narrow} vs {expected}"
        );
        let from_zero = lognormal_ln_interval(0.0, 5.0, mu, sigma).exp();
        assert!((from_zero - lognormal_cdf(5.0, mu, sigma)).abs() < 1e-15);
    }

    #[test]
    fn nelder_mead_finds_rosenbrock_minimum() {
        let rosenbrock = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let minimum = nelder_mead(rosenbrock, &[-1.2, 1.0], &[0.5, 0.5], 1e-14, 1e-6, 2_000);
        assert!((minimum.point[0] - 1.0).abs() < 1e-3, "{:?}", minimum.point);
        assert!((minimum.point[1] - 1.0).abs() < 1e-3, "{:?}", minimum.point);
        assert!(minimum.evaluations <= 2_000);
    }

    #[test]
    fn nelder_mead_until_stops_when_asked() {
        let rosenbrock = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let stopped = nelder_mead_until(
            rosenbrock,
            &[-1.2, 1.0],
            &[0.5, 0.5],
            1e-14,
            1e-6,
            2_000,
            &|| true,
        );
        // The initial simplex of 3 vertices is evaluated, then the stop
        // ends the search before the first iteration.
        assert_eq!(stopped.evaluations, 3);
        let full = nelder_mead(rosenbrock, &[-1.2, 1.0], &[0.5, 0.5], 1e-14, 1e-6, 2_000);
        assert!(full.evaluations > 3);
    }

    #[test]
    fn ks_two_sample_of_shifted_samples() {
        let first = [1.0, 2.0, 3.0, 4.0];
        let second = [3.0, 4.0, 5.0, 6.0];
        assert_eq!(ks_two_sample(&first, &second), 0.5);
        assert_eq!(ks_two_sample(&first, &first), 0.0);
        assert!(ks_two_sample(&first, &[]).is_nan());
    }

    #[test]
    fn ks_rounded_of_uniform_grid() {
        // Values 0.5, 1.5, …, 9.5 against the uniform distribution on
        // [0, 10]: the empirical function is 0.1 k just at 0.5 + k - 1, so
        // the distance to F(x) = x / 10 is 0.05.
        let sorted: Vec<f64> = (0..10).map(|k| k as f64 + 0.5).collect();
        let uniform = |x: f64| (x / 10.0).clamp(0.0, 1.0);
        assert!((ks_rounded(&sorted, 0.0, uniform) - 0.05).abs() < 1e-12);
        // Rounding to 1 widens every value to [k, k + 1], which the uniform
        // distribution matches exactly at the edges.
        assert!(ks_rounded(&sorted, 1.0, uniform) < 1e-12);
    }
}
