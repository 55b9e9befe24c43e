//! A schema walker over the spanned TOML tree that collects every problem.
//!
//! serde's derive stops at the first bad field and, for untagged enums,
//! forgets where it was; walking the spanned tree ourselves keeps the line
//! of every key and lets one pass report them all.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::Problem;

/// What a value must be.
pub(crate) enum Kind {
    /// Non-empty string.
    Str,
    /// Lowercase identifier: letters, digits, `-` and `_`, usable in file names.
    Ident,
    /// One of a fixed set of strings.
    Word(&'static [&'static str]),
    Int {
        min: i64,
        max: i64,
    },
    Float(Bounds),
    Bool,
    /// Array whose elements are all of one kind.
    List(&'static Kind),
    Table(&'static Schema),
    /// Non-empty array of tables, as written with `[[key]]`.
    Tables(&'static Schema),
    /// Anything the other kinds cannot say; checks the value itself.
    Custom(CustomCheck),
}

pub(crate) type CustomCheck = fn(&mut Checker, &str, &Spanned<DeValue>);
pub(crate) type TableHook = fn(&mut Checker, &str, Range<usize>, &DeTable);

/// Interval for a float; `open` ends exclude their bound.
pub(crate) struct Bounds {
    pub lo: f64,
    pub hi: f64,
    pub lo_open: bool,
    pub hi_open: bool,
}

impl Bounds {
    pub const ANY: Bounds = Bounds::closed(f64::MIN, f64::MAX);
    pub const POSITIVE: Bounds = Bounds {
        lo: 0.0,
        hi: f64::MAX,
        lo_open: true,
        hi_open: false,
    };

    pub const fn closed(lo: f64, hi: f64) -> Bounds {
        Bounds {
            lo,
            hi,
            lo_open: false,
            hi_open: false,
        }
    }

    fn contains(&self, x: f64) -> bool {
        let above = if self.lo_open {
            x > self.lo
        } else {
            x >= self.lo
        };
        let below = if self.hi_open {
            x < self.hi
        } else {
            x <= self.hi
        };
        above && below
    }

    fn describe(&self) -> String {
        match (self.lo == f64::MIN, self.hi == f64::MAX) {
            (true, true) => "a number".to_owned(),
            (false, true) => format!(
                "a number {} {}",
                if self.lo_open { ">" } else { ">=" },
                self.lo
            ),
            (true, false) => format!(
                "a number {} {}",
                if self.hi_open { "<" } else { "<=" },
                self.hi
            ),
            (false, false) => format!(
                "a number in {}{}, {}{}",
                if self.lo_open { "(" } else { "[" },
                self.lo,
                self.hi,
                if self.hi_open { ")" } else { "]" }
            ),
        }
    }
}

pub(crate) struct Field {
    pub key: &'static str,
    pub kind: Kind,
    pub required: bool,
}

impl Field {
    pub const fn req(key: &'static str, kind: Kind) -> Field {
        Field {
            key,
            kind,
            required: true,
        }
    }

    pub const fn opt(key: &'static str, kind: Kind) -> Field {
        Field {
            key,
            kind,
            required: false,
        }
    }
}

/// Keys a table may hold, plus an optional check across its keys.
pub(crate) struct Schema {
    pub fields: &'static [Field],
    pub hook: Option<TableHook>,
}

/// Collects problems while walking one document.
pub(crate) struct Checker<'s> {
    src: &'s str,
    line_starts: Vec<usize>,
    pub problems: Vec<Problem>,
}

/// Checks `src` against the spec schema; empty when the spec is good.
pub(crate) fn check(src: &str) -> Vec<Problem> {
    let mut checker = Checker::new(src);
    let (doc, errors) = DeTable::parse_recoverable(src);
    if !errors.is_empty() {
        // A document that does not parse yields a partial tree; checking it
        // would add noise about keys the syntax error swallowed.
        for err in errors {
            let span = err.span().unwrap_or(0..0);
            checker.report(span, "", err.message().to_owned());
        }
    } else {
        checker.table("", doc.span(), doc.get_ref(), &super::schema::SPEC);
    }
    checker.finish()
}

/// Turns a serde error (which the schema should have prevented) into a
/// problem with a line.
pub(crate) fn from_serde(src: &str, err: &toml::de::Error) -> Problem {
    let checker = Checker::new(src);
    let line = checker.line(err.span().unwrap_or(0..0).start);
    Problem {
        line,
        key: String::new(),
        message: err.message().to_owned(),
    }
}

impl<'s> Checker<'s> {
    fn new(src: &'s str) -> Checker<'s> {
        let starts = std::iter::once(0).chain(src.match_indices('\n').map(|(i, _)| i + 1));
        Checker {
            src,
            line_starts: starts.collect(),
            problems: Vec::new(),
        }
    }

    fn finish(mut self) -> Vec<Problem> {
        self.problems
            .sort_by(|a, b| (a.line, &a.key).cmp(&(b.line, &b.key)));
        self.problems.dedup();
        self.problems
    }

    fn line(&self, offset: usize) -> usize {
        self.line_starts
            .partition_point(|&start| start <= offset)
            .max(1)
    }

    pub fn report(&mut self, span: Range<usize>, key: &str, message: String) {
        let line = self.line(span.start);
        self.problems.push(Problem {
            line,
            key: key.to_owned(),
            message,
        });
    }

    /// The value as written, shortened for messages.
    pub fn raw(&self, span: Range<usize>) -> String {
        let text = self.src.get(span).unwrap_or("").trim();
        let first = text.lines().next().unwrap_or("");
        if first.chars().count() > 40 || first.len() < text.len() {
            format!("{}...", first.chars().take(40).collect::<String>())
        } else {
            first.to_owned()
        }
    }

    pub fn mismatch(&mut self, path: &str, v: &Spanned<DeValue>, expected: &str) {
        let found = format!("{} `{}`", v.get_ref().type_str(), self.raw(v.span()));
        self.report(
            v.span(),
            path,
            format!("expected {expected}, found {found}"),
        );
    }

    pub fn table(&mut self, path: &str, span: Range<usize>, table: &DeTable, schema: &Schema) {
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            let sub = join(path, name);
            match schema.fields.iter().find(|f| f.key == name) {
                Some(field) => self.value(&sub, value, &field.kind),
                None => self.unknown(&sub, key.span(), name, schema),
            }
        }
        for field in schema.fields.iter().filter(|f| f.required) {
            if !table.contains_key(field.key) {
                let sub = join(path, field.key);
                self.report(span.clone(), &sub, "missing required key".to_owned());
            }
        }
        if let Some(hook) = schema.hook {
            hook(self, path, span, table);
        }
    }

    fn unknown(&mut self, path: &str, span: Range<usize>, name: &str, schema: &Schema) {
        let known: Vec<&str> = schema.fields.iter().map(|f| f.key).collect();
        let hint = match known.iter().find(|k| close(k, name)) {
            Some(k) => format!("; did you mean `{k}`?"),
            None => format!("; expected one of: {}", known.join(", ")),
        };
        self.report(span, path, format!("unknown key{hint}"));
    }

    pub fn value(&mut self, path: &str, v: &Spanned<DeValue>, kind: &Kind) {
        match kind {
            Kind::Str => self.string(path, v),
            Kind::Ident => self.ident(path, v),
            Kind::Word(words) => self.word(path, v, words),
            Kind::Int { min, max } => self.int(path, v, *min, *max),
            Kind::Float(bounds) => self.float(path, v, bounds),
            Kind::Bool => {
                if v.get_ref().as_bool().is_none() {
                    self.mismatch(path, v, "true or false");
                }
            }
            Kind::List(item) => self.list(path, v, item),
            Kind::Table(schema) => match v.get_ref().as_table() {
                Some(t) => self.table(path, v.span(), t, schema),
                None => self.mismatch(path, v, "a table"),
            },
            Kind::Tables(schema) => self.tables(path, v, schema),
            Kind::Custom(check) => check(self, path, v),
        }
    }

    fn string(&mut self, path: &str, v: &Spanned<DeValue>) {
        match v.get_ref().as_str() {
            Some(s) if !s.trim().is_empty() => {}
            Some(_) => self.report(v.span(), path, "must not be empty".to_owned()),
            None => self.mismatch(path, v, "a string"),
        }
    }

    fn ident(&mut self, path: &str, v: &Spanned<DeValue>) {
        let Some(s) = v.get_ref().as_str() else {
            return self.mismatch(path, v, "a string");
        };
        let ok = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if s.is_empty() || !ok {
            let msg = format!("`{s}` is not a name of lowercase letters, digits, `-` and `_`");
            self.report(v.span(), path, msg);
        }
    }

    pub fn word(&mut self, path: &str, v: &Spanned<DeValue>, words: &[&str]) {
        let Some(s) = v.get_ref().as_str() else {
            return self.mismatch(path, v, &format!("one of {}", quoted(words)));
        };
        if !words.contains(&s) {
            let msg = format!("unknown value `{s}`; expected one of {}", quoted(words));
            self.report(v.span(), path, msg);
        }
    }

    fn int(&mut self, path: &str, v: &Spanned<DeValue>, min: i64, max: i64) {
        let expected = match max {
            i64::MAX => format!("an integer >= {min}"),
            _ => format!("an integer in [{min}, {max}]"),
        };
        let parsed = v
            .get_ref()
            .as_integer()
            .map(|i| i64::from_str_radix(i.as_str(), i.radix()));
        match parsed {
            Some(Ok(n)) if (min..=max).contains(&n) => {}
            _ => self.mismatch(path, v, &expected),
        }
    }

    /// Reads a number (integers count) for checks outside [`Kind::Float`].
    pub fn number(&self, v: &Spanned<DeValue>) -> Option<f64> {
        match v.get_ref() {
            DeValue::Float(f) => f.as_str().parse::<f64>().ok().filter(|x| x.is_finite()),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64),
            _ => None,
        }
    }

    fn float(&mut self, path: &str, v: &Spanned<DeValue>, bounds: &Bounds) {
        match self.number(v) {
            Some(x) if bounds.contains(x) => {}
            _ => self.mismatch(path, v, &bounds.describe()),
        }
    }

    fn list(&mut self, path: &str, v: &Spanned<DeValue>, item: &Kind) {
        let Some(items) = v.get_ref().as_array() else {
            return self.mismatch(path, v, "an array");
        };
        for (i, element) in items.iter().enumerate() {
            self.value(&format!("{path}[{i}]"), element, item);
        }
    }

    fn tables(&mut self, path: &str, v: &Spanned<DeValue>, schema: &Schema) {
        let Some(items) = v.get_ref().as_array() else {
            return self.mismatch(path, v, "an array of tables");
        };
        if items.is_empty() {
            self.report(v.span(), path, "must not be empty".to_owned());
        }
        for (i, element) in items.iter().enumerate() {
            let sub = format!("{path}[{i}]");
            match element.get_ref().as_table() {
                Some(t) => self.table(&sub, element.span(), t, schema),
                None => self.mismatch(&sub, element, "a table"),
            }
        }
    }
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// True when `a` is a likely typo of `b`: at most one edit (insertion,
/// deletion, substitution or swap of neighbours) for short keys, two for
/// longer ones. Enough for a hint without pulling in a distance crate.
fn close(a: &str, b: &str) -> bool {
    let limit = if a.len().min(b.len()) < 5 { 1 } else { 2 };
    edit_distance(a, b) <= limit
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent swaps).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for j in 0..=b.len() {
        d[0][j] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_close_and_other_keys_are_not() {
        assert_eq!(edit_distance("rnage", "range"), 1);
        assert!(close("flatnes", "flatness"));
        assert!(close("rnage", "range"));
        assert!(close("bin_wdth", "bin_width"));
        assert!(!close("cap", "alpha"));
        assert!(!close("seed", "walkers"));
    }
}
