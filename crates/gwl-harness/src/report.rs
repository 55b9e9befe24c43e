//! `results/REPORT.md`: the paper's claims with our verdicts and numbers,
//! then one section per experiment with its tables and figures.

use std::fmt::Write as _;
use std::path::{Component, Path};

use anyhow::{Context, Result};

use crate::io::write_atomic;

/// Whether our run supports a claim of the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Supported,
    /// Supported for some models or measures and not for others.
    Partly,
    NotSupported,
    /// The experiment behind the claim did not run (e.g. a subset was asked).
    NotRun,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::Partly => "partly supported",
            Verdict::NotSupported => "not supported",
            Verdict::NotRun => "not run",
        }
    }
}

/// One claim, our verdict, and the numbers behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub claim: String,
    pub verdict: Verdict,
    /// The numbers, in a sentence or two; Markdown allowed, no newlines.
    pub evidence: String,
}

/// A table already rendered as Markdown.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportTable {
    pub caption: String,
    pub markdown: String,
}

/// A figure, linked by paths relative to the report's folder.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureLink {
    pub caption: String,
    /// Shown inline (a PNG).
    pub image: String,
    /// Offered as a link beside it (e.g. the SVG).
    pub alternate: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub tables: Vec<ReportTable>,
    pub figures: Vec<FigureLink>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub title: String,
    /// Paragraphs under the title: profile, conventions, how to rerun.
    pub intro: Vec<String>,
    pub claims: Vec<Claim>,
    pub sections: Vec<Section>,
}

impl Section {
    pub fn new(heading: &str) -> Section {
        Section {
            heading: heading.to_owned(),
            ..Section::default()
        }
    }

    pub fn paragraph(mut self, text: impl Into<String>) -> Section {
        self.paragraphs.push(text.into());
        self
    }

    pub fn table(mut self, caption: &str, markdown: impl Into<String>) -> Section {
        self.tables.push(ReportTable {
            caption: caption.to_owned(),
            markdown: markdown.into(),
        });
        self
    }

    /// Embeds a Markdown table written by [`crate::Table::write`].
    pub fn table_file(self, caption: &str, path: &Path) -> Result<Section> {
        let markdown = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read table {}", path.display()))?;
        Ok(self.table(caption, markdown))
    }

    /// Links the figure at `stem` (`.png` inline, `.svg` beside it when it
    /// exists); paths are made relative to `report_dir`.
    pub fn figure(mut self, caption: &str, stem: &Path, report_dir: &Path) -> Section {
        let png = stem.with_extension("png");
        let svg = stem.with_extension("svg");
        self.figures.push(FigureLink {
            caption: caption.to_owned(),
            image: relative_link(&png, report_dir),
            alternate: svg.is_file().then(|| relative_link(&svg, report_dir)),
        });
        self
    }
}

/// `path` relative to `base` with forward slashes, for Markdown links; an
/// unrelated path is kept as given.
pub fn relative_link(path: &Path, base: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

impl Report {
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# {}\n", self.title);
        for p in &self.intro {
            let _ = writeln!(out, "{p}\n");
        }
        if !self.claims.is_empty() {
            self.write_claims(&mut out);
        }
        for section in &self.sections {
            write_section(&mut out, section);
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    }

    fn write_claims(&self, out: &mut String) {
        let _ = writeln!(out, "## Claims\n");
        let _ = writeln!(out, "| # | claim of the paper | our run | numbers |");
        let _ = writeln!(out, "|---:|:---|:---|:---|");
        for (i, c) in self.claims.iter().enumerate() {
            let _ = writeln!(
                out,
                "| {} | {} | **{}** | {} |",
                i + 1,
                cell(&c.claim),
                c.verdict.as_str(),
                cell(&c.evidence)
            );
        }
        out.push('\n');
    }

    /// Writes the report atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_atomic(path, self.to_markdown().as_bytes())
    }
}

fn write_section(out: &mut String, s: &Section) {
    let _ = writeln!(out, "## {}\n", s.heading);
    for p in &s.paragraphs {
        let _ = writeln!(out, "{p}\n");
    }
    for t in &s.tables {
        let _ = writeln!(out, "**{}**\n", t.caption);
        let _ = writeln!(out, "{}\n", t.markdown.trim_end());
    }
    for f in &s.figures {
        let _ = writeln!(out, "![{}]({})\n", f.caption, f.image);
        match &f.alternate {
            Some(alt) => {
                let _ = writeln!(out, "*{}* ([vector]({alt}))\n", f.caption);
            }
            None => {
                let _ = writeln!(out, "*{}*\n", f.caption);
            }
        }
    }
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lists_claims_then_sections_with_tables_and_figures() {
        let dir = tempfile::tempdir().unwrap();
        let exp = dir.path().join("toy-accuracy");
        std::fs::create_dir_all(&exp).unwrap();
        std::fs::write(exp.join("accuracy.md"), "| a |\n|---:|\n| 1 |\n").unwrap();
        std::fs::write(exp.join("density.svg"), "<svg/>").unwrap();
        let report = Report {
            title: "gwl reproduction".into(),
            intro: vec!["Profile: quick.".into()],
            claims: vec![Claim {
                claim: "GWL matches enumeration".into(),
                verdict: Verdict::Supported,
                evidence: "mean |err| 0.03 | max 0.2".into(),
            }],
            sections: vec![Section::new("toy-accuracy")
                .paragraph("Four samplers.")
                .table_file("Accuracy", &exp.join("accuracy.md"))
                .unwrap()
                .figure("Density", &exp.join("density"), dir.path())],
        };
        let path = dir.path().join("REPORT.md");
        report.write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# gwl reproduction\n\nProfile: quick.\n\n## Claims\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "| 1 | GWL matches enumeration | **supported** | mean \\|err\\| 0.03 \\| max 0.2 |"
            ),
            "{text}"
        );
        assert!(
            text.contains("**Accuracy**\n\n| a |\n|---:|\n| 1 |\n"),
            "{text}"
        );
        assert!(
            text.contains("![Density](toy-accuracy/density.png)"),
            "{text}"
        );
        assert!(
            text.contains("([vector](toy-accuracy/density.svg))"),
            "{text}"
        );
        assert!(text.ends_with("\n") && !text.ends_with("\n\n"));
    }

    #[test]
    fn links_are_relative_with_forward_slashes() {
        let base = Path::new("results");
        assert_eq!(relative_link(Path::new("results/a/b.png"), base), "a/b.png");
        assert_eq!(relative_link(Path::new("other/c.png"), base), "other/c.png");
    }
}
