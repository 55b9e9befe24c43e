//! A bounds-checked front to the `gemm` crate, the kernel candle itself uses.
//!
//! Every matrix is a slice plus row and column strides, so transposed weights
//! are read in place instead of being copied.

use gemm::{gemm, Parallelism};

/// A read-only strided matrix view.
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
    pub cs: usize,
}

impl<'a> Mat<'a> {
    /// A row-major `rows x cols` matrix.
    pub fn rows(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose of a row-major `cols x rows` matrix, read in place.
    pub fn transposed(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            rs: 1,
            cs: rows,
        }
    }

    fn last_index(&self) -> usize {
        (self.rows.max(1) - 1) * self.rs + (self.cols.max(1) - 1) * self.cs
    }
}

/// `dst (row-major m x n) = [dst +] lhs (m x k) * rhs (k x n)`.
///
/// Single-threaded: the engine parallelises across the batch instead, which
/// keeps each thread's working set in its own cache.
pub(crate) fn matmul(dst: &mut [f32], accumulate: bool, lhs: Mat<'_>, rhs: Mat<'_>) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert_eq!(rhs.rows, k, "inner dimensions differ");
    assert!(dst.len() >= m * n, "destination too small");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    assert!(
        lhs.last_index() < lhs.data.len(),
        "left matrix out of bounds"
    );
    assert!(
        rhs.last_index() < rhs.data.len(),
        "right matrix out of bounds"
    );
    // SAFETY: the asserts above keep every index the kernel touches, which
    // are (i * rs + j * cs) for i < rows and j < cols, inside the slices;
    // `dst` is exclusively borrowed and does not alias the inputs.
    unsafe {
        gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.cs as isize,
            lhs.rs as isize,
            rhs.data.as_ptr(),
            rhs.cs as isize,
            rhs.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}
