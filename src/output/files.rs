//! Writing a run's files all or nothing.
//!
//! Every file is first written to a temporary file in the output folder and
//! renamed over its final name only after all of them were written, so an
//! interrupted or failed run leaves no truncated file and keeps the previous
//! outputs.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::i18n::{io_error_text, Lang};

/// Prefix and suffix of the temporary files: `.<name>.<random>.tmp`.
const TEMP_PREFIX: &str = ".";
const TEMP_SUFFIX: &str = ".tmp";

/// The error [`write_all_unless_stopped`] returns when `stop` returned true
/// before the first rename. No final file was touched and no temporary file
/// is left.
#[derive(Debug, thiserror::Error)]
#[error("writing the output files was stopped before any file was replaced")]
pub struct Stopped;

/// A failure to write the output files. `Display` gives the English
/// message with the operating system's text, and [`WriteError::render`]
/// gives the message in either language.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The output folder could not be created.
    #[error("cannot create the output folder {}: {error}", dir.display())]
    CreateFolder {
        /// The folder.
        dir: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
    /// The output folder could not be listed for stale temporary files.
    #[error("cannot list {}: {error}", dir.display())]
    List {
        /// The folder.
        dir: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
    /// A stale temporary file could not be removed.
    #[error("cannot remove {}: {error}", path.display())]
    RemoveStale {
        /// The temporary file.
        path: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
    /// A temporary file could not be created.
    #[error("cannot create a temporary file in {0}; the files already in {0} are unchanged: {error}", dir.display())]
    CreateTemporary {
        /// The folder.
        dir: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
    /// A temporary file could not be written or synced.
    #[error("cannot write {}; the files already in {} are unchanged: {error}", path.display(), dir.display())]
    Write {
        /// The final path of the file.
        path: PathBuf,
        /// The folder.
        dir: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
    /// A finished file could not be renamed over its final name.
    #[error("cannot rename the finished file to {}: {error}", path.display())]
    Rename {
        /// The final path of the file.
        path: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
}

impl WriteError {
    /// Renders the message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            WriteError::CreateFolder { dir, error } => format!(
                "无法创建输出目录 {}：{}",
                dir.display(),
                io_error_text(error, lang)
            ),
            WriteError::List { dir, error } => {
                format!(
                    "无法列出 {} 中的文件：{}",
                    dir.display(),
                    io_error_text(error, lang)
                )
            }
            WriteError::RemoveStale { path, error } => {
                format!(
                    "无法删除 {}：{}",
                    path.display(),
                    io_error_text(error, lang)
                )
            }
            WriteError::CreateTemporary { dir, error } => format!(
                "无法在 {0} 中创建临时文件，{0} 中已有的文件保持不变：{1}",
                dir.display(),
                io_error_text(error, lang)
            ),
            WriteError::Write { path, dir, error } => format!(
                "无法写入 {}，{} 中已有的文件保持不变：{}",
                path.display(),
                dir.display(),
                io_error_text(error, lang)
            ),
            WriteError::Rename { path, error } => format!(
                "无法把写完的文件重命名为 {}：{}",
                path.display(),
                io_error_text(error, lang)
            ),
        }
    }
}

/// Writes `(name, bytes)` pairs into `dir` atomically per file; the renames
/// happen only after every temporary file is complete and synced.
///
/// # Errors
/// Returns an error naming the file that could not be created or written;
/// then no final file has been replaced.
pub fn write_all(dir: &Path, files: &[(&str, Vec<u8>)]) -> anyhow::Result<Vec<PathBuf>> {
    write_all_unless_stopped(dir, files, &|| false)
}

/// Writes like [`write_all`], and calls `stop` after each temporary file
/// and before the renames. When it returns true, the temporary files are
/// removed and [`Stopped`] is returned.
///
/// Once the renames start, `stop` is not called again, so the set of files
/// is replaced as a whole or the function fails.
///
/// # Errors
/// Returns [`Stopped`], or an error naming the file that could not be
/// created, written or renamed.
pub fn write_all_unless_stopped(
    dir: &Path,
    files: &[(&str, Vec<u8>)],
    stop: &dyn Fn() -> bool,
) -> anyhow::Result<Vec<PathBuf>> {
    write_all_with(dir, files, stop, &mut |file, bytes| file.write_all(bytes))
}

/// [`write_all_unless_stopped`] with the write of each temporary file
/// injected, so tests can make it fail as a full disk does.
fn write_all_with(
    dir: &Path,
    files: &[(&str, Vec<u8>)],
    stop: &dyn Fn() -> bool,
    write: &mut dyn FnMut(&mut File, &[u8]) -> io::Result<()>,
) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|error| WriteError::CreateFolder {
        dir: dir.to_path_buf(),
        error,
    })?;
    let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
    remove_stale_temp_files(dir, &names)?;

    // Dropping a `NamedTempFile` deletes it, so every early return below
    // removes the temporary files staged so far.
    let mut staged = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let prefix = format!("{TEMP_PREFIX}{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(TEMP_SUFFIX);
        // Temporary files are private (0600) by default. The renamed file
        // is a result, so create it like `File::create` does: 0666 less the
        // umask.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let mut temp = builder
            .tempfile_in(dir)
            .map_err(|error| WriteError::CreateTemporary {
                dir: dir.to_path_buf(),
                error,
            })?;
        write(temp.as_file_mut(), bytes)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|error| WriteError::Write {
                path: dir.join(name),
                dir: dir.to_path_buf(),
                error,
            })?;
        staged.push((temp, dir.join(name)));
        if stop() {
            return Err(Stopped.into());
        }
    }

    // NOTE: each rename is atomic, but the set is not: if a rename fails
    // after others succeeded, the folder mixes old and new files. Renames
    // within one folder fail only on I/O errors of the folder itself.
    let mut written = Vec::with_capacity(staged.len());
    for (temp, target) in staged {
        temp.persist(&target).map_err(|error| WriteError::Rename {
            path: target.clone(),
            error: error.error,
        })?;
        written.push(target);
    }
    Ok(written)
}

/// Removes the temporary files of the outputs in `names` that a killed run
/// left in `dir`, because SIGKILL or a power loss skip the cleanup.
/// Returns the paths removed. A missing folder is not an error.
fn remove_stale_temp_files(dir: &Path, names: &[&str]) -> Result<Vec<PathBuf>, WriteError> {
    let list_error = |error| WriteError::List {
        dir: dir.to_path_buf(),
        error,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(list_error(error)),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(list_error)?;
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let stale = names.iter().any(|name| {
            file_name.starts_with(&format!("{TEMP_PREFIX}{name}."))
                && file_name.ends_with(TEMP_SUFFIX)
        });
        if stale && entry.file_type().is_ok_and(|kind| kind.is_file()) {
            std::fs::remove_file(entry.path()).map_err(|error| WriteError::RemoveStale {
                path: entry.path(),
                error,
            })?;
            removed.push(entry.path());
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("folder lists")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .into_string()
                    .expect("UTF-8")
            })
            .collect();
        names.sort();
        names
    }

    fn previous_outputs(dir: &Path) {
        std::fs::write(dir.join("a.csv"), "old a").expect("write");
        std::fs::write(dir.join("b.csv"), "old b").expect("write");
    }

    fn assert_previous_outputs(dir: &Path) {
        assert_eq!(listing(dir), ["a.csv", "b.csv"]);
        assert_eq!(std::fs::read_to_string(dir.join("a.csv")).unwrap(), "old a");
        assert_eq!(std::fs::read_to_string(dir.join("b.csv")).unwrap(), "old b");
    }

    fn new_outputs() -> Vec<(&'static str, Vec<u8>)> {
        vec![("a.csv", b"new a".to_vec()), ("b.csv", b"new b".to_vec())]
    }

    #[test]
    fn write_replaces_every_file() {
        let dir = tempfile::tempdir().unwrap();
        previous_outputs(dir.path());
        let written = write_all(dir.path(), &new_outputs()).unwrap();
        assert_eq!(written.len(), 2);
        assert_eq!(listing(dir.path()), ["a.csv", "b.csv"]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.csv")).unwrap(),
            "new a"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b.csv")).unwrap(),
            "new b"
        );
    }

    #[cfg(unix)]
    #[test]
    fn outputs_get_default_permissions() {
        use std::os::unix::fs::PermissionsExt;

        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path(), &new_outputs()).unwrap();
        File::create(dir.path().join("plain.csv")).unwrap();
        let mode = |name: &str| {
            let metadata = std::fs::metadata(dir.path().join(name)).unwrap();
            metadata.permissions().mode() & 0o777
        };
        assert_eq!(mode("a.csv"), mode("plain.csv"));
    }

    #[test]
    fn full_disk_keeps_previous_outputs() {
        let dir = tempfile::tempdir().unwrap();
        previous_outputs(dir.path());
        let mut calls = 0;
        // The second file fails as a full disk does.
        let mut write = |file: &mut File, bytes: &[u8]| {
            calls += 1;
            if calls == 2 {
                file.write_all(&bytes[..1])?;
                return Err(io::Error::other("No space left on device (injected)"));
            }
            file.write_all(bytes)
        };
        let error = write_all_with(dir.path(), &new_outputs(), &|| false, &mut write).unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("cannot write"), "{message}");
        assert!(message.contains("b.csv"), "{message}");
        assert!(message.contains("are unchanged"), "{message}");
        assert!(message.contains("No space left on device"), "{message}");
        assert_previous_outputs(dir.path());
    }

    #[test]
    fn full_disk_message_in_chinese() {
        let dir = tempfile::tempdir().unwrap();
        previous_outputs(dir.path());
        // ENOSPC, which Rust reports as ErrorKind::StorageFull.
        let full = io::Error::from_raw_os_error(28);
        let os_text = full.to_string();
        let mut write = |_: &mut File, _: &[u8]| Err(io::Error::from_raw_os_error(28));
        let error = write_all_with(dir.path(), &new_outputs(), &|| false, &mut write).unwrap_err();
        let error = error.downcast_ref::<WriteError>().expect("a write error");
        let folder = dir.path().display();
        assert_eq!(
            error.render(Lang::ZhCn),
            format!(
                "无法写入 {folder}/a.csv，{folder} 中已有的文件保持不变：磁盘空间不足（{os_text}）"
            )
        );
        assert_eq!(
            error.render(Lang::En),
            format!(
                "cannot write {folder}/a.csv; the files already in {folder} are unchanged: {os_text}"
            )
        );
        assert_previous_outputs(dir.path());
    }

    #[test]
    fn stop_keeps_previous_outputs() {
        let dir = tempfile::tempdir().unwrap();
        previous_outputs(dir.path());
        let error = write_all_unless_stopped(dir.path(), &new_outputs(), &|| true).unwrap_err();
        assert!(error.downcast_ref::<Stopped>().is_some(), "{error:#}");
        assert_previous_outputs(dir.path());
    }

    #[test]
    fn write_removes_stale_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        previous_outputs(dir.path());
        std::fs::write(dir.path().join(".b.csv.x1Yz.tmp"), "partial").unwrap();
        write_all(dir.path(), &new_outputs()).unwrap();
        assert_eq!(listing(dir.path()), ["a.csv", "b.csv"]);
    }

    #[test]
    fn stale_temp_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        previous_outputs(dir.path());
        std::fs::write(dir.path().join(".a.csv.x1Yz.tmp"), "partial").unwrap();
        std::fs::write(dir.path().join(".other.x1Yz.tmp"), "not ours").unwrap();
        let removed = remove_stale_temp_files(dir.path(), &["a.csv", "b.csv"]).unwrap();
        assert_eq!(removed, [dir.path().join(".a.csv.x1Yz.tmp")]);
        assert_eq!(listing(dir.path()), [".other.x1Yz.tmp", "a.csv", "b.csv"]);
    }

    #[test]
    fn stale_temp_files_in_missing_folder() {
        let dir = tempfile::tempdir().unwrap();
        let removed = remove_stale_temp_files(&dir.path().join("absent"), &["a.csv"]).unwrap();
        assert!(removed.is_empty());
    }
}
