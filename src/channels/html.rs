//! The HTML part of an e-mail from its plain text: everything escaped, links made clickable,
//! paragraphs and line breaks kept.

use linkify::{LinkFinder, LinkKind};

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>\n"),
            c => out.push(c),
        }
    }
}

/// Escaped text with `http(s)` links wrapped in anchors.
fn paragraph(text: &str, out: &mut String) {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]);
    for span in finder.spans(text) {
        let piece = span.as_str();
        let is_web = span.kind() == Some(&LinkKind::Url)
            && (piece.starts_with("https://") || piece.starts_with("http://"));
        if is_web {
            out.push_str("<a href=\"");
            escape(piece, out);
            out.push_str("\">");
            escape(piece, out);
            out.push_str("</a>");
        } else {
            escape(piece, out);
        }
    }
}

/// A small HTML document for the text.
pub fn from_text(text: &str, title: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2 + 256);
    out.push_str("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>");
    escape(title, &mut out);
    out.push_str("</title></head>\n<body style=\"font-family:sans-serif;line-height:1.5\">\n");
    for block in text.split("\n\n").filter(|block| !block.trim().is_empty()) {
        out.push_str("<p>");
        paragraph(block.trim_matches('\n'), &mut out);
        out.push_str("</p>\n");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::from_text;

    #[test]
    fn text_is_escaped_and_links_are_clickable() {
        let html = from_text(
            "Hi <b>Zoë</b> & co,\nplease pay: https://pay.example.com/p/a?x=1&y=2.\n\nBye",
            "Fees & <dues>",
        );
        assert!(html.contains("<title>Fees &amp; &lt;dues&gt;</title>"));
        assert!(html.contains("<p>Hi &lt;b&gt;Zoë&lt;/b&gt; &amp; co,<br>\nplease pay: "));
        assert!(html.contains(
            "<a href=\"https://pay.example.com/p/a?x=1&amp;y=2\">https://pay.example.com/p/a?x=1&amp;y=2</a>."
        ));
        assert!(html.contains("<p>Bye</p>"));
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn only_web_links_become_anchors() {
        let html = from_text("javascript:alert(1) and mailto:a@b.c", "t");
        assert!(!html.contains("<a "));
    }
}
