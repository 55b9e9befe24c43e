//! Incremental evaluation of inputs that changed in one coordinate.
//!
//! The state of an input is its first layer's pre-activations (batch norm
//! already folded into the weights). A change of coordinate `i` by `delta`
//! moves them by `delta` times weight column `i` (linear) or by `delta` times
//! the kernel taps over the outputs whose patch holds `i` (conv): `O` or
//! `C_out * k^2` multiply-adds instead of a whole first layer. Repeated
//! updates accumulate f32 rounding; callers refresh states with
//! `forward_with_state` now and then (the drift per update is ~1e-7
//! relative).

use gwl_core::{Change, ModelError};

use super::program::Op;
use super::{check_batch, Engine};

fn check_states(engine: &Engine, states: &[f32], n: usize) -> Result<usize, ModelError> {
    let len = gwl_core::Model::state_len(engine);
    if len == 0 {
        return Err(ModelError::new("this network has no incremental path"));
    }
    if states.len() != n * len {
        return Err(ModelError::new(format!(
            "{} state values for {n} inputs",
            states.len()
        )));
    }
    Ok(len)
}

pub(super) fn forward_with_state(
    engine: &Engine,
    inputs: &[u8],
    outputs: &mut [f64],
    states: &mut [f32],
) -> Result<(), ModelError> {
    let (d, n) = (engine.input_len, outputs.len());
    check_batch(inputs, d, n)?;
    let len = check_states(engine, states, n)?;
    let first = &engine.program.steps[0];
    engine.for_chunks(outputs, states, len, |s, start, out, st| {
        let n = out.len();
        engine.program.prepare(s, n, false);
        engine.load_levels(s, &inputs[start * d..][..n * d]);
        engine.program.forward_step(first, s, n);
        st.copy_from_slice(&s.vals[first.dst][..n * len]);
        engine.finish_from_state(s, n, out);
    });
    Ok(())
}

pub(super) fn forward_changed(
    engine: &Engine,
    inputs: &[u8],
    changes: &[Change],
    states: &mut [f32],
    outputs: &mut [f64],
) -> Result<(), ModelError> {
    let (d, n) = (engine.input_len, outputs.len());
    check_batch(inputs, d, n)?;
    let len = check_states(engine, states, n)?;
    if changes.len() != n {
        return Err(ModelError::new(format!(
            "{} changes for {n} inputs",
            changes.len()
        )));
    }
    if let Some(bad) = changes
        .iter()
        .find(|c| c.coord >= d || c.old_level >= engine.levels)
    {
        return Err(ModelError::new(format!(
            "change {bad:?} outside the input space"
        )));
    }
    engine.for_chunks(outputs, states, len, |s, start, out, st| {
        let n = out.len();
        engine.program.prepare(s, n, false);
        for j in 0..n {
            let change = changes[start + j];
            let new = inputs[(start + j) * d + change.coord];
            let delta =
                engine.level_values[new as usize] - engine.level_values[change.old_level as usize];
            update(engine, &mut st[j * len..][..len], change.coord, delta);
        }
        let dst = engine.program.steps[0].dst;
        s.vals[dst][..n * len].copy_from_slice(st);
        engine.finish_from_state(s, n, out);
    });
    Ok(())
}

fn update(engine: &Engine, state: &mut [f32], coord: usize, delta: f32) {
    if delta == 0.0 {
        return;
    }
    match &engine.program.steps[0].op {
        Op::Conv(conv) => conv.update(state, coord, delta),
        Op::Linear(lin) => lin.update(state, coord, delta),
        _ => unreachable!("state_len is 0 unless the first step is conv or linear"),
    }
}
