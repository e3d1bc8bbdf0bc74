//! Each Beijing day's settlement statement, mailed to the merchant's settlement address as a CSV
//! attachment, once: the day's sales and reversals, the adjustments to earlier statements (a sale
//! that committed after its day's statement, a sale reversed after its statement went out), the
//! vouchers redeemed, and totals. A statement claims its lines when it is issued and keeps its
//! totals, so what it said stays what it said; a suspended merchant still gets statements for days
//! it has something to state; a missed pass is caught up, oldest day first.

use chrono::{DateTime, NaiveDate, Utc};
use std::future::Future;

use super::model::Merchant;
use super::offer::beijing_day;
use super::sale::Sale;
use crate::campaigns::SHANGHAI;
use crate::mail::{Attachment, OutboundEmail};
use crate::shared::money::Fen;
use crate::shared::spreadsheet::cell;
use crate::shared::Clock;

/// How many days back a pass catches up on statements it missed.
pub const CATCH_UP_DAYS: i64 = 31;

/// A gift voucher redeemed at one of the merchant's stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    pub at: DateTime<Utc>,
    pub store_name: String,
    pub till_ref: String,
    pub gift_name: String,
}

/// What one statement lists, each sale with its store's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementLines {
    /// The day's sales as they stand when the statement is issued (reversed ones marked).
    pub sales: Vec<(Sale, String)>,
    /// Sales of earlier days that committed after their day's statement was issued.
    pub late: Vec<(Sale, String)>,
    /// Sales an earlier statement listed as completed, reversed since (before this day ended).
    pub reversals: Vec<(Sale, String)>,
    pub redemptions: Vec<Redemption>,
}

/// A statement's totals, as kept with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatementTotals {
    pub sales: u32,
    pub reversed: u32,
    /// Late sales and later reversals of earlier statements' sales.
    pub adjustments: u32,
    pub vouchers: u32,
    /// Net of the adjustments: what the merchant is settled for by this statement.
    pub original: Fen,
    pub discount: Fen,
    pub paid: Fen,
}

impl StatementLines {
    pub fn totals(&self) -> StatementTotals {
        let mut t = StatementTotals {
            sales: self.sales.len() as u32,
            adjustments: (self.late.len() + self.reversals.len()) as u32,
            vouchers: self.redemptions.len() as u32,
            ..StatementTotals::default()
        };
        let mut add = |sale: &Sale, sign: i64| {
            t.original = Fen::new(t.original.get() + sign * sale.priced.original.get());
            t.discount = Fen::new(t.discount.get() + sign * sale.priced.discount.get());
            t.paid = Fen::new(t.paid.get() + sign * sale.priced.to_pay.get());
        };
        for (sale, _) in self.sales.iter().chain(&self.late) {
            if sale.reversed_at.is_none() {
                add(sale, 1);
            }
        }
        for (sale, _) in &self.reversals {
            add(sale, -1);
        }
        t.reversed = self.sales.iter().filter(|(s, _)| s.reversed_at.is_some()).count() as u32;
        t
    }
}

pub trait Statements: Send + Sync + 'static {
    /// Merchants owed a statement for `day`: registered before it ended, with none for it or a
    /// later day yet; active ones always, suspended ones when they have something to state.
    fn due(&self, day: NaiveDate) -> impl Future<Output = anyhow::Result<Vec<Merchant>>> + Send;
    /// Issues the merchant's statement for `day` in one transaction: claims its lines, keeps its
    /// totals and queues the mail `render` makes of them; `None` (and nothing queued) when
    /// another instance issued it first.
    fn issue(
        &self,
        merchant: &Merchant,
        day: NaiveDate,
        now: DateTime<Utc>,
        render: fn(&Merchant, NaiveDate, &StatementLines) -> OutboundEmail,
    ) -> impl Future<Output = anyhow::Result<Option<StatementTotals>>> + Send;
}

fn time(at: DateTime<Utc>) -> String {
    at.with_timezone(&SHANGHAI).format("%Y-%m-%d %H:%M:%S").to_string()
}

fn sale_line(kind: &str, at: DateTime<Utc>, sale: &Sale, store: &str, sign: i64, status: &str) -> String {
    format!(
        "{kind},{},{},{},{},{},{},{},{status}\n",
        time(at),
        cell(store),
        cell(&sale.till_ref),
        cell(&sale.offer_title),
        sign * sale.priced.original.get(),
        sign * sale.priced.discount.get(),
        sign * sale.priced.to_pay.get(),
    )
}

/// The statement mail: a short summary in the body, every line in the CSV.
pub fn statement_mail(merchant: &Merchant, day: NaiveDate, lines: &StatementLines) -> OutboundEmail {
    let mut csv = String::from("type,time,store,till_ref,item,original_fen,discount_fen,paid_fen,status\n");
    let status = |sale: &Sale| if sale.reversed_at.is_some() { "reversed" } else { "completed" };
    for (sale, store) in &lines.sales {
        csv.push_str(&sale_line("sale", sale.at, sale, store, 1, status(sale)));
    }
    for (sale, store) in &lines.late {
        csv.push_str(&sale_line("late_sale", sale.at, sale, store, 1, status(sale)));
    }
    for (sale, store) in &lines.reversals {
        let at = sale.reversed_at.unwrap_or(sale.at);
        csv.push_str(&sale_line("adjustment", at, sale, store, -1, &format!("reversal of {}", sale.day)));
    }
    for r in &lines.redemptions {
        csv.push_str(&format!(
            "voucher,{},{},{},{},,,,redeemed\n",
            time(r.at),
            cell(&r.store_name),
            cell(&r.till_ref),
            cell(&r.gift_name)
        ));
    }
    let t = lines.totals();
    let (o, d, p) = (t.original.get(), t.discount.get(), t.paid.get());
    csv.push_str(&format!(
        "total,{day},,,,{o},{d},{p},{} sales / {} reversed / {} adjustments / {} vouchers\n",
        t.sales, t.reversed, t.adjustments, t.vouchers
    ));
    let body = format!(
        "{name}：\n\n{day} 结算单见附件。\n交易 {sales} 笔（其中撤销 {reversed} 笔），调整 {adjustments} 笔，原价合计 {o}，优惠合计 {d}，\
         实收合计 {p}；核销礼品券 {vouchers} 张。\n\nSettlement statement for {day} attached: {sales} sales ({reversed} \
         reversed), {adjustments} adjustments, {vouchers} vouchers redeemed.\n",
        name = merchant.name,
        sales = t.sales,
        reversed = t.reversed,
        adjustments = t.adjustments,
        vouchers = t.vouchers,
        o = t.original,
        d = t.discount,
        p = t.paid,
    );
    OutboundEmail {
        to: merchant.settlement_email.clone(),
        subject: format!("苏工惠结算单 {day} / Settlement statement {day}"),
        body,
        attachment: Some(Attachment {
            filename: format!("statement-{}-{day}.csv", merchant.mchid.as_str()),
            content_type: "text/csv; charset=utf-8".into(),
            content: csv,
        }),
    }
}

pub struct StatementService<S, C> {
    pub store: S,
    pub clock: C,
}

impl<S: Statements, C: Clock> StatementService<S, C> {
    /// Issues the statements owed for the days before today (Beijing), oldest first and at most
    /// [`CATCH_UP_DAYS`] back; how many were.
    pub async fn issue_due(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let Some(yesterday) = beijing_day(now).pred_opt() else { return Ok(0) };
        let mut issued = 0;
        for back in (0..CATCH_UP_DAYS).rev() {
            let day = yesterday - chrono::Duration::days(back);
            for merchant in self.store.due(day).await? {
                if self.store.issue(&merchant, day, now, statement_mail).await?.is_some() {
                    issued += 1;
                }
            }
        }
        Ok(issued)
    }

    /// The day [`Self::issue_due`] issues up to for now.
    pub fn due_day(&self) -> Option<NaiveDate> {
        beijing_day(self.clock.now()).pred_opt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merchants::{Mchid, MemberRef, MerchantId, MerchantStatus, Priced, SaleId, StoreId};
    use crate::shared::EmailAddress;
    use chrono::TimeZone;

    #[test]
    fn the_statement_lists_every_line_and_totals_net_of_its_adjustments() {
        let merchant = Merchant {
            id: MerchantId::new(),
            mchid: Mchid::parse("1900000101").unwrap(),
            name: "松鹤楼".into(),
            category: "餐饮".into(),
            contact: "x".into(),
            settlement_email: EmailAddress::parse("finance@songhelou.example").unwrap(),
            status: MerchantStatus::Active,
            created_at: DateTime::UNIX_EPOCH,
            kind: crate::merchants::model::PartnerKind::Merchant,
            bank_merchant_id: None,
        };
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let at = SHANGHAI.from_local_datetime(&day.and_hms_opt(12, 30, 0).unwrap()).unwrap().with_timezone(&Utc);
        let sale = |original: i64, discount: i64, reversed: bool| Sale {
            id: SaleId::new(),
            merchant: merchant.id,
            store: StoreId::new(),
            offer: crate::merchants::OfferId::new(),
            offer_title: "满100减20".into(),
            member_ref: MemberRef::from_digest([1; 16]),
            priced: Priced {
                original: Fen::new(original),
                discount: Fen::new(discount),
                to_pay: Fen::new(original - discount),
            },
            till_ref: "=POS-1".into(),
            channel: "pos".into(),
            day,
            at,
            reversed_at: reversed.then_some(at),
        };
        let lines = StatementLines {
            sales: vec![(sale(12_800, 2_000, false), "观前街店".into()), (sale(10_000, 2_000, true), "园区店".into())],
            late: vec![(sale(20_000, 2_000, false), "园区店".into())],
            reversals: vec![(sale(15_000, 2_000, true), "观前街店".into())],
            redemptions: vec![Redemption {
                at,
                store_name: "观前街店".into(),
                till_ref: "POS-2".into(),
                gift_name: "代金券".into(),
            }],
        };
        let mail = statement_mail(&merchant, day, &lines);
        assert_eq!(mail.to.as_str(), "finance@songhelou.example");
        let csv = &mail.attachment.as_ref().unwrap().content;
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 7, "{csv}");
        assert_eq!(lines[1], "sale,2026-12-01 12:30:00,观前街店,'=POS-1,满100减20,12800,2000,10800,completed");
        assert!(lines[2].ends_with(",reversed"));
        assert_eq!(lines[3], "late_sale,2026-12-01 12:30:00,园区店,'=POS-1,满100减20,20000,2000,18000,completed");
        assert_eq!(
            lines[4],
            "adjustment,2026-12-01 12:30:00,观前街店,'=POS-1,满100减20,-15000,-2000,-13000,reversal of 2026-12-01"
        );
        assert_eq!(lines[5], "voucher,2026-12-01 12:30:00,观前街店,POS-2,代金券,,,,redeemed");
        // 128.00 + 200.00 − 150.00, net of the adjustments.
        assert_eq!(lines[6], "total,2026-12-01,,,,17800,2000,15800,2 sales / 1 reversed / 2 adjustments / 1 vouchers");
        assert!(mail.body.contains("¥158.00"), "{}", mail.body);
        assert_eq!(mail.attachment.unwrap().filename, "statement-1900000101-2026-12-01.csv");
    }
}
