//! Each Beijing day's settlement statement, mailed to every active merchant's settlement address
//! as a CSV attachment, once: its sales, reversals, discounts and redeemed vouchers, and totals.

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

/// A gift voucher redeemed at one of the merchant's stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    pub at: DateTime<Utc>,
    pub store_name: String,
    pub till_ref: String,
    pub gift_name: String,
}

/// What happened at a merchant on one Beijing day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayActivity {
    /// Sales made that day with their store's name, reversed ones included.
    pub sales: Vec<(Sale, String)>,
    pub redemptions: Vec<Redemption>,
}

pub trait Statements: Send + Sync + 'static {
    /// Merchants active now and registered before `day` ended, without a statement for it yet.
    fn due(&self, day: NaiveDate) -> impl Future<Output = anyhow::Result<Vec<Merchant>>> + Send;
    fn activity(&self, merchant: &Merchant, day: NaiveDate)
        -> impl Future<Output = anyhow::Result<DayActivity>> + Send;
    /// Records that the merchant's statement for `day` is issued and queues `mail`, in one
    /// transaction; `false` (and nothing queued) when another instance issued it first.
    fn issue(
        &self,
        merchant: &Merchant,
        day: NaiveDate,
        mail: OutboundEmail,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;
}

fn time(at: DateTime<Utc>) -> String {
    at.with_timezone(&SHANGHAI).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The statement mail: a short summary in the body, every line in the CSV.
pub fn statement_mail(merchant: &Merchant, day: NaiveDate, activity: &DayActivity) -> OutboundEmail {
    let mut csv = String::from("type,time,store,till_ref,item,original_fen,discount_fen,paid_fen,status\n");
    let (mut original, mut discount, mut paid, mut reversed) = (0i64, 0i64, 0i64, 0usize);
    for (sale, store) in &activity.sales {
        let status = if sale.reversed_at.is_some() {
            reversed += 1;
            "reversed"
        } else {
            original += sale.priced.original.get();
            discount += sale.priced.discount.get();
            paid += sale.priced.to_pay.get();
            "completed"
        };
        csv.push_str(&format!(
            "sale,{},{},{},{},{},{},{},{status}\n",
            time(sale.at),
            cell(store),
            cell(&sale.till_ref),
            cell(&sale.offer_title),
            sale.priced.original.get(),
            sale.priced.discount.get(),
            sale.priced.to_pay.get(),
        ));
    }
    for r in &activity.redemptions {
        csv.push_str(&format!(
            "voucher,{},{},{},{},,,,redeemed\n",
            time(r.at),
            cell(&r.store_name),
            cell(&r.till_ref),
            cell(&r.gift_name)
        ));
    }
    let sales = activity.sales.len();
    let vouchers = activity.redemptions.len();
    csv.push_str(&format!(
        "total,{day},,,,{original},{discount},{paid},{sales} sales / {reversed} reversed / {vouchers} vouchers\n"
    ));
    let body = format!(
        "{name}：\n\n{day} 结算单见附件。\n交易 {sales} 笔（其中撤销 {reversed} 笔），原价合计 {o}，优惠合计 {d}，实收合计 {p}；\
         核销礼品券 {vouchers} 张。\n\nSettlement statement for {day} attached: {sales} sales ({reversed} reversed), \
         {vouchers} vouchers redeemed.\n",
        name = merchant.name,
        o = Fen::new(original),
        d = Fen::new(discount),
        p = Fen::new(paid),
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
    /// Issues yesterday's (Beijing) statements not issued yet; how many were.
    pub async fn issue_due(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let Some(day) = beijing_day(now).pred_opt() else { return Ok(0) };
        let mut issued = 0;
        for merchant in self.store.due(day).await? {
            let activity = self.store.activity(&merchant, day).await?;
            if self.store.issue(&merchant, day, statement_mail(&merchant, day, &activity), now).await? {
                issued += 1;
            }
        }
        Ok(issued)
    }

    /// The day [`Self::issue_due`] issues for now.
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
    fn the_statement_lists_every_line_and_totals_what_was_not_reversed() {
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
        let activity = DayActivity {
            sales: vec![(sale(12_800, 2_000, false), "观前街店".into()), (sale(10_000, 2_000, true), "园区店".into())],
            redemptions: vec![Redemption {
                at,
                store_name: "观前街店".into(),
                till_ref: "POS-2".into(),
                gift_name: "代金券".into(),
            }],
        };
        let mail = statement_mail(&merchant, day, &activity);
        assert_eq!(mail.to.as_str(), "finance@songhelou.example");
        let csv = &mail.attachment.as_ref().unwrap().content;
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 5, "{csv}");
        assert_eq!(lines[1], "sale,2026-12-01 12:30:00,观前街店,'=POS-1,满100减20,12800,2000,10800,completed");
        assert!(lines[2].ends_with(",reversed"));
        assert_eq!(lines[3], "voucher,2026-12-01 12:30:00,观前街店,POS-2,代金券,,,,redeemed");
        assert_eq!(lines[4], "total,2026-12-01,,,,12800,2000,10800,2 sales / 1 reversed / 1 vouchers");
        assert!(mail.body.contains("¥108.00"), "{}", mail.body);
        assert_eq!(mail.attachment.unwrap().filename, "statement-1900000101-2026-12-01.csv");
    }
}
