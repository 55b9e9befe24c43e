//! Result tables: rows in, a polars `DataFrame` out, written as CSV (for
//! machines, full precision) and Markdown (for the report, rounded).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use polars::prelude::{AnyValue, Column, CsvWriter, DataFrame, DataType, SerWriter};

use crate::io::write_atomic;

/// The name and columns of a table an experiment writes. Declaring these as
/// constants lets the writer and the `--check` mode share one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSchema {
    /// File stem: the table is written as `<name>.csv` and `<name>.md`.
    pub name: &'static str,
    pub columns: &'static [&'static str],
}

/// One value in a table row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Str(String),
    Int(i64),
    Float(f64),
    /// No value, e.g. a target error a sampler never reached.
    Missing,
}

/// Rows collected for one table.
#[derive(Debug, Clone)]
pub struct Table {
    name: String,
    columns: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

/// Paths of the two files a table is written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFiles {
    pub csv: PathBuf,
    pub markdown: PathBuf,
}

impl Table {
    pub fn new(schema: &TableSchema) -> Table {
        Table {
            name: schema.name.to_owned(),
            columns: schema.columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Appends a row; it must have one cell per column.
    pub fn push(&mut self, row: Vec<Cell>) -> Result<()> {
        if row.len() != self.columns.len() {
            bail!(
                "table `{}`: row has {} cells but the table has {} columns",
                self.name,
                row.len(),
                self.columns.len()
            );
        }
        self.rows.push(row);
        Ok(())
    }

    /// Builds the frame. A column holding only integers becomes `i64`, one
    /// with any float becomes `f64`, one with text becomes a string column;
    /// missing cells are nulls.
    pub fn to_frame(&self) -> Result<DataFrame> {
        let columns = (0..self.columns.len())
            .map(|c| self.column(c))
            .collect::<Result<Vec<Column>>>()?;
        DataFrame::new(columns).with_context(|| format!("cannot build table `{}`", self.name))
    }

    fn column(&self, c: usize) -> Result<Column> {
        let name = self.columns[c].as_str();
        let cells: Vec<&Cell> = self.rows.iter().map(|r| &r[c]).collect();
        let has = |f: fn(&Cell) -> bool| cells.iter().any(|cell| f(cell));
        let text = has(|x| matches!(x, Cell::Str(_)));
        if text && has(|x| matches!(x, Cell::Int(_) | Cell::Float(_))) {
            bail!(
                "table `{}`: column `{name}` mixes text and numbers",
                self.name
            );
        }
        let column = if text {
            let values: Vec<Option<&str>> = cells.iter().map(|x| as_str(x)).collect();
            Column::new(name.into(), values)
        } else if has(|x| matches!(x, Cell::Float(_))) {
            let values: Vec<Option<f64>> = cells.iter().map(|x| as_f64(x)).collect();
            Column::new(name.into(), values)
        } else {
            let values: Vec<Option<i64>> = cells.iter().map(|x| as_i64(x)).collect();
            Column::new(name.into(), values)
        };
        Ok(column)
    }

    /// Writes `<dir>/<name>.csv` and `<dir>/<name>.md` atomically.
    pub fn write(&self, dir: &Path) -> Result<TableFiles> {
        let mut frame = self.to_frame()?;
        write_frame(&mut frame, dir, &self.name)
    }
}

fn as_str(cell: &Cell) -> Option<&str> {
    match cell {
        Cell::Str(s) => Some(s),
        _ => None,
    }
}

fn as_f64(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Float(x) => Some(*x),
        Cell::Int(n) => Some(*n as f64),
        _ => None,
    }
}

fn as_i64(cell: &Cell) -> Option<i64> {
    match cell {
        Cell::Int(n) => Some(*n),
        _ => None,
    }
}

/// Writes any frame as `<dir>/<name>.csv` and `<dir>/<name>.md`.
pub fn write_frame(frame: &mut DataFrame, dir: &Path, name: &str) -> Result<TableFiles> {
    let files = TableFiles {
        csv: dir.join(format!("{name}.csv")),
        markdown: dir.join(format!("{name}.md")),
    };
    let mut csv = Vec::new();
    CsvWriter::new(&mut csv)
        .finish(frame)
        .with_context(|| format!("cannot format {}", files.csv.display()))?;
    write_atomic(&files.csv, &csv)?;
    write_atomic(&files.markdown, markdown(frame)?.as_bytes())?;
    Ok(files)
}

/// Renders a frame as a GitHub-flavoured Markdown table: numbers
/// right-aligned and rounded by [`format_float`], nulls as `n/a`.
pub fn markdown(frame: &DataFrame) -> Result<String> {
    let columns = frame.get_columns();
    let mut out = String::new();
    let names: Vec<String> = columns.iter().map(|c| escape(c.name())).collect();
    let _ = writeln!(out, "| {} |", names.join(" | "));
    let aligns: Vec<&str> = columns
        .iter()
        .map(|c| {
            if is_numeric(c.dtype()) {
                "---:"
            } else {
                ":---"
            }
        })
        .collect();
    let _ = writeln!(out, "|{}|", aligns.join("|"));
    for row in 0..frame.height() {
        let mut cells = Vec::with_capacity(columns.len());
        for column in columns {
            let value = column
                .get(row)
                .with_context(|| format!("cannot read row {row}"))?;
            cells.push(format_value(&value));
        }
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    Ok(out)
}

fn is_numeric(dtype: &DataType) -> bool {
    dtype.is_primitive_numeric()
}

fn format_value(value: &AnyValue) -> String {
    match value {
        AnyValue::Null => "n/a".to_owned(),
        AnyValue::Float64(x) => format_float(*x),
        AnyValue::Float32(x) => format_float(f64::from(*x)),
        AnyValue::String(s) => escape(s),
        AnyValue::StringOwned(s) => escape(s),
        other => escape(&other.to_string()),
    }
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

/// Four significant digits in plain notation between 0.001 and a million,
/// scientific outside; trailing zeros dropped. Errors in nats and logit
/// values need no more precision than that in a report, and the CSV keeps
/// the full value.
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-3..6).contains(&magnitude) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - magnitude).max(0) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Str(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Str(s)
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Cell {
        Cell::Float(x)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

impl From<u64> for Cell {
    /// Counts past `i64::MAX` do not occur in our tables (evaluations stay
    /// far below); saturate rather than wrap if one ever does.
    fn from(n: u64) -> Cell {
        Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<u32> for Cell {
    fn from(n: u32) -> Cell {
        Cell::Int(i64::from(n))
    }
}

impl From<usize> for Cell {
    fn from(n: usize) -> Cell {
        Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Cell {
        value.map_or(Cell::Missing, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: TableSchema = TableSchema {
        name: "accuracy",
        columns: &["model", "sampler", "evaluations", "mean_err"],
    };

    fn sample() -> Table {
        let mut t = Table::new(&SCHEMA);
        t.push(vec![
            "mlp-4".into(),
            "wl".into(),
            1000u64.into(),
            0.0123456.into(),
        ])
        .unwrap();
        t.push(vec![
            "cnn-4".into(),
            "gwl|x".into(),
            2000u64.into(),
            Cell::Missing,
        ])
        .unwrap();
        t
    }

    #[test]
    fn floats_are_rounded_to_four_significant_digits() {
        assert_eq!(format_float(0.0123456), "0.01235");
        assert_eq!(format_float(123.456), "123.5");
        assert_eq!(format_float(-2.5), "-2.5");
        assert_eq!(format_float(100.0), "100");
        assert_eq!(format_float(12345.6), "12346");
        assert_eq!(format_float(2.5e-7), "2.500e-7");
        assert_eq!(format_float(3.0e9), "3.000e9");
        assert_eq!(format_float(0.0), "0");
        assert_eq!(format_float(f64::NAN), "nan");
    }

    #[test]
    fn table_writes_csv_and_markdown() {
        let dir = tempfile::tempdir().unwrap();
        let files = sample().write(dir.path()).unwrap();
        let csv = std::fs::read_to_string(&files.csv).unwrap();
        assert_eq!(
            csv.lines().next().unwrap(),
            "model,sampler,evaluations,mean_err"
        );
        assert!(csv.contains("mlp-4,wl,1000,0.0123456"), "{csv}");
        let md = std::fs::read_to_string(&files.markdown).unwrap();
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines[0], "| model | sampler | evaluations | mean_err |");
        assert_eq!(lines[1], "|:---|:---|---:|---:|");
        assert_eq!(lines[2], "| mlp-4 | wl | 1000 | 0.01235 |");
        assert_eq!(lines[3], "| cnn-4 | gwl\\|x | 2000 | n/a |");
    }

    #[test]
    fn rows_of_the_wrong_width_and_mixed_columns_are_refused() {
        let mut t = Table::new(&SCHEMA);
        assert!(t.push(vec!["a".into()]).is_err());
        t.push(vec!["a".into(), "b".into(), 1u64.into(), 1.0.into()])
            .unwrap();
        t.push(vec!["a".into(), "b".into(), "many".into(), 1.0.into()])
            .unwrap();
        let err = t.to_frame().unwrap_err().to_string();
        assert!(
            err.contains("column `evaluations` mixes text and numbers"),
            "{err}"
        );
    }

    #[test]
    fn integer_and_float_cells_share_a_float_column() {
        let mut t = Table::new(&SCHEMA);
        t.push(vec!["a".into(), "b".into(), 1u64.into(), 2i64.into()])
            .unwrap();
        t.push(vec!["a".into(), "b".into(), 1u64.into(), 2.5.into()])
            .unwrap();
        let frame = t.to_frame().unwrap();
        assert_eq!(
            frame.column("mean_err").unwrap().dtype(),
            &DataType::Float64
        );
        assert_eq!(
            frame.column("evaluations").unwrap().dtype(),
            &DataType::Int64
        );
    }
}
