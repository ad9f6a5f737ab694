//! Highlighting shared by every backend: the text is segmented the way it was indexed, tokens
//! that are query terms are wrapped in `<em>…</em>` (touching or overlapping ones merged), and
//! everything else is HTML-escaped, so a title containing `<script>` comes back inert.

use std::collections::BTreeSet;

use crate::analysis::Analyzer;

/// Characters of description a snippet shows.
pub const SNIPPET_CHARS: usize = 80;
/// Characters kept before the first match when a snippet has to start later.
const SNIPPET_LEAD_CHARS: usize = 12;

/// The whole text, escaped, with matched terms marked.
pub fn highlight(analyzer: &Analyzer, text: &str, terms: &BTreeSet<String>) -> String {
    let ranges = match_ranges(analyzer, text, terms);
    render(text, 0..text.len(), &ranges)
}

/// Up to [`SNIPPET_CHARS`] characters of `text` around its first match (from the start when
/// nothing matches), escaped, marked, runs of whitespace collapsed, `…` where it was cut.
pub fn snippet(analyzer: &Analyzer, text: &str, terms: &BTreeSet<String>) -> String {
    let ranges = match_ranges(analyzer, text, terms);
    let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    let first_match_char = ranges
        .first()
        .map_or(0, |r| starts.partition_point(|&b| b < r.0));
    // Prefer showing the lead-in before the match; never start so late that the window is
    // shorter than it could be.
    let from_char = first_match_char
        .saturating_sub(SNIPPET_LEAD_CHARS)
        .min(starts.len().saturating_sub(SNIPPET_CHARS));
    let to_char = (from_char + SNIPPET_CHARS).min(starts.len());
    let byte = |c: usize| starts.get(c).copied().unwrap_or(text.len());
    let window = byte(from_char)..byte(to_char);
    let mut out = String::new();
    if from_char > 0 {
        out.push('…');
    }
    out.push_str(render(text, window, &ranges).trim());
    if to_char < starts.len() {
        out.push('…');
    }
    out
}

/// Byte ranges of tokens that are query terms, sorted, overlapping or touching ones merged.
fn match_ranges(analyzer: &Analyzer, text: &str, terms: &BTreeSet<String>) -> Vec<(usize, usize)> {
    if terms.is_empty() {
        return Vec::new();
    }
    let mut ranges: Vec<(usize, usize)> = analyzer
        .index_tokens(text)
        .into_iter()
        .filter(|t| terms.contains(&t.text))
        .map(|t| (t.start, t.end))
        .collect();
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// Escapes `text[window]`, opening `<em>` where a range starts and closing it where it ends
/// (ranges are clipped to the window); whitespace runs become one space.
fn render(text: &str, window: std::ops::Range<usize>, ranges: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(window.len() + 16);
    let Some(slice) = text.get(window.clone()) else {
        return out;
    };
    let mut next = ranges.iter().peekable();
    let mut open_until: Option<usize> = None;
    let mut in_space = false;
    for (rel, c) in slice.char_indices() {
        let at = window.start + rel;
        if open_until.is_some_and(|end| at >= end) {
            out.push_str("</em>");
            open_until = None;
        }
        while next.peek().is_some_and(|r| r.1 <= at) {
            next.next();
        }
        if open_until.is_none()
            && let Some(&&(start, end)) = next.peek()
            && start <= at
        {
            out.push_str("<em>");
            open_until = Some(end);
            next.next();
        }
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
            continue;
        }
        in_space = false;
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    if open_until.is_some() {
        out.push_str("</em>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(t: &[&str]) -> BTreeSet<String> {
        t.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn matches_are_marked_and_markup_is_escaped() {
        let a = Analyzer::new();
        let out = highlight(
            &a,
            "<script>alert('x')</script> 专业保洁 & 开荒",
            &terms(&["保洁"]),
        );
        assert_eq!(
            out,
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; 专业<em>保洁</em> &amp; 开荒"
        );
    }

    #[test]
    fn overlapping_sub_words_merge_into_one_mark() {
        let a = Analyzer::new();
        let out = highlight(&a, "空调清洗", &terms(&["空调", "清洗", "空调清洗"]));
        assert_eq!(out, "<em>空调清洗</em>");
    }

    #[test]
    fn snippets_start_near_the_first_match_and_show_cuts() {
        let a = Analyzer::new();
        let text = format!(
            "{}我们提供专业开锁换锁芯服务{}",
            "前言".repeat(40),
            "后记".repeat(40)
        );
        let out = snippet(&a, &text, &terms(&["开锁"]));
        assert!(out.starts_with('…') && out.ends_with('…'), "{out}");
        assert!(out.contains("<em>开锁</em>"), "{out}");
        assert_eq!(
            out.replace("<em>", "").replace("</em>", "").chars().count(),
            SNIPPET_CHARS + 2
        );
        let short = snippet(&a, "上门 \n\n 开锁", &terms(&["开锁"]));
        assert_eq!(short, "上门 <em>开锁</em>");
    }
}
