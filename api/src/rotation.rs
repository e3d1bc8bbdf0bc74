//! `sgh rotate-keys`: re-seals every piece of personal data under the current field key, online,
//! in batches, with a progress bar and a cursor saved after each batch
//! (`<data dir>/rotate-keys-<key id>.cursor`): a run that stops half-way is continued by the next.
//! Values already under the current key are left alone, so running it again is harmless.

use std::path::PathBuf;

use crate::config::Config;
use crate::wire::{field_crypto, open_database};
use domain::services::files::FileStore;
use domain::services::model::AttachmentId;
use infra::db::rekey::{Rekey, SEALED};
use infra::files::Files;

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub rewritten: usize,
    /// Rows that changed while being read: the next run takes them.
    pub changed_meanwhile: usize,
    /// Whether every table was gone through and nothing is left under another key (a run may stop
    /// after `max_batches`; a row changed meanwhile, or sealed by an instance that still had the
    /// old key, is left for the next run).
    pub finished: bool,
    /// Rows still not wholly under the current key when the run ended, and attached files.
    pub remaining: i64,
    /// Attached files re-sealed (after the rows, by the file store).
    pub files_resealed: usize,
}

fn cursor_file(config: &Config) -> PathBuf {
    config.storage.data_dir.join(format!("rotate-keys-{}.cursor", config.crypto.encryption_key_id))
}

/// Where the last run stopped: a table and the id it had reached.
fn saved(config: &Config) -> Option<(String, String)> {
    let text = std::fs::read_to_string(cursor_file(config)).ok()?;
    let (table, after) = text.trim_end_matches('\n').split_once('\t')?;
    Some((table.to_owned(), after.to_owned()))
}

fn save(config: &Config, table: &str, after: &str) -> anyhow::Result<()> {
    let path = cursor_file(config);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Written aside and renamed: a crash leaves the old cursor or the new one, never half of one.
    let partial = path.with_extension("cursor.partial");
    std::fs::write(&partial, format!("{table}\t{after}\n"))?;
    std::fs::rename(partial, path)?;
    Ok(())
}

/// Re-seals in batches of `batch` rows, stopping after `max_batches` if given.
pub async fn rotate(config: &Config, batch: i64, max_batches: Option<usize>, show: bool) -> anyhow::Result<Rotation> {
    anyhow::ensure!((1..=10_000).contains(&batch), "--batch must be 1 to 10,000");
    let db = open_database(config).await?;
    let rekey = Rekey { db, crypto: field_crypto(config) };
    let files = crate::services::file_store(config, field_crypto(config), domain::shared::AppClock::System)?;
    let (for_files, config) = (rekey.clone(), config.clone());
    let mut done = tokio::task::spawn_blocking(move || -> anyhow::Result<Rotation> {
        let total = remaining(&rekey)?;
        let bar = if show { indicatif::ProgressBar::new(total as u64) } else { indicatif::ProgressBar::hidden() };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {msg} ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let resume = saved(&config);
        let skip = resume.as_ref().and_then(|(table, _)| SEALED.iter().position(|t| t.table == table)).unwrap_or(0);
        let (mut done, mut batches) = (Rotation::default(), 0usize);
        for (i, table) in SEALED.iter().enumerate().skip(skip) {
            let mut after = match &resume {
                Some((t, after)) if i == skip && t == table.table => after.clone(),
                _ => table.start(),
            };
            loop {
                if max_batches.is_some_and(|max| batches >= max) {
                    bar.abandon_with_message(format!("stopped in {} after {after}", table.table));
                    done.remaining = remaining(&rekey)?;
                    return Ok(done);
                }
                let step = rekey.batch(table, &after, batch)?;
                batches += 1;
                done.rewritten += step.rewritten;
                done.changed_meanwhile += step.changed_meanwhile;
                bar.inc((step.rewritten + step.changed_meanwhile) as u64);
                bar.set_message(table.table.to_owned());
                match step.next {
                    Some(next) => {
                        save(&config, table.table, &next)?;
                        after = next;
                    }
                    None => break,
                }
            }
            if let Some(next) = SEALED.get(i + 1) {
                save(&config, next.table, &next.start())?;
            }
        }
        // Every table was gone through: the next run, if one is needed, starts from the start.
        let _ = std::fs::remove_file(cursor_file(&config));
        done.remaining = remaining(&rekey)?;
        done.finished = done.remaining == 0;
        bar.finish_with_message(if done.finished {
            "done".to_owned()
        } else {
            format!("{} rows left", done.remaining)
        });
        Ok(done)
    })
    .await??;
    if max_batches.is_none() {
        done.files_resealed = reseal_files(&for_files, &files, batch).await?;
        done.remaining = blocking(&for_files, remaining).await?;
        done.finished = done.remaining == 0;
    }
    Ok(done)
}

async fn blocking<T: Send + 'static>(
    rekey: &Rekey,
    work: impl FnOnce(&Rekey) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let rekey = rekey.clone();
    tokio::task::spawn_blocking(move || work(&rekey)).await?
}

/// Each attached file not under the current key, read back and kept again, `batch` ids at a time.
/// A file that cannot be read (gone from the store) is left, and counted as remaining.
async fn reseal_files(rekey: &Rekey, files: &Files, batch: i64) -> anyhow::Result<usize> {
    let (mut after, mut resealed) = (String::new(), 0);
    loop {
        let from = after.clone();
        let ids = blocking(rekey, move |r| r.stale_files(&from, batch)).await?;
        let Some(last) = ids.last() else { return Ok(resealed) };
        after = last.clone();
        for id in ids {
            let file = AttachmentId(id.parse()?);
            let plain = match files.get(file).await {
                Ok(plain) => plain,
                Err(e) if infra::unavailable::is_unavailable(&e) => return Err(e),
                Err(e) => {
                    tracing::warn!(file = %id, error = %e, "a file could not be read to re-seal it");
                    continue;
                }
            };
            // Kept again under the same id: the store replaces it whole (a rename, or a PUT).
            files.put(file, Box::new(std::io::Cursor::new(plain))).await?;
            if blocking(rekey, move |r| r.file_resealed(&id)).await? {
                resealed += 1;
            } else {
                // Erased while it was being re-sealed: the erasure deleted the file before this
                // put it back, so it goes again.
                files.delete(file).await?;
            }
        }
    }
}

fn remaining(rekey: &Rekey) -> anyhow::Result<i64> {
    Ok(SEALED.iter().map(|t| rekey.remaining(t)).sum::<anyhow::Result<i64>>()? + rekey.files_remaining()?)
}
