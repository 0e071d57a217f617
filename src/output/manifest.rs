//! `manifest.toml`: what produced the files beside it, so a result can be
//! traced to its input and a folder is not overwritten by another scenario.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The provenance of one output folder.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// rollout-sim version.
    pub rollout_sim_version: String,
    /// The scenario as named on the command line.
    pub scenario: String,
    /// SHA-256 of the scenario text, hex.
    pub scenario_sha256: String,
    /// Master seed.
    pub seed: u64,
    /// Existing users per replication.
    pub users: u64,
    /// Replications.
    pub replications: u32,
    /// Shard `k/n`, if the run was one shard.
    pub shard: Option<String>,
    /// Wall-clock time the run finished, UTC (RFC 3339).
    pub created: String,
}

/// Hex SHA-256 of a scenario text.
pub fn scenario_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Manifest {
    /// Serializes to TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a manifest always serializes")
    }

    /// Reads the manifest of an existing output folder, if there is one.
    pub fn read(dir: &std::path::Path) -> Option<Manifest> {
        let text = std::fs::read_to_string(dir.join("manifest.toml")).ok()?;
        toml::from_str(&text).ok()
    }

    /// Reads the manifest of an output folder, telling a missing file
    /// apart from one that cannot be read or parsed.
    pub fn read_existing(dir: &std::path::Path) -> ExistingManifest {
        let text = match std::fs::read_to_string(dir.join("manifest.toml")) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return ExistingManifest::Absent
            }
            Err(error) => {
                return ExistingManifest::Unreadable {
                    kind: error.kind(),
                    text: error.to_string(),
                }
            }
        };
        match toml::from_str(&text) {
            Ok(manifest) => ExistingManifest::Valid(manifest),
            Err(error) => ExistingManifest::Invalid(error.message().to_string()),
        }
    }
}

/// The state of `manifest.toml` in an output folder.
#[derive(Clone, Debug, PartialEq)]
pub enum ExistingManifest {
    /// The folder has no `manifest.toml`.
    Absent,
    /// A readable manifest.
    Valid(Manifest),
    /// A `manifest.toml` that exists but cannot be read.
    Unreadable {
        /// Kind of the I/O error.
        kind: std::io::ErrorKind,
        /// Text of the I/O error, from the operating system.
        text: String,
    },
    /// A `manifest.toml` that cannot be parsed, with the parser's message.
    Invalid(String),
}
