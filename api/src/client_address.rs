//! Who is calling, for the per-address limits: the peer, unless the peer is a proxy the operator
//! trusts (`SGH_TRUSTED_PROXIES`), in which case the address that proxy saw, read from the one
//! header the proxy writes (`SGH_FORWARDED_HEADER`: `X-Forwarded-For`, or `Forwarded: for=`) right
//! to left past every trusted hop. Nobody else's forwarding headers are believed, and never the
//! other header: a proxy that appends to one passes the other through as the client wrote it, so a
//! client could pick its own bucket with it. IPv6 clients are counted per /64, the block one
//! subscriber is routinely given.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::{ready, Ready};
use std::net::{IpAddr, Ipv6Addr};

use crate::error::ApiError;
use domain::merchants::address::Network;

/// The header a trusted proxy writes the client's address into.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardingHeader {
    /// `X-Forwarded-For`: what nginx (`$proxy_add_x_forwarded_for`) and cloud load balancers write.
    #[default]
    XForwardedFor,
    /// `Forwarded: for=` (RFC 7239).
    Forwarded,
}

impl ForwardingHeader {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(Self::XForwardedFor),
            "forwarded" => Some(Self::Forwarded),
            _ => None,
        }
    }
}

/// The proxies whose forwarding header is believed, and which header that is.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    pub networks: Vec<Network>,
    pub header: ForwardingHeader,
}

impl TrustedProxies {
    /// From `SGH_TRUSTED_PROXIES` (addresses or CIDRs, comma-separated) and `SGH_FORWARDED_HEADER`;
    /// a bad value is the setting's name and what is wrong with it.
    pub fn from_settings(networks: Option<&str>, header: Option<&str>) -> Result<Self, (&'static str, String)> {
        let networks = networks
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| {
                Network::parse(n)
                    .ok_or_else(|| ("SGH_TRUSTED_PROXIES", format!("'{n}' is not an address or address/prefix")))
            })
            .collect::<Result<_, _>>()?;
        let header = match header {
            None => ForwardingHeader::default(),
            Some(raw) => ForwardingHeader::parse(raw)
                .ok_or_else(|| ("SGH_FORWARDED_HEADER", format!("'{raw}' is not x-forwarded-for or forwarded")))?,
        };
        Ok(Self { networks, header })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|n| n.contains(ip))
    }

    /// The calling client's address: the peer, or behind a trusted peer the address the
    /// forwarding headers name (`forwarded_for`, read only then).
    pub fn client(&self, peer: IpAddr, forwarded_for: impl FnOnce() -> Vec<IpAddr>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        // Each proxy appends the address it saw: the nearest untrusted one is the client.
        let hops = forwarded_for();
        hops.iter().rev().copied().find(|ip| !self.trusts(*ip)).or(hops.first().copied()).unwrap_or(peer)
    }
}

/// The bucket an address is counted in: an IPv4 address itself, an IPv6 address's /64.
pub fn bucket(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = u128::from(v6) & (u128::MAX << 64);
                format!("{}/64", Ipv6Addr::from(prefix))
            }
        },
        v4 => v4.to_string(),
    }
}

/// The addresses the request's forwarding header names, in order (nearest hop last).
fn forwarded_for(req: &HttpRequest, header: ForwardingHeader) -> Vec<IpAddr> {
    let mut found = Vec::new();
    match header {
        ForwardingHeader::Forwarded => {
            for value in req.headers().get_all("forwarded") {
                for element in value.to_str().unwrap_or_default().split(',') {
                    for pair in element.split(';') {
                        if let Some((key, raw)) = pair.trim().split_once('=') {
                            if key.trim().eq_ignore_ascii_case("for") {
                                found.extend(parse_node(raw));
                            }
                        }
                    }
                }
            }
        }
        ForwardingHeader::XForwardedFor => {
            for value in req.headers().get_all("x-forwarded-for") {
                found.extend(value.to_str().unwrap_or_default().split(',').filter_map(parse_node));
            }
        }
    }
    found
}

/// `192.0.2.1`, `"[2001:db8::1]:4711"`, `198.51.100.7:80`: the address, without port or quotes.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    if let Some(rest) = raw.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    raw.parse().ok().or_else(|| raw.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok()))
}

/// The caller's bucket for per-address limits.
pub struct ClientAddress(pub String);

impl FromRequest for ClientAddress {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let peer = req.peer_addr().map(|a| a.ip());
        let client = match (peer, req.app_data::<web::Data<TrustedProxies>>()) {
            (Some(peer), Some(trusted)) => Some(trusted.client(peer, || forwarded_for(req, trusted.header))),
            (peer, _) => peer,
        };
        ready(Ok(ClientAddress(client.map(bucket).unwrap_or_default())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn headers_count_only_behind_a_trusted_proxy() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("203.0.113.9"), || vec![ip("198.51.100.1")]), ip("203.0.113.9"));
        let lb = TrustedProxies { networks: vec![Network::parse("10.0.0.0/8").unwrap()], ..Default::default() };
        // The client wrote a made-up first hop; the load balancer appended what it saw.
        let chain = || vec![ip("1.2.3.4"), ip("198.51.100.7"), ip("10.0.0.5")];
        assert_eq!(lb.client(ip("10.0.0.2"), chain), ip("198.51.100.7"));
        assert_eq!(lb.client(ip("10.0.0.2"), Vec::new), ip("10.0.0.2"));
        assert_eq!(lb.client(ip("203.0.113.9"), chain), ip("203.0.113.9"), "not a trusted peer");
    }

    #[test]
    fn ipv6_counts_per_64_and_nodes_parse_in_every_spelling() {
        assert_eq!(bucket(ip("2001:db8:0:1::2")), bucket(ip("2001:db8:0:1:ffff::9")));
        assert_ne!(bucket(ip("2001:db8:0:1::2")), bucket(ip("2001:db8:0:2::2")));
        assert_eq!(bucket(ip("::ffff:192.0.2.1")), "192.0.2.1");
        for (raw, expected) in [
            ("192.0.2.1", "192.0.2.1"),
            ("\"[2001:db8::1]:4711\"", "2001:db8::1"),
            ("198.51.100.7:80", "198.51.100.7"),
            (" 2001:db8::5 ", "2001:db8::5"),
        ] {
            assert_eq!(parse_node(raw), Some(ip(expected)), "{raw}");
        }
        assert_eq!(parse_node("unknown"), None);
    }

    #[test]
    fn the_forwarding_header_is_named_in_either_spelling() {
        assert_eq!(ForwardingHeader::parse("X-Forwarded-For"), Some(ForwardingHeader::XForwardedFor));
        assert_eq!(ForwardingHeader::parse(" forwarded "), Some(ForwardingHeader::Forwarded));
        assert_eq!(ForwardingHeader::parse("x-real-ip"), None);
    }
}
