//! A log-linear histogram of millisecond delays: exact below 1 s, then 64
//! sub-buckets per power of two (relative error under 1.6 %).

use serde::{Deserialize, Serialize};

const LINEAR_LIMIT: u64 = 1024;
const SUB_BUCKETS: u64 = 64;

/// Counts of delays in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

fn bucket_of(ms: u64) -> usize {
    if ms < LINEAR_LIMIT {
        return ms as usize;
    }
    let exponent = 63 - ms.leading_zeros() as u64; // >= 10
    let sub = (ms >> (exponent - 6)) & (SUB_BUCKETS - 1);
    (LINEAR_LIMIT + (exponent - 10) * SUB_BUCKETS + sub) as usize
}

fn bucket_middle(bucket: usize) -> f64 {
    let bucket = bucket as u64;
    if bucket < LINEAR_LIMIT {
        return bucket as f64;
    }
    let exponent = (bucket - LINEAR_LIMIT) / SUB_BUCKETS + 10;
    let sub = (bucket - LINEAR_LIMIT) % SUB_BUCKETS;
    let low = (1u64 << exponent) + (sub << (exponent - 6));
    let width = 1u64 << (exponent - 6);
    low as f64 + width as f64 / 2.0
}

impl Histogram {
    /// Records one delay.
    pub fn record(&mut self, ms: u64) {
        let bucket = bucket_of(ms);
        if bucket >= self.counts.len() {
            self.counts.resize(bucket + 1, 0);
        }
        self.counts[bucket] += 1;
        self.total += 1;
    }

    /// Number of recorded delays.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// Takes back one delay recorded in another histogram, so that counts
    /// may wrap below zero here until that histogram is merged in. Counts
    /// wrap modulo 2^64 everywhere, so the sum of all parts is exact.
    pub fn retract(&mut self, ms: u64) {
        let bucket = bucket_of(ms);
        if bucket >= self.counts.len() {
            self.counts.resize(bucket + 1, 0);
        }
        self.counts[bucket] = self.counts[bucket].wrapping_sub(1);
        self.total = self.total.wrapping_sub(1);
        self.trim();
    }

    /// Drops zero counts at the end, so that equal histograms have equal
    /// vectors whatever was recorded and taken back.
    fn trim(&mut self) {
        while self.counts.last() == Some(&0) {
            self.counts.pop();
        }
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Histogram) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a = a.wrapping_add(*b);
        }
        self.total = self.total.wrapping_add(other.total);
        self.trim();
    }

    /// The `q` quantile (0..=1) in milliseconds, or `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (bucket, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(bucket_middle(bucket));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_within_bucket_error() {
        let mut histogram = Histogram::default();
        for ms in 1..=10_000u64 {
            histogram.record(ms);
        }
        let p50 = histogram.quantile(0.5).unwrap();
        let p95 = histogram.quantile(0.95).unwrap();
        assert!((p50 / 5_000.0 - 1.0).abs() < 0.016, "{p50}");
        assert!((p95 / 9_500.0 - 1.0).abs() < 0.016, "{p95}");
        assert_eq!(Histogram::default().quantile(0.5), None);
    }

    #[test]
    fn retracting_restores_an_equal_histogram() {
        let mut small = Histogram::default();
        small.record(300);
        let mut taken_back = small.clone();
        taken_back.retract(90_000);
        let mut part = Histogram::default();
        part.record(90_000);
        taken_back.merge(&part);
        assert_eq!(taken_back, small);
        small.retract(300);
        assert_eq!(small, Histogram::default());
    }

    #[test]
    fn small_values_are_exact() {
        let mut histogram = Histogram::default();
        histogram.record(300);
        assert_eq!(histogram.quantile(0.5), Some(300.0));
    }
}
