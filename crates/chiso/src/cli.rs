//! The command line (docs/formats.md §4 for `compute`, §6 for `survey index`).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "chiso",
    version,
    about = "chiso — chỉ số cải cách hành chính (PAR INDEX), SIPAS: tính điểm, xếp hạng, so sánh.\nPublic-administration reform indices for Vietnamese provinces.",
    after_help = "Ví dụ / example (tests/fixtures/compute):\n  chiso compute --framework framework.csv --scores scores.csv --units units.csv --previous previous.json\n  chiso framework show par-province-2020"
)]
pub struct Cli {
    /// Without a command, chiso serves the web application (like `chiso serve`).
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// Where the server's settings come from: a TOML file, then CHISO_* environment variables
/// (and DATABASE_URL), then these flags, each overriding the one before.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ServerArgs {
    /// A TOML configuration file (default: ./chiso.toml when it exists).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// sqlite://path or postgres://… (default sqlite://chiso.db).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, global = true)]
    pub bind: Option<String>,
    /// Do not load demo data into an empty database (production).
    #[arg(long, global = true)]
    pub no_demo: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web application.
    Serve,
    /// Create or update the database schema, then exit.
    Migrate,
    /// The server's settings: `chiso config check` reads them as `serve` would and checks
    /// each (database, data folder, files, addresses) without starting.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage accounts from the command line.
    #[command(subcommand)]
    User(UserCommand),
    /// Back up an SQLite installation (database and evidence files) into one archive.
    Backup {
        /// The archive to write (.zip); it must not exist.
        #[arg(long)]
        output: PathBuf,
    },
    /// Restore a backup archive into a new SQLite database and an empty data directory.
    Restore {
        /// The archive `chiso backup` wrote.
        #[arg(long)]
        input: PathBuf,
    },
    /// Compute points, indices, ranks and changes (docs/formats.md §4).
    Compute(ComputeArgs),
    /// Validate, show or export a criteria framework.
    #[command(subcommand)]
    Framework(FrameworkCommand),
    /// Points lost per leaf and area, comparison with peers, and what it takes to reach a target.
    Weakness(WeaknessArgs),
    /// Surveys: indices from responses (docs/formats.md §6), questionnaires, sample sizes.
    #[command(subcommand)]
    Survey(SurveyCommand),
    /// National and external indices as published: PAPI, PAR INDEX, SIPAS, PCI… (docs/formats.md §7).
    #[command(subcommand)]
    Indices(IndicesCommand),
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Check the settings (file, environment, flags) and print them, secrets hidden.
    Check,
}

/// The inputs every scoring command reads.
#[derive(clap::Args, Debug)]
pub struct ScoringInputs {
    /// framework.csv / .xlsx / .toml, or the id of a bundled framework (chiso framework list).
    #[arg(long)]
    pub framework: String,
    /// scores.csv / .xlsx: unit_code,code,points (long format).
    #[arg(long)]
    pub scores: PathBuf,
    /// units.csv / .xlsx: unit_code,unit_name,region. Every unit in scores must be listed.
    #[arg(long)]
    pub units: Option<PathBuf>,
}

#[derive(Parser, Debug)]
pub struct ComputeArgs {
    #[command(flatten)]
    pub inputs: ScoringInputs,
    /// An earlier `chiso compute --format json` output, for year-over-year changes.
    #[arg(long)]
    pub previous: Option<PathBuf>,
    /// Unit lineage for year-over-year across mergers: a CSV with
    /// successor_code,predecessor_code[,weight], or `merger-2025` for the bundled 63 → 34 lineage.
    #[arg(long)]
    pub lineage: Option<String>,
    /// Classification bands, highest first, e.g. "Tốt:80,Khá:70,Trung bình:50,Yếu".
    #[arg(long)]
    pub bands: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write here instead of standard output (required for xlsx on a terminal).
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Xlsx,
}

#[derive(Subcommand, Debug)]
pub enum FrameworkCommand {
    /// Check a framework file and report every problem with its row and code.
    Validate {
        /// framework.csv / .xlsx / .toml, or a bundled framework id.
        file: String,
    },
    /// Print the tree with max points, methods and rules.
    Show {
        file: String,
        /// Also print the scoring guidance of each leaf.
        #[arg(long)]
        guidance: bool,
    },
    /// Convert a framework to framework.csv, .xlsx or the repository's TOML.
    Export {
        file: String,
        #[arg(long, value_enum, default_value_t = FrameworkFormat::Csv)]
        format: FrameworkFormat,
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// List the bundled frameworks.
    List,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum FrameworkFormat {
    Csv,
    Xlsx,
    Toml,
}

#[derive(Parser, Debug)]
pub struct WeaknessArgs {
    #[command(flatten)]
    pub inputs: ScoringInputs,
    /// The unit to analyse.
    #[arg(long)]
    pub unit: String,
    /// The rank the unit aims for.
    #[arg(long, conflicts_with = "target_index")]
    pub target_rank: Option<u32>,
    /// The index (%) the unit aims for.
    #[arg(long)]
    pub target_index: Option<f64>,
    /// How many leaves to list.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    #[arg(long, value_enum, default_value_t = WeaknessFormat::Table)]
    pub format: WeaknessFormat,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum WeaknessFormat {
    Table,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account with a role. Prints a generated password unless --password-stdin is given;
    /// the user must change it at the first login.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        full_name: String,
        /// admin, secretariat, unit_editor, unit_leader, appraiser or viewer.
        #[arg(long)]
        role: String,
        /// The unit code the role applies to (required for unit_editor and unit_leader).
        #[arg(long)]
        unit: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SurveyCommand {
    /// Compute item rates, factor indices, the index and PAR points per unit from
    /// responses.csv / .xlsx (docs/formats.md §5–§6).
    Index(SurveyIndexArgs),
    /// List the bundled questionnaires.
    List,
    /// Show a questionnaire: scale, factors, items, PAR mapping, demographic questions.
    Show {
        /// A bundled questionnaire id or a questionnaire .toml file.
        questionnaire: String,
    },
    /// The recommended sample n = N / (1 + N·e²), rounded up (docs/method.md §3.4).
    SampleSize {
        /// N: the number of transactions in the period.
        #[arg(long)]
        transactions: u64,
        /// e: the margin of error.
        #[arg(long, default_value_t = 0.05)]
        error: f64,
    },
    /// Write a deterministic synthetic responses.csv (benchmarks, demos).
    Generate(SurveyGenerateArgs),
}

#[derive(Parser, Debug)]
pub struct SurveyIndexArgs {
    /// A bundled questionnaire id (chiso survey list) or a questionnaire .toml file.
    #[arg(long)]
    pub questionnaire: String,
    /// responses.csv / .xlsx: unit_code,respondent_id,channel,weight,<item codes…>.
    #[arg(long)]
    pub responses: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write here instead of standard output (required for xlsx on a terminal).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Any rejected row is an error: nothing is computed.
    #[arg(long)]
    pub strict: bool,
    /// Also report results by channel or by service (over all units, and per unit × channel
    /// or unit × service in JSON and xlsx).
    #[arg(long, value_enum)]
    pub by: Option<SurveyBy>,
    /// A named group of units merged into one result, e.g. "Khối sở=01,02,03" (repeatable).
    #[arg(long = "group", value_name = "NAME=CODE,CODE")]
    pub groups: Vec<String>,
    /// units.csv / .xlsx with unit_code,transactions: each unit's target sample
    /// n = N / (1 + N·e²) and a warning where a unit is below it.
    #[arg(long)]
    pub transactions: Option<PathBuf>,
    /// e for the target sample.
    #[arg(long, default_value_t = 0.05)]
    pub target_error: f64,
    /// An earlier `chiso survey index --format json` output, for changes per unit.
    #[arg(long)]
    pub previous: Option<PathBuf>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SurveyBy {
    Channel,
    /// The `service` column: the administrative procedure each response is about.
    Service,
}

#[derive(Parser, Debug)]
pub struct SurveyGenerateArgs {
    /// A bundled questionnaire id or a questionnaire .toml file.
    #[arg(long, default_value = "sipas-2017")]
    pub questionnaire: String,
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    #[arg(long, default_value_t = 63)]
    pub units: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Leave the weight column empty (every weight 1).
    #[arg(long)]
    pub unweighted: bool,
    #[arg(long)]
    pub output: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum IndicesCommand {
    /// Read indices.csv / .xlsx, or a publisher's workbook (PAPI's provincial workbook, MoHA's
    /// PAR INDEX and SIPAS tables), and print it normalised with ranks, groups and checks.
    Read(IndicesReadArgs),
    /// Read a file as `read` does and store its years in the database, all or nothing: a year
    /// already stored is replaced and kept in history (a fresh database first gets the bundled
    /// published figures).
    Import(IndicesImportArgs),
    /// List the bundled structures of the national indices.
    List,
    /// Print the bundled published figures (data/published/) as one indices.csv.
    Published,
}

#[derive(Parser, Debug)]
pub struct IndicesReadArgs {
    #[command(flatten)]
    pub read: IndicesFileArgs,
    #[arg(long, value_enum, default_value_t = IndicesFormat::Table)]
    pub format: IndicesFormat,
    /// Write here instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum IndicesFormat {
    Table,
    Json,
    Csv,
}

#[derive(Parser, Debug)]
pub struct IndicesImportArgs {
    #[command(flatten)]
    pub read: IndicesFileArgs,
    /// Who published the figures (UNDP, Bộ Nội vụ…).
    #[arg(long)]
    pub publisher: Option<String>,
    /// The document the figures come from (a report, a decision).
    #[arg(long)]
    pub document: Option<String>,
    /// The document's date, YYYY-MM-DD.
    #[arg(long)]
    pub date: Option<chrono::NaiveDate>,
    /// Where the document is published.
    #[arg(long)]
    pub url: Option<String>,
}

/// The file of an `indices` command and how to read it.
#[derive(clap::Args, Debug)]
pub struct IndicesFileArgs {
    /// The index: papi, par, par-ministry, sipas, pci, ict, dti, service-766 (needed for a
    /// publisher's workbook; an indices.csv holding one index needs none).
    #[arg(long)]
    pub index: Option<String>,
    /// The year of a one-sheet table whose sheet name and title give none.
    #[arg(long)]
    pub year: Option<i32>,
    /// indices.csv / .xlsx, or the publisher's .xlsx.
    pub file: PathBuf,
}
