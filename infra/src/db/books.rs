//! The auditor's checks ([`domain::admin::ledger`]) as SQL over the rows themselves, the same
//! text on both backends, all in one snapshot.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::{Database, DbConn};
use domain::admin::ledger::{Book, Books, Finding, LedgerAudit};

#[derive(Clone)]
pub struct DbBooks(pub Database);

/// One check: its book, what it says must hold, and a query for the rows where it does not,
/// each as `subject`, `row_id`, `expected` and `found`.
struct Check {
    book: Book,
    says: &'static str,
    sql: &'static str,
}

const CHECKS: &[Check] = &[
    Check {
        book: Book::Fund,
        says: "a service budget's spent is the sum of the payouts drawn on it",
        sql: "SELECT b.kind_code || '/' || b.union_code || '/' || CAST(b.year AS TEXT) AS subject,
                     b.kind_code || '/' || b.union_code || '/' || CAST(b.year AS TEXT) AS row_id,
                     CAST((SELECT COALESCE(SUM(p.amount_fen), 0) FROM service_payouts p
                           WHERE p.kind_code = b.kind_code AND p.budget_code = b.union_code AND p.year = b.year) AS BIGINT) AS expected,
                     b.spent_fen AS found
              FROM service_budgets b
              WHERE b.spent_fen <> (SELECT COALESCE(SUM(p.amount_fen), 0) FROM service_payouts p
                                    WHERE p.kind_code = b.kind_code AND p.budget_code = b.union_code AND p.year = b.year)",
    },
    Check {
        book: Book::Fund,
        says: "an approved case with an amount has one payout of that amount, and a payout such a case",
        sql: "SELECT c.id AS subject, c.id AS row_id, CAST(COALESCE(c.amount_fen, 0) AS BIGINT) AS expected,
                     CAST(COALESCE(SUM(p.amount_fen), 0) AS BIGINT) AS found
              FROM service_cases c LEFT JOIN service_payouts p ON p.case_seq = c.seq
              GROUP BY c.id, c.amount_fen
              HAVING COUNT(p.id) <> CASE WHEN c.amount_fen IS NULL THEN 0 ELSE 1 END
                  OR COALESCE(SUM(p.amount_fen), 0) <> COALESCE(c.amount_fen, 0)",
    },
    Check {
        book: Book::Campaign,
        says: "a voucher has one claim row, of its gift's unit cost",
        sql: "SELECT c.campaign_id AS subject, c.id AS row_id, g.unit_cost_fen AS expected,
                     CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT) AS found
              FROM claims c JOIN gifts g ON g.id = c.gift_id
              LEFT JOIN ledger l ON l.claim_id = c.id AND l.kind = 'claim'
              GROUP BY c.campaign_id, c.id, g.unit_cost_fen
              HAVING COUNT(l.id) <> 1 OR COALESCE(SUM(l.amount_fen), 0) <> g.unit_cost_fen",
    },
    Check {
        book: Book::Campaign,
        says: "a voided voucher has one void row returning its cost, any other none",
        sql: "SELECT c.campaign_id AS subject, c.id AS row_id,
                     CAST(CASE WHEN c.status = 'voided' THEN -g.unit_cost_fen ELSE 0 END AS BIGINT) AS expected,
                     CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT) AS found
              FROM claims c JOIN gifts g ON g.id = c.gift_id
              LEFT JOIN ledger l ON l.claim_id = c.id AND l.kind = 'void'
              GROUP BY c.campaign_id, c.id, c.status, g.unit_cost_fen
              HAVING COUNT(l.id) <> CASE WHEN c.status = 'voided' THEN 1 ELSE 0 END
                  OR COALESCE(SUM(l.amount_fen), 0) <> CASE WHEN c.status = 'voided' THEN -g.unit_cost_fen ELSE 0 END",
    },
    Check {
        book: Book::Campaign,
        says: "a campaign's spent is the cost of its vouchers not voided",
        sql: "SELECT subject, row_id, expected, found FROM (
                  SELECT k.id AS subject, k.id AS row_id,
                         CAST((SELECT COALESCE(SUM(g.unit_cost_fen), 0) FROM claims c JOIN gifts g ON g.id = c.gift_id
                               WHERE c.campaign_id = k.id AND c.status <> 'voided') AS BIGINT) AS expected,
                         CAST((SELECT COALESCE(SUM(l.amount_fen), 0) FROM ledger l WHERE l.campaign_id = k.id) AS BIGINT) AS found
                  FROM campaigns k) s
              WHERE expected <> found",
    },
    Check {
        book: Book::Merchant,
        says: "a sale's discount and payment add up to its amount, each within bounds",
        sql: "SELECT merchant_id AS subject, id AS row_id, original_fen AS expected,
                     CAST(discount_fen + paid_fen AS BIGINT) AS found
              FROM discount_sales
              WHERE original_fen < 1 OR original_fen > 1000000000 OR discount_fen < 0 OR paid_fen < 0
                 OR discount_fen > original_fen OR discount_fen + paid_fen <> original_fen",
    },
    Check {
        book: Book::Merchant,
        says: "a statement's totals are what its lines say: its sales shown completed, less the reversals it adjusts",
        sql: "SELECT subject, row_id, expected, found FROM (
                  SELECT s.merchant_id AS subject, CAST(s.day AS TEXT) AS row_id, s.paid_fen AS found,
                         s.discount_fen AS found_discount,
                         CAST(COALESCE((SELECT SUM(d.paid_fen) FROM discount_sales d
                                        WHERE d.merchant_id = s.merchant_id AND d.stated_on = s.day
                                          AND (d.reversal_stated_on IS NULL OR d.reversal_stated_on <> s.day)), 0)
                            - COALESCE((SELECT SUM(d.paid_fen) FROM discount_sales d
                                        WHERE d.merchant_id = s.merchant_id AND d.reversal_stated_on = s.day
                                          AND d.stated_on < s.day), 0) AS BIGINT) AS expected,
                         CAST(COALESCE((SELECT SUM(d.discount_fen) FROM discount_sales d
                                        WHERE d.merchant_id = s.merchant_id AND d.stated_on = s.day
                                          AND (d.reversal_stated_on IS NULL OR d.reversal_stated_on <> s.day)), 0)
                            - COALESCE((SELECT SUM(d.discount_fen) FROM discount_sales d
                                        WHERE d.merchant_id = s.merchant_id AND d.reversal_stated_on = s.day
                                          AND d.stated_on < s.day), 0) AS BIGINT) AS expected_discount
                  FROM settlement_statements s) t
              WHERE expected <> found OR expected_discount <> found_discount",
    },
    Check {
        book: Book::Payout,
        says: "a transaction's rebate is what the payout files pay for it, less what its refunds claw back",
        sql: "SELECT COALESCE(CAST(MIN(r.payout_day) AS TEXT), '') AS subject, t.transaction_id AS row_id,
                     CAST(t.rebate_fen - COALESCE((SELECT SUM(f.clawback_fen) FROM card_refunds f
                                                   WHERE f.transaction_id = t.transaction_id), 0) AS BIGINT) AS expected,
                     CAST(COALESCE(SUM(r.amount_fen), 0) AS BIGINT) AS found
              FROM card_transactions t LEFT JOIN rebates r ON r.transaction_id = t.transaction_id
              GROUP BY t.transaction_id, t.rebate_fen
              HAVING COALESCE(SUM(r.amount_fen), 0) <> t.rebate_fen - COALESCE((SELECT SUM(f.clawback_fen)
                         FROM card_refunds f WHERE f.transaction_id = t.transaction_id), 0)
                  OR COUNT(CASE WHEN r.refund_id IS NULL THEN r.seq END) > 1",
    },
    Check {
        book: Book::Payout,
        says: "a rebate pays for a transaction the bank sent, and not more than it; a clawback only takes back",
        sql: "SELECT CAST(r.payout_day AS TEXT) AS subject, r.transaction_id AS row_id,
                     CAST(COALESCE(t.amount_fen, 0) AS BIGINT) AS expected, r.amount_fen AS found
              FROM rebates r LEFT JOIN card_transactions t ON t.transaction_id = r.transaction_id
              WHERE t.transaction_id IS NULL OR r.amount_fen > t.amount_fen
                 OR (r.refund_id IS NULL AND r.amount_fen < 0) OR (r.refund_id IS NOT NULL AND r.amount_fen >= 0)",
    },
    Check {
        book: Book::Payout,
        says: "refunds never take back more than the transaction was, nor clawbacks more than its rebate",
        sql: "SELECT CAST(MIN(f.payout_day) AS TEXT) AS subject, t.transaction_id AS row_id,
                     t.amount_fen AS expected, CAST(SUM(f.amount_fen) AS BIGINT) AS found
              FROM card_refunds f JOIN card_transactions t ON t.transaction_id = f.transaction_id
              GROUP BY t.transaction_id, t.amount_fen, t.rebate_fen
              HAVING SUM(f.amount_fen) > t.amount_fen OR SUM(f.clawback_fen) > t.rebate_fen
                  OR MIN(f.remaining_fen) <> t.amount_fen - SUM(f.amount_fen)",
    },
];

const ROWS: &str = "SELECT CAST((SELECT COUNT(*) FROM claims) + (SELECT COUNT(*) FROM discount_sales)
                          + (SELECT COUNT(*) FROM card_transactions) AS BIGINT) AS n";

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Text)]
    row_id: String,
    #[diesel(sql_type = BigInt)]
    expected: i64,
    #[diesel(sql_type = BigInt)]
    found: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn audit(conn: &mut DbConn) -> QueryResult<LedgerAudit> {
    let mut findings = Vec::new();
    for check in CHECKS {
        for row in diesel::sql_query(check.sql).load::<Row>(conn)? {
            findings.push(Finding {
                book: check.book,
                subject: row.subject,
                check: check.says.to_owned(),
                row: row.row_id,
                expected_fen: row.expected,
                found_fen: row.found,
            });
        }
    }
    let rows_checked = diesel::sql_query(ROWS).get_result::<Count>(conn)?.n;
    Ok(LedgerAudit { rows_checked: u64::try_from(rows_checked).unwrap_or(0), findings })
}

impl Books for DbBooks {
    async fn audit(&self) -> anyhow::Result<LedgerAudit> {
        self.0.snapshot(|conn| Ok::<_, anyhow::Error>(audit(conn)?)).await
    }
}
