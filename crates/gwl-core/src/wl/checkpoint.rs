//! Writing a run's whole state to disk and resuming it.
//!
//! The checkpoint is JSON: the configuration, the model's shape (checked on
//! resume), and the run state, including every walker's ChaCha stream, so a
//! resumed run continues exactly where the original would have. Floats are
//! written in round-trip form, and nothing non-finite is ever stored.

use std::fs;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::sampler::{RunState, WangLandau};
use super::walkers::StepBuffers;
use super::WlConfig;
use crate::{Model, SampleError};

/// Bumped whenever the layout changes, so an old file is refused plainly.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Checkpoint {
    format: u32,
    input_len: usize,
    levels: u8,
    config: WlConfig,
    state: RunState,
}

impl<M: Model> WangLandau<M> {
    /// Writes the whole state to `path` atomically: to a temporary file
    /// beside it, synced, then renamed over `path`, so a crash leaves either
    /// the old checkpoint or the new one, never half of one.
    pub fn checkpoint(&self, path: &Path) -> Result<(), SampleError> {
        let snapshot = Checkpoint {
            format: FORMAT,
            input_len: self.model.input_len(),
            levels: self.model.levels(),
            config: self.config.clone(),
            state: self.state.clone(),
        };
        let fail = |why: String| SampleError::Checkpoint {
            path: path.display().to_string(),
            why,
        };
        let bytes = serde_json::to_vec(&snapshot).map_err(|e| fail(e.to_string()))?;
        let mut tmp_name = path.as_os_str().to_owned();
        tmp_name.push(".tmp");
        let tmp = Path::new(&tmp_name);
        let write = || -> std::io::Result<()> {
            let mut file = fs::File::create(tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            fs::rename(tmp, path)
        };
        write().map_err(|e| fail(e.to_string()))
    }

    /// Rebuilds a run from a checkpoint written by
    /// [`checkpoint`](Self::checkpoint) for a model of the same shape.
    pub fn resume(model: M, path: &Path) -> Result<Self, SampleError> {
        let fail = |why: String| SampleError::Checkpoint {
            path: path.display().to_string(),
            why,
        };
        let bytes = fs::read(path).map_err(|e| fail(e.to_string()))?;
        let snapshot: Checkpoint =
            serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string()))?;
        if snapshot.format != FORMAT {
            return Err(fail(format!(
                "format {} is not the supported {FORMAT}",
                snapshot.format
            )));
        }
        let shape = (model.input_len(), model.levels());
        if shape != (snapshot.input_len, snapshot.levels) {
            return Err(fail(format!(
                "written for D = {}, K = {}, but the model has D = {}, K = {}",
                snapshot.input_len, snapshot.levels, shape.0, shape.1
            )));
        }
        let mut wl = Self::new(model, snapshot.config)?;
        wl.state = snapshot.state;
        wl.buf = StepBuffers::default();
        Ok(wl)
    }
}
