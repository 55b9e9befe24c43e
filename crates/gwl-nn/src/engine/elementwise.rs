//! Element-wise steps: relu, residual sums, and batch norms that have no
//! conv or linear layer before them to fold into.

pub(crate) fn relu(xs: &mut [f32]) {
    for x in xs {
        *x = x.max(0.0);
    }
}

/// Zeroes the gradient where the relu output is zero. candle's relu
/// derivative is 1 at a pre-activation of exactly 0; that measure-zero case is
/// the only place the two differ.
pub(crate) fn relu_mask(grads: &mut [f32], ys: &[f32]) {
    for (g, &y) in grads.iter_mut().zip(ys) {
        if y <= 0.0 {
            *g = 0.0;
        }
    }
}

pub(crate) fn add_assign(dst: &mut [f32], src: &[f32]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

/// A per-channel `x * scale + shift` (an eval-mode batch norm).
#[derive(Debug)]
pub(crate) struct Affine {
    pub scale: Vec<f32>,
    pub shift: Vec<f32>,
    /// Values per channel per input (`H * W`; 1 after a linear layer).
    pub plane: usize,
}

impl Affine {
    pub fn forward(&self, src: &[f32], dst: &mut [f32]) {
        let channels = self.scale.len();
        for (i, (s, d)) in src
            .chunks(self.plane)
            .zip(dst.chunks_mut(self.plane))
            .enumerate()
        {
            let c = i % channels;
            for (x, y) in s.iter().zip(d) {
                *y = x * self.scale[c] + self.shift[c];
            }
        }
    }

    pub fn backward(&self, g_dst: &[f32], g_src: &mut [f32]) {
        let channels = self.scale.len();
        for (i, (gd, gs)) in g_dst
            .chunks(self.plane)
            .zip(g_src.chunks_mut(self.plane))
            .enumerate()
        {
            let c = i % channels;
            for (g, s) in gd.iter().zip(gs) {
                *s += g * self.scale[c];
            }
        }
    }
}
