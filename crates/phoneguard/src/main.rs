//! `phoneguard`: phone-number verification and account-risk gateway.

use std::io::{self, BufReader, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use phoneguard::config::{self, Overrides};
use phoneguard::lookup::{self, Format};
use phoneguard::{data, logging, start};
use phoneguard_numbering::NumberTable;
use secrecy::ExposeSecret;

/// Phone-number verification and account-risk gateway.
#[derive(Parser)]
#[command(name = "phoneguard", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service.
    Serve(ServeArgs),
    /// Look numbers up in the local table (location, carrier, network).
    Lookup(LookupArgs),
    /// Manage the bundled number data.
    #[command(subcommand)]
    Data(DataCommand),
    /// Risk rules: try events against a rules file.
    #[command(subcommand)]
    Risk(RiskCommand),
    /// Print the OpenAPI document (as committed in docs/openapi.json).
    Openapi,
}

#[derive(Subcommand)]
enum RiskCommand {
    /// Print the features, the rules that fired and the level of each event.
    Eval {
        /// Rules file (TOML); default: the shipped rules.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Path of a file holding one event as a JSON object (the body of
        /// POST /v1/risk/register or /login), or JSON lines: one event per line,
        /// evaluated in order with shared counters.
        #[arg(long)]
        event: PathBuf,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Configuration file (TOML); also PHONEGUARD_CONFIG.
    #[arg(long, env = "PHONEGUARD_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080 (overrides config and environment).
    #[arg(long)]
    listen: Option<String>,
    /// Database URL: sqlite://FILE or postgres://… (overrides config and environment).
    #[arg(long)]
    database: Option<String>,
    /// Log format: text or json (overrides log.format).
    #[arg(long, value_parser = ["text", "json"])]
    log_format: Option<String>,
}

#[derive(Args)]
struct LookupArgs {
    /// Numbers to look up (any format: 13800138000, +86 138-0013-8000, +14155552671…).
    #[arg(required_unless_present = "file", conflicts_with = "file")]
    numbers: Vec<String>,
    /// Read numbers from a file, one a line ("-" for standard input).
    #[arg(long, short)]
    file: Option<PathBuf>,
    /// JSON lines instead of CSV.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum DataCommand {
    /// Compile a phone.dat (PyPI package `phone` or a newer fork) into the number table.
    Build {
        /// The phone.dat file.
        #[arg(long)]
        phone_dat: PathBuf,
        /// Where to write the table.
        #[arg(long, default_value = "data/numbering.bin")]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Lookup(args) => run_lookup(args),
        Command::Openapi => {
            print!("{}", phoneguard_server::openapi::openapi_json());
            Ok(())
        }
        Command::Risk(RiskCommand::Eval { rules, event }) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            phoneguard::risk_eval::run(rules.as_deref(), &event, now).map(|text| print!("{text}"))
        }
        Command::Data(DataCommand::Build { phone_dat, out }) => {
            data::build(&phone_dat, &out).map(|size| {
                eprintln!("wrote {} ({size} bytes)", out.display());
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("phoneguard: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let overrides = Overrides {
        listen: args.listen,
        database_url: args.database,
    };
    let mut config = config::load(args.config.as_deref(), &overrides)?;
    if let Some(f) = args.log_format {
        config.log.format = f;
    }
    let _log_guard = logging::init(&config.log.format, &config.log.level)?;
    // Raises the open-files limit and fits the cap under it, logged at start.
    config.http.max_connections = phoneguard::fd_limit::connection_cap(config.http.max_connections);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        // The listener first: a start that cannot listen must not have
        // created (and hidden) the one-time admin token and default key.
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("cannot listen on {} (config key `listen`)", config.listen))?;
        let (state, bootstrap) = start::prepare(&config).await?;
        let addr = listener.local_addr()?;
        let shutdown = start::shutdown_signal();
        start::print_bootstrap(&bootstrap);
        tracing::info!(%addr, database = %phoneguard_store::redact_url(config.database_url.expose_secret()), "phoneguard listening");
        println!("phoneguard: listening on http://{addr}");
        let _ = io::stdout().flush();
        start::run(&config, state, listener, shutdown).await
    })
}

fn run_lookup(args: LookupArgs) -> anyhow::Result<()> {
    let table = NumberTable::embedded();
    let format = if args.json {
        Format::JsonLines
    } else {
        Format::Csv
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let Some(path) = args.file else {
        return Ok(lookup::run_args(table, &args.numbers, format, &mut out)?);
    };
    let (reader, len): (Box<dyn io::BufRead>, u64) = if path.as_os_str() == "-" {
        (Box::new(BufReader::new(io::stdin())), 0)
    } else {
        let f = std::fs::File::open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(BufReader::with_capacity(1 << 20, f)), len)
    };
    let bar = if len > 0 && io::stderr().is_terminal() {
        indicatif::ProgressBar::new(len)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let stats = lookup::run_reader(table, reader, format, &mut out, |n| bar.inc(n))
        .with_context(|| format!("while reading {}", path.display()))?;
    bar.finish_and_clear();
    if io::stderr().is_terminal() {
        eprintln!("{} numbers looked up", stats.rows);
    }
    Ok(())
}
