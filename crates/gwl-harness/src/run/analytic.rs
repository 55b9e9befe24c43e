//! `analytic`: WL and GWL against the exact counts of linear models at
//! D = 784 (sum of bits: binomial; integer weights: dynamic programming).

use anyhow::Result;

use super::claims::Findings;
use super::context::Context;
use super::toy::{accuracy_against_truth, ACCURACY};
use crate::TableSchema;

pub const ANALYTIC_ACCURACY: TableSchema = TableSchema {
    name: "analytic-accuracy",
    columns: ACCURACY.columns,
};

pub fn run(ctx: &mut Context, findings: &mut Findings) -> Result<()> {
    findings.analytic = accuracy_against_truth(ctx, &ANALYTIC_ACCURACY)?;
    Ok(())
}
