//! The mail room's scan: as each page goes into its envelope, its control code is read (a USB
//! scanner types it and Enter) and the notice recorded 封入済み, one chained event per page, at
//! once, so a scan cut off keeps what it read. Each code is judged as it comes: a page scanned
//! twice, a code of another batch or of none, a page withdrawn, and pages skipped (the bundle
//! is in control-number order, so a gap means a page not put into its envelope, or two in one).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Life, LifecycleError, lives};
use crate::engine::audit::event::AuditEvent;
use crate::engine::audit::ledger::Ledger;

/// What one scanned code did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Recorded 封入済み. `skipped`: pages of the batch between the last one scanned and this
    /// one that are not enclosed (nor withdrawn, sent or returned).
    Enclosed { control_no: String, skipped: Vec<String> },
    /// Enclosed before (this scan or an earlier one): nothing recorded.
    Twice { control_no: String },
    /// Sent or returned already, never scanned: nothing recorded.
    Mailed { control_no: String },
    /// Withdrawn (a spoiled page): it must not be mailed; nothing recorded.
    Withdrawn { control_no: String },
    /// A notice of another batch than the one being scanned: nothing recorded.
    OtherBatch { control_no: String, batch: String },
    /// No paper notice has this control number: nothing recorded.
    Unknown,
}

impl Outcome {
    /// Whether the mail room must look at this page (anything but a clean enclosure).
    pub fn is_problem(&self) -> bool {
        !matches!(self, Outcome::Enclosed { skipped, .. } if skipped.is_empty())
    }
}

/// One code as read, and what it did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scanned {
    /// Line of the input (from 1).
    pub line: usize,
    pub code: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// A scan as a whole.
#[derive(Debug, Clone, Serialize)]
pub struct Scan {
    /// The batch scanned: as asked, else that of the first code found.
    pub batch: Option<String>,
    pub scans: Vec<Scanned>,
    /// Notices recorded 封入済み by this scan.
    pub enclosed: usize,
    /// Codes the mail room must look at (twice, another batch, unknown, withdrawn, mailed, or
    /// enclosed after a gap).
    pub problems: usize,
    /// The batch's paper notices still to be enclosed (not enclosed, withdrawn, sent or
    /// returned), in bundle order.
    pub remaining: Vec<String>,
}

/// A scan in progress over one ledger.
pub struct Scanner<'l> {
    ledger: &'l mut Ledger,
    lives: Vec<Life>,
    /// Paper notices by control number: index into `lives`.
    by_control: BTreeMap<String, usize>,
    batch: Option<String>,
    /// The batch's paper notices in bundle order (control numbers), once the batch is known,
    /// and the position of each.
    order: Vec<String>,
    position: std::collections::HashMap<String, usize>,
    /// Control numbers enclosed by this scan.
    done_now: std::collections::BTreeSet<String>,
    /// Position in `order` of the furthest page enclosed (by this scan or before): pages between
    /// it and the next one scanned were skipped.
    last: Option<usize>,
    scan: Scan,
    operator: String,
    host: String,
}

/// The bundle position of a control number `<batch>-<seq>`.
fn seq(control: &str) -> usize {
    control.rsplit('-').next().and_then(|s| s.parse().ok()).unwrap_or(usize::MAX)
}

impl<'l> Scanner<'l> {
    /// Starts a scan of `batch` (else of the batch of the first known code).
    pub fn new(ledger: &'l mut Ledger, batch: Option<&str>) -> Result<Scanner<'l>, LifecycleError> {
        if let Some(batch) = batch
            && ledger.batch(batch)?.is_none()
        {
            return Err(LifecycleError::NoSuchBatch(batch.to_string()));
        }
        let lives = lives(ledger)?;
        let by_control =
            lives.iter().enumerate().filter_map(|(i, l)| l.notice.control_no.clone().map(|c| (c, i))).collect();
        let mut scanner = Scanner {
            ledger,
            lives,
            by_control,
            batch: None,
            order: Vec::new(),
            position: Default::default(),
            done_now: Default::default(),
            last: None,
            scan: Scan { batch: None, scans: Vec::new(), enclosed: 0, problems: 0, remaining: Vec::new() },
            operator: crate::engine::audit::operator(),
            host: crate::engine::audit::host(),
        };
        if let Some(batch) = batch {
            scanner.choose(batch);
        }
        Ok(scanner)
    }

    fn choose(&mut self, batch: &str) {
        self.batch = Some(batch.to_string());
        self.scan.batch = Some(batch.to_string());
        let mut order: Vec<String> =
            self.lives.iter().filter(|l| l.batch == batch).filter_map(|l| l.notice.control_no.clone()).collect();
        order.sort_by_key(|c| seq(c));
        self.position = order.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect();
        // Where an earlier scan of the batch got to: a scan goes on from there, so that a face
        // may hand over one code at a time (the browser's field) and still hear of a skipped page.
        self.last = order.iter().rposition(|c| self.by_control.get(c).is_some_and(|&i| self.lives[i].enclosed()));
        self.order = order;
    }

    /// Whether the page `control` needs no scan: enclosed, withdrawn, sent or returned.
    fn settled(&self, control: &str) -> bool {
        self.done_now.contains(control)
            || self.by_control.get(control).is_some_and(|&i| {
                let life = &self.lives[i];
                life.enclosed() || life.withdrawn().is_some() || life.sent() || life.returned()
            })
    }

    /// Reads one line of the scanner's input; a blank line is no scan (`None`).
    pub fn scan(&mut self, line: usize, input: &str) -> Result<Option<&Scanned>, LifecycleError> {
        let code = crate::ground::model::normalize_code(input.trim()).to_ascii_uppercase();
        if code.is_empty() {
            return Ok(None);
        }
        let outcome = self.judge(&code)?;
        if outcome.is_problem() {
            self.scan.problems += 1;
        }
        self.scan.scans.push(Scanned { line, code, outcome });
        Ok(self.scan.scans.last())
    }

    fn judge(&mut self, code: &str) -> Result<Outcome, LifecycleError> {
        let Some(&i) = self.by_control.get(code) else { return Ok(Outcome::Unknown) };
        let control_no = code.to_string();
        let batch = self.lives[i].batch.clone();
        match &self.batch {
            None => self.choose(&batch),
            Some(b) if *b != batch => return Ok(Outcome::OtherBatch { control_no, batch }),
            Some(_) => {}
        }
        let life = &self.lives[i];
        if life.withdrawn().is_some() {
            return Ok(Outcome::Withdrawn { control_no });
        }
        if self.done_now.contains(code) || life.enclosed() {
            return Ok(Outcome::Twice { control_no });
        }
        if life.sent() || life.returned() {
            return Ok(Outcome::Mailed { control_no });
        }
        let at = self.position.get(code).copied().unwrap_or_default();
        // The page expected next: the first one after the last enclosed that is not settled.
        let from = self.last.map_or(0, |l| l + 1);
        let skipped: Vec<String> =
            self.order.iter().take(at).skip(from).filter(|c| !self.settled(c)).cloned().collect();
        let mut chain = self.ledger.chain(&batch)?;
        chain.push(&AuditEvent::MailEnclosed {
            notice: life.notice.clone(),
            operator: self.operator.clone(),
            host: self.host.clone(),
        });
        self.ledger.append(&chain.events)?;
        self.done_now.insert(control_no.clone());
        self.scan.enclosed += 1;
        self.last = self.last.max(Some(at));
        Ok(Outcome::Enclosed { control_no, skipped })
    }

    /// The scan as a whole, with the pages of the batch still to be enclosed.
    pub fn finish(mut self) -> Scan {
        self.scan.remaining = self.order.iter().filter(|c| !self.settled(c)).cloned().collect();
        self.scan
    }
}
