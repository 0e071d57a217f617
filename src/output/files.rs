//! Writing a run's files all or nothing.
//!
//! Every file is first written to a temporary file in the output folder and
//! renamed over its final name only after all of them were written, so an
//! interrupted or failed run leaves no truncated file and keeps the previous
//! outputs.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// Writes `(name, bytes)` pairs into `dir` atomically per file; the renames
/// happen only after every temporary file is complete and synced.
///
/// # Errors
/// Returns an error naming the file that could not be created or written;
/// then no final file has been replaced.
pub fn write_all(dir: &Path, files: &[(&str, Vec<u8>)]) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the output folder {}", dir.display()))?;
    let mut staged = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let mut temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
        temp.write_all(bytes)
            .with_context(|| format!("cannot write {}", dir.join(name).display()))?;
        temp.as_file()
            .sync_all()
            .with_context(|| format!("cannot write {}", dir.join(name).display()))?;
        staged.push((temp, dir.join(name)));
    }
    let mut written = Vec::with_capacity(staged.len());
    for (temp, target) in staged {
        temp.persist(&target)
            .with_context(|| format!("cannot rename the finished file to {}", target.display()))?;
        written.push(target);
    }
    Ok(written)
}
