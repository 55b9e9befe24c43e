//! Density chart: `log10 rho` per output bin for several series (the truth
//! and each sampler's estimate), with an optional histogram of other points
//! (the test set's logits) on a secondary axis.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{padded_range, plot_err, series_color, split_at_gaps, tick_label, Draw, FAMILY};

#[derive(Debug, Clone, Default)]
pub struct DensityChart {
    pub title: String,
    /// Defaults to "logit" when empty.
    pub x_label: String,
    pub series: Vec<DensitySeries>,
    pub overlay: Option<Histogram>,
    /// Vertical dashed guides, e.g. logit 0.
    pub guides: Vec<f64>,
}

/// One density: `(bin centre, log10 rho)` for the bins it has a value for.
#[derive(Debug, Clone, Default)]
pub struct DensitySeries {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Drawn in black and thicker, under the estimates: the ground truth.
    pub reference: bool,
}

/// Counts of points in equal-width bins, drawn as bars on the right axis.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    pub name: String,
    /// Left edge of the first bar.
    pub start: f64,
    pub width: f64,
    pub counts: Vec<u64>,
}

impl Histogram {
    /// Bins `values` with bars of `width` aligned to multiples of `width`,
    /// so they line up with the density bins when widths agree.
    pub fn from_values(name: &str, values: &[f64], width: f64) -> Histogram {
        let finite = values.iter().copied().filter(|v| v.is_finite());
        let lo = finite.clone().fold(f64::INFINITY, f64::min);
        if !lo.is_finite() || width <= 0.0 {
            return Histogram {
                name: name.to_owned(),
                start: 0.0,
                width: 1.0,
                counts: Vec::new(),
            };
        }
        let start = (lo / width).floor() * width;
        let mut counts = Vec::new();
        for v in finite {
            let idx = ((v - start) / width).floor() as usize;
            if idx >= counts.len() {
                counts.resize(idx + 1, 0);
            }
            counts[idx] += 1;
        }
        Histogram {
            name: name.to_owned(),
            start,
            width,
            counts,
        }
    }

    fn bars(&self) -> impl Iterator<Item = (f64, f64, f64)> + '_ {
        let w = self.width;
        self.counts.iter().enumerate().map(move |(i, &n)| {
            let lo = self.start + i as f64 * w;
            (lo, lo + w, n as f64)
        })
    }

    fn end(&self) -> f64 {
        self.start + self.width * self.counts.len() as f64
    }
}

impl DensityChart {
    fn x_range(&self) -> std::ops::Range<f64> {
        let mut xs: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        if let Some(h) = self.overlay.as_ref().filter(|h| !h.counts.is_empty()) {
            xs.extend([h.start, h.end()]);
        }
        xs.extend(self.guides.iter().copied());
        padded_range(xs.into_iter().filter(|x| x.is_finite()))
    }

    fn y_range(&self) -> std::ops::Range<f64> {
        let ys = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1));
        padded_range(ys.filter(|y| y.is_finite()))
    }

    /// Series in drawing order: references first so estimates stay visible.
    fn ordered(&self) -> Vec<(usize, &DensitySeries)> {
        let refs = self.series.iter().filter(|s| s.reference);
        let rest = self.series.iter().filter(|s| !s.reference);
        refs.chain(rest).enumerate().collect()
    }
}

impl Draw for DensityChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(plot_err)?;
        let x_range = self.x_range();
        let y_range = self.y_range();
        let (x_span, y_span) = (x_range.end - x_range.start, y_range.end - y_range.start);
        let max_count = self
            .overlay
            .as_ref()
            .and_then(|h| h.counts.iter().max().copied());
        let y2_top = max_count.unwrap_or(1).max(1) as f64 * 1.1;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, 22))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(70)
            .right_y_label_area_size(if self.overlay.is_some() { 70 } else { 0 })
            .build_cartesian_2d(x_range.clone(), y_range.clone())
            .map_err(plot_err)?
            .set_secondary_coord(x_range, 0.0..y2_top);
        let x_label = if self.x_label.is_empty() {
            "logit"
        } else {
            &self.x_label
        };
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc("log10 rho")
            .x_label_formatter(&|v| tick_label(*v, x_span))
            .y_label_formatter(&|v| tick_label(*v, y_span))
            .label_style((FAMILY, 14))
            .draw()
            .map_err(plot_err)?;

        if let Some(h) = &self.overlay {
            let color = RGBColor(120, 120, 120);
            chart
                .configure_secondary_axes()
                .y_desc(format!("{} (count)", h.name))
                .y_label_formatter(&|v| format!("{v:.0}"))
                .label_style((FAMILY, 14))
                .draw()
                .map_err(plot_err)?;
            let bars = h.bars().filter(|b| b.2 > 0.0);
            let bars = bars.map(move |(lo, hi, n)| {
                Rectangle::new([(lo, 0.0), (hi, n)], color.mix(0.3).filled())
            });
            chart
                .draw_secondary_series(bars)
                .map_err(plot_err)?
                .label(h.name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 20, y + 5)], color.mix(0.3).filled())
                });
        }

        for guide in &self.guides {
            let line = [(*guide, y_range.start), (*guide, y_range.end)];
            chart
                .draw_series(DashedLineSeries::new(
                    line,
                    6,
                    4,
                    BLACK.mix(0.5).stroke_width(1),
                ))
                .map_err(plot_err)?;
        }

        for (i, s) in self.ordered() {
            let (color, width) = if s.reference {
                (BLACK, 3)
            } else {
                (series_color(i), 2)
            };
            let style = color.stroke_width(width);
            for segment in split_at_gaps(&s.points) {
                chart
                    .draw_series(LineSeries::new(segment, style))
                    .map_err(plot_err)?;
            }
            let markers = s
                .points
                .iter()
                .map(move |&p| Circle::new(p, 3, color.filled()));
            chart
                .draw_series(markers)
                .map_err(plot_err)?
                .label(s.name.as_str())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
        }
        chart
            .configure_series_labels()
            .label_font((FAMILY, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(plot_err)?;
        Ok(())
    }
}
