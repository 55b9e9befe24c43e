//! The font every figure uses, shipped in the repository.
//!
//! plotters' bitmap backend panics on text when no font is registered, and
//! relying on an installed system font makes figures differ between
//! machines (or fail in CI), so the harness embeds DejaVu Sans
//! (`assets/fonts/`, Bitstream Vera license) and registers it once.

use std::sync::OnceLock;

use anyhow::{bail, Result};
use plotters::style::{register_font, FontStyle};

/// Family name figures ask for.
pub const FAMILY: &str = "sans-serif";

static DEJAVU_SANS: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font under [`FAMILY`]; cheap after the first call.
pub fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok =
        *REGISTERED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if !ok {
        bail!("cannot register the embedded font assets/fonts/DejaVuSans.ttf");
    }
    Ok(())
}
