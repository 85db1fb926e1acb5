//! Write: a prepared batch becomes files in its staging folder — notices and their ZIPs, the
//! second-channel list, the mail room's bundle and list, the not-issued lists — and then the
//! audit record ([`crate::engine::record`]). Nothing here judges a row: every row was accepted by
//! [`crate::engine::plan`], whose pure layout this stage repeats page by page, and the batch fonts hold
//! every glyph those pages set. What can fail here is the disk.

use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::engine::audit::ledger::{BatchRecord, Head, Ledger};
use crate::engine::audit::manifest;
use crate::engine::config::Config;
use crate::engine::mailroom::{self, BundleInfo};
use crate::engine::notice::Notice;
use crate::engine::outcome::{BatchError, BatchReport, Context, IssuedNotice, io_error, planned};
use crate::engine::pack::{self, policy::ZipKey};
use crate::engine::plan::Plan;
use crate::engine::render::bundle::{BundleWriter, prepare};
use crate::engine::render::{PdfFonts, RenderError, pdf};
use crate::engine::report;
use crate::engine::secrets::Secret;
use crate::ground::font;
use crate::ground::fsutil;

/// Writes the whole batch into `staging` and returns the ledger's record of it. Takes the plan
/// to drop its notices (and the secrets in them) as soon as the last file that needs them is
/// written, before the manifest and the ledger commit reuse their memory.
pub fn write(
    staging: &Path,
    report: &mut BatchReport,
    mut plan: Plan,
    ledger: &Ledger,
    context: &Context,
) -> Result<BatchRecord, BatchError> {
    let Context { config, renderer, .. } = *context;
    // Private from the first byte: the folder and everything in it are for the clerk alone.
    // A new folder, never one (or a link) already standing at the name.
    fsutil::create_new_private_dir(staging).map_err(io_error(staging))?;
    if let Err(e) = fsutil::restrict_to_owner(staging) {
        if cfg!(unix) {
            return Err(io_error(staging)(e));
        }
        report.warnings.push(crate::ground::os::not_private_warning(staging, &e));
    }
    for sub in ["notices", "zip", "print", "secrets", "audit", "archive"] {
        fsutil::create_new_private_dir(&staging.join(sub)).map_err(io_error(staging))?;
    }
    let mut clock = std::time::Instant::now();
    let mut lap = |report: &mut BatchReport, phase: &'static str| {
        report.timings.push((phase, clock.elapsed()));
        clock = std::time::Instant::now();
    };
    let mut glyphs = std::mem::take(&mut plan.glyphs);
    // The cover prints the operator, the host and the chain head (hexadecimal).
    glyphs.extend(
        font::clusters(&context.operator)
            .chain(font::clusters(&context.host))
            .chain(font::clusters("0123456789abcdef: ")),
    );
    let fonts = renderer.fonts_for(&glyphs)?;
    lap(report, "batch fonts");
    let notices = plan.notices.as_slice();
    let keys = pack::policy::zip_keys(notices, config);
    let (mut issued, hashed) = notices_and_zips(staging, notices, &keys, &fonts, context)?;
    // A gigabyte of notices and ZIPs may wait in memory for the disk: start writing it out
    // while the rest of the batch is made, so that the final flush finds little left.
    let early_flush = fsutil::flush_in_background(staging);
    lap(report, "notices+zips");
    report.handoff = Some(handoff(staging, &report.batch_id, notices, &report.withdrawn, config)?);
    lap(report, "handoff");
    // The bundle's order, control numbers and pages are fixed before anything prints them:
    // the events that the cover's chain head covers record them.
    let mut paper: Vec<&Notice> = notices.iter().filter(|n| n.kind().is_mailed()).collect();
    mailroom::sort(&mut paper, config.mailroom.bundle_min);
    // By 申請番号, unique in the list (an office may have one notice of a kind per ユーザID).
    let control: HashMap<&str, String> = paper
        .iter()
        .enumerate()
        .map(|(i, n)| (n.request.request_id.as_str(), mailroom::control_no(&report.batch_id, i + 1)))
        .collect();
    for i in &mut issued {
        i.control_no = control.get(i.request_id.as_str()).cloned();
    }
    report.issued = issued;
    let slips = mailroom::slip_count(notices, &config.mailroom);
    report.bundle_pages = mailroom::bundle_pages(paper.len(), slips, config.mailroom.duplex);
    let pending = crate::engine::record::events(staging, report, &plan.reissue_of, ledger, context)?;
    lap(report, "audit events");
    // Two sides at once: the print bundle draws its pages on every core it gets, the other
    // side is mostly one thread's work.
    let report_now = &*report;
    let (papers, lists) = rayon::join(
        || mail_room(staging, report_now, &paper, &pending.head(), &fonts, context),
        || -> Result<(), BatchError> {
            second_channel_list(staging, report_now, notices, &keys, &fonts, context)?;
            let not_issued = report_now.not_issued();
            report::write_rejected_xlsx(&staging.join("rejected.xlsx"), &not_issued)?;
            report::write_rejected_csv(&staging.join("rejected.csv"), &not_issued)?;
            crate::engine::record::write_audit(staging, report_now, &pending)
        },
    );
    papers.and(lists)?;
    // Nothing from here on needs a notice: the manifest and the ledger commit reuse their room.
    drop(paper);
    drop(keys);
    drop(plan);
    crate::ground::os::release_freed_memory();
    lap(report, "print bundle+mailing list | second-channel list+rejected lists+audit log");
    early_flush.join().map_err(io_error(staging))?;
    let hashed = written_hashes(&report.issued, hashed);
    let record = crate::engine::record::write(staging, report, pending, hashed, context)?;
    lap(report, "manifest+sync");
    Ok(record)
}

/// The SHA-256 and size of a notice's PDF, ZIP and archive copy, in that order.
type NoticeHashes = [([u8; 32], u64); 3];

/// The archive copy of a notice (passwords masked, PDF/A-2b) outlives the notice: same stem.
fn archive_path(issued: &IssuedNotice) -> std::path::PathBuf {
    Path::new("archive").join(issued.pdf.file_name().unwrap_or_default())
}

/// The hashes of every notice's files by the manifest's name of each: made only for the
/// manifest, once the notices are gone, since 300,000 names in a map weigh tens of megabytes.
fn written_hashes(issued: &[IssuedNotice], hashes: Vec<NoticeHashes>) -> manifest::Hashed {
    let mut hashed = manifest::Hashed::with_capacity(3 * issued.len());
    for (notice, files) in issued.iter().zip(hashes) {
        let names = [&notice.pdf, &notice.zip, &archive_path(notice)].map(|p| manifest::relative_name(p));
        hashed.extend(names.into_iter().zip(files));
    }
    hashed
}

/// Every notice, its ZIP and its archive copy, in parallel; with the SHA-256 and size of each
/// file for the manifest.
fn notices_and_zips(
    staging: &Path,
    notices: &[Notice],
    keys: &[ZipKey],
    fonts: &PdfFonts,
    context: &Context,
) -> Result<(Vec<IssuedNotice>, Vec<NoticeHashes>), BatchError> {
    let zip_time = context.created.naive_local();
    let encryption = context.config.zip.encryption;
    context.progress.start(notices.len());
    type Written = (IssuedNotice, NoticeHashes);
    let written: Vec<Result<Written, BatchError>> = notices
        .par_iter()
        .zip(keys)
        .map(|(notice, key)| {
            let (bytes, archive) = context.renderer.render_with_archive(notice, fonts, context.created)?;
            let mut issued = planned(notice, key.opening());
            let entry = issued.pdf.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let zip = pack::zip_one(&entry, &bytes, key.password(notices), encryption, zip_time)?;
            let files = [(issued.pdf.clone(), bytes), (issued.zip.clone(), zip), (archive_path(&issued), archive)];
            for (path, bytes) in &files {
                let path = staging.join(path);
                fsutil::write_synced(&path, bytes).map_err(io_error(&path))?;
            }
            issued.bytes = files[0].1.len();
            let hashed = files.map(|(_, bytes)| (Sha256::digest(&bytes).into(), bytes.len() as u64));
            context.progress.advance();
            Ok((issued, hashed))
        })
        .collect();
    context.progress.finish();
    let mut issued = Vec::with_capacity(written.len());
    let mut hashed = Vec::with_capacity(written.len());
    for w in written {
        let (notice, files) = w?;
        issued.push(notice);
        hashed.push(files);
    }
    Ok((issued, hashed))
}

/// The システム登録ファイル: every credential of the batch, encrypted to the 受付システム's
/// operators; none without a recipient.
fn handoff(
    staging: &Path,
    batch_id: &str,
    notices: &[Notice],
    withdrawn: &[crate::engine::handoff::Withdrawn],
    config: &Config,
) -> Result<crate::engine::handoff::Outcome, BatchError> {
    if config.handoff.mode == crate::engine::config::HandoffMode::Manual {
        return Ok(crate::engine::handoff::Outcome::Manual);
    }
    let recipients = &config.handoff.recipients;
    if recipients.is_empty() {
        return Ok(crate::engine::handoff::Outcome::NoRecipients);
    }
    let file = Path::new("handoff").join(format!("{batch_id}.csv.age"));
    let dir = staging.join("handoff");
    fsutil::create_new_private_dir(&dir).map_err(io_error(&dir))?;
    let path = staging.join(&file);
    let (sha256, rows) =
        crate::engine::handoff::write(&path, notices, withdrawn, recipients).map_err(io_error(&path))?;
    let recipients = recipients.iter().map(ToString::to_string).collect();
    Ok(crate::engine::handoff::Outcome::Written { file, sha256, rows, recipients })
}

/// Pages of the second-channel list drawn in parallel at a time.
const PAGES_AT_ONCE: usize = 32;

/// The second channel: every 開封パスワード, with its character-class grid.
fn second_channel_list(
    staging: &Path,
    report: &BatchReport,
    notices: &[Notice],
    keys: &[ZipKey],
    fonts: &PdfFonts,
    context: &Context,
) -> Result<(), BatchError> {
    let issued = &report.issued;
    let separate: Vec<(&str, &str, &str, &Secret)> = notices
        .iter()
        .zip(keys)
        .zip(issued)
        .filter_map(|((n, key), i)| match key {
            ZipKey::Separate(secret) => Some((
                n.request.office_no.as_str(),
                n.request.office_name.as_str(),
                i.zip.file_name().and_then(|f| f.to_str()).unwrap_or_default(),
                secret,
            )),
            ZipKey::Login(_) => None,
        })
        .collect();
    if separate.is_empty() {
        return Ok(());
    }
    let renderer = context.renderer;
    let meta = pdf::Meta {
        title: "ZIPファイル 開封パスワード一覧",
        author: &context.config.issuer.name,
        subject: &format!("バッチ {} の開封パスワード（{}件）", report.batch_id, separate.len()),
        created: context.created,
    };
    // Page by page into the file, like the print bundle: memory does not grow with the batch.
    let path = staging.join("secrets").join("開封パスワード一覧.pdf");
    let (w, h) = renderer.page_size_mm();
    let file = fsutil::create_private(&path).map_err(io_error(&path))?;
    let mut writer = BundleWriter::new(std::io::BufWriter::new(file), fonts, w, h).map_err(io_error(&path))?;
    // Pages are laid out one after another, then drawn and compressed a few dozen at a time
    // in parallel, and written in order.
    let mut laid_out = Vec::with_capacity(PAGES_AT_ONCE);
    let mut flush = |laid_out: &mut Vec<_>| -> Result<(), BatchError> {
        let prepared: Vec<Result<_, BatchError>> = laid_out
            .par_drain(..)
            .map(|page| {
                renderer.check_fonts(fonts, &page)?;
                Ok(prepare(&page, fonts).map_err(RenderError::from)?)
            })
            .collect();
        for page in prepared {
            writer.prepared(page?).map_err(io_error(&path))?;
        }
        Ok(())
    };
    renderer.zip_password_pages(&report.batch_id, report.issue_date, &separate, |page| {
        laid_out.push(page);
        if laid_out.len() == PAGES_AT_ONCE { flush(&mut laid_out) } else { Ok(()) }
    })?;
    flush(&mut laid_out)?;
    let out = writer.finish(&meta).map_err(io_error(&path))?;
    let file = out.into_inner().map_err(|e| io_error(&path)(e.into_error()))?;
    fsutil::staged(&file).map_err(io_error(&path))?;
    Ok(())
}

/// The mail room: paper notices in postal order (`paper`, control numbers already given),
/// one bundle, the mailing list and the pre-sort's bundle list.
fn mail_room(
    staging: &Path,
    report: &BatchReport,
    paper: &[&Notice],
    head: &Head,
    fonts: &PdfFonts,
    context: &Context,
) -> Result<(), BatchError> {
    let info = BundleInfo {
        batch_id: report.batch_id.clone(),
        issue_date: report.issue_date,
        created: context.created,
        operator: context.operator.clone(),
        host: context.host.clone(),
        issuer: context.config.issuer.name.clone(),
        duplex: context.config.mailroom.duplex,
        customer_barcode: context.config.mailroom.customer_barcode,
        head: head.grouped(),
        slips: mailroom::slips_wanted(context.config.mailroom.bundle_slips, paper.len()),
        bundle_min: context.config.mailroom.bundle_min,
    };
    let print = staging.join("print");
    let bundle =
        mailroom::write_bundle(&print.join(format!("{}.pdf", report.batch_id)), paper, context.renderer, fonts, &info)?;
    debug_assert_eq!(bundle.pages, report.bundle_pages);
    mailroom::write_mailing_list(&print.join("発送リスト.xlsx"), &bundle.pieces)?;
    // A batch with nothing by mail still gets its (empty) lists, with the conditions.
    let nothing = || crate::engine::presort::Estimate::new(0, 0, 0, &context.config.mailroom);
    let estimate = report.presort.clone().unwrap_or_else(nothing);
    mailroom::write_presort_list(
        &print.join(mailroom::PRESORT_LIST),
        &bundle.pieces,
        &context.config.mailroom,
        &estimate,
    )?;
    Ok(())
}
