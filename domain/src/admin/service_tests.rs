//! The staff service against in-memory fakes of its ports.

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::{Arc, Mutex};

use super::error::InsertAdminError;
use super::*;
use crate::mail::OutboundEmail;
use crate::shared::{Clock, EmailAddress, Page, PageRequest};

#[derive(Default)]
struct Store {
    admins: Vec<AdminUser>,
    audit: Vec<NewAuditEntry>,
    mail: Vec<OutboundEmail>,
}

#[derive(Clone, Default)]
struct Fakes(Arc<Mutex<Store>>);

fn scope(codes: &[&str]) -> crate::unions::Scope {
    use crate::unions::{NodePath, UnionCode};
    let code = |c: &str| UnionCode::parse(c).unwrap();
    let mut path = NodePath::root(&code(codes[0]));
    for c in &codes[1..] {
        path = path.child(&code(c));
    }
    crate::unions::Scope { code: code(codes[codes.len() - 1]), path }
}

impl AdminRepository for Fakes {
    async fn root_scope(&self) -> anyhow::Result<crate::unions::Scope> {
        Ok(scope(&["ROOT"]))
    }
    async fn find_by_username(&self, username: &Username) -> anyhow::Result<Option<AdminUser>> {
        Ok(self.0.lock().unwrap().admins.iter().find(|a| &a.username == username).cloned())
    }
    async fn find_by_id(&self, id: AdminId) -> anyhow::Result<Option<AdminUser>> {
        Ok(self.0.lock().unwrap().admins.iter().find(|a| a.id == id).cloned())
    }
    async fn list(&self) -> anyhow::Result<Vec<AdminUser>> {
        Ok(self.0.lock().unwrap().admins.clone())
    }
    async fn insert(
        &self,
        admin: &AdminUser,
        audit: NewAuditEntry,
        mail: Option<OutboundEmail>,
    ) -> Result<(), InsertAdminError> {
        let mut s = self.0.lock().unwrap();
        if s.admins.iter().any(|a| a.username == admin.username) {
            return Err(InsertAdminError::Duplicate);
        }
        s.admins.push(admin.clone());
        s.audit.push(audit);
        s.mail.extend(mail);
        Ok(())
    }
    async fn update(&self, admin: &AdminUser, audit: NewAuditEntry) -> anyhow::Result<()> {
        let mut s = self.0.lock().unwrap();
        let slot = s.admins.iter_mut().find(|a| a.id == admin.id).unwrap();
        *slot = admin.clone();
        s.audit.push(audit);
        Ok(())
    }
    async fn count_failed_login(
        &self,
        id: AdminId,
        now: DateTime<Utc>,
        lock: NewAuditEntry,
    ) -> anyhow::Result<crate::admin::model::FailedLogin> {
        let mut s = self.0.lock().unwrap();
        let slot = s.admins.iter_mut().find(|a| a.id == id).unwrap();
        let next = crate::admin::model::after_failure(slot.failed_logins, slot.locked_until, now);
        let locks = next.locked_until.is_some() && next.locked_until != slot.locked_until;
        (slot.failed_logins, slot.locked_until) = (next.failed_logins, next.locked_until);
        if locks {
            s.audit.push(lock);
        }
        Ok(next)
    }
    async fn record_login(
        &self,
        id: AdminId,
        failed_logins: u32,
        locked_until: Option<DateTime<Utc>>,
        audit: Option<NewAuditEntry>,
    ) -> anyhow::Result<()> {
        let mut s = self.0.lock().unwrap();
        let slot = s.admins.iter_mut().find(|a| a.id == id).unwrap();
        slot.failed_logins = failed_logins;
        slot.locked_until = locked_until;
        s.audit.extend(audit);
        Ok(())
    }
    async fn count_active_admins(&self) -> anyhow::Result<u64> {
        Ok(self.0.lock().unwrap().admins.iter().filter(|a| a.role == Role::Admin && !a.disabled).count() as u64)
    }
}

impl AuditLog for Fakes {
    async fn append(&self, entry: NewAuditEntry) -> anyhow::Result<()> {
        self.0.lock().unwrap().audit.push(entry);
        Ok(())
    }
    async fn page(
        &self,
        _: PageRequest,
        _: Option<crate::unions::NodePath>,
        _: super::AuditFilter,
    ) -> anyhow::Result<Page<AuditEntry>> {
        Ok(Page { items: Vec::new(), next: None })
    }
}

struct PlainHasher;

impl PasswordHasher for PlainHasher {
    async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        Ok(format!("h:{}", password.expose()))
    }
    async fn verify(&self, password: &str, hash: Option<&str>) -> anyhow::Result<bool> {
        Ok(hash == Some(&format!("h:{password}")))
    }
}

struct IdTokens;

impl AdminTokens for IdTokens {
    fn issue(&self, admin: &AdminUser, now: DateTime<Utc>) -> anyhow::Result<(String, DateTime<Utc>)> {
        Ok((admin.id.to_string(), now + Duration::minutes(15)))
    }
    fn verify(&self, token: &str, _: DateTime<Utc>) -> Option<AdminClaims> {
        Some(AdminClaims {
            admin_id: AdminId(token.parse().ok()?),
            role: Role::Admin,
            issued_at: DateTime::UNIX_EPOCH,
            expires_at: DateTime::UNIX_EPOCH,
        })
    }
}

#[derive(Clone)]
struct FakeClock(Arc<Mutex<DateTime<Utc>>>);

impl FakeClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

type Service = AdminService<Fakes, Fakes, PlainHasher, IdTokens, FakeClock>;

const PW: &str = "the right password";

async fn setup() -> (Service, Fakes, FakeClock) {
    let fakes = Fakes::default();
    let clock = FakeClock(Arc::new(Mutex::new(Utc.with_ymd_and_hms(2026, 5, 1, 2, 0, 0).unwrap())));
    let service = AdminService::new(fakes.clone(), fakes.clone(), PlainHasher, IdTokens, clock.clone());
    let new = NewAdmin {
        username: Username::parse("root").unwrap(),
        display_name: "Root".into(),
        email: Some(EmailAddress::parse("root@union.example.cn").unwrap()),
        role: Role::Admin,
        password: Password::parse(PW.into()).unwrap(),
        scope: None,
    };
    service.create(&Actor::command_line("test"), new).await.unwrap();
    (service, fakes, clock)
}

#[tokio::test]
async fn a_lock_lasts_fifteen_minutes_then_the_count_starts_over() {
    let (service, fakes, clock) = setup().await;
    for _ in 0..4 {
        assert!(matches!(service.login("root", "wrong").await, Err(LoginError::InvalidCredentials)));
    }
    // The fifth locks; the answer is the same as for any wrong password or unknown name.
    assert!(matches!(service.login("root", "wrong").await, Err(LoginError::InvalidCredentials)));
    let until = fakes.0.lock().unwrap().admins[0].locked_until;
    assert_eq!(until, Some(clock.now() + Duration::minutes(15)));
    assert_eq!(fakes.0.lock().unwrap().audit.last().unwrap().action, "admin_user.lock");

    clock.advance(Duration::minutes(14));
    assert!(matches!(service.login("root", PW).await, Err(LoginError::InvalidCredentials)), "still locked");
    assert!(matches!(service.login("nobody", PW).await, Err(LoginError::InvalidCredentials)), "as an unknown name");
    clock.advance(Duration::minutes(1));
    // One wrong password after the lock ran out does not lock again.
    assert!(matches!(service.login("root", "wrong").await, Err(LoginError::InvalidCredentials)));
    let session = service.login("root", PW).await.unwrap();
    assert_eq!(session.admin.username.as_str(), "root");
    let stored = fakes.0.lock().unwrap().admins[0].clone();
    assert_eq!((stored.failed_logins, stored.locked_until), (0, None));
}

#[tokio::test]
async fn creating_staff_audits_and_queues_a_welcome_mail_without_the_password() {
    let (service, fakes, _) = setup().await;
    {
        let s = fakes.0.lock().unwrap();
        assert_eq!(s.audit[0].action, "admin_user.create");
        assert_eq!(s.audit[0].actor_name, "cli:test");
        assert!(!s.audit[0].after.as_ref().unwrap().to_string().contains(PW));
        assert_eq!(s.mail.len(), 1);
        assert!(!s.mail[0].body.contains(PW));
    }
    let dup = NewAdmin {
        username: Username::parse("root").unwrap(),
        display_name: "x".into(),
        email: None,
        role: Role::Operator,
        password: Password::parse(PW.into()).unwrap(),
        scope: None,
    };
    assert!(matches!(service.create(&Actor::command_line("t"), dup).await, Err(AdminError::DuplicateUsername)));
}

#[tokio::test]
async fn a_district_admin_makes_and_sees_staff_only_in_its_district() {
    let (service, fakes, _) = setup().await;
    let root = fakes.0.lock().unwrap().admins[0].clone();
    assert_eq!(root.scope, scope(&["ROOT"]), "the command line makes accounts for the whole tree");
    let new = |name: &str, at: Option<crate::unions::Scope>| NewAdmin {
        username: Username::parse(name).unwrap(),
        display_name: name.into(),
        email: None,
        role: Role::Admin,
        password: Password::parse(PW.into()).unwrap(),
        scope: at,
    };
    let city = Actor::staff(&root, None);
    let sip = service.create(&city, new("sip.admin", Some(scope(&["ROOT", "SIP"])))).await.unwrap();
    let district = Actor::staff(&sip, None);
    // Their own staff land in their district unless they say where below it.
    let town = service.create(&district, new("wt.admin", Some(scope(&["ROOT", "SIP", "WT"])))).await.unwrap();
    let same = service.create(&district, new("sip.two", None)).await.unwrap();
    assert_eq!(same.scope, scope(&["ROOT", "SIP"]));
    let elsewhere = service.create(&district, new("gx.admin", Some(scope(&["ROOT", "GX"])))).await;
    assert!(matches!(elsewhere, Err(AdminError::ScopeNotFound)));
    // The city's account is not there for them.
    assert!(matches!(service.get(&district, root.id).await, Err(AdminError::NotFound)));
    let rename = AdminPatch { display_name: Some("x".into()), ..AdminPatch::default() };
    assert!(matches!(service.update(&district, root.id, rename).await, Err(AdminError::NotFound)));
    let seen: Vec<String> = service.list(&district).await.unwrap().iter().map(|a| a.username.to_string()).collect();
    assert_eq!(seen, ["sip.admin", "wt.admin", "sip.two"]);
    let lift = AdminPatch { scope: Some(scope(&["ROOT"])), ..AdminPatch::default() };
    assert!(matches!(service.update(&district, town.id, lift).await, Err(AdminError::ScopeNotFound)));
    assert_eq!(service.list(&city).await.unwrap().len(), 4);
}

#[tokio::test]
async fn only_admins_manage_staff_and_the_last_admin_stays() {
    let (service, fakes, _) = setup().await;
    let root = fakes.0.lock().unwrap().admins[0].clone();
    let operator = Actor { role: Role::Operator, ..Actor::staff(&root, None) };
    let patch = AdminPatch { display_name: Some("x".into()), ..AdminPatch::default() };
    assert!(matches!(service.update(&operator, root.id, patch).await, Err(AdminError::Forbidden)));

    let admin = Actor::staff(&root, Some("req-1".into()));
    let demote = AdminPatch { role: Some(Role::Auditor), ..AdminPatch::default() };
    assert!(matches!(service.update(&admin, root.id, demote.clone()).await, Err(AdminError::OwnAccount)));
    let disable = AdminPatch { disabled: Some(true), ..AdminPatch::default() };
    assert!(matches!(service.update(&admin, root.id, disable).await, Err(AdminError::OwnAccount)));
    // From the command line nobody's own account is at stake, and the last admin still stays.
    let cli = Actor::command_line("ops");
    assert!(matches!(service.update(&cli, root.id, demote.clone()).await, Err(AdminError::LastAdmin)));
    assert!(matches!(service.update(&admin, root.id, AdminPatch::default()).await, Err(AdminError::EmptyChange)));

    let rename = AdminPatch { display_name: Some("Root Two".into()), ..AdminPatch::default() };
    service.update(&admin, root.id, rename).await.unwrap();
    let last = fakes.0.lock().unwrap().audit.last().cloned().unwrap();
    assert_eq!((last.action, last.request_id.as_deref()), ("admin_user.update", Some("req-1")));
    assert_eq!(last.before.unwrap()["display_name"], "Root");
    assert_eq!(last.after.unwrap()["display_name"], "Root Two");
}

#[tokio::test]
async fn disabled_accounts_cannot_authenticate() {
    let (service, fakes, _) = setup().await;
    let id = fakes.0.lock().unwrap().admins[0].id;
    assert!(service.authenticate(&id.to_string()).await.is_ok());
    fakes.0.lock().unwrap().admins[0].disabled = true;
    assert!(matches!(service.authenticate(&id.to_string()).await, Err(error::AuthError::Inactive)));
    assert!(matches!(service.authenticate("garbage").await, Err(error::AuthError::InvalidToken)));
}
