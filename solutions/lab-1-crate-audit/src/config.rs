//! Server settings, with defaults.
//!
//! | key               | field             | default       |
//! |-------------------|-------------------|---------------|
//! | `MCP_SERVER_NAME` | `server_name`     | `mcp-helpers` |
//! | `MCP_TIMEOUT_MS`  | `request_timeout` | 10000 ms      |
//! | `MCP_MAX_RETRIES` | `max_retries`     | 3             |
//! | `MCP_LOG_LEVEL`   | `log_level`       | `info`        |
//!
//! Sources, each overriding the one before:
//!
//! - natively: the defaults; the file named by the environment variable `MCP_CONFIG_FILE`
//!   (default `mcp.env`; `KEY=VALUE` lines, `#` comments; a missing file is fine); the process
//!   environment; the `vars` passed to [`Config::load`];
//! - on wasm32 (a Worker): the defaults; the `vars`. A Worker has no file system
//!   (`std::fs` returns `Unsupported`) and an empty `std::env`: its settings arrive as
//!   bindings (`[vars]` in wrangler.toml, secrets), read with `env.var("MCP_TIMEOUT_MS")` /
//!   `env.secret(..)` and passed in here as `vars`.
//!
//! Keys that are not settings are ignored, so a map of every binding is fine.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

/// Every setting key, in the order of the table above.
pub const KEYS: [&str; 4] = [
    "MCP_SERVER_NAME",
    "MCP_TIMEOUT_MS",
    "MCP_MAX_RETRIES",
    "MCP_LOG_LEVEL",
];

/// The server's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub server_name: String,
    pub request_timeout: Duration,
    pub max_retries: u32,
    pub log_level: String,
}

/// Why the settings could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// A value does not parse (e.g. `MCP_TIMEOUT_MS=soon`).
    Invalid { key: String, value: String },
    /// The config file exists but could not be read.
    Io { path: String, message: String },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Invalid { key, value } => write!(f, "invalid value for {key}: {value:?}"),
            ConfigError::Io { path, message } => write!(f, "cannot read {path}: {message}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Default for Config {
    fn default() -> Self {
        Self {
            server_name: "mcp-helpers".to_owned(),
            request_timeout: Duration::from_millis(10_000),
            max_retries: 3,
            log_level: "info".to_owned(),
        }
    }
}

impl Config {
    /// Loads the settings from every source (see the module documentation); `vars` wins.
    pub fn load(vars: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        #[cfg(not(target_arch = "wasm32"))]
        config.apply_host_sources()?;
        for (key, value) in vars {
            config.set(key, value)?;
        }
        Ok(config)
    }

    /// The config file, then the process environment (native only).
    #[cfg(not(target_arch = "wasm32"))]
    fn apply_host_sources(&mut self) -> Result<(), ConfigError> {
        let path = std::env::var("MCP_CONFIG_FILE").unwrap_or_else(|_| "mcp.env".to_owned());
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                for (key, value) in parse_env_file(&text) {
                    self.set(&key, &value)?;
                }
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                return Err(ConfigError::Io {
                    path,
                    message: err.to_string(),
                })
            }
        }
        for key in KEYS {
            if let Ok(value) = std::env::var(key) {
                self.set(key, &value)?;
            }
        }
        Ok(())
    }

    /// Sets one setting from its text form; unknown keys are ignored.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ConfigError> {
        let invalid = || ConfigError::Invalid {
            key: key.to_owned(),
            value: value.to_owned(),
        };
        match key {
            "MCP_SERVER_NAME" => self.server_name = value.to_owned(),
            "MCP_TIMEOUT_MS" => {
                let ms: u64 = value.trim().parse().map_err(|_| invalid())?;
                self.request_timeout = Duration::from_millis(ms);
            }
            "MCP_MAX_RETRIES" => self.max_retries = value.trim().parse().map_err(|_| invalid())?,
            "MCP_LOG_LEVEL" => self.log_level = value.trim().to_ascii_lowercase(),
            _ => {}
        }
        Ok(())
    }
}

/// `KEY=VALUE` lines; blank lines and lines starting with `#` are skipped.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
fn parse_env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_lines() {
        let pairs = parse_env_file(
            "# settings\nMCP_TIMEOUT_MS = 2500\n\nMCP_LOG_LEVEL=DEBUG\nnot a pair\n",
        );
        assert_eq!(
            pairs,
            vec![
                ("MCP_TIMEOUT_MS".to_owned(), "2500".to_owned()),
                ("MCP_LOG_LEVEL".to_owned(), "DEBUG".to_owned()),
            ]
        );
        let mut config = Config::default();
        for (key, value) in pairs {
            config.set(&key, &value).unwrap();
        }
        assert_eq!(config.request_timeout, Duration::from_millis(2500));
        assert_eq!(config.log_level, "debug");
    }
}
