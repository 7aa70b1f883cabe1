//! Charts drawn on the server as SVG (charts-rs): readable without JavaScript, and allowed by
//! the page's policy (presentation attributes only, no style or script).

use charts_rs::{BarChart, Series};

use super::error::WebError;
use crate::services::dashboard::Daily;

/// Messages per day: a bar per channel for those sent (delivered and read included), and one
/// for those that failed.
pub(super) fn messages_per_day(daily: &Daily) -> Result<String, WebError> {
    let counts = |values: &[i64]| values.iter().map(|v| *v as f32).collect::<Vec<f32>>();
    let mut series: Vec<Series> = daily
        .sent
        .iter()
        .map(|(channel, values)| Series::new(format!("{channel} sent"), counts(values)))
        .collect();
    series.push(Series::new("failed".into(), counts(&daily.failed)));
    // Day and month only (`29/11`): thirty labels must fit under the bars.
    let labels = daily
        .days
        .iter()
        .map(|day| {
            let mut parts = day.split('-').skip(1);
            let month = parts.next().unwrap_or_default();
            let date = parts.next().unwrap_or_default().trim_start_matches('0');
            format!("{date}/{}", month.trim_start_matches('0'))
        })
        .collect();
    let mut chart = BarChart::new(series, labels);
    chart.width = 960.0;
    chart.height = 320.0;
    chart
        .svg()
        .map_err(|error| WebError::Internal(format!("chart: {error}")))
}
