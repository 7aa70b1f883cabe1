//! What a file is, from its bytes: the kinds a firm may send clients, each with the extensions a
//! name may have. The name never decides the type; it only has to agree with the content.

/// A kind of document we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The `Content-Type` it is served with.
    pub content_type: &'static str,
    /// Extensions a name of this kind may end in.
    pub extensions: &'static [&'static str],
    /// Shown in the browser (`inline`) rather than downloaded.
    pub inline: bool,
}

const fn kind(
    content_type: &'static str,
    extensions: &'static [&'static str],
    inline: bool,
) -> Kind {
    Kind {
        content_type,
        extensions,
        inline,
    }
}

/// Kinds recognised by their signature (magic numbers, or the parts inside an Office zip).
const SIGNED: [Kind; 12] = [
    // Downloaded: Chrome's viewer refuses documents under the sandboxing CSP they are served
    // with, and the sandbox stays.
    kind("application/pdf", &["pdf"], false),
    kind("image/png", &["png"], true),
    kind("image/jpeg", &["jpg", "jpeg"], true),
    kind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &["docx"],
        false,
    ),
    kind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &["xlsx"],
        false,
    ),
    kind(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        &["pptx"],
        false,
    ),
    kind("application/msword", &["doc"], false),
    kind("application/vnd.ms-excel", &["xls"], false),
    kind("application/vnd.ms-powerpoint", &["ppt"], false),
    kind("application/vnd.oasis.opendocument.text", &["odt"], false),
    kind(
        "application/vnd.oasis.opendocument.spreadsheet",
        &["ods"],
        false,
    ),
    kind(
        "application/vnd.oasis.opendocument.presentation",
        &["odp"],
        false,
    ),
];

const PLAIN_TEXT: Kind = kind("text/plain; charset=utf-8", &["txt", "text"], true);
const CSV: Kind = kind("text/csv; charset=utf-8", &["csv"], false);

/// The kinds accepted, for messages.
pub const ACCEPTED: &str =
    "PDF, PNG, JPEG, plain text, CSV, Word, Excel, PowerPoint or OpenDocument";

fn extension(name: &str) -> Option<String> {
    let (_, extension) = name.rsplit_once('.')?;
    Some(extension.to_ascii_lowercase())
}

/// Text we serve as text: UTF-8 without NUL or other control characters than tab and line
/// breaks (a byte-order mark is allowed).
fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|text| {
        text.chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\u{feff}'))
    })
}

/// The kind a stored content type stands for.
fn stored(content_type: &str) -> Option<&'static Kind> {
    SIGNED
        .iter()
        .chain([&PLAIN_TEXT, &CSV])
        .find(|kind| kind.content_type == content_type)
}

/// Whether a stored content type is shown in the browser rather than downloaded.
pub fn is_inline(content_type: &str) -> bool {
    stored(content_type).is_some_and(|kind| kind.inline)
}

/// Whether `name` may be given to a document of this content type: its extension, if it has
/// one, must be one of the kind's.
pub fn check_name(content_type: &str, name: &str) -> Result<(), String> {
    let extensions = stored(content_type).map_or(&[][..], |kind| kind.extensions);
    match extension(name) {
        Some(extension) if !extensions.contains(&extension.as_str()) => Err(format!(
            "the file is named .{extension} but its content is {}: rename it or upload the right file",
            content_type.split(';').next().unwrap_or_default()
        )),
        _ => Ok(()),
    }
}

/// The kind of `bytes` named `name`, or why it is refused (for a 415).
pub fn detect(bytes: &[u8], name: &str) -> Result<Kind, String> {
    let found = match infer::get(bytes) {
        Some(inferred) => SIGNED
            .iter()
            .find(|kind| kind.content_type == inferred.mime_type())
            .copied()
            .ok_or_else(|| {
                format!(
                    "the file is {} ({}); accepted: {ACCEPTED}",
                    inferred.mime_type(),
                    inferred.extension()
                )
            })?,
        None if is_text(bytes) => match extension(name).as_deref() {
            Some("csv") => CSV,
            _ => PLAIN_TEXT,
        },
        None => {
            return Err(format!(
                "the file's type is not recognised; accepted: {ACCEPTED}"
            ));
        }
    };
    check_name(found.content_type, name)?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d,
    ];

    #[test]
    fn content_decides_and_the_name_must_agree() {
        assert_eq!(
            detect(PDF, "invoice.pdf").unwrap().content_type,
            "application/pdf"
        );
        assert_eq!(
            detect(PDF, "invoice").unwrap().content_type,
            "application/pdf"
        );
        assert_eq!(detect(PNG, "scan.PNG").unwrap().content_type, "image/png");
        // A PNG renamed .pdf, a program renamed .pdf, HTML renamed .pdf: refused.
        assert!(
            detect(PNG, "invoice.pdf")
                .unwrap_err()
                .contains("image/png")
        );
        let program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff";
        assert!(detect(program, "invoice.pdf").is_err());
        assert!(detect(b"<html><script>x()</script></html>", "invoice.pdf").is_err());
        assert!(detect(b"<html></html>", "page.html").is_err());
    }

    #[test]
    fn text_and_csv_are_utf8_without_controls() {
        assert_eq!(
            detect(b"name,amount\nAnn,125.00\n", "due.csv")
                .unwrap()
                .content_type,
            "text/csv; charset=utf-8"
        );
        assert_eq!(
            detect("Caf\u{e9} \u{2014} note\r\n".as_bytes(), "note.txt")
                .unwrap()
                .content_type,
            "text/plain; charset=utf-8"
        );
        assert!(detect(b"bin\x00ary", "data.txt").is_err());
        assert!(detect(&[0xff, 0xfe, 0x00], "data.txt").is_err());
    }
}
