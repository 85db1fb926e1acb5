//! What PDF/A-2b asks of a file beyond what [`super::bundle`] writes for every PDF: XMP metadata
//! that repeats the document information and declares the part and conformance, an sRGB output
//! intent with its ICC profile embedded, and a file identifier. The archive copy of a notice is
//! the only PDF/A tsuchi writes; its fonts are embedded as in every PDF, and nothing tsuchi draws
//! uses transparency, encryption, JavaScript or LZW.

use chrono::{DateTime, FixedOffset, SecondsFormat};

/// Document information.
pub struct Meta<'a> {
    pub title: &'a str,
    pub author: &'a str,
    pub subject: &'a str,
    pub created: DateTime<FixedOffset>,
}

/// The ICC v2 sRGB profile made by `scripts/make-srgb-icc` (public domain, `icc/LICENSE-sRGB.txt`).
pub const SRGB_ICC: &[u8] = include_bytes!("../../../icc/sRGB.icc");

/// The output intent's condition, as the ICC registry names sRGB.
const CONDITION: &str = "sRGB IEC61966-2.1";

/// The `/OutputIntents` array of the catalog, its profile in object `profile`.
pub fn output_intents(profile: usize) -> String {
    format!(
        "[<</Type/OutputIntent/S/GTS_PDFA1/OutputConditionIdentifier({CONDITION})/Info({CONDITION})\
         /RegistryName(http://www.color.org)/DestOutputProfile {profile} 0 R>>]"
    )
}

/// The XMP packet: the same title, author, subject, tool and dates as the document
/// information dictionary (PDF/A wants them equal), and `pdfaid` part 2, conformance B.
pub fn xmp(meta: &Meta, producer: &str) -> String {
    let date = meta.created.to_rfc3339_opts(SecondsFormat::Secs, false);
    let (title, author, subject, producer) =
        (escape(meta.title), escape(meta.author), escape(meta.subject), escape(producer));
    format!(
        "<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\" \
xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n\
<dc:format>application/pdf</dc:format>\n\
<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>\n\
<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>\n\
<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{subject}</rdf:li></rdf:Alt></dc:description>\n\
<xmp:CreatorTool>{producer}</xmp:CreatorTool>\n\
<xmp:CreateDate>{date}</xmp:CreateDate>\n\
<xmp:ModifyDate>{date}</xmp:ModifyDate>\n\
<xmp:MetadataDate>{date}</xmp:MetadataDate>\n\
<pdf:Producer>{producer}</pdf:Producer>\n\
<pdfaid:part>2</pdfaid:part>\n\
<pdfaid:conformance>B</pdfaid:conformance>\n\
</rdf:Description>\n\
</rdf:RDF>\n\
</x:xmpmeta>\n\
<?xpacket end=\"w\"?>"
    )
}

/// Text as XML character data.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 has no place for other control characters; names never hold them.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The trailer's `/ID`: two equal byte strings from the hash of the file's body, so that the
/// same copy always gets the same identifier.
pub fn file_id(body_hash: &[u8]) -> String {
    let hex: String = body_hash.iter().take(16).map(|b| format!("{b:02X}")).collect();
    format!("/ID[<{hex}><{hex}>]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_xmp_repeats_the_information_and_escapes_it() {
        let created = chrono::DateTime::parse_from_rfc3339("2026-04-01T09:00:00+09:00").unwrap();
        let meta = Meta { title: "通知", author: "A & B <連合会>", subject: "s", created };
        let xmp = xmp(&meta, "tsuchi");
        assert!(xmp.contains("<rdf:li>A &amp; B &lt;連合会&gt;</rdf:li>"), "{xmp}");
        assert!(xmp.contains("<xmp:CreateDate>2026-04-01T09:00:00+09:00</xmp:CreateDate>"), "{xmp}");
        assert!(xmp.contains("<pdfaid:part>2</pdfaid:part>") && xmp.contains("<pdfaid:conformance>B<"));
    }

    #[test]
    fn the_profile_is_an_icc_v2_rgb_display_profile() {
        assert_eq!(u32::from_be_bytes(SRGB_ICC[0..4].try_into().unwrap()) as usize, SRGB_ICC.len());
        assert_eq!(&SRGB_ICC[8..10], &[2, 0x10]);
        assert_eq!(&SRGB_ICC[12..24], b"mntrRGB XYZ ");
        assert_eq!(&SRGB_ICC[36..40], b"acsp");
    }
}
