//! The `sgh` command line.

use clap::{Parser, Subcommand};
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use crate::admin::RoleDto;
use crate::config::Config;
use crate::startup::Application;
use crate::wire::{open_database, Infra};
use crate::{openapi, telemetry};
use domain::admin::{Actor, NewAdmin, Password, Username};
use domain::members::roster::ImportProgress;
use domain::members::roster_import::RosterFormat;
use domain::shared::AppClock;
use domain::shared::EmailAddress;

/// The crate's version and the commit it was built from.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("SGH_GIT_COMMIT"), ")");

#[derive(Parser)]
#[command(name = "sgh", version = VERSION, about = "苏工惠 member-benefits backend")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve HTTP until SIGTERM.
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the OpenAPI document (JSON) to standard output.
    Openapi,
    /// Import the union's member roster from a CSV file (UTF-8, GB18030/GBK or UTF-16) or an .xlsx
    /// workbook; columns found by their Chinese or English header (姓名, 身份证号, 工会编码, 工会名称,
    /// 会员编号, 状态).
    ImportRoster {
        file: std::path::PathBuf,
        /// For an .xlsx workbook: the sheet to read (the first one otherwise).
        #[arg(long)]
        sheet: Option<String>,
    },
    /// Import the union tree from a CSV file (the admin API's template: 工会编码, 工会名称, 类型,
    /// 上级工会编码, 覆盖单位), rows in any order, every bad row refused by its line.
    ImportUnions {
        file: std::path::PathBuf,
        /// Check the file and report, writing nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the union tree (or the subtree under a union) as CSV, in the form it imports back.
    ExportUnions {
        #[arg(long)]
        under: Option<String>,
    },
    /// 会员有礼 campaigns.
    #[command(subcommand)]
    Campaigns(CampaignCommand),
    /// Manage staff accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Re-encrypt personal data sealed under SGH_ENCRYPTION_PREVIOUS_KEY with SGH_ENCRYPTION_KEY,
    /// online, in batches; continues where an interrupted run stopped.
    RotateKeys {
        /// Rows per transaction.
        #[arg(long, default_value_t = 500)]
        batch: i64,
    },
    /// Recompute every campaign's spent, every sale's split and every rebate the payout files pay
    /// from their rows, in one snapshot; print each difference to the fen and exit 1 if any.
    AuditLedger,
    /// Check a fair draw's published record (JSON, `-` for standard input) from nothing else: the
    /// seed against its commitment, the entrants sorted and each once, the winners and the waiting
    /// list recomputed (sgh-draw/v1). Exit 1 at the first thing that does not hold. Needs no
    /// configuration, database or network.
    VerifyDraw { record: std::path::PathBuf },
}

#[derive(Subcommand)]
enum CampaignCommand {
    /// Compare the inventory gate with the database and repair the gate: one campaign, or every
    /// published one.
    Reconcile { id: Option<uuid::Uuid> },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a staff account. The password is prompted for on a terminal, or read as the first
    /// line of standard input otherwise.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    Admin,
    Operator,
    Auditor,
    PickupOperator,
}

impl From<RoleArg> for RoleDto {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Admin => RoleDto::Admin,
            RoleArg::Operator => RoleDto::Operator,
            RoleArg::Auditor => RoleDto::Auditor,
            RoleArg::PickupOperator => RoleDto::PickupOperator,
        }
    }
}

/// Exit codes: 0 done, 1 failed while running, 2 refused to start (bad configuration or arguments).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Openapi => {
            print!("{}", openapi::spec_json());
            return ExitCode::SUCCESS;
        }
        Command::VerifyDraw { record } => return verify_draw(record),
        _ => {}
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sgh: configuration refused: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&config.server.log_filter, config.server.log_format);
    let outcome = actix_web::rt::System::new().block_on(run(cli.command, config));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "sgh failed");
            eprintln!("sgh: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let app = Application::build(config.clone()).await?;
            tracing::info!(addr = %config.server.bind, port = app.port(), "serving; docs at /docs/");
            app.run_until_stopped().await?;
            tracing::info!("stopped");
        }
        Command::Migrate => {
            open_database(&config).await?;
            tracing::info!("database is up to date");
        }
        Command::Openapi | Command::VerifyDraw { .. } => unreachable!("handled before configuration is read"),
        Command::ImportRoster { file, sheet } => import_roster(config, file, sheet).await?,
        Command::ImportUnions { file, dry_run } => import_unions(config, file, dry_run).await?,
        Command::ExportUnions { under } => export_unions(config, under).await?,
        Command::Campaigns(CampaignCommand::Reconcile { id }) => reconcile(config, id).await?,
        Command::RotateKeys { batch } => {
            let done = crate::rotation::rotate(&config, batch, None, std::io::stderr().is_terminal()).await?;
            println!(
                "re-encrypted {} rows and {} files under key {}; {} changed while being read; {} left{}",
                done.rewritten,
                done.files_resealed,
                config.crypto.encryption_key_id,
                done.changed_meanwhile,
                done.remaining,
                if done.finished { "" } else { " (run again to take them; keep the previous key until none are)" }
            );
        }
        Command::AuditLedger => audit_ledger(config).await?,
        Command::Admin(AdminCommand::Create { username, role, display_name, email }) => {
            let new = NewAdmin {
                username: Username::parse(&username)?,
                display_name: display_name.unwrap_or_else(|| username.clone()),
                email: email.as_deref().map(EmailAddress::parse).transpose()?,
                role: RoleDto::from(role).into(),
                password: Password::parse(read_password()?)?,
                // The whole tree: the first admin hands out the branches through the API.
                scope: None,
            };
            let infra = Infra::open(config, AppClock::System).await?;
            let admin = crate::admin::wire(&infra).admins.create(&Actor::command_line(&login()), new).await?;
            println!("created {} ({}) id={}", admin.username, admin.role.as_str(), admin.id);
        }
    }
    Ok(())
}

async fn audit_ledger(config: Config) -> anyhow::Result<()> {
    use domain::admin::ledger::Books;
    let infra = Infra::open(config, AppClock::System).await?;
    let found = infra::db::books::DbBooks(infra.db.clone()).audit().await?;
    for f in &found.findings {
        println!(
            "{}\t{}\t{}\texpected {} fen, found {} fen\t{}",
            f.book.as_str(),
            f.subject,
            f.row,
            f.expected_fen,
            f.found_fen,
            f.check
        );
    }
    println!("{} rows checked, {} findings", found.rows_checked, found.findings.len());
    anyhow::ensure!(found.is_clean(), "the books do not add up");
    Ok(())
}

/// Who ran the command, for the audit log.
fn login() -> String {
    std::env::var("USER").unwrap_or_else(|_| "unknown".into())
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("password: ")?;
        let again = rpassword::prompt_password("again: ")?;
        anyhow::ensure!(first == again, "the two passwords differ");
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// Counts bytes read so the progress bar can follow the file.
struct Progress<R> {
    inner: R,
    bar: indicatif::ProgressBar,
}

impl<R: std::io::Read> std::io::Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

async fn import_unions(config: Config, path: std::path::PathBuf, dry_run: bool) -> anyhow::Result<()> {
    let file = std::fs::File::open(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let infra = Infra::open(config, AppClock::System).await?;
    let started = std::time::Instant::now();
    let input = Box::new(std::io::BufReader::new(file));
    let report = crate::unions::wire(&infra)
        .unions
        .import(&Actor::command_line(&login()), input, dry_run)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{}inserted {} updated {} unchanged {} rejected {} in {:.1}s",
        if dry_run { "dry run, nothing written: " } else { "" },
        report.inserted,
        report.updated,
        report.unchanged,
        report.rejected,
        started.elapsed().as_secs_f64()
    );
    for r in &report.rejections {
        let column = r.refusal.column.map(|c| format!(" [{}]", c.zh)).unwrap_or_default();
        println!("line {}{column}: {}", r.line, r.refusal);
    }
    if report.rejected > 0 {
        std::process::exit(1);
    }
    Ok(())
}

async fn export_unions(config: Config, under: Option<String>) -> anyhow::Result<()> {
    use domain::shared::import::ColumnSet;
    use domain::shared::spreadsheet::line;
    use domain::unions::file::{row_of, TreeColumn};
    let infra = Infra::open(config, AppClock::System).await?;
    let unions = crate::unions::wire(&infra).unions;
    let actor = Actor::command_line(&login());
    let root = match under {
        Some(raw) => domain::unions::UnionCode::parse(&raw).map_err(|e| anyhow::anyhow!("{raw}: {e}"))?,
        None => unions.home(&actor).await?.code,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    use std::io::Write;
    write!(out, "\u{feff}{}\r\n", line(&TreeColumn::template_header()))?;
    for node in unions.subtree(&actor, &root).await?.iter().filter(|n| n.is_open()) {
        write!(out, "{}\r\n", line(&row_of(node)))?;
    }
    out.flush()?;
    Ok(())
}

async fn import_roster(config: Config, path: std::path::PathBuf, sheet: Option<String>) -> anyhow::Result<()> {
    let xlsx = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    anyhow::ensure!(xlsx || sheet.is_none(), "--sheet is for .xlsx workbooks");
    let format = if xlsx { RosterFormat::Xlsx { sheet } } else { RosterFormat::Csv };
    let file = std::fs::File::open(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let size = file.metadata()?.len();
    let infra = Infra::open(config, AppClock::System).await?;
    let bar = indicatif::ProgressBar::new(size).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let reader = std::io::BufReader::with_capacity(1 << 20, Progress { inner: file, bar: bar.clone() });
    let progress_bar = bar.clone();
    let progress = Box::new(move |done: ImportProgress| {
        progress_bar.set_message(format!(
            "{} rows: {} inserted, {} updated, {} rejected",
            done.rows, done.inserted, done.updated, done.rejected
        ))
    });
    let actor = Actor::command_line(&login());
    let report = crate::members::wire(&infra)
        .roster
        .import(&actor, &path.display().to_string(), Box::new(reader), format, progress)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    println!(
        "inserted {} updated {} unchanged {} rejected {} in {:.1}s",
        report.inserted,
        report.updated,
        report.unchanged,
        report.rejected,
        started.elapsed().as_secs_f64()
    );
    if !report.ignored_columns.is_empty() {
        println!("ignored columns (not roster columns): {}", report.ignored_columns.join(", "));
    }
    for r in &report.rejections {
        let column = r.refusal.column.map(|c| format!(" [{}]", c.zh)).unwrap_or_default();
        println!("line {}{column}: {}", r.line, r.refusal);
    }
    if report.rejected as usize > report.rejections.len() {
        println!("… and {} more rejected lines", report.rejected as usize - report.rejections.len());
    }
    Ok(())
}

async fn reconcile(config: Config, id: Option<uuid::Uuid>) -> anyhow::Result<()> {
    use domain::campaigns::CampaignId;
    anyhow::ensure!(
        config.storage.redis_url.is_some(),
        "without SGH_REDIS_URL the gate lives inside the running server: use POST /v1/admin/campaigns/{{id}}/reconcile"
    );
    let infra = Infra::open(config, AppClock::System).await?;
    let app = crate::campaigns::wire(&infra, crate::campaigns::Writes::OneByOne).campaigns;
    let actor = Actor::command_line(&login());
    let ids: Vec<CampaignId> = match id {
        Some(id) => vec![CampaignId(id)],
        None => app
            .list_all(&actor)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .into_iter()
            .filter(|(c, _)| c.state == domain::campaigns::CampaignState::Published)
            .map(|(c, _)| c.id)
            .collect(),
    };
    for id in ids {
        let found = app.reconcile(Some(&actor), id).await.map_err(|e| anyhow::anyhow!("campaign {id}: {e}"))?;
        for d in &found {
            let view = crate::campaigns::admin::drift_view(d);
            println!(
                "campaign {id} gift {}: gate {} database {}{}",
                view.gift_id,
                view.gate_remaining.map_or("empty".to_owned(), |n| n.to_string()),
                view.database_remaining,
                if view.drifted { " (repaired)" } else { "" }
            );
        }
    }
    Ok(())
}

/// `sgh verify-draw`: what holds, or the first thing that does not.
fn verify_draw(path: &std::path::Path) -> ExitCode {
    use domain::draws::record::{verify, Record};
    let text =
        if path.as_os_str() == "-" { std::io::read_to_string(std::io::stdin()) } else { std::fs::read_to_string(path) };
    let record: Record =
        match text.map_err(|e| e.to_string()).and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string())) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("sgh: {} is not a draw's record: {e}", path.display());
                return ExitCode::from(2);
            }
        };
    match verify(&record) {
        Ok(()) => {
            println!(
                "the draw {} holds: the seed is the one committed to ({}), {} entrants sorted and each once, \
                 {} winners and {} on the waiting list recomputed",
                record.draw,
                record.commitment,
                record.entrants.len(),
                record.winners.len(),
                record.waiting.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("the draw {} does NOT hold: {e}", record.draw);
            ExitCode::FAILURE
        }
    }
}
