//! Fully connected layer: one gemm over the whole chunk, inputs as rows.

use super::gemm::{matmul, Mat};

#[derive(Debug)]
pub(crate) struct Linear {
    pub in_features: usize,
    pub out_features: usize,
    /// `[out, in]`, row-major (PyTorch order), batch norm already folded in.
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    /// `[in, out]`: the weight columns made contiguous for single-input
    /// updates, which add one column per changed coordinate.
    pub weight_t: Vec<f32>,
}

impl Linear {
    pub fn new(in_features: usize, out_features: usize, weight: Vec<f32>, bias: Vec<f32>) -> Self {
        let mut weight_t = vec![0.0; weight.len()];
        for o in 0..out_features {
            for i in 0..in_features {
                weight_t[i * out_features + o] = weight[o * in_features + i];
            }
        }
        Self {
            in_features,
            out_features,
            weight,
            bias,
            weight_t,
        }
    }

    /// `dst[n, out] = src[n, in] * W^T + b`.
    pub fn forward(&self, src: &[f32], dst: &mut [f32], n: usize) {
        for row in dst.chunks_exact_mut(self.out_features) {
            row.copy_from_slice(&self.bias);
        }
        let xs = Mat::rows(src, n, self.in_features);
        let wt = Mat::transposed(&self.weight, self.in_features, self.out_features);
        matmul(dst, true, xs, wt);
    }

    /// The forward pass on binary levels (0 or 1): bias plus the weight
    /// columns of the coordinates that are 1, read from the contiguous
    /// transpose.
    pub fn forward_binary(&self, levels: &[u8], dst: &mut [f32], n: usize) {
        let o = self.out_features;
        for (row, xs) in dst[..n * o]
            .chunks_exact_mut(o)
            .zip(levels.chunks_exact(self.in_features))
        {
            row.copy_from_slice(&self.bias);
            for (i, _) in xs.iter().enumerate().filter(|(_, &x)| x != 0) {
                for (y, &w) in row.iter_mut().zip(&self.weight_t[i * o..][..o]) {
                    *y += w;
                }
            }
        }
    }

    /// `g_src[n, in] += g_dst[n, out] * W`.
    pub fn backward(&self, g_dst: &[f32], g_src: &mut [f32], n: usize) {
        let gs = Mat::rows(g_dst, n, self.out_features);
        let w = Mat::rows(&self.weight, self.out_features, self.in_features);
        matmul(g_src, true, gs, w);
    }

    /// Adds `delta` times input column `coord` to one input's pre-activations.
    pub fn update(&self, pre: &mut [f32], coord: usize, delta: f32) {
        let col = &self.weight_t[coord * self.out_features..][..self.out_features];
        for (p, &w) in pre.iter_mut().zip(col) {
            *p += delta * w;
        }
    }
}
