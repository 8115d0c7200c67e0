//! Command-line interface. The doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Grades the Rust MCP-on-Workers labs: builds a lab for wasm32, runs it in workerd
/// (through Miniflare) and checks it against the course's requirements.
#[derive(Debug, Parser)]
#[command(name = "checker", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Build a lab, run it in workerd and grade it.
    ///
    /// Exit status: 0 when every check passes, 1 when a check fails, 2 when the lab could not
    /// be graded (it does not build, or a tool is missing).
    Check {
        /// The lab: `lab-4`, `4` or `full-server`.
        lab: String,
        /// Grade the reference solution instead of your lab.
        #[arg(long)]
        solution: bool,
        /// How to print the result.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Write the result to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Show every check's evidence, not only the current task's (human format; the
        /// other formats always carry everything).
        #[arg(long)]
        all: bool,
    },
    /// Render a saved JSON report (`check --format json --out FILE`) in another format,
    /// without grading again: CI grades once and writes JUnit and a GitHub summary from it.
    ///
    /// Exit status: the report's own (0 passed, 1 a check fails, 2 not gradable).
    Render {
        /// The JSON report.
        report: PathBuf,
        /// How to print it.
        #[arg(long, value_enum)]
        format: Format,
        /// Write it to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Show every check's evidence, not only the current task's (human format).
        #[arg(long)]
        all: bool,
    },
    /// One table of a whole class's results, from the JSON reports CI keeps: per report the
    /// score and the checks not passing, and per lab how many pass each check.
    Summary {
        /// The JSON reports (e.g. `results/*.json`); each row is named after its file.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Markdown to read, or CSV (one column of points per check) for a gradebook.
        #[arg(long, value_enum, default_value_t = SummaryFormat::Markdown)]
        format: SummaryFormat,
        /// Write it to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Check every tool and pin the course needs (Rust, the wasm32 target, wasm-bindgen-cli,
    /// Node, the npm packages, workerd) and print the command that fixes what is missing.
    /// Installs nothing.
    ///
    /// Exit status: 0 when everything required is there, 1 when something is missing.
    Doctor,
    /// A hint about the first check your last grade of a lab missed, tiered by what failed:
    /// ask again for the next, more specific one. Each names the book section.
    Hint {
        /// The lab: `lab-1`, `1` or `crate-audit`.
        lab: String,
    },
    /// Grade your lab, then again every time you save one of its files, with the Worker's
    /// runtime kept running between runs; after the first report only what changed is shown.
    /// Ctrl-C stops it (and everything it started).
    Watch {
        /// The lab: `lab-3`, `3` or `size-reduction`.
        lab: String,
    },
    /// List the labs.
    List,
    /// Put a lab back to the starting point the course shipped, to start over. Your files are
    /// copied under target/checker/backups/ first (the command says where), and your progress
    /// and hints for the lab are forgotten. Asks first; `--yes` does not ask.
    ///
    /// Exit status: 0 when the lab was reset (or you said no), 2 when it could not be.
    Reset {
        /// The lab: `lab-0`, `0` or `first-worker`.
        lab: String,
        /// Reset without asking (for scripts; without a terminal, nothing is reset without it).
        #[arg(long)]
        yes: bool,
    },
    /// Take your progress (each lab's last result and the hints you have seen) to another
    /// checkout: `--export FILE` writes it, `--import FILE` merges it into this one's. Moving
    /// between a Codespace and a laptop: export on one, copy or commit the file, import on the
    /// other. Merging keeps the more recent result of each lab and every hint seen.
    ///
    /// Exit status: 0 done, 2 the file could not be read or written, or is not an export.
    #[command(group(clap::ArgGroup::new("direction").required(true).args(["export", "import"])))]
    Progress {
        /// Write this checkout's progress to FILE (`-` for standard output).
        #[arg(long, value_name = "FILE")]
        export: Option<PathBuf>,
        /// Merge the progress in FILE into this checkout's.
        #[arg(long, value_name = "FILE")]
        import: Option<PathBuf>,
    },
    /// Install what grading needs into this repository, ahead of time: the wasm32 target,
    /// the npm packages (Miniflare, workerd, binaryen) and wasm-bindgen-cli into `.tools/`.
    /// `check` does the same on first use; this is for CI caches and slow networks.
    Setup,
    /// Build a lab and serve it on 127.0.0.1 until Ctrl-C, for any MCP client to talk to.
    Serve {
        /// The lab: `lab-4`, `4` or `full-server`.
        lab: String,
        /// Serve the reference solution instead of your lab.
        #[arg(long)]
        solution: bool,
        /// Port to listen on.
        #[arg(long, default_value_t = 8787)]
        port: u16,
    },
    /// Run a lab with the real `wrangler dev` (the pinned wrangler, offline), with its KV and
    /// D1 bindings and lab 4's D1 fixture loaded, until Ctrl-C: what `wrangler deploy` would
    /// ship, served on your machine. The local data is fresh on every start.
    Dev {
        /// The lab: `lab-4`, `4` or `full-server`.
        lab: String,
        /// Run the reference solution instead of your lab.
        #[arg(long)]
        solution: bool,
        /// Port to listen on.
        #[arg(long, default_value_t = 8787)]
        port: u16,
    },
    /// Build a lab as it would be deployed and show where its bytes go: raw, gzip and brotli
    /// sizes, sections, the crates that weigh most, and what to do about them.
    Size {
        /// The lab: `lab-3`, `3` or `size-reduction`.
        lab: String,
        /// Measure the reference solution instead of your lab.
        #[arg(long)]
        solution: bool,
        /// How many crates to list.
        #[arg(long, default_value_t = 12)]
        top: usize,
        /// Also copy the deployed module to this file (to inspect it with other tools).
        #[arg(long, value_name = "FILE")]
        save: Option<PathBuf>,
    },
    /// Measure lab 4's Worker against the course's TypeScript SDK v2 reference server, in the
    /// same Miniflare and the same run: upload size (the module and its JavaScript against the
    /// bundle, raw and gzip), cold start, requests per second with 1 and 8 clients, and workerd
    /// CPU per request above a constant-answer Worker's (after the same KV read). Read the
    /// ratios; absolute times depend on the machine.
    Bench {
        /// The lab: `lab-4`, `4` or `full-server` (the TypeScript reference has lab 4's tools).
        lab: String,
        /// Measure the reference solution instead of your lab.
        #[arg(long)]
        solution: bool,
        /// `human` (a table) or `json` (the comparison, for tools).
        #[arg(long, value_enum, default_value = "human")]
        format: BenchFormat,
    },
    /// Will a crate build and run on wasm32 in Workers? Builds it for wasm32, names each
    /// dependency that breaks with the path that brings it in and the known fix, and points
    /// at std APIs in its sources that compile but fail at run time in a Worker.
    ///
    /// Exit status: 0 when nothing was found, 1 when something was.
    Audit {
        /// The crate's directory.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Write the rubric of every lab (checks, points, budgets) as Markdown for the book, and
    /// the page of the last full mutation runs (from checker/mutants/runs/).
    ///
    /// With `--check`, write nothing and exit 1 if the files on disk are out of date.
    Rubric {
        /// Directory for the generated pages.
        #[arg(long, default_value = "book/src/generated")]
        out_dir: PathBuf,
        /// Only compare with what is on disk.
        #[arg(long)]
        check: bool,
    },
    /// Print one of the memory lab's generated payloads (the request body the checker sent),
    /// to reproduce a memory check by hand.
    #[command(hide = true)]
    Payload {
        /// The payload's seed, as the report names it.
        #[arg(long)]
        seed: u64,
        /// Its size in bytes (at least).
        #[arg(long)]
        bytes: usize,
        /// The JSON-RPC id it carries.
        #[arg(long, default_value_t = 1)]
        id: u64,
    },
    /// For course authors: compare the course's own files with their recorded hashes
    /// (checker/course-files.toml), or record them again with `--write`.
    #[command(hide = true)]
    Integrity {
        /// Rewrite the list from the files on disk.
        #[arg(long)]
        write: bool,
    },
    /// For course authors: grade a lab for real and record, for each Worker check and each
    /// finding, what it sent and got, as the replay tests' golden files
    /// (checker/tests/replay/<check>/<lab>-<start|solution>.json).
    #[command(hide = true)]
    Record {
        /// The lab to grade and record.
        lab: String,
        /// Record the reference solution instead of the starting point.
        #[arg(long)]
        solution: bool,
    },
    /// For course authors: mutation testing of the reference solutions. Each mutant
    /// (cargo-mutants' list for the solution's src/, and checker/mutants/<lab>.toml's
    /// hand-written ones) is graded with `check <lab> --solution` in a scratch copy of the
    /// course; every survivor must be listed there as equivalent, with why. A complete run
    /// writes checker/mutants/runs/<lab>.json.
    ///
    /// Exit status: 0 when every survivor is an explained equivalent; 1 when one is not, a
    /// baseline entry is stale or the checker crashed on a mutant; 2 when the run cannot
    /// start (the unmutated solution fails, or a mutant no longer applies).
    #[command(hide = true)]
    Mutants(MutantsArgs),
    /// For course authors: replay a lab's behaviour corpus against its starting point and
    /// record the replies as the expected ones (`--write`), or show what differs.
    #[command(hide = true)]
    Corpus {
        /// The lab whose corpus to record.
        lab: String,
        /// Rewrite the expected replies in the corpus file.
        #[arg(long)]
        write: bool,
    },
}

/// The options of `checker mutants`.
#[derive(Debug, Args)]
pub struct MutantsArgs {
    /// Labs to run (`lab-4`, `4`…); every lab when none is given.
    pub labs: Vec<String>,
    /// Mutants graded at once, each in its own copy and target directory (default: half
    /// the cores; two shared cores gain nothing from a second job).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Stop starting mutants after this many minutes (the record is then partial).
    #[arg(long, value_name = "MINUTES")]
    pub budget: Option<u64>,
    /// The most one mutant's grade may take, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub timeout: u64,
    /// Only mutants whose name contains this text (repeat it for several).
    #[arg(long, value_name = "TEXT")]
    pub only: Vec<String>,
    /// Only the fixed sample in checker/mutants/sample.toml (what `cargo test` runs).
    #[arg(long)]
    pub sample: bool,
    /// List the mutants instead of grading them: one line each, lab, name and file:line,
    /// separated by tabs (every mutant is checked to apply first).
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    /// A table of both servers' figures and their ratios.
    Human,
    /// The comparison as JSON (`schema_version` 2).
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// A Markdown table, and each check's pass rate per lab.
    Markdown,
    /// CSV: one row per report, one column of points per check.
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: one line per check, details for each miss.
    Human,
    /// The versioned report (`schema_version` 1), for tools and CI.
    Json,
    /// JUnit XML: one testcase per check, points as properties.
    Junit,
    /// For GitHub Actions: `::error` annotations on standard output, and a Markdown summary
    /// written to `--out`, else appended to `$GITHUB_STEP_SUMMARY` when set, else printed.
    Github,
    /// Exercism's test-runner `results.json` (version 3): one test per check, in order, each
    /// linked to its lab task.
    Exercism,
}
