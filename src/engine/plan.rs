//! Prepare: everything that can go wrong because of what a row says happens here, per row and
//! in parallel, with nothing written. A request gets its secrets and its notice, the notice is
//! laid out (the same page is the notice PDF and, stamped, the bundle page), its label for the
//! second-channel list and its mailing-list row are made from values the layout accepted, and
//! the glyphs its page sets are collected for the batch fonts. Whatever fails becomes a
//! [`Rejection`] naming the row, the column and the value.
//!
//! `check` prepares with specimen secrets and writes nothing but its reports; `run` prepares
//! with secrets from the OS and hands the plan to the write stage, which only does I/O and
//! lays each page out again with the same pure functions. So the two cannot disagree about a
//! row: they run the same code on it. Pages are not kept between the stages, so memory stays
//! proportional to the requests, not to their pages.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::engine::audit::ledger::{Ledger, LedgerError, PastIssue};
use crate::engine::config::Config;
use crate::engine::intake::{Column, Intake};
use crate::engine::notice::{Notice, Secrets};
use crate::engine::render::{self, RenderError, Renderer};
use crate::engine::secrets::Generator;
use crate::ground::font::{self, Cluster};
use crate::ground::model::{NoticeKind, OfficeNo, Rejection, Request, RequestId, UserId};

/// A request the ledger says was issued before: reported as 発行済み, not issued again.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AlreadyIssued {
    pub row: usize,
    pub request_id: String,
    pub kind: NoticeKind,
    pub office_no: String,
    /// The batch that issued it.
    pub batch_id: String,
}

impl AlreadyIssued {
    pub fn as_rejection(&self) -> Rejection {
        Rejection {
            row: self.row,
            column: "申請番号".into(),
            column_letter: None,
            value: self.request_id.clone(),
            reason: crate::msg!(
                "run.already_issued",
                batch = self.batch_id,
                kind = self.kind.console_label(),
                request = self.request_id
            ),
        }
    }
}

/// Every row refused, by intake or while preparing, in row order.
pub fn refused(intake: &Intake, rejections: &[Rejection]) -> Vec<Rejection> {
    let mut all: Vec<Rejection> = intake.rejections.iter().chain(rejections).cloned().collect();
    all.sort_by_key(|r| r.row);
    all
}

/// Every row not issued, for rejected.xlsx/.csv: rejections, rows not approved, hidden rows,
/// and requests issued before, in row order.
pub fn not_issued(intake: &Intake, rejections: &[Rejection], already_issued: &[AlreadyIssued]) -> Vec<Rejection> {
    let mut all = intake.not_issued();
    all.extend(rejections.iter().cloned());
    all.extend(already_issued.iter().map(AlreadyIssued::as_rejection));
    all.sort_by_key(|r| r.row);
    all
}

/// Where the secrets of a plan come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSource {
    /// The OS CSPRNG: `run`.
    Os,
    /// Specimens of the same length and classes: `check`.
    Specimen,
}

/// What to prepare.
pub struct PlanInput<'a> {
    pub intake: &'a Intake,
    /// The ledger of the output root, if there is one: a request it lists is 発行済み.
    pub ledger: Option<&'a Ledger>,
    /// 申請番号 the clerk asked to issue again, as typed (normalised here, like the list's).
    pub reissue: &'a [String],
    pub issue_date: NaiveDate,
    pub secrets: SecretSource,
}

/// A batch, prepared: what will be issued and what will not, and why.
pub struct Plan {
    /// Accepted requests with their secrets, in row order.
    pub notices: Vec<Notice>,
    /// Rows refused while preparing (beside the intake's rejections).
    pub rejections: Vec<Rejection>,
    pub already_issued: Vec<AlreadyIssued>,
    /// (申請番号, kind) issued again on purpose → the batch that issued it before.
    pub reissue_of: HashMap<(String, NoticeKind), String>,
    /// Notices withdrawn before (spoiled pages) whose requests this plan reissues.
    pub withdrawn: Vec<crate::engine::handoff::Withdrawn>,
    /// Characters the accepted rows' pages set in the Japanese face.
    pub glyphs: BTreeSet<Cluster>,
}

/// Rows prepared in parallel at a time.
const PREPARE_CHUNK: usize = 4096;

/// Prepares every approved request of `input.intake`. Fails only if a `--reissue` names no row
/// of the list, the ledger cannot be read or a template is broken, never because of a row.
pub fn prepare(input: &PlanInput, config: &Config, renderer: &Renderer) -> Result<Plan, PlanError> {
    let reissue = reissue_ids(input.intake, input.reissue)?;
    let mut to_issue: Vec<&Request> = Vec::new();
    let mut already_issued = Vec::new();
    let mut reissue_of = HashMap::new();
    let issued = match input.ledger {
        Some(l) => l.issued_index()?,
        None => HashMap::new(),
    };
    let past = match input.ledger {
        Some(l) => l.past_issues()?,
        None => Vec::new(),
    };
    let mut by_office: HashMap<(&str, &str), Vec<&PastIssue>> = HashMap::new();
    for p in &past {
        by_office.entry((p.office_no.as_str(), p.kind.as_str())).or_default().push(p);
    }
    let window = i64::from(config.reissue.window_days);
    let mut held = Vec::new();
    for request in &input.intake.requests {
        let key = (request.request_id.as_str().to_string(), request.kind.alias().to_string());
        let previous = issued.get(&key).cloned();
        match previous {
            Some(batch) if reissue.contains(&request.request_id) => {
                reissue_of.insert((request.request_id.to_string(), request.kind), batch);
                to_issue.push(request);
            }
            Some(batch_id) => already_issued.push(AlreadyIssued {
                row: request.row,
                request_id: request.request_id.to_string(),
                kind: request.kind,
                office_no: request.office_no.to_string(),
                batch_id,
            }),
            // A new request for an office the ledger already issued to: a decision, not an accident.
            None => match earlier_issue(&by_office, request, input.issue_date, window) {
                Some(earlier) if reissue.contains(&request.request_id) => {
                    reissue_of.insert((request.request_id.to_string(), request.kind), earlier.batch_id.clone());
                    to_issue.push(request);
                }
                Some(earlier) => held.push(held_back(request, earlier, window, input.intake)),
                None => to_issue.push(request),
            },
        }
    }

    let withdrawn = match input.ledger {
        Some(l) if !reissue_of.is_empty() => withdrawn_for(l, &reissue_of)?,
        _ => Vec::new(),
    };
    let (intake, secrets, issue_date) = (input.intake, input.secrets, input.issue_date);
    let several = offices_with_several_ids(intake);
    let mut plan = Plan {
        notices: Vec::with_capacity(to_issue.len()),
        rejections: held,
        already_issued,
        reissue_of,
        withdrawn,
        glyphs: BTreeSet::new(),
    };
    // A chunk at a time: each row's glyphs are folded into the batch's set before the next
    // chunk, so they are never all held at once.
    for chunk in to_issue.chunks(PREPARE_CHUNK) {
        // Copied here, one after another, rather than by the workers amid the layouts' scratch:
        // the plan holds every request until the batch is written, and packed together they
        // take that much less resident memory.
        let requests: Vec<Request> = chunk.iter().map(|r| (*r).clone()).collect();
        let prepared: Vec<Result<Prepared, RowError>> = requests
            .into_par_iter()
            .map_init(Generator::os, |generator, request| {
                let secrets = match secrets {
                    SecretSource::Os => Secrets::Drawn(generator),
                    SecretSource::Specimen => Secrets::Specimen,
                };
                let mut notice = Notice::issue(request, issue_date, &config.passwords, secrets);
                notice.several_ids = several.contains(&notice.request.office_no);
                prepare_one(notice, intake, config, renderer)
            })
            .collect();
        for result in prepared {
            match result {
                Ok(p) => {
                    plan.glyphs.extend(p.glyphs);
                    plan.notices.push(p.notice);
                }
                Err(RowError::Rejected(mut r)) => plan.rejections.append(&mut r),
                Err(RowError::Broken(e)) => return Err(PlanError::Render(e)),
            }
        }
    }
    plan.rejections.sort_by_key(|r| r.row);
    Ok(plan)
}

/// The notice the ledger holds that makes `request` a second one: a 登録結果 for an office (and
/// ユーザID) that has one, or a reissue of the same kind whose 発行日 lies within `window` days.
fn earlier_issue<'a>(
    by_office: &HashMap<(&str, &str), Vec<&'a PastIssue>>,
    request: &Request,
    issue_date: NaiveDate,
    window: i64,
) -> Option<&'a PastIssue> {
    let past = by_office.get(&(request.office_no.as_str(), request.kind.alias()))?;
    past.iter().rev().copied().find(|p| {
        // A ledger from before the ユーザID was recorded: any of the office's IDs matches.
        p.user_id.as_deref().is_none_or(|u| u == request.user_id.as_str())
            && match request.kind {
                NoticeKind::Registration => true,
                _ => p.issue_date.is_none_or(|d| (issue_date - d).num_days().abs() <= window),
            }
    })
}

/// A request held back because of `earlier`, as the row's 確認事項 (not issued).
fn held_back(request: &Request, earlier: &PastIssue, window: i64, intake: &Intake) -> Rejection {
    let (header, letter) = intake.column(Column::OfficeNo);
    let (office, user_id, request_id) =
        (request.office_no.as_str(), request.user_id.as_str(), request.request_id.as_str());
    let (batch, date) = (&earlier.batch_id, earlier.issue_date.map(|d| d.to_string()).unwrap_or_default());
    let kind = request.kind.console_label();
    let reason = match request.kind {
        NoticeKind::Registration => {
            crate::msg!("run.held_registration", office, user_id, batch, date, request = request_id)
        }
        _ => crate::msg!("run.held_reissue", office, user_id, kind, days = window, batch, date, request = request_id),
    };
    Rejection { row: request.row, column: header, column_letter: letter, value: office.to_string(), reason }
}

/// Offices the list holds under more than one ユーザID (an office billing several prefectures).
/// Every accepted row counts, issued before or not, so a notice's file name and wording do not
/// depend on the ledger: `check` and `run` name it alike, and so does a later run of the list.
fn offices_with_several_ids(intake: &Intake) -> HashSet<OfficeNo> {
    let mut ids: HashMap<&OfficeNo, HashSet<&UserId>> = HashMap::new();
    for r in &intake.requests {
        ids.entry(&r.office_no).or_default().insert(&r.user_id);
    }
    ids.into_iter().filter(|(_, ids)| ids.len() > 1).map(|(office, _)| office.clone()).collect()
}

/// The 申請番号 of `--reissue`, normalised as the list's are (a mis-cased or retyped number is
/// the same request). One that no row of the list holds is an error, not a quiet no-op: the
/// clerk meant some request, and issuing the rest as if nothing were amiss hides the typo.
fn reissue_ids(intake: &Intake, asked: &[String]) -> Result<HashSet<RequestId>, PlanError> {
    let mut ids = HashSet::new();
    let mut unknown = Vec::new();
    for raw in asked {
        match RequestId::parse(raw) {
            Ok(id) if intake.request_ids.contains(&id) => {
                ids.insert(id);
            }
            _ => unknown.push(raw.clone()),
        }
    }
    if unknown.is_empty() { Ok(ids) } else { Err(PlanError::UnknownReissue { ids: unknown }) }
}

/// The notices withdrawn before (spoiled pages, never reissued since) of the requests in
/// `reissue_of`, in ledger order: the hand-off marks their passwords withdrawn.
fn withdrawn_for(
    ledger: &Ledger,
    reissue_of: &HashMap<(String, NoticeKind), String>,
) -> Result<Vec<crate::engine::handoff::Withdrawn>, PlanError> {
    let lives = crate::engine::lifecycle::lives(ledger).map_err(|e| PlanError::Lifecycle(Box::new(e)))?;
    let mut keys: Vec<&(String, NoticeKind)> = reissue_of.keys().collect();
    keys.sort();
    let mut out = Vec::new();
    for (request_id, kind) in keys {
        for life in crate::engine::lifecycle::withdrawn_for_reissue(&lives, request_id, kind.alias()) {
            let issue_date = life.steps.iter().find_map(|(_, s)| match s {
                crate::engine::lifecycle::Step::Issued { issue_date, .. } => Some(issue_date.clone()),
                _ => None,
            });
            let prefecture = life.prefecture.as_deref().and_then(|p| crate::ground::model::Prefecture::parse(p).ok());
            out.push(crate::engine::handoff::Withdrawn {
                request_id: life.notice.request_id.clone(),
                user_id: life.user_id.clone().unwrap_or_default(),
                office_no: life.notice.office_no.clone(),
                prefecture: prefecture.map(|p| format!("{:02}", p.code())).unwrap_or_default(),
                issue_date: issue_date.unwrap_or_default(),
                batch: life.batch.clone(),
            });
        }
    }
    Ok(out)
}

/// A batch that cannot be prepared at all.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{}", crate::msg!("run.unknown_reissue", ids = .ids.iter().map(|id| format!("「{id}」")).collect::<String>()))]
    UnknownReissue { ids: Vec<String> },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Render(RenderError),
    /// The ledger's notices could not be read back (for the withdrawn ones a reissue replaces).
    #[error(transparent)]
    Lifecycle(Box<crate::engine::lifecycle::LifecycleError>),
}

struct Prepared {
    notice: Notice,
    glyphs: Vec<Cluster>,
}

enum RowError {
    /// The row's content: it is not issued, the batch goes on.
    Rejected(Vec<Rejection>),
    /// Not the row's fault (a template, the date): the batch cannot run.
    Broken(RenderError),
}

/// Lays out one notice and collects its glyphs: the page itself, the label of its line on the
/// second-channel list (its office name, shrunk or cut short, never refused) and its row of the
/// mailing list (plain cells).
fn prepare_one(notice: Notice, intake: &Intake, config: &Config, renderer: &Renderer) -> Result<Prepared, RowError> {
    let frame = match renderer.frame(&notice) {
        Ok((_, frame)) => frame,
        Err(RenderError::Layout(e)) => {
            return Err(RowError::Rejected(layout_rejections(&notice, &e, intake, config, renderer)));
        }
        Err(other) => return Err(RowError::Broken(other)),
    };
    let mut glyphs: Vec<Cluster> = render::gothic_glyphs(&frame).collect();
    glyphs.extend(font::clusters(&render::one_line(&notice.request.office_name)));
    glyphs.sort_unstable();
    glyphs.dedup();
    // A chunk holds thousands of these until they are folded into the batch's set: without the
    // room left by the duplicates.
    glyphs.shrink_to_fit();
    Ok(Prepared { notice, glyphs })
}

/// The printed columns, each with a short stand-in used to find which of them does not fit.
const PRINTED: [Column; 4] = [Column::OfficeName, Column::Address, Column::Address2, Column::Attention];

fn field(request: &mut Request, column: Column) -> Option<&mut String> {
    match column {
        Column::OfficeName => Some(&mut request.office_name),
        Column::Address => Some(&mut request.address),
        Column::Address2 => request.address2.as_mut(),
        Column::Attention => request.attention.as_mut(),
        _ => None,
    }
}

/// A notice that does not fit, as rejections of the columns at fault: each printed value that,
/// replaced by a short one, lets the page fit. When no single value does, every printed value
/// shares the blame.
fn layout_rejections(
    notice: &Notice,
    error: &render::LayoutError,
    intake: &Intake,
    config: &Config,
    renderer: &Renderer,
) -> Vec<Rejection> {
    let request = &notice.request;
    // The printed values this row has, each with its column.
    let mut scratch = request.clone();
    let present: Vec<(Column, String)> =
        PRINTED.into_iter().filter_map(|c| field(&mut scratch, c).map(|v| (c, v.clone()))).collect();
    let fits_without = |column: Column| {
        let mut trial = request.clone();
        if let Some(value) = field(&mut trial, column) {
            *value = "あ".into();
        }
        let mut trial = Notice::issue(trial, notice.issue_date, &config.passwords, Secrets::Specimen);
        trial.several_ids = notice.several_ids;
        renderer.frame(&trial).is_ok()
    };
    let culprits: Vec<&(Column, String)> = present.iter().filter(|(c, _)| fits_without(*c)).collect();
    let culprits = if culprits.is_empty() { present.iter().collect() } else { culprits };
    culprits
        .into_iter()
        .map(|(column, value)| {
            let value = value.clone();
            let (header, letter) = intake.column(*column);
            Rejection {
                row: request.row,
                reason: crate::msg!("run.too_long", header, length = value.chars().count(), error),
                column: header,
                column_letter: letter,
                value,
            }
        })
        .collect()
}
