//! Money as the Invoice Portal sends it: `{code, value}` with the value a decimal string
//! (`"349.5000"`) in answers, and a number or a string in requests depending on the route. An
//! [`Amount`] is exact (ten-thousandths of a unit, the portal's precision), so balances add up
//! without floating-point drift.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// Ten-thousandths of a currency unit per unit.
const SCALE: i64 = 10_000;

/// An exact amount of money, in ten-thousandths of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(i64);

/// Why a text is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an amount (a decimal with at most 4 places)")]
pub struct AmountError(pub String);

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount(0);

    /// The amount of `units` ten-thousandths.
    pub fn from_ten_thousandths(units: i64) -> Amount {
        Amount(units)
    }

    /// Its ten-thousandths.
    pub fn ten_thousandths(self) -> i64 {
        self.0
    }

    /// Parses `"12"`, `"-3.5"`, `"349.5000"`; more than 4 decimal places, or anything else, is
    /// refused.
    pub fn parse(text: &str) -> Result<Amount, AmountError> {
        let bad = || AmountError(text.to_owned());
        let t = text.trim();
        let (negative, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && frac.is_empty()) || !all_digits(whole) || !all_digits(frac) {
            return Err(bad());
        }
        if frac.len() > 4 {
            return Err(bad());
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let frac: i64 = format!("{frac:0<4}").parse().map_err(|_| bad())?;
        let units = whole
            .checked_mul(SCALE)
            .and_then(|w| w.checked_add(frac))
            .ok_or_else(bad)?;
        Ok(Amount(if negative { -units } else { units }))
    }

    /// The amount a JSON value holds: a decimal string or a number.
    pub fn from_json(v: &Value) -> Result<Amount, AmountError> {
        match v {
            Value::String(s) => Amount::parse(s),
            Value::Number(n) => Amount::parse(&n.to_string()),
            other => Err(AmountError(other.to_string())),
        }
    }

    /// The amount as the portal writes it: `"349.5000"`.
    pub fn to_decimal_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let scale = SCALE as u64;
        format!("{sign}{}.{:04}", abs / scale, abs % scale)
    }

    /// The amount as a JSON number (for the request fields the spec declares numbers).
    pub fn to_json_number(self) -> Value {
        serde_json::Number::from_f64(self.0 as f64 / SCALE as f64)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    /// True below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_decimal_string())
    }
}

impl std::str::FromStr for Amount {
    type Err = AmountError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Amount::parse(s)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_decimal_string())
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Amount::from_json(&v).map_err(de::Error::custom)
    }
}

/// An amount in a currency: the portal's `{code, value}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// The currency code (`USD`).
    pub code: String,
    /// The amount.
    pub value: Amount,
}

impl Money {
    /// `{code, value}` with the value as a JSON number (invoice create).
    pub fn numeric_json(&self) -> Value {
        serde_json::json!({"code": self.code, "value": self.value.to_json_number()})
    }

    /// `{code, value}` with the value as a decimal string (invoice update).
    pub fn string_json(&self) -> Value {
        serde_json::json!({"code": self.code, "value": self.value.to_decimal_string()})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly_and_print_as_the_portal_does() {
        for (text, units, printed) in [
            ("349.5000", 3_495_000, "349.5000"),
            ("12", 120_000, "12.0000"),
            ("-3.5", -35_000, "-3.5000"),
            ("0.0001", 1, "0.0001"),
            (".5", 5_000, "0.5000"),
        ] {
            let a = Amount::parse(text).unwrap();
            assert_eq!(a.ten_thousandths(), units, "{text}");
            assert_eq!(a.to_string(), printed);
        }
        for bad in [
            "",
            "-",
            "1.23456",
            "1,5",
            "abc",
            "1e3",
            "99999999999999999999",
        ] {
            assert!(Amount::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn money_decodes_strings_and_numbers_and_adds_without_drift() {
        let m: Money = serde_json::from_str(r#"{"code":"USD","value":100}"#).unwrap();
        assert_eq!(m.value, Amount::parse("100").unwrap());
        let tenth = Amount::parse("0.1").unwrap();
        let sum = (0..10).fold(Amount::ZERO, |s, _| s.checked_add(tenth).unwrap());
        assert_eq!(sum, Amount::parse("1").unwrap());
        assert_eq!(m.numeric_json()["value"], serde_json::json!(100.0));
        assert_eq!(m.string_json()["value"], "100.0000");
        assert!(serde_json::from_str::<Money>(r#"{"code":"USD","value":true}"#).is_err());
    }
}
