//! Why a cXML document was refused, and the cXML status code each reason answers with.

/// Why a cXML document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CxmlError {
    /// Larger than [`MAX_DOCUMENT_BYTES`](crate::MAX_DOCUMENT_BYTES).
    #[error("the document is {0} bytes; at most {max} are read", max = crate::MAX_DOCUMENT_BYTES)]
    TooLarge(usize),
    /// A `DOCTYPE` with an internal subset: entity declarations are never read.
    #[error("a DOCTYPE with an internal subset (entity declarations) is refused; send the cXML DOCTYPE with its SYSTEM identifier only")]
    InternalSubset,
    /// Not well-formed XML, or not the cXML this reads.
    #[error("malformed cXML: {0}")]
    Malformed(String),
    /// Well-formed, but a field is missing or wrong.
    #[error("`{field}`: {reason}")]
    Invalid {
        /// Where, as a path (`OrderRequestHeader@orderID`, `ItemOut[2]@quantity`).
        field: String,
        /// What is wrong.
        reason: String,
    },
}

impl CxmlError {
    /// A field problem.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        CxmlError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The cXML status this answers with. cXML gives 406 (Not Acceptable) to a request refused
    /// "likely due to a parsing failure" (too large, a refused DOCTYPE, not well-formed) and 400
    /// (Bad Request) to one that "parsed correctly" but is unacceptable (a field missing or
    /// wrong, lines whose amounts overflow).
    pub fn status(&self) -> crate::Status {
        match self {
            CxmlError::TooLarge(_) | CxmlError::InternalSubset | CxmlError::Malformed(_) => {
                crate::Status::NotAcceptable
            }
            CxmlError::Invalid { .. } => crate::Status::BadRequest,
        }
    }
}
