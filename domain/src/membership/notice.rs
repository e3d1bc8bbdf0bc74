//! What members and officers are told, in the words of a union office.

use super::model::{Application, ApplicationKind, ApplicationState};

/// Subject and body of the mail telling the member how their application was decided.
pub fn decision(app: &Application) -> (String, String) {
    let kind = app.kind.zh();
    let (subject, mut body) = match app.state {
        ApplicationState::Approved => (
            format!("您的{kind}申请已通过"),
            match app.kind {
                ApplicationKind::Join => format!(
                    "您申请加入{}的入会申请已通过，会员编号 {}。会员权益即日起生效。",
                    app.union_name,
                    app.member_no.as_deref().unwrap_or("")
                ),
                ApplicationKind::Transfer => format!("您的会员关系已转入{}。", app.union_name),
                ApplicationKind::Leave => format!("您在{}的会籍已结束。", app.union_name),
            },
        ),
        _ => (
            format!("您的{kind}申请未获通过"),
            format!(
                "{}未通过您的{kind}申请，原因：{}",
                app.union_name,
                app.decision_note.as_ref().map_or("", |r| r.as_str())
            ),
        ),
    };
    body.push_str(&format!("\n\n申请编号：{}", app.id));
    (subject, body)
}

/// Subject and body of the mail telling a transfer's sending union that a member asks to leave it.
pub fn transfer_asked(app: &Application) -> (String, String) {
    (
        "会员关系转出通知".to_owned(),
        format!(
            "一名会员申请将会员关系转入{}（申请编号 {}）。如有意见，可在申请中留言；转入工会作出决定。",
            app.union_name, app.id
        ),
    )
}
