//! The pieces every claim statement is built from, each written once: the member's standing, the
//! guards a claim must pass, its ledger row and its mails. The single-claim, batch and
//! database-only statements, on either backend, differ only in where their values come from.

use super::super::jobs::{insert_mail_jobs, insert_sealed_mail_jobs};
use super::super::Backend;

/// Where a statement's values come from: SQL expressions (bind parameters or columns). `$n`
/// parameters are bound through [`super::super::prepared::Prepared`] on both backends.
pub(super) struct ClaimValues<'a> {
    pub slot: &'a str,
    pub gift_seq: &'a str,
    pub campaign_seq: &'a str,
    pub claimed_at: &'a str,
    pub standing: StandingValues<'a>,
}

/// The member and the [`domain::campaigns::ports::Standing`] the campaign requires of them.
pub(in crate::db) struct StandingValues<'a> {
    pub member: &'a str,
    pub consent_version: &'a str,
    /// Comma-joined union codes; empty for any union.
    pub union_codes: &'a str,
    pub joined_before: &'a str,
    /// When the claimant's access token was issued; `None` where no member token is involved
    /// (a merchant's till acts for the member).
    pub token_issued_at: Option<&'a str>,
    /// Whether the benefit is for cardholders only: an SQL boolean (`FALSE`, a column); its
    /// placeholders, if any, are numbered after the others.
    pub needs_card: &'a str,
    /// The union whose part of the tree the benefit is for: an SQL text (`NULL` for the whole
    /// federation, a campaign's column), placeholders numbered like `needs_card`'s.
    pub within: &'a str,
}

impl<'a> StandingValues<'a> {
    /// The standing a benefit outside a campaign asks for: any union, any join date, no member
    /// token involved (a till or the bank acts for the member).
    pub(in crate::db) fn outside_campaigns(member: &'a str, consent_version: &'a str, needs_card: &'a str) -> Self {
        Self {
            member,
            consent_version,
            union_codes: "''",
            joined_before: "NULL",
            token_issued_at: None,
            needs_card,
            within: "NULL",
        }
    }
}

/// The member `member` holds an active 会员服务卡: the one place "cardholder" is written.
pub(in crate::db) fn holds_card(member: &str) -> String {
    format!("EXISTS (SELECT 1 FROM cards cd WHERE cd.member_id = {member} AND cd.status = 'active')")
}

/// The member in standing for a benefit: not suspended or erased, a session not ended by a
/// suspension since, the current privacy consent, activated on the roster (a bound identity
/// matching an active roster row), in one of the required unions and under the required node of
/// the tree (its path a prefix of the member's union's), joined before the cutoff, holding an
/// active card where the benefit requires one. The one place this rule is written.
pub(in crate::db) fn member_standing(backend: Backend, v: &StandingValues<'_>) -> String {
    // `strpos` and `instr` take (haystack, needle) alike.
    let position = match backend {
        Backend::Postgres => "strpos",
        Backend::Sqlite => "instr",
    };
    format!(
        "EXISTS (SELECT 1 FROM members mb
                 JOIN roster r ON r.id_index = mb.id_index AND r.name_index = mb.name_index AND r.status = 'active'
                 WHERE mb.id = {member} AND mb.suspension IS NULL AND mb.erased_at IS NULL
                   AND mb.consent_version = {consent}
                   AND ({unions} = '' OR {position}(',' || {unions} || ',', ',' || r.union_org_code || ',') > 0)
                   AND ({within} IS NULL OR EXISTS (
                         SELECT 1 FROM union_nodes wn JOIN union_nodes un ON un.code = r.union_org_code
                         WHERE wn.code = {within} AND substr(un.path, 1, length(wn.path)) = wn.path))
                   AND ({joined} IS NULL OR r.joined_at < {joined})
                   {session}
                   AND (NOT {needs_card} OR {card}))",
        member = v.member,
        consent = v.consent_version,
        unions = v.union_codes,
        within = v.within,
        joined = v.joined_before,
        session = v.token_issued_at.map_or(String::new(), |issued| {
            format!("AND (mb.sessions_since IS NULL OR mb.sessions_since <= {issued})")
        }),
        needs_card = v.needs_card,
        card = holds_card("mb.id"),
    )
}

/// What a claim must pass besides standing, over `gifts g` joined with `campaigns k`: its slot and
/// sequences within the gift's stock and the limits, and the campaign taking claims at its time.
pub(super) fn claim_guards(v: &ClaimValues<'_>) -> String {
    format!(
        "{slot} <= g.stock AND {gift_seq} <= g.per_member_limit AND {campaign_seq} <= k.per_member_limit
         AND k.state = 'published' AND k.starts_at <= {at} AND {at} < k.ends_at",
        slot = v.slot,
        gift_seq = v.gift_seq,
        campaign_seq = v.campaign_seq,
        at = v.claimed_at,
    )
}

/// Appended to a PostgreSQL claim's `SELECT` over `campaigns k`: the campaign row stays as read
/// until the claim commits. A cancel takes `FOR UPDATE` on that row first (`db::campaigns`), so it
/// waits for the claims in flight and a claim arriving during a cancel waits for it, then reads
/// the row again and finds it cancelled: no claim is left issued in a cancelled campaign, and none
/// is voided without its −cost row. `KEY SHARE` is the lock the claims' foreign keys take on that
/// row anyway, so the claims do not queue on each other. SQLite has one writer: nothing to add.
pub(super) const PG_CAMPAIGN_HELD: &str = "FOR KEY SHARE OF k";

/// The head of the ledger insert for claims; the caller appends a `FROM` that names the gift `g`.
pub(super) fn insert_ledger_rows(claim_id: &str, at: &str) -> String {
    format!(
        "INSERT INTO ledger (campaign_id, gift_id, claim_id, kind, amount_fen, funder, at)
         SELECT g.campaign_id, g.id, {claim_id}, 'claim', g.unit_cost_fen, g.funder, {at}"
    )
}

/// The member's confirmation: a mail job to their confirmed address, if any. `from` must name the
/// member `mb`.
pub(super) fn insert_member_mail(backend: Backend, subject: &str, body: &str, at: &str, from: &str) -> String {
    let insert = insert_sealed_mail_jobs(backend, "mb.email_cipher", subject, body, at);
    format!("{insert} {from} AND mb.email_cipher IS NOT NULL")
}

/// A stock alert: a mail job to every active admin and operator with an address. `from` must
/// leave room for `CROSS JOIN admin_users u` and end in a `WHERE` condition.
pub(super) fn insert_staff_alert(backend: Backend, subject: &str, body: &str, at: &str, from: &str) -> String {
    format!(
        "{} {from} AND u.email IS NOT NULL AND NOT u.disabled AND u.role IN ('admin', 'operator')",
        insert_mail_jobs(backend, "u.email", subject, body, at)
    )
}
