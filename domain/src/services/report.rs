//! The report on service cases in a part of the tree over some months, per kind: what came in, what
//! was answered or decided and whether in time, how long it took, what members scored it, what it
//! paid. Counted from the cases themselves, so it can be recomputed at any time.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

use super::model::{CaseState, KindCode};
use crate::membership::report::Month;
use crate::shared::money::Fen;

/// What the report needs of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub kind: KindCode,
    pub kind_name: String,
    pub state: CaseState,
    pub submitted_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub late: bool,
    pub score: Option<u8>,
    pub paid: Option<Fen>,
}

/// One kind's figures (or all kinds', `kind` `None`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Line {
    pub kind: Option<KindCode>,
    pub kind_name: String,
    /// Submitted in the months.
    pub received: u64,
    /// Answered, approved or refused in the months.
    pub resolved: u64,
    pub resolved_in_time: u64,
    pub resolved_late: u64,
    pub withdrawn: u64,
    /// Still waiting at the report's end (or now, if sooner), and of those past their limit.
    pub open: u64,
    pub overdue: u64,
    /// Median time from submission to the answer or decision, of those resolved in the months.
    pub median_seconds_to_resolve: Option<i64>,
    pub scored: u64,
    /// Mean score, to two decimals, of the scores given for cases resolved in the months.
    pub mean_score: Option<f64>,
    /// Scores of 2 or less.
    pub low_scores: u64,
    /// Paid out for cases resolved in the months.
    pub paid: Fen,
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 { v[mid] } else { (v[mid - 1] + v[mid]) / 2 })
}

fn line(
    kind: Option<KindCode>,
    kind_name: String,
    cases: &[&Facts],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Line {
    let within = |t: DateTime<Utc>| t >= from && t < to;
    let end = to.min(now);
    let mut l = Line { kind, kind_name, ..Line::default() };
    let mut times = Vec::new();
    let mut scores = Vec::new();
    for c in cases {
        if within(c.submitted_at) {
            l.received += 1;
        }
        if let Some(at) = c.resolved_at.filter(|t| within(*t)) {
            l.resolved += 1;
            if c.late {
                l.resolved_late += 1;
            } else {
                l.resolved_in_time += 1;
            }
            times.push((at - c.submitted_at).num_seconds());
            if let Some(s) = c.score {
                scores.push(s);
            }
            l.paid = Fen::new(l.paid.get() + c.paid.map_or(0, Fen::get));
        }
        if c.withdrawn_at.is_some_and(within) {
            l.withdrawn += 1;
        }
        let done_by_end = c.resolved_at.is_some_and(|t| t < end) || c.withdrawn_at.is_some_and(|t| t < end);
        if c.submitted_at < end && !done_by_end {
            l.open += 1;
            if c.state.is_open() && c.due_at.is_some_and(|d| d <= end) {
                l.overdue += 1;
            }
        }
    }
    l.median_seconds_to_resolve = median(times);
    l.scored = scores.len() as u64;
    l.low_scores = scores.iter().filter(|s| **s <= super::rules::LOW_SCORE).count() as u64;
    l.mean_score = (!scores.is_empty()).then(|| {
        let sum: u64 = scores.iter().map(|s| u64::from(*s)).sum();
        (sum as f64 * 100.0 / scores.len() as f64).round() / 100.0
    });
    l
}

/// Per kind, then all kinds together, over `[from, to]` (Beijing months).
pub fn report(cases: &[Facts], from: Month, to: Month, now: DateTime<Utc>) -> Vec<Line> {
    let (start, end) = (from.starts(), to.next().starts());
    let mut by_kind: BTreeMap<&KindCode, Vec<&Facts>> = BTreeMap::new();
    for c in cases {
        by_kind.entry(&c.kind).or_default().push(c);
    }
    let mut lines: Vec<Line> = by_kind
        .iter()
        .map(|(kind, cs)| line(Some((*kind).clone()), cs[0].kind_name.clone(), cs, start, end, now))
        .collect();
    let all: Vec<&Facts> = cases.iter().collect();
    lines.push(line(None, "合计".to_owned(), &all, start, end, now));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn case(kind: &str, submitted: &str, resolved: Option<&str>, late: bool, score: Option<u8>) -> Facts {
        Facts {
            kind: KindCode::parse(kind).unwrap(),
            kind_name: kind.to_owned(),
            state: if resolved.is_some() { CaseState::Closed } else { CaseState::Accepted },
            submitted_at: at(submitted),
            resolved_at: resolved.map(at),
            withdrawn_at: None,
            due_at: Some(at("2026-11-20T00:00:00Z")),
            late,
            score,
            paid: resolved.map(|_| Fen::new(100)),
        }
    }

    #[test]
    fn figures_per_kind_and_in_all() {
        let cases = [
            case("legal-aid", "2026-11-02T02:00:00Z", Some("2026-11-03T02:00:00Z"), false, Some(5)),
            case("legal-aid", "2026-11-04T02:00:00Z", Some("2026-11-07T02:00:00Z"), true, Some(2)),
            case("legal-aid", "2026-11-05T02:00:00Z", None, false, None),
            case("hardship", "2026-10-30T02:00:00Z", Some("2026-11-10T02:00:00Z"), false, None),
        ];
        let month = Month::parse("2026-11").unwrap();
        let lines = report(&cases, month, month, at("2026-12-07T00:00:00Z"));
        let legal = &lines[1];
        assert_eq!(legal.kind.as_ref().map(KindCode::as_str), Some("legal-aid"));
        assert_eq!((legal.received, legal.resolved, legal.resolved_in_time, legal.resolved_late), (3, 2, 1, 1));
        assert_eq!((legal.open, legal.overdue), (1, 1));
        assert_eq!(legal.median_seconds_to_resolve, Some(2 * 86_400));
        assert_eq!((legal.scored, legal.low_scores, legal.mean_score), (2, 1, Some(3.5)));
        let hardship = &lines[0];
        assert_eq!((hardship.received, hardship.resolved, hardship.paid), (0, 1, Fen::new(100)));
        let all = &lines[2];
        assert_eq!((all.kind.is_none(), all.received, all.resolved, all.paid), (true, 3, 3, Fen::new(300)));
    }
}
