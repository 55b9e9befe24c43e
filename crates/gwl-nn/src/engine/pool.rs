//! Max, average and global average pooling (no padding, floor output size,
//! as PyTorch and candle define them).

use super::program::Dims;

#[derive(Debug)]
pub(crate) struct Pool {
    pub kernel: usize,
    pub stride: usize,
    pub input: Dims,
    pub output: Dims,
}

impl Pool {
    /// Calls `f(output index, window origin)` for every output of the chunk.
    #[inline(always)]
    fn each_window(&self, n: usize, mut f: impl FnMut(usize, usize)) {
        let (ip, op) = (self.input.h * self.input.w, self.output.h * self.output.w);
        for plane in 0..n * self.input.c {
            for oy in 0..self.output.h {
                let row = plane * ip + oy * self.stride * self.input.w;
                let out = plane * op + oy * self.output.w;
                for ox in 0..self.output.w {
                    f(out + ox, row + ox * self.stride);
                }
            }
        }
    }

    /// Index of the first maximum (row-major) of the window at `origin`.
    /// Written as selects, not branches: on relu outputs the comparison is
    /// a coin flip, and mispredicted branches made pooling cost more than
    /// the convolutions.
    #[inline(always)]
    fn argmax(&self, src: &[f32], origin: usize) -> usize {
        let (mut best, mut top) = (origin, src[origin]);
        for ky in 0..self.kernel {
            let row = origin + ky * self.input.w;
            for (i, &v) in src[row..row + self.kernel].iter().enumerate() {
                let above = v > top;
                best = if above { row + i } else { best };
                top = if above { v } else { top };
            }
        }
        best
    }

    #[inline(always)]
    fn window_max(&self, src: &[f32], origin: usize) -> f32 {
        let mut top = f32::NEG_INFINITY;
        for ky in 0..self.kernel {
            let row = origin + ky * self.input.w;
            for &v in &src[row..row + self.kernel] {
                top = top.max(v);
            }
        }
        top
    }

    #[inline(always)]
    fn window_sum(&self, src: &[f32], origin: usize) -> f32 {
        let mut sum = 0.0;
        for ky in 0..self.kernel {
            let row = origin + ky * self.input.w;
            sum += src[row..row + self.kernel].iter().sum::<f32>();
        }
        sum
    }

    pub fn max_forward(&self, src: &[f32], dst: &mut [f32], n: usize) {
        if self.kernel == 2 && self.stride == 2 {
            return self.max_forward_2x2(src, dst, n);
        }
        self.each_window(n, |o, origin| dst[o] = self.window_max(src, origin));
    }

    /// The 2x2 stride-2 pool of every CNN, in row pairs. `if a > b` rather
    /// than `f32::max` (which must honour NaN) lets the compiler use packed
    /// max instructions.
    fn max_forward_2x2(&self, src: &[f32], dst: &mut [f32], n: usize) {
        let (w, ow) = (self.input.w, self.output.w);
        let (ip, op) = (self.input.h * w, self.output.h * ow);
        for plane in 0..n * self.input.c {
            for oy in 0..self.output.h {
                let top = src[plane * ip + 2 * oy * w..][..2 * ow].chunks_exact(2);
                let bottom = src[plane * ip + (2 * oy + 1) * w..][..2 * ow].chunks_exact(2);
                let out = &mut dst[plane * op + oy * ow..][..ow];
                for ((o, t), b) in out.iter_mut().zip(top).zip(bottom) {
                    *o = max4(t[0], t[1], b[0], b[1]);
                }
            }
        }
    }

    /// Backward of the 2x2 pool without branches: each of the four inputs
    /// gets the gradient if it is the window's first maximum.
    fn max_backward_2x2(&self, src: &[f32], g_dst: &[f32], g_src: &mut [f32], n: usize) {
        let (w, ow) = (self.input.w, self.output.w);
        let (ip, op) = (self.input.h * w, self.output.h * ow);
        for plane in 0..n * self.input.c {
            let (x, gx) = (&src[plane * ip..][..ip], &mut g_src[plane * ip..][..ip]);
            for oy in 0..self.output.h {
                let (upper, lower) = gx.split_at_mut((2 * oy + 1) * w);
                let gt = upper[2 * oy * w..][..2 * ow].chunks_exact_mut(2);
                let gb = lower[..2 * ow].chunks_exact_mut(2);
                let xt = x[2 * oy * w..][..2 * ow].chunks_exact(2);
                let xb = x[(2 * oy + 1) * w..][..2 * ow].chunks_exact(2);
                let g = &g_dst[plane * op + oy * ow..][..ow];
                for ((((gt, gb), xt), xb), &g) in gt.zip(gb).zip(xt).zip(xb).zip(g) {
                    route_2x2([xt[0], xt[1], xb[0], xb[1]], g, gt, gb);
                }
            }
        }
    }

    /// Routes each output's gradient to the first maximum of its window, as
    /// PyTorch does; binary inputs make tied maxima common.
    pub fn max_backward(&self, src: &[f32], g_dst: &[f32], g_src: &mut [f32], n: usize) {
        if self.kernel == 2 && self.stride == 2 {
            return self.max_backward_2x2(src, g_dst, g_src, n);
        }
        self.each_window(n, |o, origin| g_src[self.argmax(src, origin)] += g_dst[o]);
    }

    pub fn avg_forward(&self, src: &[f32], dst: &mut [f32], n: usize) {
        let scale = 1.0 / (self.kernel * self.kernel) as f32;
        self.each_window(n, |o, origin| dst[o] = self.window_sum(src, origin) * scale);
    }

    pub fn avg_backward(&self, g_dst: &[f32], g_src: &mut [f32], n: usize) {
        let scale = 1.0 / (self.kernel * self.kernel) as f32;
        self.each_window(n, |o, origin| {
            let g = g_dst[o] * scale;
            for ky in 0..self.kernel {
                let row = origin + ky * self.input.w;
                for x in &mut g_src[row..row + self.kernel] {
                    *x += g;
                }
            }
        });
    }
}

/// Adds `g` to the first maximum of a 2x2 window, written as selects.
#[inline(always)]
fn route_2x2(v: [f32; 4], g: f32, top: &mut [f32], bottom: &mut [f32]) {
    let m = max4(v[0], v[1], v[2], v[3]);
    let (e0, e1, e2) = (v[0] == m, v[1] == m, v[2] == m);
    let pick = |on: bool| if on { g } else { 0.0 };
    top[0] += pick(e0);
    top[1] += pick(!e0 && e1);
    bottom[0] += pick(!e0 && !e1 && e2);
    bottom[1] += pick(!e0 && !e1 && !e2);
}

#[inline(always)]
fn max4(a: f32, b: f32, c: f32, d: f32) -> f32 {
    let ab = if a > b { a } else { b };
    let cd = if c > d { c } else { d };
    if ab > cd {
        ab
    } else {
        cd
    }
}

pub(crate) fn global_avg_forward(src: &[f32], dst: &mut [f32], n: usize, input: Dims) {
    let plane = input.h * input.w;
    for (d, s) in dst[..n * input.c].iter_mut().zip(src.chunks_exact(plane)) {
        *d = s.iter().sum::<f32>() / plane as f32;
    }
}

pub(crate) fn global_avg_backward(g_dst: &[f32], g_src: &mut [f32], n: usize, input: Dims) {
    let plane = input.h * input.w;
    for (g, s) in g_dst[..n * input.c]
        .iter()
        .zip(g_src.chunks_exact_mut(plane))
    {
        let share = g / plane as f32;
        for x in s {
            *x += share;
        }
    }
}
