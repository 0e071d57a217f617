//! Shard files: the raw per-bin counters of one shard of a run, and their
//! merge into the counters of the whole run.
//!
//! `run --shard K/N` simulates users `[population × K / N, population ×
//! (K + 1) / N)` of every replication and stores every policy's and
//! replication's [`Bins`] in `shard.bin`. Counters are integer sums, so the
//! sum of the N shards equals the unsharded run exactly, and `merge` writes
//! the same bytes as the unsharded run.
//!
//! The file is the 8 bytes [`MAGIC`], a [`ShardFile`] encoded with
//! postcard, and the SHA-256 of that encoding, so that a file damaged on its
//! way between machines is rejected instead of merged.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::engine::runner::RunOutput;
use crate::i18n::Lang;
use crate::scenario::Scenario;
use crate::stats::bins::Bins;

/// File name of the counters a shard run writes into its output folder.
pub const SHARD_FILE: &str = "shard.bin";

/// First bytes of a shard file.
pub const MAGIC: &[u8; 8] = b"RSIMSHRD";

/// Version of the encoding after [`MAGIC`]; raised on any change of
/// [`ShardFile`], [`Bins`] or the file layout (2 added the checksum).
pub const FORMAT: u32 = 2;

/// Bytes of the SHA-256 at the end of a shard file.
const CHECKSUM_BYTES: usize = 32;

/// The counters of one shard and the run they belong to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    /// [`FORMAT`] of the writer.
    pub format: u32,
    /// rollout-sim version of the writer.
    pub rollout_sim_version: String,
    /// SHA-256 of the scenario text, hex.
    pub scenario_sha256: String,
    /// Master seed.
    pub seed: u64,
    /// Existing users per replication, of the whole run.
    pub users: u64,
    /// Replications.
    pub replications: u32,
    /// This shard's index, from 0.
    pub shard_index: u64,
    /// Number of shards of the run.
    pub shard_count: u64,
    /// Policy names in scenario order.
    pub policies: Vec<String>,
    /// `bins[policy][replication]`, as in [`RunOutput`].
    pub bins: Vec<Vec<Bins>>,
    /// `clients[host][policy][replication]`, as in [`RunOutput`]; empty
    /// when the scenario has no hosts.
    pub clients: Vec<Vec<Vec<Bins>>>,
}

/// The leading field of every format's encoding, read to name the format
/// of a file this version cannot read.
#[derive(Deserialize)]
struct OldHeader {
    format: u32,
}

/// A failure to read a shard file or to merge a set of shards.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// The file could not be read.
    #[error("{}: cannot read the shard file: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file is not a shard file of this format.
    #[error("{}: not a rollout-sim shard file ({reason})", path.display())]
    NotShard {
        /// The file.
        path: PathBuf,
        /// The problem found.
        reason: NotShardReason,
    },
    /// The file's checksum does not match its contents.
    #[error("{}: the shard file is damaged: its checksum does not match its contents", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
    },
    /// The shard was run from another scenario text.
    #[error("{}: the shard was run from another scenario (SHA-256 {found}, expected {expected})", path.display())]
    OtherScenario {
        /// The file.
        path: PathBuf,
        /// The shard's scenario hash.
        found: String,
        /// The hash of the scenario passed to `merge`.
        expected: String,
    },
    /// A setting of the run differs between two shards.
    #[error("{}: {setting} is {found}, but {} has {expected}", path.display(), first.display())]
    Mismatch {
        /// The shard that differs.
        path: PathBuf,
        /// The first shard, which the others are compared with.
        first: PathBuf,
        /// The setting: seed, users, replications, shard count or policies.
        setting: &'static str,
        /// The value in `path`.
        found: String,
        /// The value in `first`.
        expected: String,
    },
    /// Two files hold the same shard.
    #[error("shard {index}/{count} was given twice: {} and {}", first.display(), second.display())]
    Duplicate {
        /// Shard index.
        index: u64,
        /// Number of shards.
        count: u64,
        /// The first file with it.
        first: PathBuf,
        /// The second file with it.
        second: PathBuf,
    },
    /// Some shards of `0..count` were not given.
    #[error("{} of {count} shards missing: {}", .missing.len(), format_indices(.missing, *.count))]
    Missing {
        /// The missing indices.
        missing: Vec<u64>,
        /// Number of shards.
        count: u64,
    },
    /// The counters do not have the scenario's shape.
    #[error("{}: the counters do not match the scenario's bins, versions or policies; the file is damaged or from another scenario", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
    },
}

/// The reason a file is not a shard file that this version reads.
/// `Display` gives the English text.
#[derive(Debug, thiserror::Error)]
pub enum NotShardReason {
    /// The file does not start with the shard file signature.
    #[error("it does not start with the shard file signature")]
    Signature,
    /// The file has another format number.
    #[error("format {0} where this version reads format {FORMAT}")]
    Format(u32),
    /// The checksum matches, but postcard cannot decode the contents.
    #[error("{0}")]
    Decode(postcard::Error),
}

impl NotShardReason {
    /// Renders the reason in `lang`. The Chinese text of a decoding error
    /// keeps postcard's English message.
    fn render(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (NotShardReason::Signature, Lang::ZhCn) => "文件开头不是分片文件的标识".to_string(),
            (NotShardReason::Format(found), Lang::ZhCn) => {
                format!("格式为 {found}，而此版本读取格式 {FORMAT}")
            }
            (NotShardReason::Decode(error), Lang::ZhCn) => format!("内容解码失败：{error}"),
        }
    }
}

fn format_indices(indices: &[u64], count: u64) -> String {
    const SHOWN: usize = 10;
    let mut text: Vec<String> = indices
        .iter()
        .take(SHOWN)
        .map(|i| format!("--shard {i}/{count}"))
        .collect();
    if indices.len() > SHOWN {
        text.push("…".to_string());
    }
    text.join(", ")
}

impl ShardError {
    /// Renders the error with what to do next, in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match lang {
            Lang::En => {
                let fix = match self {
                    ShardError::Read { .. } => "pass shard output folders or their shard.bin files",
                    ShardError::NotShard { .. } => {
                        "pass the folders written by `rollout-sim run --shard K/N`, with the same rollout-sim version"
                    }
                    ShardError::OtherScenario { .. } => {
                        "merge with the exact scenario file the shards were run from"
                    }
                    ShardError::Mismatch { .. } => {
                        "merge only shards of one run: the same scenario, --seed, --users, --replications and N"
                    }
                    ShardError::Duplicate { .. } => "pass each shard once",
                    ShardError::Missing { .. } => "run them and pass all the shards",
                    ShardError::Shape { .. } => "run the shard again",
                    ShardError::Damaged { .. } => "copy the file again, or run the shard again",
                };
                format!("{self}; {fix}")
            }
            Lang::ZhCn => self.render_zh(),
        }
    }

    fn render_zh(&self) -> String {
        match self {
            ShardError::Read { path, error } => format!(
                "{}：无法读取分片文件：{}；请传入分片输出目录或其中的 shard.bin 文件",
                path.display(),
                crate::i18n::io_error_text(error, Lang::ZhCn)
            ),
            ShardError::NotShard { path, reason } => format!(
                "{}：不是 rollout-sim 分片文件（{}）；请传入 `rollout-sim run --shard K/N` 写出的目录，并使用相同版本的 rollout-sim",
                path.display(),
                reason.render(Lang::ZhCn)
            ),
            ShardError::Damaged { path } => format!(
                "{}：分片文件已损坏，校验和与内容不符；请重新复制该文件，或重新运行该分片",
                path.display()
            ),
            ShardError::OtherScenario {
                path,
                found,
                expected,
            } => format!(
                "{}：该分片来自另一个场景（SHA-256 {found}，应为 {expected}）；请用运行分片时的同一场景文件合并",
                path.display()
            ),
            ShardError::Mismatch {
                path,
                first,
                setting,
                found,
                expected,
            } => format!(
                "{}：{setting} 为 {found}，但 {} 为 {expected}；只能合并同一次运行的分片：相同的场景、--seed、--users、--replications 和 N",
                path.display(),
                first.display()
            ),
            ShardError::Duplicate {
                index,
                count,
                first,
                second,
            } => format!(
                "分片 {index}/{count} 出现了两次：{} 和 {}；每个分片只能传入一次",
                first.display(),
                second.display()
            ),
            ShardError::Missing { missing, count } => format!(
                "共 {count} 个分片，缺少 {} 个：{}；请运行它们并传入全部分片",
                missing.len(),
                format_indices(missing, *count)
            ),
            ShardError::Shape { path } => format!(
                "{}：计数器与场景的时间分箱、版本或策略不符，文件已损坏或来自另一个场景；请重新运行该分片",
                path.display()
            ),
        }
    }
}

impl ShardFile {
    /// Encodes the file: [`MAGIC`], postcard, then the SHA-256 of the
    /// postcard bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        let body = postcard::to_stdvec(self).expect("counters always serialize");
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(&Sha256::digest(&body));
        bytes
    }

    /// Decodes a file written by [`ShardFile::to_bytes`]; `path` is for
    /// messages.
    ///
    /// # Errors
    /// [`ShardError::NotShard`] when the magic, the format or the encoding
    /// is wrong, and [`ShardError::Damaged`] when the checksum does not
    /// match.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<ShardFile, ShardError> {
        let not_shard = |reason: NotShardReason| ShardError::NotShard {
            path: path.to_path_buf(),
            reason,
        };
        let rest = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| not_shard(NotShardReason::Signature))?;
        let split = rest.len().saturating_sub(CHECKSUM_BYTES);
        let (body, checksum) = rest.split_at(split);
        if checksum.len() < CHECKSUM_BYTES || Sha256::digest(body).as_slice() != checksum {
            // A file of an earlier format has no checksum, so name its format.
            if let Ok(old) = postcard::from_bytes::<OldHeader>(rest) {
                if old.format != FORMAT {
                    return Err(not_shard(NotShardReason::Format(old.format)));
                }
            }
            return Err(ShardError::Damaged {
                path: path.to_path_buf(),
            });
        }
        let file: ShardFile =
            postcard::from_bytes(body).map_err(|error| not_shard(NotShardReason::Decode(error)))?;
        if file.format != FORMAT {
            return Err(not_shard(NotShardReason::Format(file.format)));
        }
        Ok(file)
    }

    /// Reads a shard from a file, or from `shard.bin` in a folder.
    ///
    /// # Errors
    /// [`ShardError::Read`] or [`ShardError::NotShard`].
    pub fn read(path: &Path) -> Result<ShardFile, ShardError> {
        let file = if path.is_dir() {
            path.join(SHARD_FILE)
        } else {
            path.to_path_buf()
        };
        let bytes = std::fs::read(&file).map_err(|error| ShardError::Read {
            path: file.clone(),
            error,
        })?;
        ShardFile::from_bytes(&bytes, &file)
    }
}

/// Checks that `shards` are all the shards of one run of `scenario` (whose
/// text hashes to `scenario_sha256`), each given once, and sums them into
/// the run's output.
///
/// # Errors
/// The first problem found, in the order: another scenario, a differing
/// setting, counters of the wrong shape, a duplicate shard, missing shards.
pub fn merge_shards(
    scenario: &Scenario,
    scenario_sha256: &str,
    shards: Vec<(PathBuf, ShardFile)>,
) -> Result<RunOutput, ShardError> {
    let Some((first_path, first)) = shards.first() else {
        return Err(ShardError::Missing {
            missing: vec![0],
            count: 1,
        });
    };
    let policies: Vec<String> = scenario.policies.iter().map(|p| p.name.clone()).collect();
    let bins = scenario.run.bins();
    let width_ms = scenario.run.sample_every.0;
    let versions = scenario.versions.len();
    for (path, shard) in &shards {
        if shard.scenario_sha256 != scenario_sha256 {
            return Err(ShardError::OtherScenario {
                path: path.clone(),
                found: shard.scenario_sha256.clone(),
                expected: scenario_sha256.to_string(),
            });
        }
        let mismatch = |setting: &'static str, found: String, expected: String| {
            Err(ShardError::Mismatch {
                path: path.clone(),
                first: first_path.clone(),
                setting,
                found,
                expected,
            })
        };
        if shard.seed != first.seed {
            return mismatch("seed", shard.seed.to_string(), first.seed.to_string());
        }
        if shard.users != first.users {
            return mismatch("users", shard.users.to_string(), first.users.to_string());
        }
        if shard.replications != first.replications {
            return mismatch(
                "replications",
                shard.replications.to_string(),
                first.replications.to_string(),
            );
        }
        if shard.shard_count != first.shard_count {
            return mismatch(
                "the shard count N",
                shard.shard_count.to_string(),
                first.shard_count.to_string(),
            );
        }
        let well_shaped = |per_policy: &Vec<Vec<Bins>>| {
            per_policy.len() == policies.len()
                && per_policy.iter().all(|per_replication| {
                    per_replication.len() == first.replications as usize
                        && per_replication
                            .iter()
                            .all(|b| b.has_shape(bins, width_ms, versions))
                })
        };
        let well_formed = shard.shard_index < shard.shard_count
            && shard.policies == policies
            && well_shaped(&shard.bins)
            && shard.clients.len() == scenario.hosts.len()
            && shard.clients.iter().all(well_shaped);
        if !well_formed {
            return Err(ShardError::Shape { path: path.clone() });
        }
    }

    let count = first.shard_count;
    let mut seen: Vec<Option<&Path>> = vec![None; count as usize];
    for (path, shard) in &shards {
        let slot = &mut seen[shard.shard_index as usize];
        if let Some(earlier) = slot {
            return Err(ShardError::Duplicate {
                index: shard.shard_index,
                count,
                first: earlier.to_path_buf(),
                second: path.clone(),
            });
        }
        *slot = Some(path);
    }
    let missing: Vec<u64> = (0..count).filter(|&i| seen[i as usize].is_none()).collect();
    if !missing.is_empty() {
        return Err(ShardError::Missing { missing, count });
    }

    let (seed, users, replications) = (first.seed, first.users, first.replications);
    let mut shards = shards.into_iter();
    let (_, mut total) = shards.next().expect("checked non-empty");
    let add = |sum: &mut Vec<Vec<Bins>>, part: &Vec<Vec<Bins>>| {
        for (sum, part) in sum.iter_mut().zip(part) {
            for (a, b) in sum.iter_mut().zip(part) {
                a.merge(b);
            }
        }
    };
    for (_, shard) in shards {
        add(&mut total.bins, &shard.bins);
        for (sum, part) in total.clients.iter_mut().zip(&shard.clients) {
            add(sum, part);
        }
    }
    Ok(RunOutput {
        bins: total.bins,
        clients: total.clients,
        users,
        replications,
        seed,
        // Shards do not store it: it describes the engine's work, not a result.
        handled_events: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(index: u64, count: u64) -> ShardFile {
        ShardFile {
            format: FORMAT,
            rollout_sim_version: "test".into(),
            scenario_sha256: "abc".into(),
            seed: 1,
            users: 10,
            replications: 1,
            shard_index: index,
            shard_count: count,
            policies: vec!["none".into()],
            bins: vec![vec![Bins::new(2, 10, 1)]],
            clients: Vec::new(),
        }
    }

    #[test]
    fn bytes_round_trip() {
        let file = shard(1, 3);
        let bytes = file.to_bytes();
        assert_eq!(&bytes[..8], MAGIC);
        let back = ShardFile::from_bytes(&bytes, Path::new("x")).expect("decodes");
        assert_eq!(back, file);
    }

    #[test]
    fn other_bytes_are_not_a_shard() {
        let error = ShardFile::from_bytes(b"policy,metric,value\n", Path::new("summary.csv"))
            .expect_err("not a shard");
        assert!(matches!(error, ShardError::NotShard { .. }), "{error}");
        let mut bytes = shard(0, 1).to_bytes();
        bytes.truncate(12);
        let error = ShardFile::from_bytes(&bytes, Path::new("cut.bin")).expect_err("truncated");
        assert!(matches!(error, ShardError::Damaged { .. }), "{error}");
    }

    #[test]
    fn not_shard_reasons_in_chinese() {
        let error = ShardFile::from_bytes(b"policy,metric,value\n", Path::new("summary.csv"))
            .expect_err("not a shard");
        assert_eq!(
            error.render(Lang::ZhCn),
            "summary.csv：不是 rollout-sim 分片文件（文件开头不是分片文件的标识）；请传入 `rollout-sim run --shard K/N` 写出的目录，并使用相同版本的 rollout-sim"
        );

        // A body with a matching checksum that postcard cannot decode: the
        // format field decodes, then the string's length runs past the end.
        let body = [FORMAT as u8, 0xff, 0x01];
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(&Sha256::digest(body));
        let error = ShardFile::from_bytes(&bytes, Path::new("odd.bin")).expect_err("undecodable");
        let ShardError::NotShard {
            reason: NotShardReason::Decode(decode),
            ..
        } = &error
        else {
            panic!("expected a decoding error, got {error}");
        };
        let chinese = error.render(Lang::ZhCn);
        assert!(
            chinese.starts_with(&format!(
                "odd.bin：不是 rollout-sim 分片文件（内容解码失败：{decode}）"
            )),
            "{chinese}"
        );
        let english = error.render(Lang::En);
        assert!(
            english.starts_with(&format!("odd.bin: not a rollout-sim shard file ({decode})")),
            "{english}"
        );
    }

    #[test]
    fn damaged_file_is_rejected() {
        let mut bytes = shard(0, 1).to_bytes();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 1;
        let error = ShardFile::from_bytes(&bytes, Path::new("bad.bin")).expect_err("damaged");
        assert!(matches!(error, ShardError::Damaged { .. }), "{error}");
        assert_eq!(
            error.render(Lang::En),
            "bad.bin: the shard file is damaged: its checksum does not match its contents; copy the file again, or run the shard again"
        );
    }

    #[test]
    fn earlier_format_is_named() {
        let mut file = shard(0, 1);
        file.format = 1;
        // Format 1 had no checksum after the postcard bytes.
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&postcard::to_stdvec(&file).expect("encodes"));
        let error = ShardFile::from_bytes(&bytes, Path::new("old.bin")).expect_err("old");
        assert!(
            error
                .to_string()
                .contains("format 1 where this version reads format 2"),
            "{error}"
        );
    }

    #[test]
    fn missing_indices_are_listed() {
        let error = ShardError::Missing {
            missing: vec![1, 3],
            count: 4,
        };
        assert_eq!(
            error.render(Lang::En),
            "2 of 4 shards missing: --shard 1/4, --shard 3/4; run them and pass all the shards"
        );
        assert_eq!(
            error.render(Lang::ZhCn),
            "共 4 个分片，缺少 2 个：--shard 1/4, --shard 3/4；请运行它们并传入全部分片"
        );
    }
}
