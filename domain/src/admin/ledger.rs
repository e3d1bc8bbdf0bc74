//! The auditor's proof (经审): every figure the system reports about money — a campaign's
//! spent, a merchant's settlement, a day's payout file — is recomputed from the rows it is made
//! of, and any difference is named to the fen. The books are kept so that nothing here should
//! ever be found; a finding is a bug or a hand-edited row to look at.

use std::future::Future;

/// Which books a finding is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Book {
    /// A campaign's ledger against its vouchers.
    Campaign,
    /// A merchant's discounted sales, which its settlements and statements sum.
    Merchant,
    /// The card rebates the bank's payout files list, against the transactions they pay for.
    Payout,
    /// The union fund's service payouts, against the budgets they drew on and the cases approved.
    Fund,
}

impl Book {
    pub fn as_str(self) -> &'static str {
        match self {
            Book::Campaign => "campaign",
            Book::Merchant => "merchant",
            Book::Payout => "payout",
            Book::Fund => "fund",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Book::Campaign, Book::Merchant, Book::Payout, Book::Fund].into_iter().find(|b| b.as_str() == raw)
    }
}

/// One difference: in `book`, for `subject` (a campaign, merchant or payout day), the `check`
/// that failed on `row` expected `expected_fen` and found `found_fen`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub book: Book,
    pub subject: String,
    pub check: String,
    pub row: String,
    pub expected_fen: i64,
    pub found_fen: i64,
}

/// What one pass over the books read and found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerAudit {
    /// Rows read: vouchers, sales and rebated transactions.
    pub rows_checked: u64,
    pub findings: Vec<Finding>,
}

impl LedgerAudit {
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Reads every book in one snapshot, so a pass during traffic finds only real differences.
pub trait Books: Send + Sync + 'static {
    fn audit(&self) -> impl Future<Output = anyhow::Result<LedgerAudit>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn books_are_named_both_ways() {
        for book in [Book::Campaign, Book::Merchant, Book::Payout, Book::Fund] {
            assert_eq!(Book::parse(book.as_str()), Some(book));
        }
        assert_eq!(Book::parse("ledger"), None);
    }
}
