//! The check made before a document is parsed: its size, and its prolog (no internal DTD
//! subset, so no entity is ever declared, let alone expanded or fetched).

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::CxmlError;

/// The largest document read: purchase orders of thousands of lines stay far below it.
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;

/// Refuses a document too large, one with a `DOCTYPE` that has an internal subset, and one
/// whose prolog is not well-formed; reads up to the root element only.
pub fn check_prolog(xml: &[u8]) -> Result<(), CxmlError> {
    if xml.len() > MAX_DOCUMENT_BYTES {
        return Err(CxmlError::TooLarge(xml.len()));
    }
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::DocType(d)) => {
                if d.contains('[') {
                    return Err(CxmlError::InternalSubset);
                }
            }
            Ok(Event::Start(_) | Event::Empty(_)) => return Ok(()),
            Ok(Event::Eof) => return Err(CxmlError::Malformed("no root element".into())),
            Ok(_) => {}
            Err(e) => return Err(CxmlError::Malformed(e.to_string())),
        }
        buf.clear();
    }
}

/// Reads `xml` into `T` once [`check_prolog`] let it through: UTF-8, well-formed, by serde.
/// Every reader of the crate goes through here, so none parses a document the guard refused.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(xml: &[u8]) -> Result<T, CxmlError> {
    check_prolog(xml)?;
    let text =
        std::str::from_utf8(xml).map_err(|e| CxmlError::Malformed(format!("not UTF-8: {e}")))?;
    quick_xml::de::from_str(text).map_err(|e| CxmlError::Malformed(e.to_string()))
}
