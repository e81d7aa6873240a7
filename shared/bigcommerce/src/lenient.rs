//! Lenient field decoders for values whose type drifts between BigCommerce endpoints
//! (`"12"` vs `12`, `""` vs `null`). Use with `#[serde(default, deserialize_with = "...")]`.

use serde::de::{self, Deserializer, Unexpected};
use serde::Deserialize;
use serde_json::Value;

fn describe(v: &Value) -> Unexpected<'_> {
    match v {
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
        Value::Number(_) => Unexpected::Other("number"),
        Value::Null => Unexpected::Unit,
    }
}

fn to_i64(v: &Value) -> Result<Option<i64>, Unexpected<'_>> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                // Whole floats within i64 (2^63 itself is out); never saturate a huge id.
                n.as_f64()
                    .filter(|f| {
                        f.fract() == 0.0
                            && *f >= -9.223_372_036_854_776e18
                            && *f < 9.223_372_036_854_776e18
                    })
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or(Unexpected::Other("a fractional or too large number")),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s.trim().parse::<i64>().map(Some).map_err(|_| describe(v)),
        other => Err(describe(other)),
    }
}

/// An optional integer given as a number, a numeric string, `""` or `null`.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Value::deserialize(d)?;
    to_i64(&v).map_err(|u| de::Error::invalid_type(u, &"an integer or a numeric string"))
}

/// A required integer given as a number or a numeric string.
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    opt_i64(d)?.ok_or_else(|| de::Error::custom("expected an integer, found nothing"))
}

/// An optional non-negative integer given as a number or a numeric string.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match opt_i64(d)? {
        Some(n) if n < 0 => Err(de::Error::custom("expected a non-negative integer")),
        other => Ok(other.map(|n| n as u64)),
    }
}

/// An optional decimal given as a number or a numeric string (v2 money fields are strings).
pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = Value::deserialize(d)?;
    match &v {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(n.as_f64()),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| de::Error::invalid_value(describe(&v), &"a decimal")),
        other => Err(de::Error::invalid_type(describe(other), &"a decimal")),
    }
}

/// An optional string given as a string or a number (`null` and `""` are `None`).
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(de::Error::invalid_type(
            describe(&other),
            &"a string or a number",
        )),
    }
}

/// A list that may come as `null` (treated as empty).
pub fn vec_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A list that may come as one object (a spec declaring one item where the answer is a list:
/// `GET /addresses`), as an array, or as `null` or `{}` (empty).
pub fn one_or_many<'de, D: Deserializer<'de>, T: de::DeserializeOwned>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::Object(m) if m.is_empty() => Ok(Vec::new()),
        one @ Value::Object(_) => T::deserialize(one)
            .map(|item| vec![item])
            .map_err(de::Error::custom),
        many => Vec::<T>::deserialize(many).map_err(de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Drift {
        #[serde(default, deserialize_with = "opt_i64")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "opt_string")]
        s: Option<String>,
        #[serde(default, deserialize_with = "opt_f64")]
        f: Option<f64>,
    }

    fn parse(json: &str) -> Result<Drift, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn string_or_number() {
        let a = parse(r#"{"n":"42","s":7,"f":"12.50"}"#).unwrap();
        assert_eq!(
            (a.n, a.s.as_deref(), a.f),
            (Some(42), Some("7"), Some(12.5))
        );
        let b = parse(r#"{"n":42,"s":"x","f":3}"#).unwrap();
        assert_eq!((b.n, b.s.as_deref(), b.f), (Some(42), Some("x"), Some(3.0)));
        let c = parse(r#"{"n":"","s":null,"f":null}"#).unwrap();
        assert_eq!((c.n, c.s, c.f), (None, None, None));
        let d = parse("{}").unwrap();
        assert_eq!(d.n, None);
    }

    #[derive(Debug, Deserialize)]
    struct Listing {
        #[serde(default, deserialize_with = "one_or_many")]
        data: Vec<Drift>,
    }

    #[test]
    fn one_object_is_a_list_of_one() {
        let read = |json: &str| {
            serde_json::from_str::<Listing>(json).map(|l| l.data.iter().map(|d| d.n).collect())
        };
        let ns: Vec<Option<i64>> = read(r#"{"data":{"n":"1"}}"#).unwrap();
        assert_eq!(ns, [Some(1)]);
        let ns: Vec<Option<i64>> = read(r#"{"data":[{"n":1},{"n":2}]}"#).unwrap();
        assert_eq!(ns, [Some(1), Some(2)]);
        for empty in [r#"{"data":null}"#, r#"{"data":{}}"#, r#"{"data":[]}"#, "{}"] {
            let ns: Vec<Option<i64>> = read(empty).unwrap();
            assert!(ns.is_empty(), "{empty}");
        }
        let e = read(r#"{"data":{"n":"forty"}}"#).unwrap_err().to_string();
        assert!(e.contains("integer or a numeric string"), "{e}");
        assert!(read(r#"{"data":"x"}"#).is_err());
    }

    #[test]
    fn garbage_is_a_clear_error_not_a_panic() {
        let e = parse(r#"{"n":"forty"}"#).unwrap_err().to_string();
        assert!(e.contains("integer or a numeric string"), "{e}");
        assert!(parse(r#"{"n":[1]}"#).is_err());
        assert!(parse(r#"{"n":1.5}"#).is_err());
        assert!(parse(r#"{"f":"abc"}"#).is_err());
    }
}
