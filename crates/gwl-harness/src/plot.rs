//! Figures: line charts with spread bands, density charts, image grids.
//!
//! A chart is plain data ([`LineChart`], [`DensityChart`]) drawn through the
//! [`Draw`] trait onto any plotters backend, so one drawing routine serves
//! PNG and SVG. Files are rendered to a temporary path and renamed, like
//! every other result.

mod density;
mod font;
mod grid;
mod line;

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::io::{render_atomic, write_atomic};
use crate::spec::FigureFormat;

pub use density::{DensityChart, DensitySeries, Histogram};
pub use font::{ensure_font, FAMILY};
pub use grid::{GridRow, ImageGrid};
pub use line::{Curve, LineChart};

/// Default figure size in pixels (and SVG user units).
pub const FIGURE_SIZE: (u32, u32) = (960, 600);

/// How an axis maps data to position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    #[default]
    Linear,
    /// Base-10 logarithm; values <= 0 cannot be shown and are dropped.
    Log10,
}

impl Scale {
    /// Data value to plotted coordinate.
    fn to_axis(self, v: f64) -> Option<f64> {
        match self {
            Scale::Linear => v.is_finite().then_some(v),
            Scale::Log10 => (v > 0.0 && v.is_finite()).then(|| v.log10()),
        }
    }

    /// Plotted coordinate back to a data range.
    fn range_from_axis(self, r: std::ops::Range<f64>) -> std::ops::Range<f64> {
        match self {
            Scale::Linear => r,
            Scale::Log10 => 10f64.powf(r.start)..10f64.powf(r.end),
        }
    }
}

/// Tick label: [`crate::format_float`], with values that are zero up to
/// rounding noise relative to the axis span (ticks like `-2.2e-16`) shown
/// as `0`.
pub(crate) fn tick_label(v: f64, span: f64) -> String {
    if v.abs() <= span.abs() * 1e-9 {
        return "0".to_owned();
    }
    crate::table::format_float(v)
}

/// Something that can draw itself on a plotters drawing area.
pub trait Draw {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// Renders `chart` to `<stem>.png` and/or `<stem>.svg` (per `formats`) at
/// `size`; returns the files written.
pub fn render<C: Draw>(
    chart: &C,
    stem: &Path,
    formats: &[FigureFormat],
    size: (u32, u32),
) -> Result<Vec<PathBuf>> {
    ensure_font()?;
    let mut written = Vec::new();
    for format in formats {
        let path = match format {
            FigureFormat::Png => stem.with_extension("png"),
            FigureFormat::Svg => stem.with_extension("svg"),
        };
        match format {
            FigureFormat::Png => render_png(chart, &path, size)?,
            FigureFormat::Svg => render_svg(chart, &path, size)?,
        }
        written.push(path);
    }
    Ok(written)
}

fn render_png<C: Draw>(chart: &C, path: &Path, size: (u32, u32)) -> Result<()> {
    render_atomic(path, |tmp| {
        let root = BitMapBackend::new(tmp, size).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(|e| draw_error(path, e))
    })
}

fn render_svg<C: Draw>(chart: &C, path: &Path, size: (u32, u32)) -> Result<()> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(|e| draw_error(path, e))?;
    }
    write_atomic(path, text.as_bytes())
}

/// plotters' errors are generic over the backend; flatten them to text
/// with the file they concern.
fn draw_error(path: &Path, err: impl std::fmt::Debug) -> anyhow::Error {
    anyhow!("cannot draw {}: {err:?}", path.display())
}

/// Flattens a plotters error without a file (inside [`Draw::draw`]).
pub(crate) fn plot_err(err: impl std::fmt::Debug) -> anyhow::Error {
    anyhow!("cannot draw figure: {err:?}")
}

/// Colour of the `i`-th series: a qualitative palette distinguishable in
/// print, cycling after ten.
pub fn series_color(i: usize) -> RGBColor {
    const PALETTE: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    PALETTE[i % PALETTE.len()]
}

/// Range covering `values` with 5% padding; a unit range around a single
/// value, and `0..1` when there are none.
pub(crate) fn padded_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5)..(hi + 0.5);
    }
    let pad = 0.05 * (hi - lo);
    (lo - pad)..(hi + pad)
}

/// Splits points (sorted by x) where the gap to the next point exceeds
/// 1.5 times the smallest gap, so lines do not bridge unvisited bins.
pub(crate) fn split_at_gaps(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let step = points
        .windows(2)
        .map(|w| w[1].0 - w[0].0)
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min);
    let mut segments: Vec<Vec<(f64, f64)>> = Vec::new();
    for (i, &p) in points.iter().enumerate() {
        let gap = i > 0 && p.0 - points[i - 1].0 > 1.5 * step;
        match segments.last_mut() {
            Some(last) if !gap => last.push(p),
            _ => segments.push(vec![p]),
        }
    }
    segments
}

#[cfg(test)]
mod tests;
