//! Optional GeoIP and ASN enrichment of `source.ip`, from MaxMind-format databases the user points
//! to (GeoLite2/GeoIP2 City and ASN, or anything with the same fields), filling the fields
//! Elastic's `geoip` processors write: `source.geo.{continent_name, country_iso_code,
//! country_name, region_iso_code, region_name, city_name, location}` and
//! `source.as.{number, organization.name}`.

use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

/// Opened databases.
pub struct GeoIp {
    city: Option<maxminddb::Reader<Vec<u8>>>,
    asn: Option<maxminddb::Reader<Vec<u8>>>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GeoIp {{ city: {}, asn: {} }}", self.city.is_some(), self.asn.is_some())
    }
}

#[derive(Deserialize, Default)]
struct Names {
    #[serde(default)]
    names: BTreeMap<String, String>,
    #[serde(default)]
    iso_code: Option<String>,
}

#[derive(Deserialize, Default)]
struct Location {
    latitude: Option<f64>,
    longitude: Option<f64>,
}

#[derive(Deserialize, Default)]
struct City {
    #[serde(default)]
    city: Names,
    #[serde(default)]
    continent: Names,
    #[serde(default)]
    country: Names,
    #[serde(default)]
    subdivisions: Vec<Names>,
    #[serde(default)]
    location: Location,
}

#[derive(Deserialize, Default)]
struct Asn {
    autonomous_system_number: Option<u64>,
    autonomous_system_organization: Option<String>,
}

/// Why a database could not be used.
#[derive(Debug)]
pub struct GeoIpError(pub String);

impl std::fmt::Display for GeoIpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn open(path: &Path) -> Result<maxminddb::Reader<Vec<u8>>, GeoIpError> {
    maxminddb::Reader::open_readfile(path)
        .map_err(|e| GeoIpError(format!("{}: not a MaxMind database: {e}", path.display())))
}

impl GeoIp {
    /// Open the City and/or ASN database.
    pub fn open(city: Option<&Path>, asn: Option<&Path>) -> Result<GeoIp, GeoIpError> {
        Ok(GeoIp { city: city.map(open).transpose()?, asn: asn.map(open).transpose()? })
    }

    /// The `source.geo` and `source.as` objects for an address (empty when nothing is known).
    pub fn lookup(&self, ip: IpAddr) -> (Option<Value>, Option<Value>) {
        let en = |n: &Names| n.names.get("en").cloned();
        let geo = self.city.as_ref().and_then(|r| r.lookup::<City>(ip).ok().flatten()).and_then(|c| {
            let mut g = Map::new();
            let mut set = |k: &str, v: Option<String>| {
                if let Some(v) = v {
                    g.insert(k.into(), Value::String(v));
                }
            };
            set("continent_name", en(&c.continent));
            set("country_iso_code", c.country.iso_code.clone());
            set("country_name", en(&c.country));
            if let Some(sub) = c.subdivisions.first() {
                let code = match (&c.country.iso_code, &sub.iso_code) {
                    (Some(cc), Some(sc)) => Some(format!("{cc}-{sc}")),
                    _ => None,
                };
                set("region_iso_code", code);
                set("region_name", en(sub));
            }
            set("city_name", en(&c.city));
            if let (Some(lat), Some(lon)) = (c.location.latitude, c.location.longitude) {
                g.insert("location".into(), json!({"lat": lat, "lon": lon}));
            }
            (!g.is_empty()).then_some(Value::Object(g))
        });
        let asn = self.asn.as_ref().and_then(|r| r.lookup::<Asn>(ip).ok().flatten()).and_then(|a| {
            let mut m = Map::new();
            if let Some(n) = a.autonomous_system_number {
                m.insert("number".into(), json!(n));
            }
            if let Some(o) = a.autonomous_system_organization {
                m.insert("organization".into(), json!({ "name": o }));
            }
            (!m.is_empty()).then_some(Value::Object(m))
        });
        (geo, asn)
    }
}
