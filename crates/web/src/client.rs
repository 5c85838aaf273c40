//! Who is on the other end of a request: the client's address behind trusted proxies, and the
//! per-address limit of the public survey form.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` hops are believed.
///
/// Each proxy appends the address it received the request from, so the list reads
/// client, proxy 1, …, and only the hops that trusted proxies appended are true: whatever a
/// client writes itself stands to their left. The client is therefore the right-most hop that
/// a trusted proxy did not write.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum TrustedProxies {
    /// No proxy: the socket peer is the client and `X-Forwarded-For` is ignored.
    #[default]
    None,
    /// This many proxies stand in front of the server (1: one load balancer); the client is
    /// the hop that many places from the right, counting the peer as the first proxy.
    Count(usize),
    /// Proxies are the peers and hops inside these networks.
    Networks(Vec<IpNet>),
}

impl FromStr for TrustedProxies {
    type Err = String;

    /// `""`/`"0"`/`"none"`, a number of hops (`"1"`), or comma-separated networks and
    /// addresses (`"10.0.0.0/8, 192.168.1.5"`).
    fn from_str(text: &str) -> Result<TrustedProxies, String> {
        let text = text.trim();
        if text.is_empty() || text == "none" || text == "0" {
            return Ok(TrustedProxies::None);
        }
        if let Ok(count) = text.parse::<usize>() {
            return Ok(TrustedProxies::Count(count));
        }
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<IpNet>()
                    .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("'{part}' is neither a number of proxies nor a network"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies::Networks)
    }
}

impl TrustedProxies {
    fn trusts(&self, address: IpAddr) -> bool {
        match self {
            TrustedProxies::None => false,
            TrustedProxies::Count(_) => true,
            TrustedProxies::Networks(networks) => {
                networks.iter().any(|network| network.contains(&address))
            }
        }
    }

    /// The client's address: the peer, or the right-most `X-Forwarded-For` hop that no trusted
    /// proxy wrote. A hop that is not an address stops the walk at the last trusted one.
    pub fn client_ip(&self, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
        let peer = peer.ip().to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        // Several headers are one list, in order.
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        let mut trusted = 1;
        for hop in hops.iter().rev() {
            let Ok(address) = hop.parse::<IpAddr>().map(|a| a.to_canonical()) else {
                break;
            };
            client = address;
            match self {
                TrustedProxies::Count(count) if trusted >= *count => break,
                TrustedProxies::Count(_) => trusted += 1,
                _ if self.trusts(address) => {}
                _ => break,
            }
        }
        client
    }
}

/// A fixed one-minute window per client address on the form without tokens, in this
/// process's memory (`survey_submissions_per_minute`): the limit of a server on SQLite, the
/// only process on its database, and the fallback of servers on PostgreSQL, which share the
/// database's count (`chiso_store::jobs::hit`, `app::survey::intake`). Windows older than a
/// minute are swept when the map grows.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    /// Counts a submission from `ip`; false when the address is over `limit` this minute.
    pub fn allows(&self, ip: IpAddr, limit: u32) -> bool {
        let now = Instant::now();
        let window = Duration::from_secs(60);
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = map.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            return false;
        }
        entry.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 4000)
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let proxies = TrustedProxies::None;
        let forged = headers(&["6.6.6.6"]);
        assert_eq!(proxies.client_ip(&forged, peer("10.0.0.1")), ip("10.0.0.1"));
    }

    #[test]
    fn a_count_takes_the_hop_the_last_proxy_wrote() {
        let one = TrustedProxies::Count(1);
        // The client wrote "6.6.6.6"; the load balancer appended the real address.
        let list = headers(&["6.6.6.6, 203.0.113.7"]);
        assert_eq!(one.client_ip(&list, peer("10.0.0.1")), ip("203.0.113.7"));
        let two = TrustedProxies::Count(2);
        let list = headers(&["6.6.6.6, 203.0.113.7, 10.0.0.9"]);
        assert_eq!(two.client_ip(&list, peer("10.0.0.1")), ip("203.0.113.7"));
        // No header: the peer.
        assert_eq!(
            one.client_ip(&HeaderMap::new(), peer("10.0.0.1")),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn networks_skip_every_trusted_hop_from_the_right() {
        let proxies: TrustedProxies = "10.0.0.0/8, 192.168.1.5".parse().unwrap();
        let list = headers(&["6.6.6.6, 203.0.113.7", "10.2.3.4"]);
        assert_eq!(
            proxies.client_ip(&list, peer("192.168.1.5")),
            ip("203.0.113.7")
        );
        // A peer outside the networks is the client, whatever it claims.
        assert_eq!(
            proxies.client_ip(&list, peer("198.51.100.1")),
            ip("198.51.100.1")
        );
        // Garbage stops the walk at the last address a proxy vouched for.
        let garbage = headers(&["203.0.113.7, nonsense"]);
        assert_eq!(
            proxies.client_ip(&garbage, peer("10.0.0.1")),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn settings_parse_counts_networks_and_refuse_nonsense() {
        assert_eq!("".parse(), Ok(TrustedProxies::None));
        assert_eq!("2".parse(), Ok(TrustedProxies::Count(2)));
        assert!(matches!(
            "10.0.0.0/8,::1".parse::<TrustedProxies>(),
            Ok(TrustedProxies::Networks(n)) if n.len() == 2
        ));
        assert!("proxy.example".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn the_rate_limiter_counts_per_address_per_minute() {
        let limiter = RateLimiter::default();
        assert!(limiter.allows(ip("10.0.0.1"), 2));
        assert!(limiter.allows(ip("10.0.0.1"), 2));
        assert!(!limiter.allows(ip("10.0.0.1"), 2));
        assert!(limiter.allows(ip("10.0.0.2"), 2));
    }
}
