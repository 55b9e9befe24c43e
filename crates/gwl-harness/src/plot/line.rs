//! Line chart: several curves, each with an optional mean ± spread band,
//! on linear or log axes (error against evaluations or seconds).

use std::ops::Range;

use anyhow::{bail, Result};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{padded_range, plot_err, series_color, tick_label, Draw, Scale, FAMILY};

/// A chart of curves sharing one pair of axes.
#[derive(Debug, Clone, Default)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_scale: Scale,
    pub y_scale: Scale,
    pub curves: Vec<Curve>,
    /// Horizontal dashed guides in data units, e.g. target errors.
    pub guides: Vec<f64>,
}

/// One curve: the mean over seeds at each `x`, and optionally the spread
/// (e.g. standard deviation) drawn as a translucent band `y ± spread`.
#[derive(Debug, Clone, Default)]
pub struct Curve {
    pub name: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub spread: Option<Vec<f64>>,
}

/// A curve in data units with its band, points a log axis cannot show
/// already dropped.
struct Mapped {
    line: Vec<(f64, f64)>,
    band: Vec<(f64, f64)>,
}

impl LineChart {
    fn check(&self) -> Result<()> {
        for c in &self.curves {
            let spread_len = c.spread.as_ref().map_or(c.x.len(), Vec::len);
            if c.y.len() != c.x.len() || spread_len != c.x.len() {
                bail!("curve `{}`: x, y and spread differ in length", c.name);
            }
        }
        Ok(())
    }

    fn visible(&self, x: f64, y: f64) -> bool {
        self.x_scale.to_axis(x).is_some() && self.y_scale.to_axis(y).is_some()
    }

    /// On a log axis the lower edge of a band can fall to zero or below; it
    /// is clamped to `floor`, the bottom of the visible axis, rather than
    /// dropped, so the band stays one polygon.
    fn map(&self, c: &Curve, floor: f64) -> Mapped {
        let mut line = Vec::new();
        let mut upper = Vec::new();
        let mut lower = Vec::new();
        for i in (0..c.x.len()).filter(|&i| self.visible(c.x[i], c.y[i])) {
            let (x, y) = (c.x[i], c.y[i]);
            line.push((x, y));
            if let Some(spread) = &c.spread {
                let s = spread[i].abs();
                upper.push((x, y + s));
                lower.push((x, (y - s).max(floor)));
            }
        }
        lower.reverse();
        upper.extend(lower);
        Mapped { line, band: upper }
    }

    /// Axis ranges in data units, padded in axis coordinates so that a log
    /// axis pads by a ratio, not a difference.
    fn ranges(&self) -> (Range<f64>, Range<f64>) {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for c in &self.curves {
            for i in (0..c.x.len()).filter(|&i| self.visible(c.x[i], c.y[i])) {
                xs.extend(self.x_scale.to_axis(c.x[i]));
                ys.extend(self.y_scale.to_axis(c.y[i]));
            }
        }
        ys.extend(self.guides.iter().filter_map(|g| self.y_scale.to_axis(*g)));
        let x = padded_range(xs.into_iter());
        let y = padded_range(ys.into_iter());
        (
            self.x_scale.range_from_axis(x),
            self.y_scale.range_from_axis(y),
        )
    }

    /// Draws on axes of any coordinate type (linear or log); plotters gives
    /// each its own type, hence the generic parameters.
    fn draw_in<DB, X, Y>(&self, root: &DrawingArea<DB, Shift>, x_spec: X, y_spec: Y) -> Result<()>
    where
        DB: DrawingBackend,
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let (x_range, y_range) = self.ranges();
        let (x_span, y_span) = (x_range.end - x_range.start, y_range.end - y_range.start);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, 22))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(70)
            .build_cartesian_2d(x_spec, y_spec)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&|v| tick_label(*v, x_span))
            .y_label_formatter(&|v| tick_label(*v, y_span))
            .label_style((FAMILY, 14))
            .draw()
            .map_err(plot_err)?;

        for &guide in self
            .guides
            .iter()
            .filter(|g| self.y_scale.to_axis(**g).is_some())
        {
            let line = [(x_range.start, guide), (x_range.end, guide)];
            let dashes = DashedLineSeries::new(line, 6, 4, BLACK.mix(0.5).stroke_width(1));
            chart.draw_series(dashes).map_err(plot_err)?;
        }

        for (i, curve) in self.curves.iter().enumerate() {
            let color = series_color(i);
            let mapped = self.map(curve, y_range.start);
            if mapped.band.len() > 2 {
                let band = Polygon::new(mapped.band, color.mix(0.18).filled());
                chart.draw_series(std::iter::once(band)).map_err(plot_err)?;
            }
            let style = color.stroke_width(2);
            chart
                .draw_series(LineSeries::new(mapped.line, style))
                .map_err(plot_err)?
                .label(curve.name.as_str())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
        }
        chart
            .configure_series_labels()
            .label_font((FAMILY, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(plot_err)?;
        Ok(())
    }
}

impl Draw for LineChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        self.check()?;
        root.fill(&WHITE).map_err(plot_err)?;
        let (x, y) = self.ranges();
        match (self.x_scale, self.y_scale) {
            (Scale::Linear, Scale::Linear) => self.draw_in(root, x, y),
            (Scale::Log10, Scale::Linear) => self.draw_in(root, x.log_scale(), y),
            (Scale::Linear, Scale::Log10) => self.draw_in(root, x, y.log_scale()),
            (Scale::Log10, Scale::Log10) => self.draw_in(root, x.log_scale(), y.log_scale()),
        }
    }
}
