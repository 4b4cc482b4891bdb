//! Latency summaries from HDR histograms.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// A histogram of durations in microseconds, from 1 µs to 60 s at three
/// significant figures (0.1 % resolution), the range a turn can take.
#[derive(Debug, Clone)]
pub struct Recorder {
    name: String,
    hist: Histogram<u64>,
}

/// Why a histogram could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot create a latency histogram")]
pub struct RecorderError(#[source] hdrhistogram::CreationError);

impl Recorder {
    /// An empty recorder called `name`.
    pub fn new(name: &str) -> Result<Self, RecorderError> {
        let hist = Histogram::new_with_bounds(1, 60_000_000, 3).map_err(RecorderError)?;
        Ok(Self {
            name: name.to_owned(),
            hist,
        })
    }

    /// Records one duration; values beyond the range are clamped to it.
    pub fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.hist.saturating_record(us.max(1));
    }

    /// Number of samples.
    pub fn len(&self) -> u64 {
        self.hist.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.hist.is_empty()
    }

    /// The percentiles of what was recorded.
    pub fn summary(&self) -> Summary {
        let h = &self.hist;
        Summary {
            name: self.name.clone(),
            count: h.len(),
            p50_us: h.value_at_quantile(0.50),
            p90_us: h.value_at_quantile(0.90),
            p99_us: h.value_at_quantile(0.99),
            max_us: h.max(),
            mean_us: h.mean(),
        }
    }
}

/// Percentiles of one measured operation, in microseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// What was measured.
    pub name: String,
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Slowest.
    pub max_us: u64,
    /// Mean.
    pub mean_us: f64,
}

/// Microseconds as milliseconds with three decimals, for tables.
pub fn ms(us: u64) -> String {
    format!("{}.{:03}", us / 1000, us % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut r = Recorder::new("t").unwrap();
        assert!(r.is_empty());
        for us in 1..=1000u64 {
            r.record(Duration::from_micros(us));
        }
        let s = r.summary();
        assert_eq!(s.count, 1000);
        assert_eq!(s.p50_us, 500);
        assert_eq!(s.p90_us, 900);
        assert_eq!(s.p99_us, 990);
        assert_eq!(s.max_us, 1000);
        assert_eq!(ms(12_345), "12.345");
        assert_eq!(ms(7), "0.007");
    }

    #[test]
    fn out_of_range_values_are_clamped_not_lost() {
        let mut r = Recorder::new("t").unwrap();
        r.record(Duration::ZERO);
        r.record(Duration::from_secs(3600));
        assert_eq!(r.len(), 2);
    }
}
