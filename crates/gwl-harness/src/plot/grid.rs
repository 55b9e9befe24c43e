//! Image grid: representative binary inputs per output bin, one row per
//! bin, so a reader can see what the network maps where.

use std::path::Path;

use anyhow::{bail, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{ensure_font, plot_err, FAMILY};
use crate::io::render_atomic;

/// Rows of binary images of one shape, drawn as a PNG.
#[derive(Debug, Clone, Default)]
pub struct ImageGrid {
    pub title: String,
    pub height: usize,
    pub width: usize,
    /// Screen pixels per input pixel.
    pub scale: u32,
    pub rows: Vec<GridRow>,
}

/// One bin's row: its label (e.g. "logit -3..-2") and its images, each
/// `height * width` values in row-major order; nonzero is ink, drawn black
/// on white for legibility on paper.
#[derive(Debug, Clone, Default)]
pub struct GridRow {
    pub label: String,
    pub images: Vec<Vec<u8>>,
}

const MARGIN: u32 = 12;
const TITLE_HEIGHT: u32 = 34;
const LABEL_WIDTH: u32 = 170;
const GAP: u32 = 6;

impl ImageGrid {
    fn check(&self) -> Result<()> {
        if self.height == 0 || self.width == 0 || self.scale == 0 {
            bail!(
                "image grid `{}`: height, width and scale must be positive",
                self.title
            );
        }
        let n = self.height * self.width;
        for row in &self.rows {
            if let Some(bad) = row.images.iter().find(|img| img.len() != n) {
                bail!(
                    "image grid `{}`, row `{}`: an image has {} values, expected {n}",
                    self.title,
                    row.label,
                    bad.len()
                );
            }
        }
        Ok(())
    }

    fn cell(&self) -> (u32, u32) {
        (
            self.width as u32 * self.scale,
            self.height as u32 * self.scale,
        )
    }

    /// Keeps at most `max_rows` rows, spread evenly from the first to the
    /// last so the grid still spans the whole output range.
    pub fn thinned(mut self, max_rows: usize) -> ImageGrid {
        let n = self.rows.len();
        if max_rows == 0 || n <= max_rows {
            return self;
        }
        let keep: Vec<usize> = if max_rows == 1 {
            vec![0]
        } else {
            (0..max_rows)
                .map(|k| (k * (n - 1) + (max_rows - 1) / 2) / (max_rows - 1))
                .collect()
        };
        let mut rows = std::mem::take(&mut self.rows);
        self.rows = keep
            .into_iter()
            .map(|i| std::mem::take(&mut rows[i]))
            .collect();
        self
    }

    /// Pixel size of the whole grid.
    pub fn size(&self) -> (u32, u32) {
        let (cw, ch) = self.cell();
        let cols = self
            .rows
            .iter()
            .map(|r| r.images.len())
            .max()
            .unwrap_or(0)
            .max(1) as u32;
        let rows = self.rows.len().max(1) as u32;
        let w = 2 * MARGIN + LABEL_WIDTH + cols * (cw + GAP);
        let h = 2 * MARGIN + TITLE_HEIGHT + rows * (ch + GAP);
        (w, h)
    }

    /// Writes the grid as a PNG at `path`.
    pub fn render(&self, path: &Path) -> Result<()> {
        self.check()?;
        ensure_font()?;
        render_atomic(path, |tmp| {
            let root = BitMapBackend::new(tmp, self.size()).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(plot_err)
        })
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(plot_err)?;
        let title = Text::new(
            self.title.clone(),
            (MARGIN as i32, MARGIN as i32),
            (FAMILY, 20),
        );
        root.draw(&title).map_err(plot_err)?;
        let (cw, ch) = self.cell();
        for (r, row) in self.rows.iter().enumerate() {
            let top = (MARGIN + TITLE_HEIGHT + r as u32 * (ch + GAP)) as i32;
            let label_y = top + ch as i32 / 2 - 8;
            let label = Text::new(row.label.clone(), (MARGIN as i32, label_y), (FAMILY, 15));
            root.draw(&label).map_err(plot_err)?;
            for (c, image) in row.images.iter().enumerate() {
                let left = (MARGIN + LABEL_WIDTH + c as u32 * (cw + GAP)) as i32;
                self.draw_image(root, image, (left, top))?;
            }
        }
        Ok(())
    }

    fn draw_image<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        image: &[u8],
        (left, top): (i32, i32),
    ) -> Result<()> {
        let s = self.scale as i32;
        let (cw, ch) = self.cell();
        let frame = [(left - 1, top - 1), (left + cw as i32, top + ch as i32)];
        root.draw(&Rectangle::new(frame, RGBColor(170, 170, 170)))
            .map_err(plot_err)?;
        for (i, _) in image.iter().enumerate().filter(|(_, v)| **v != 0) {
            let (y, x) = ((i / self.width) as i32, (i % self.width) as i32);
            let corners = [
                (left + x * s, top + y * s),
                (left + (x + 1) * s, top + (y + 1) * s),
            ];
            root.draw(&Rectangle::new(corners, BLACK.filled()))
                .map_err(plot_err)?;
        }
        Ok(())
    }
}
