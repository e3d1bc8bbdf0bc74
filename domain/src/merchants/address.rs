//! Which addresses a merchant's webhook may reach: never our own machine or the networks behind
//! it (OWASP API7:2023, server-side request forgery), unless an operator lists them (a sandbox).
//! Pure rules over literal addresses: resolving a name is the adapter's, which checks every
//! address it gets here and connects only to one that passed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Loopback,
    Private,
    LinkLocal,
    SharedCgnat,
    Multicast,
    Unspecified,
    Reserved,
    UniqueLocal,
    Documentation,
}

impl Refused {
    pub fn as_str(self) -> &'static str {
        match self {
            Refused::Loopback => "loopback",
            Refused::Private => "private",
            Refused::LinkLocal => "link-local",
            Refused::SharedCgnat => "shared (CGNAT)",
            Refused::Multicast => "multicast",
            Refused::Unspecified => "unspecified",
            Refused::Reserved => "reserved",
            Refused::UniqueLocal => "unique local (IPv6)",
            Refused::Documentation => "documentation",
        }
    }
}

fn v4(ip: Ipv4Addr) -> Option<Refused> {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        _ if ip.is_unspecified() || a == 0 => Some(Refused::Unspecified),
        (127, ..) => Some(Refused::Loopback),
        (10, ..) | (172, 16..=31, _) | (192, 168, _) => Some(Refused::Private),
        (169, 254, _) => Some(Refused::LinkLocal),
        (100, 64..=127, _) => Some(Refused::SharedCgnat),
        (224..=239, ..) => Some(Refused::Multicast),
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => Some(Refused::Documentation),
        // IETF protocol assignments, benchmarking, and 240/4 with the broadcast address.
        (192, 0, 0) | (198, 18..=19, _) | (240..=255, ..) => Some(Refused::Reserved),
        _ => None,
    }
}

fn v6(ip: Ipv6Addr) -> Option<Refused> {
    // IPv4 reached through IPv6 is judged as the IPv4 address: mapped (::ffff:a.b.c.d), the
    // deprecated compatible form (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
    if let Some(inner) = ip.to_ipv4_mapped() {
        return v4(inner);
    }
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some(Refused::Unspecified);
    }
    if ip.is_loopback() {
        return Some(Refused::Loopback);
    }
    if s[..6] == [0; 6] {
        return v4(Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8))
            .or(Some(Refused::Reserved));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4(Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8));
    }
    if s[0] == 0x2002 {
        return v4(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8));
    }
    match s[0] {
        0xfc00..=0xfdff => Some(Refused::UniqueLocal),
        0xfe80..=0xfebf => Some(Refused::LinkLocal),
        // Deprecated site-local addresses.
        0xfec0..=0xfeff => Some(Refused::Private),
        0xff00..=0xffff => Some(Refused::Multicast),
        0x2001 if s[1] == 0x0db8 => Some(Refused::Documentation),
        _ => None,
    }
}

/// Why `ip` may not be a webhook's target, or `None` when it may.
pub fn refused(ip: IpAddr) -> Option<Refused> {
    match ip {
        IpAddr::V4(ip) => v4(ip),
        IpAddr::V6(ip) => v6(ip),
    }
}

/// A network an operator lets webhooks reach anyway (`SGH_WEBHOOK_ALLOWED_NETWORKS`), such as a
/// sandbox's merchant stub: an address with a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    base: IpAddr,
    prefix: u8,
}

impl Network {
    /// `127.0.0.1/32`, `10.8.0.0/16`, `::1/128`; a bare address is the address alone.
    pub fn parse(raw: &str) -> Option<Self> {
        let (ip, prefix) = match raw.trim().split_once('/') {
            Some((ip, prefix)) => (ip.parse::<IpAddr>().ok()?, prefix.parse::<u8>().ok()?),
            None => {
                let ip = raw.trim().parse::<IpAddr>().ok()?;
                (ip, if ip.is_ipv4() { 32 } else { 128 })
            }
        };
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        (prefix <= bits).then_some(Self { base: ip, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.base, ip) {
            (IpAddr::V4(base), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(base) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(base), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(base) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Where webhooks may go: the address rules, and what the operator allows besides.
#[derive(Debug, Clone, Default)]
pub struct TargetPolicy {
    /// `http://` besides `https://` (the `dev` profile).
    pub allow_http: bool,
    pub allowed: Vec<Network>,
}

impl TargetPolicy {
    /// Why a webhook may not connect to `ip`.
    pub fn refuses(&self, ip: IpAddr) -> Option<Refused> {
        refused(ip).filter(|_| !self.allowed.iter().any(|n| n.contains(ip)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn public_addresses_pass() {
        for good in [
            "1.1.1.1",
            "8.8.8.8",
            "203.0.114.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "2400:3200::1",
            "2001:4860:4860::8888",
        ] {
            assert_eq!(refused(ip(good)), None, "{good}");
        }
    }

    #[test]
    fn every_internal_range_is_refused_in_every_spelling() {
        for (bad, why) in [
            ("127.0.0.1", Refused::Loopback),
            ("127.255.255.254", Refused::Loopback),
            ("10.0.0.1", Refused::Private),
            ("172.16.0.1", Refused::Private),
            ("172.31.255.255", Refused::Private),
            ("192.168.1.1", Refused::Private),
            ("169.254.169.254", Refused::LinkLocal),
            ("100.64.0.1", Refused::SharedCgnat),
            ("100.127.255.255", Refused::SharedCgnat),
            ("224.0.0.1", Refused::Multicast),
            ("239.255.255.250", Refused::Multicast),
            ("0.0.0.0", Refused::Unspecified),
            ("0.1.2.3", Refused::Unspecified),
            ("255.255.255.255", Refused::Reserved),
            ("240.0.0.1", Refused::Reserved),
            ("198.18.0.1", Refused::Reserved),
            ("192.0.2.1", Refused::Documentation),
            ("::1", Refused::Loopback),
            ("::", Refused::Unspecified),
            ("fc00::1", Refused::UniqueLocal),
            ("fd12:3456::1", Refused::UniqueLocal),
            ("fe80::1", Refused::LinkLocal),
            ("ff02::1", Refused::Multicast),
            ("::ffff:127.0.0.1", Refused::Loopback),
            ("::ffff:10.1.2.3", Refused::Private),
            ("::ffff:169.254.169.254", Refused::LinkLocal),
            ("::127.0.0.1", Refused::Loopback),
            ("64:ff9b::a9fe:a9fe", Refused::LinkLocal),
            ("2002:7f00:1::", Refused::Loopback),
            ("2002:c0a8:101::1", Refused::Private),
            ("2001:db8::1", Refused::Documentation),
        ] {
            assert_eq!(refused(ip(bad)), Some(why), "{bad}");
        }
    }

    #[test]
    fn an_allowed_network_lets_its_addresses_through_and_no_others() {
        let policy = TargetPolicy { allow_http: true, allowed: vec![Network::parse("127.0.0.1/32").unwrap()] };
        assert_eq!(policy.refuses(ip("127.0.0.1")), None);
        assert_eq!(policy.refuses(ip("::ffff:127.0.0.1")), None);
        assert_eq!(policy.refuses(ip("127.0.0.2")), Some(Refused::Loopback));
        assert_eq!(policy.refuses(ip("::1")), Some(Refused::Loopback));
        let wide = Network::parse("10.8.0.0/16").unwrap();
        assert!(wide.contains(ip("10.8.255.1")) && !wide.contains(ip("10.9.0.1")));
        let six = Network::parse("::1").unwrap();
        assert!(six.contains(ip("::1")) && !six.contains(ip("::2")));
        assert!(Network::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        for bad in ["", "10.0.0.0/33", "::/129", "example.com", "10.0.0.0/x"] {
            assert_eq!(Network::parse(bad), None, "{bad}");
        }
    }
}

/// A webhook URL's parts the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub https: bool,
    pub host: Host,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Ip(IpAddr),
    Name(String),
}

/// Why a URL cannot be a webhook's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    Malformed(&'static str),
    /// `http://` where only `https://` is taken.
    NotHttps,
    /// The name does not resolve.
    Unresolvable,
    Refused(IpAddr, Refused),
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetError::Malformed(why) => f.write_str(why),
            TargetError::NotHttps => f.write_str("must be an https:// URL"),
            TargetError::Unresolvable => f.write_str("its host name does not resolve"),
            TargetError::Refused(ip, why) => write!(f, "its host resolves to {ip}, a {} address", why.as_str()),
        }
    }
}

impl Target {
    /// `http(s)://host[:port][/path][?query]`, with no user name or password in it.
    pub fn parse(url: &str) -> Result<Self, TargetError> {
        let (https, rest) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
            (Some(rest), _) => (true, rest),
            (_, Some(rest)) => (false, rest),
            _ => return Err(TargetError::Malformed("must start with https://")),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(TargetError::Malformed("must not carry a user name or password"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or(TargetError::Malformed("has an unclosed [ in its host"))?;
            let ip = host.parse::<Ipv6Addr>().map_err(|_| TargetError::Malformed("has a bad IPv6 address"))?;
            (Host::Ip(IpAddr::V6(ip)), after.strip_prefix(':'))
        } else {
            let (host, port) = match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            let host = host.to_ascii_lowercase();
            let host = host.strip_suffix('.').unwrap_or(&host).to_owned();
            let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
            if host.is_empty() || host.len() > 253 || !host.chars().all(plain) || host.split('.').any(str::is_empty) {
                return Err(TargetError::Malformed("has no valid host name"));
            }
            match host.parse::<Ipv4Addr>() {
                Ok(ip) => (Host::Ip(IpAddr::V4(ip)), port),
                // Digits and dots that are not a dotted quad (`0x7f.1`, `2130706433`) are how
                // loopback is smuggled past filters: no real name is all digits.
                Err(_) if host.chars().all(|c| c.is_ascii_digit() || c == '.') || host.starts_with("0x") => {
                    return Err(TargetError::Malformed("has a numeric host that is not a dotted IPv4 address"))
                }
                Err(_) => (Host::Name(host), port),
            }
        };
        let port = match port {
            None => {
                if https {
                    443
                } else {
                    80
                }
            }
            Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or(TargetError::Malformed("has a bad port"))?,
        };
        Ok(Self { https, host, port })
    }
}

impl TargetPolicy {
    /// The URL's scheme and, when its host is an address, the address; a name is checked by
    /// [`TargetPolicy::check_resolved`] with what it resolves to.
    pub fn check(&self, url: &str) -> Result<Target, TargetError> {
        let target = Target::parse(url)?;
        if !target.https && !self.allow_http {
            return Err(TargetError::NotHttps);
        }
        if let Host::Ip(ip) = target.host {
            if let Some(why) = self.refuses(ip) {
                return Err(TargetError::Refused(ip, why));
            }
        }
        Ok(target)
    }

    /// Every address a name resolved to must pass: a name with one internal address among public
    /// ones could be made to reach it.
    pub fn check_resolved(&self, addresses: &[IpAddr]) -> Result<(), TargetError> {
        if addresses.is_empty() {
            return Err(TargetError::Unresolvable);
        }
        match addresses.iter().find_map(|ip| self.refuses(*ip).map(|why| (*ip, why))) {
            Some((ip, why)) => Err(TargetError::Refused(ip, why)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod url_tests {
    use super::*;

    #[test]
    fn urls_are_read_into_scheme_host_and_port() {
        let t = Target::parse("https://hooks.Merchant.example.cn/sgh?x=1").unwrap();
        assert_eq!((t.https, t.host, t.port), (true, Host::Name("hooks.merchant.example.cn".into()), 443));
        let t = Target::parse("http://127.0.0.1:8080/in").unwrap();
        assert_eq!((t.https, t.host, t.port), (false, Host::Ip("127.0.0.1".parse().unwrap()), 8080));
        let t = Target::parse("https://[::1]:9/x").unwrap();
        assert_eq!((t.host, t.port), (Host::Ip("::1".parse().unwrap()), 9));
        for bad in [
            "ftp://x.cn/",
            "https://user:pw@x.cn/",
            "https://x.cn@127.0.0.1/",
            "https:///x",
            "https://x..cn/",
            "https://[::1/",
            "https://x.cn:0/",
            "https://x.cn:99999/",
            "https://2130706433/",
            "https://0x7f.0.0.1/",
            "https://127.1/",
            "https://exa mple.cn/",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_policy_takes_https_and_public_addresses_only() {
        let prod = TargetPolicy::default();
        assert_eq!(prod.check("http://hooks.example.cn/").unwrap_err(), TargetError::NotHttps);
        assert!(prod.check("https://hooks.example.cn/").is_ok());
        assert!(matches!(prod.check("https://127.0.0.1/"), Err(TargetError::Refused(_, Refused::Loopback))));
        assert!(matches!(prod.check("https://[::ffff:10.0.0.1]/"), Err(TargetError::Refused(_, Refused::Private))));
        let public: IpAddr = "1.2.3.4".parse().unwrap();
        let inside: IpAddr = "10.0.0.7".parse().unwrap();
        assert_eq!(prod.check_resolved(&[public]), Ok(()));
        assert_eq!(prod.check_resolved(&[public, inside]), Err(TargetError::Refused(inside, Refused::Private)));
        assert_eq!(prod.check_resolved(&[]), Err(TargetError::Unresolvable));
        let sandbox = TargetPolicy { allow_http: true, allowed: vec![Network::parse("127.0.0.0/8").unwrap()] };
        assert!(sandbox.check("http://127.0.0.1:9000/").is_ok());
    }
}
