//! Max and average pooling whose gradients are right.
//!
//! candle 0.11's own pooling backward passes are wrong for us in three ways:
//! max pooling scales the gradient of a window's maximum by (number of
//! maxima) / (kernel area), i.e. by 1/4 for a unique maximum of a 2x2
//! window, so a CNN's input gradient came out 16x too small; both poolings
//! upsample the gradient by nearest neighbour, which misplaces it when the
//! kernel does not tile the input (a 5x5 image pooled to 2x2); and both
//! refuse a stride other than the kernel. Here a pooling gathers the
//! `kernel^2` shifted, strided views of its input with `index_select` (whose
//! backward is an exact scatter-add) and reduces them. A max sends its
//! gradient to the first maximal element of the window in row-major order,
//! as PyTorch's max pooling does, so tied windows have one well-defined
//! subgradient. Without gradient tracking the native (faster) candle
//! forward is used; it computes the same values.

use candle_core::{Device, Tensor};

/// The `kernel^2` strided views of `xs` `[n, c, h, w]`, stacked on a new last
/// axis in row-major window order: `[n, c, out_h, out_w, kernel^2]`.
fn windows(xs: &Tensor, kernel: usize, stride: usize) -> candle_core::Result<Tensor> {
    let (_, _, h, w) = xs.dims4()?;
    let (out_h, out_w) = ((h - kernel) / stride + 1, (w - kernel) / stride + 1);
    let positions = |offset: usize, n: usize| {
        let ids: Vec<u32> = (0..n).map(|i| (offset + i * stride) as u32).collect();
        Tensor::new(ids, &Device::Cpu)
    };
    let mut views = Vec::with_capacity(kernel * kernel);
    for dy in 0..kernel {
        let rows = xs.index_select(&positions(dy, out_h)?, 2)?;
        for dx in 0..kernel {
            views.push(rows.index_select(&positions(dx, out_w)?, 3)?);
        }
    }
    Tensor::stack(&views, 4)
}

/// Max pooling with PyTorch's floor rounding and first-maximum gradient.
pub(crate) fn max_pool2d(xs: &Tensor, kernel: usize, stride: usize) -> candle_core::Result<Tensor> {
    if !xs.track_op() {
        return xs.max_pool2d_with_stride(kernel, stride);
    }
    let stacked = windows(xs, kernel, stride)?;
    let first_max = stacked.argmax_keepdim(4)?;
    stacked.gather(&first_max, 4)?.squeeze(4)
}

/// Average pooling with PyTorch's floor rounding (no padding).
pub(crate) fn avg_pool2d(xs: &Tensor, kernel: usize, stride: usize) -> candle_core::Result<Tensor> {
    if !xs.track_op() {
        return xs.avg_pool2d_with_stride(kernel, stride);
    }
    windows(xs, kernel, stride)?.mean(4)
}
