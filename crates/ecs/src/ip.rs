//! IP addresses and CIDR blocks as Elasticsearch's `ip` type compares them: IPv4 addresses live
//! in the IPv4-mapped IPv6 space (`::ffff:a.b.c.d`), so every address is one 128-bit number.

use std::net::IpAddr;

/// An address as a 128-bit number in IPv6 space.
pub fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// Parse an address the way the `ip` field type accepts it.
pub fn parse_ip(s: &str) -> Option<u128> {
    s.trim().parse::<IpAddr>().ok().map(to_u128)
}

/// An address or a CIDR block, as an inclusive range of 128-bit addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    pub lo: u128,
    pub hi: u128,
}

impl IpRange {
    pub fn contains(&self, ip: u128) -> bool {
        self.lo <= ip && ip <= self.hi
    }
}

/// Parse `10.0.0.0/8`, `2001:db8::/32` or a single address.
pub fn parse_cidr(s: &str) -> Option<IpRange> {
    let s = s.trim();
    let Some((addr, bits)) = s.split_once('/') else {
        let ip = parse_ip(s)?;
        return Some(IpRange { lo: ip, hi: ip });
    };
    let ip: IpAddr = addr.parse().ok()?;
    let bits: u32 = bits.parse().ok()?;
    let prefix = match ip {
        IpAddr::V4(_) if bits <= 32 => bits + 96,
        IpAddr::V6(_) if bits <= 128 => bits,
        _ => return None,
    };
    let base = to_u128(ip);
    let host_mask = if prefix == 0 { u128::MAX } else { (1u128 << (128 - prefix)).wrapping_sub(1) };
    let host_mask = if prefix == 128 { 0 } else { host_mask };
    Some(IpRange { lo: base & !host_mask, hi: base | host_mask })
}
