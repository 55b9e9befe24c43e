//! The IDX format of the original MNIST files: a 4-byte magic (two zero
//! bytes, the element type, the number of dimensions), one big-endian `u32`
//! per dimension, then the elements in row-major order. Only unsigned bytes
//! (type `0x08`) are supported, which is what MNIST and Fashion-MNIST use.
//! Files may be plain or gzip-compressed; the reader tells them apart by the
//! gzip magic, not by the file name.

use std::fs;
use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;

use crate::atomic::write_atomic;
use crate::DataError;

const TYPE_U8: u8 = 0x08;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// An n-dimensional array of bytes as stored in an IDX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

impl IdxArray {
    /// An array whose `data` length must equal the product of `dims`.
    pub fn new(dims: Vec<usize>, data: Vec<u8>) -> Result<Self, DataError> {
        let expected: usize = dims.iter().product();
        if dims.is_empty() || dims.len() > 255 {
            return Err(DataError::bad(
                "dims",
                format!("{dims:?}"),
                "1 to 255 dimensions",
            ));
        }
        if dims.iter().any(|&d| u32::try_from(d).is_err()) {
            return Err(DataError::bad(
                "dims",
                format!("{dims:?}"),
                "each must fit in u32",
            ));
        }
        if data.len() != expected {
            return Err(DataError::bad(
                "data",
                data.len(),
                "length must equal product of dims",
            ));
        }
        Ok(Self { dims, data })
    }

    /// The IDX encoding of this array (uncompressed).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 4 * self.dims.len() + self.data.len());
        out.extend_from_slice(&[0, 0, TYPE_U8, self.dims.len() as u8]);
        for &d in &self.dims {
            out.extend_from_slice(&(d as u32).to_be_bytes());
        }
        out.extend_from_slice(&self.data);
        out
    }
}

/// Reads an IDX file, plain or gzip-compressed.
pub fn read_idx(path: &Path) -> Result<IdxArray, DataError> {
    let bytes = read_maybe_gz(path)?;
    parse_idx(&bytes).map_err(|why| DataError::MalformedIdx {
        path: path.to_path_buf(),
        why,
    })
}

/// Writes an uncompressed IDX file atomically.
pub fn write_idx(path: &Path, array: &IdxArray) -> Result<(), DataError> {
    write_atomic(path, &array.to_bytes())
}

/// The file's bytes, decompressed when it starts with the gzip magic.
pub(crate) fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = fs::read(path).map_err(DataError::io(path))?;
    if !raw.starts_with(&GZIP_MAGIC) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    GzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| DataError::MalformedIdx {
            path: path.to_path_buf(),
            why: format!("bad gzip stream: {e}"),
        })?;
    Ok(out)
}

/// Decodes IDX bytes, refusing anything truncated or with trailing bytes.
pub fn parse_idx(bytes: &[u8]) -> Result<IdxArray, String> {
    let header: [u8; 4] = bytes
        .get(..4)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| format!("{} bytes is too short for the magic", bytes.len()))?;
    if header[0] != 0 || header[1] != 0 {
        return Err(format!(
            "bad magic {header:02x?}, expected two zero bytes first"
        ));
    }
    if header[2] != TYPE_U8 {
        return Err(format!(
            "element type 0x{:02x} is not supported, only 0x08",
            header[2]
        ));
    }
    let n_dims = header[3] as usize;
    if n_dims == 0 {
        return Err("zero dimensions".to_string());
    }
    let dims = parse_dims(&bytes[4..], n_dims)?;
    let body = &bytes[4 + 4 * n_dims..];
    let expected = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    match expected {
        Some(n) if n == body.len() => Ok(IdxArray {
            dims,
            data: body.to_vec(),
        }),
        Some(n) => Err(format!(
            "dims {dims:?} need {n} data bytes, found {}",
            body.len()
        )),
        None => Err(format!("dims {dims:?} overflow")),
    }
}

fn parse_dims(bytes: &[u8], n_dims: usize) -> Result<Vec<usize>, String> {
    if bytes.len() < 4 * n_dims {
        return Err(format!(
            "truncated header: {n_dims} dimensions need {} bytes",
            4 * n_dims
        ));
    }
    let dims = bytes[..4 * n_dims]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    Ok(dims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn sample() -> IdxArray {
        let data = (0..2 * 3 * 4).map(|i| (i * 11) as u8).collect();
        IdxArray::new(vec![2, 3, 4], data).unwrap()
    }

    #[test]
    fn plain_round_trip_preserves_dims_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a-idx3-ubyte");
        write_idx(&path, &sample()).unwrap();
        assert_eq!(read_idx(&path).unwrap(), sample());
    }

    #[test]
    fn gzip_file_reads_like_plain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a-idx3-ubyte.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&sample().to_bytes()).unwrap();
        fs::write(&path, gz.finish().unwrap()).unwrap();
        assert_eq!(read_idx(&path).unwrap(), sample());
    }

    #[test]
    fn header_layout_matches_mnist() {
        let bytes = IdxArray::new(vec![10_000, 28, 28], vec![0; 7_840_000])
            .unwrap()
            .to_bytes();
        // The magic of MNIST's image files is 2051 and the count 10000, both big-endian.
        assert_eq!(&bytes[..8], &[0, 0, 8, 3, 0, 0, 0x27, 0x10]);
        assert_eq!(u32::from_be_bytes(bytes[..4].try_into().unwrap()), 2051);
    }

    #[test]
    fn truncated_and_padded_files_are_refused() {
        let bytes = sample().to_bytes();
        let short = parse_idx(&bytes[..bytes.len() - 1]).unwrap_err();
        assert!(short.contains("need 24 data bytes, found 23"), "{short}");
        let mut long = bytes.clone();
        long.push(0);
        assert!(parse_idx(&long).is_err());
        assert!(parse_idx(&bytes[..9])
            .unwrap_err()
            .contains("truncated header"));
        assert!(parse_idx(&bytes[..2]).is_err());
    }

    #[test]
    fn unsupported_type_and_bad_magic_are_refused() {
        let mut bytes = sample().to_bytes();
        bytes[2] = 0x0d;
        assert!(parse_idx(&bytes).unwrap_err().contains("0x0d"));
        bytes[2] = 0x08;
        bytes[0] = 1;
        assert!(parse_idx(&bytes).unwrap_err().contains("bad magic"));
    }

    #[test]
    fn corrupt_gzip_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.gz");
        fs::write(&path, [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();
        let err = read_idx(&path).unwrap_err().to_string();
        assert!(err.contains("broken.gz") && err.contains("gzip"), "{err}");
    }

    #[test]
    fn new_refuses_wrong_length() {
        assert!(IdxArray::new(vec![2, 2], vec![0; 3]).is_err());
    }
}
