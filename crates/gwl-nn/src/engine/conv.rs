//! 2-d convolution as im2col + gemm, one input at a time (an input's output
//! plane, `H' * W'` columns, is already a wide enough gemm for our sizes).
//!
//! The backward pass is the transposed convolution: `W^T * dY` into the
//! column buffer, then col2im scatters the columns back onto the input grid.

use super::gemm::{matmul, Mat};

#[derive(Debug)]
pub(crate) struct Conv {
    pub cin: usize,
    pub cout: usize,
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
    pub h: usize,
    pub w: usize,
    pub oh: usize,
    pub ow: usize,
    /// `[cout, cin * k * k]`, row-major (PyTorch order), batch norm folded in.
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

impl Conv {
    fn patch(&self) -> usize {
        self.cin * self.kernel * self.kernel
    }

    fn plane(&self) -> usize {
        self.oh * self.ow
    }

    /// A 1x1 stride-1 convolution without padding reads its input as the
    /// column matrix directly.
    fn pointwise(&self) -> bool {
        self.kernel == 1 && self.stride == 1 && self.padding == 0
    }

    pub fn multiply_adds(&self) -> usize {
        self.cout * self.patch() * self.plane()
    }

    pub fn col_len(&self) -> usize {
        if self.pointwise() {
            0
        } else {
            self.patch() * self.plane()
        }
    }

    pub fn forward(&self, src: &[f32], dst: &mut [f32], n: usize, col: &mut [f32]) {
        let (in_len, out_len) = (self.cin * self.h * self.w, self.cout * self.plane());
        let w = Mat::rows(&self.weight, self.cout, self.patch());
        for s in 0..n {
            let x = &src[s * in_len..][..in_len];
            let y = &mut dst[s * out_len..][..out_len];
            for (row, &b) in y.chunks_exact_mut(self.plane()).zip(&self.bias) {
                row.fill(b);
            }
            let cols = if self.pointwise() {
                Mat::rows(x, self.cin, self.plane())
            } else {
                self.im2col(x, col);
                Mat::rows(&col[..self.col_len()], self.patch(), self.plane())
            };
            matmul(y, true, w, cols);
        }
    }

    pub fn backward(&self, g_dst: &[f32], g_src: &mut [f32], n: usize, col: &mut [f32]) {
        let (in_len, out_len) = (self.cin * self.h * self.w, self.cout * self.plane());
        let wt = Mat::transposed(&self.weight, self.patch(), self.cout);
        for s in 0..n {
            let gy = Mat::rows(&g_dst[s * out_len..][..out_len], self.cout, self.plane());
            let gx = &mut g_src[s * in_len..][..in_len];
            if self.pointwise() {
                matmul(gx, true, wt, gy);
            } else {
                let col = &mut col[..self.col_len()];
                matmul(col, false, wt, gy);
                self.col2im_add(col, gx);
            }
        }
    }

    /// Output columns `ox` whose tap `kx` lands inside the input row:
    /// `0 <= ox * stride + kx - padding < w`.
    fn valid_range(&self, kx: usize, w: usize, ow: usize) -> (usize, usize) {
        let lo = self.padding.saturating_sub(kx).div_ceil(self.stride);
        let hi = (w + self.padding).saturating_sub(kx).div_ceil(self.stride);
        (lo.min(ow), hi.clamp(lo.min(ow), ow))
    }

    fn im2col(&self, x: &[f32], col: &mut [f32]) {
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        let mut rows = col.chunks_exact_mut(self.plane());
        for c in 0..self.cin {
            let xc = &x[c * self.h * self.w..][..self.h * self.w];
            for ky in 0..k {
                for kx in 0..k {
                    let row = rows.next().expect("column buffer sized for the patch");
                    let (lo, hi) = self.valid_range(kx, self.w, self.ow);
                    for (oy, out) in row.chunks_exact_mut(self.ow).enumerate() {
                        let iy = (oy * s + ky) as isize - p as isize;
                        if iy < 0 || iy as usize >= self.h {
                            out.fill(0.0);
                            continue;
                        }
                        let xr = &xc[iy as usize * self.w..][..self.w];
                        out[..lo].fill(0.0);
                        out[hi..].fill(0.0);
                        if s == 1 {
                            out[lo..hi].copy_from_slice(&xr[lo + kx - p..hi + kx - p]);
                        } else {
                            for ox in lo..hi {
                                out[ox] = xr[ox * s + kx - p];
                            }
                        }
                    }
                }
            }
        }
    }

    fn col2im_add(&self, col: &[f32], gx: &mut [f32]) {
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        let mut rows = col.chunks_exact(self.plane());
        for c in 0..self.cin {
            let gc = &mut gx[c * self.h * self.w..][..self.h * self.w];
            for ky in 0..k {
                for kx in 0..k {
                    let row = rows.next().expect("column buffer sized for the patch");
                    let (lo, hi) = self.valid_range(kx, self.w, self.ow);
                    for (oy, g) in row.chunks_exact(self.ow).enumerate() {
                        let iy = (oy * s + ky) as isize - p as isize;
                        if iy < 0 || iy as usize >= self.h {
                            continue;
                        }
                        let gr = &mut gc[iy as usize * self.w..][..self.w];
                        if s == 1 {
                            let gr = &mut gr[lo + kx - p..hi + kx - p];
                            for (x, &v) in gr.iter_mut().zip(&g[lo..hi]) {
                                *x += v;
                            }
                        } else {
                            for ox in lo..hi {
                                gr[ox * s + kx - p] += g[ox];
                            }
                        }
                    }
                }
            }
        }
    }

    /// Output positions along one axis that input position `i` feeds through
    /// tap `t`: `o * stride + t - padding == i`.
    fn tap_target(&self, i: usize, t: usize, out: usize) -> Option<usize> {
        let shifted = (i + self.padding).checked_sub(t)?;
        let o = shifted / self.stride;
        (shifted % self.stride == 0 && o < out).then_some(o)
    }

    /// Adds `delta` at input coordinate `coord` to one input's
    /// pre-activations: only the outputs whose patch holds `coord` move.
    pub fn update(&self, pre: &mut [f32], coord: usize, delta: f32) {
        let k = self.kernel;
        let (c, iy, ix) = (
            coord / (self.h * self.w),
            (coord / self.w) % self.h,
            coord % self.w,
        );
        for ky in 0..k {
            let Some(oy) = self.tap_target(iy, ky, self.oh) else {
                continue;
            };
            for kx in 0..k {
                let Some(ox) = self.tap_target(ix, kx, self.ow) else {
                    continue;
                };
                let at = oy * self.ow + ox;
                let tap = (c * k + ky) * k + kx;
                for co in 0..self.cout {
                    pre[co * self.plane() + at] += delta * self.weight[co * self.patch() + tap];
                }
            }
        }
    }
}
