//! Connections made on a tenant's behalf go only to public addresses: a host a business names
//! (its SMTP server) is resolved and refused when any of its addresses is loopback, private,
//! link-local (cloud metadata), unique-local, shared, documentation, multicast or unspecified.
//! Checked when the host is saved and again when connecting, to the address that was checked,
//! so a name that changes its answer in between (DNS rebinding) gains nothing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not public, or `None` when it is.
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_reason(v4),
            None => v6_reason(v6),
        },
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local (cloud metadata lives here)")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared (carrier-grade NAT)")
    } else if ip.is_documentation()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a >= 240
        || (a == 192 && b == 0 && c == 0)
    {
        Some("reserved")
    } else if a == 198 && (18..20).contains(&b) {
        Some("reserved (benchmarking)")
    } else {
        None
    }
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_unspecified() {
        Some("unspecified")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if first & 0xfe00 == 0xfc00 {
        Some("unique-local")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if ip.is_multicast() || first == 0x2001 && ip.segments()[1] == 0x0db8 {
        Some("reserved")
    } else if first == 0x0064 && ip.segments()[1] == 0xff9b {
        // NAT64 maps IPv4 into this prefix: judge the IPv4 address it carries.
        let [.., c, d] = ip.segments();
        let [w, x] = c.to_be_bytes();
        let [y, z] = d.to_be_bytes();
        v4_reason(Ipv4Addr::new(w, x, y, z))
    } else {
        None
    }
}

/// Resolves `host` and returns its addresses when every one is public; otherwise says why not,
/// in words fit for the business that named it.
pub async fn resolve_public(host: &str) -> Result<Vec<IpAddr>, String> {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host, 0))
            .await
            .map_err(|_| format!("{host} does not resolve"))?
            .map(|address| address.ip())
            .collect(),
    };
    if addresses.is_empty() {
        return Err(format!("{host} does not resolve"));
    }
    for address in &addresses {
        if let Some(reason) = non_public_reason(*address) {
            return Err(format!(
                "{host} resolves to a {reason} address, which businesses may not use (the operator can allow it with ALLOW_PRIVATE_PROVIDER_HOSTS)"
            ));
        }
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_and_public_ones_pass() {
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            let ip: IpAddr = refused.parse().unwrap();
            assert!(non_public_reason(ip).is_some(), "{refused} passed");
        }
        for allowed in ["8.8.8.8", "2606:4700:4700::1111", "93.184.216.34"] {
            let ip: IpAddr = allowed.parse().unwrap();
            assert_eq!(non_public_reason(ip), None, "{allowed} refused");
        }
    }

    #[tokio::test]
    async fn names_are_resolved_before_they_are_judged() {
        assert!(resolve_public("localhost").await.is_err());
        assert!(resolve_public("[::1]").await.is_err());
        assert_eq!(
            resolve_public("8.8.8.8").await.unwrap(),
            vec!["8.8.8.8".parse::<IpAddr>().unwrap()]
        );
    }
}
