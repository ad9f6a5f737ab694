//! First-pass moderation of user text: service listings now, reviews and chat later.
//!
//! [`check`] answers [`Verdict::Pass`], [`Verdict::Review`] or [`Verdict::Reject`] for one piece
//! of text. It matches an admin-edited [`WordList`] against a normalised form of the text and,
//! independently of that list, looks for contact details (mobile and landline numbers, WeChat
//! ids, QQ numbers, email addresses): the platform forbids moving customers off-platform before a
//! booking, so contact details send the text to a human. This is a cheap filter in front of
//! human review, not a judge: it is tuned to catch the usual evasions while leaving ordinary
//! listing text (prices, areas, durations, years) alone.
//!
//! Everything here is pure: the caller loads the word list (admins edit it in the database),
//! builds a [`WordList`] once and reuses it for every check.
//!
//! # Normalisation
//!
//! [`normalize`] is a small, hand-written subset of NFKC plus filter-specific folding, applied
//! one character at a time (so it is idempotent):
//!
//! | input | becomes |
//! |---|---|
//! | full-width ASCII U+FF01–U+FF5E (`Ａ`, `１`, `：`, `＠`) | the half-width character |
//! | ASCII `A`–`Z` | `a`–`z` (other scripts keep their case) |
//! | any whitespace, including the ideographic space U+3000 | removed |
//! | zero-width and format characters (U+200B–U+200F, U+2060–U+2064, U+FEFF, soft hyphen U+00AD, bidi controls, variation selectors, tags, …) | removed |
//! | separator punctuation `. - _ * \| / \ ' " ,` `· • ・ ‧` hyphens and dashes U+2010–U+2015 `−`, curly quotes, `… 。 ， 、` | removed |
//!
//! Everything else is kept as is. For contact detection only, [`digits_view`] additionally
//! reads Chinese numerals as digits (零〇一二三四五六七八九, 壹贰叁肆伍陆柒捌玖, 幺 as spoken
//! for 1, ⓪①–⑨), so `一三八一二三四五六七八` is seen as `13812345678`.
//!
//! # Contact details
//!
//! Number detection works on runs of digits in the digits view, but remembers where a removed
//! character (space, separator, zero-width) split the run. A number must start and end at such a
//! split or at the end of the run: `138 1234 5678` and `1 3 8 1 2 3 4 5 6 7 8` are found, while
//! an unbroken `138123456789` (12 digits) is not a phone and `2026 年` or `120 元` never are.
//!
//! - mobile: `1[3-9]` and nine more digits, optionally after `86` / `0086` (`+86` works too),
//!   reported as the 11 national digits;
//! - landline: area code `010`, `02x` or `0[3-9]xx`, then a 7–8 digit local number not starting
//!   with 0 (`021-12345678`, `0755 1234 5678`);
//! - WeChat: a marker (微信 威信 薇信 徽信 v信 vx wx weixin wechat) followed, after at most three
//!   connector characters such as `:` `号` `是`, by an id of 6–20 letters and digits starting
//!   with a letter;
//! - QQ: a marker (qq 扣扣) followed the same way by 5–11 digits not starting with 0;
//! - email: `local@domain.tld`, read from a lighter view that keeps `.`, `-`, `_` and `+`.
//!
//! # Known limits
//!
//! - Numbers split by spaces or separators are joined, so a bare list of numbers whose groups
//!   add up to eleven digits starting with `1[3-9]` (`150 200 300 50`) is flagged as a phone.
//!   Any unit or Chinese character between them (`150 元`) prevents this. Such texts go to
//!   review, not rejection.
//! - Letters that look like digits (`O` for 0, `l` for 1), spelled-out numbers in pinyin or
//!   English, homoglyphs from other scripts, digits inside images, `a.b at example dot com`,
//!   400/800 service numbers and foreign numbers are not detected.
//! - Separators `_` and `-` are removed before WeChat ids are read, so the reported id (and its
//!   6-character minimum) counts letters and digits only: `abc_12345` is reported as `abc12345`.
//! - A WeChat or QQ marker without an id (`加微信详聊`) is not a contact detail here; admins can
//!   list such phrases as review words.
//! - Word matching is plain substring matching on the normalised text: a short listed word also
//!   matches inside longer innocent words, so admins should list specific phrases.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::DomainError;

/// How serious a listed word is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The text is held for a human to look at.
    Review,
    /// The text is refused outright.
    Reject,
}

impl Severity {
    /// Both severities, mildest first.
    pub const ALL: [Severity; 2] = [Self::Review, Self::Reject];

    /// Stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Review => "review",
            Self::Reject => "reject",
        }
    }

    /// Parses a stored or submitted name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|sev| sev.as_str() == s)
            .ok_or(DomainError::Invalid("severity"))
    }
}

/// One entry of the admin-edited word list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WordRule {
    /// The word or phrase as the admin typed it; [`WordList::new`] normalises it.
    pub word: String,
    /// What a match does to the text.
    pub severity: Severity,
}

impl WordRule {
    /// A rule for `word` with the given severity.
    pub fn new(word: impl Into<String>, severity: Severity) -> Self {
        Self {
            word: word.into(),
            severity,
        }
    }
}

/// A node of the word trie: children sorted by character for binary search.
#[derive(Clone, Default)]
struct Node {
    children: Vec<(char, usize)>,
    rule: Option<usize>,
}

/// The prepared word list: normalised, deduplicated words in a character trie.
///
/// Matching walks the trie from every position of the text, so its cost grows with the text
/// length times the longest word, not with the number of words.
#[derive(Clone)]
pub struct WordList {
    rules: Vec<WordRule>,
    nodes: Vec<Node>,
}

impl Default for WordList {
    fn default() -> Self {
        Self::new([])
    }
}

impl WordList {
    /// Builds the list. Each word is normalised like the text it will be matched against; words
    /// that normalise to nothing are ignored, and a word listed twice keeps its stronger
    /// severity.
    pub fn new(rules: impl IntoIterator<Item = WordRule>) -> Self {
        let mut strongest = HashMap::<String, Severity>::new();
        for rule in rules {
            let word = normalize(&rule.word);
            if word.is_empty() {
                continue;
            }
            let severity = strongest.entry(word).or_insert(rule.severity);
            *severity = (*severity).max(rule.severity);
        }
        let mut rules: Vec<WordRule> = strongest
            .into_iter()
            .map(|(word, severity)| WordRule { word, severity })
            .collect();
        // A stable order keeps findings and `rules()` deterministic across runs.
        rules.sort_by(|a, b| a.word.cmp(&b.word));

        let mut nodes = vec![Node::default()];
        for (index, rule) in rules.iter().enumerate() {
            let mut at = 0;
            for c in rule.word.chars() {
                at = match nodes[at].children.binary_search_by_key(&c, |&(k, _)| k) {
                    Ok(pos) => nodes[at].children[pos].1,
                    Err(pos) => {
                        let next = nodes.len();
                        nodes.push(Node::default());
                        nodes[at].children.insert(pos, (c, next));
                        next
                    }
                };
            }
            nodes[at].rule = Some(index);
        }
        Self { rules, nodes }
    }

    /// Number of distinct words after normalisation.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the list has no words.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The words as they are matched (normalised, deduplicated, sorted), so an admin can see
    /// what an entry turned into.
    pub fn rules(&self) -> &[WordRule] {
        &self.rules
    }

    /// Indices into `rules` of every listed word occurring in `text` (already normalised), in
    /// order of first occurrence.
    fn find(&self, text: &[char]) -> Vec<usize> {
        let mut found = Vec::new();
        if self.rules.is_empty() {
            return found;
        }
        let mut seen = vec![false; self.rules.len()];
        for start in 0..text.len() {
            let mut at = 0;
            for &c in &text[start..] {
                let children = &self.nodes[at].children;
                match children.binary_search_by_key(&c, |&(k, _)| k) {
                    Ok(pos) => at = children[pos].1,
                    Err(_) => break,
                }
                if let Some(index) = self.nodes[at].rule
                    && !seen[index]
                {
                    seen[index] = true;
                    found.push(index);
                }
            }
        }
        found
    }
}

impl FromIterator<WordRule> for WordList {
    fn from_iter<I: IntoIterator<Item = WordRule>>(iter: I) -> Self {
        Self::new(iter)
    }
}

// The trie is not interesting in a log line; the word count is.
impl fmt::Debug for WordList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WordList")
            .field("words", &self.rules.len())
            .finish()
    }
}

/// Why a finding was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// A listed word, with its severity.
    Word(Severity),
    /// A mainland mobile number.
    Phone,
    /// A mainland landline number with area code.
    Landline,
    /// A WeChat id after a WeChat marker.
    WeChat,
    /// A QQ number after a QQ marker.
    Qq,
    /// An email address.
    Email,
}

impl FindingKind {
    /// What this finding does to the text: contact details always need review.
    pub fn severity(self) -> Severity {
        match self {
            Self::Word(severity) => severity,
            Self::Phone | Self::Landline | Self::WeChat | Self::Qq | Self::Email => {
                Severity::Review
            }
        }
    }
}

/// One thing the filter matched, shown to the admin who reviews the text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Finding {
    /// What was found.
    pub kind: FindingKind,
    /// What matched, in normalised form: the listed word, the digits of a number, the id or
    /// the lower-cased address.
    pub matched: String,
}

// Contact details are personal data: Debug masks them so a stray `{:?}` of a verdict in a log
// line does not leak them. Admin pages read `matched` directly.
impl fmt::Debug for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = match self.kind {
            FindingKind::Word(_) => self.matched.clone(),
            FindingKind::Phone | FindingKind::Landline => crate::phone::mask(&self.matched),
            FindingKind::WeChat | FindingKind::Qq | FindingKind::Email => {
                let head: String = self.matched.chars().take(2).collect();
                format!("{head}****")
            }
        };
        f.debug_struct("Finding")
            .field("kind", &self.kind)
            .field("matched", &shown)
            .finish()
    }
}

/// The outcome of [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing found; the text may be published.
    Pass,
    /// A review word or a contact detail was found; a human decides.
    Review(Vec<Finding>),
    /// A reject word was found. The findings include any review findings too.
    Reject(Vec<Finding>),
}

impl Verdict {
    /// Everything that was found (empty for [`Verdict::Pass`]).
    pub fn findings(&self) -> &[Finding] {
        match self {
            Self::Pass => &[],
            Self::Review(findings) | Self::Reject(findings) => findings,
        }
    }

    /// Whether the text passed untouched.
    pub fn is_pass(&self) -> bool {
        matches!(self, Self::Pass)
    }
}

/// Checks one piece of user text against the word list and for contact details.
///
/// Reject if any reject word matched; otherwise Review if any review word or contact detail was
/// found; otherwise Pass. Findings list the words (in order of first occurrence), then phone
/// numbers, WeChat and QQ ids, then email addresses, each distinct match once.
pub fn check(text: &str, list: &WordList) -> Verdict {
    let classes: Vec<Class> = text.chars().map(classify).collect();
    let normalised: Vec<char> = classes.iter().filter_map(|c| c.kept()).collect();

    let mut findings: Vec<Finding> = list
        .find(&normalised)
        .into_iter()
        .map(|index| {
            let rule = &list.rules[index];
            Finding {
                kind: FindingKind::Word(rule.severity),
                matched: rule.word.clone(),
            }
        })
        .collect();
    let digits = digit_cells(&classes);
    find_numbers(&digits, &mut findings);
    find_marked_ids(&digits, &mut findings);
    find_emails(&email_cells(&classes), &mut findings);

    let mut seen = HashSet::new();
    findings.retain(|f| seen.insert((f.kind, f.matched.clone())));

    match findings.iter().map(|f| f.kind.severity()).max() {
        None => Verdict::Pass,
        Some(Severity::Review) => Verdict::Review(findings),
        Some(Severity::Reject) => Verdict::Reject(findings),
    }
}

/// The normalised form words are matched against: full-width folded, ASCII lower-cased,
/// whitespace, invisible characters and separator punctuation removed (see the module docs).
///
/// Idempotent: `normalize(&normalize(s)) == normalize(s)`.
pub fn normalize(text: &str) -> String {
    text.chars().filter_map(|c| classify(c).kept()).collect()
}

/// The view contact detection reads numbers from: [`normalize`] with Chinese numerals and
/// circled digits read as ASCII digits. Not for word matching (it would turn 一 in 一次 into 1).
pub fn digits_view(text: &str) -> String {
    normalize(text).chars().map(numeral).collect()
}

// ---------------------------------------------------------------------------------------------
// Folding

/// What one input character becomes once folded.
#[derive(Debug, Clone, Copy)]
enum Class {
    /// A character that carries meaning, already folded.
    Keep(char),
    /// Whitespace: removed, but splits the characters around it.
    Space,
    /// A zero-width or format character: removed.
    Invisible,
    /// Punctuation used to split words and numbers: removed from the normalised text, kept in
    /// the email view.
    Separator(char),
}

impl Class {
    fn kept(self) -> Option<char> {
        match self {
            Self::Keep(c) => Some(c),
            Self::Space | Self::Invisible | Self::Separator(_) => None,
        }
    }
}

fn classify(c: char) -> Class {
    let c = fold(c);
    if is_invisible(c) {
        Class::Invisible
    } else if c.is_whitespace() {
        Class::Space
    } else if is_separator(c) {
        Class::Separator(c)
    } else {
        Class::Keep(c)
    }
}

/// Full-width ASCII to half-width, ideographic space to space, ASCII to lower case. Folding a
/// folded character changes nothing, which is what makes `normalize` idempotent.
fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    c.to_ascii_lowercase()
}

/// Characters that render as nothing (or nearly nothing) and so can hide between letters.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' // soft hyphen
            | '\u{034F}' // combining grapheme joiner
            | '\u{061C}' // Arabic letter mark
            | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers
            | '\u{17B4}' | '\u{17B5}' // Khmer inherent vowels
            | '\u{180B}'..='\u{180F}' // Mongolian selectors and vowel separator
            | '\u{200B}'..='\u{200F}' // zero-width space, (non-)joiner, direction marks
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{206F}' // bidi isolates, deprecated format characters
            | '\u{FE00}'..='\u{FE0F}' // variation selectors
            | '\u{FEFF}' // zero-width no-break space / BOM
            | '\u{1D173}'..='\u{1D17A}' // musical formatting
            | '\u{E0000}'..='\u{E01EF}' // tags and variation selectors supplement
    )
}

/// Punctuation people put between characters to dodge a filter (`代.开.发.票`, `138-1234`).
/// Checked on folded characters, so full-width forms (`．`, `，`, `＿`) are covered too.
const SEPARATORS: &[char] = &[
    '.', '-', '_', '*', '|', '/', '\\', '\'', '"', ',',
    // · • ‧ and the katakana middle dots ・ ･
    '\u{00B7}', '\u{2022}', '\u{2027}', '\u{30FB}', '\u{FF65}',
    // hyphens and dashes U+2010–U+2015 (including —), and the minus sign −
    '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2014}', '\u{2015}', '\u{2212}',
    // curly quotes ‘ ’ “ ”, ellipsis …
    '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2026}',
    // 、 。 and their half-width forms
    '\u{3001}', '\u{3002}', '\u{FF64}', '\u{FF61}',
];

fn is_separator(c: char) -> bool {
    SEPARATORS.contains(&c)
}

/// Chinese numerals and circled digits as an ASCII digit; anything else unchanged.
fn numeral(c: char) -> char {
    match c {
        '零' | '〇' | '⓪' => '0',
        '一' | '壹' | '幺' | '①' => '1',
        '二' | '贰' | '②' => '2',
        '三' | '叁' | '③' => '3',
        '四' | '肆' | '④' => '4',
        '五' | '伍' | '⑤' => '5',
        '六' | '陆' | '⑥' => '6',
        '七' | '柒' | '⑦' => '7',
        '八' | '捌' | '⑧' => '8',
        '九' | '玖' | '⑨' => '9',
        _ => c,
    }
}

/// A character of a detection view and what was removed right before it.
#[derive(Debug, Clone, Copy)]
struct Cell {
    ch: char,
    /// Anything removed: whitespace, a separator or an invisible character.
    gap_before: bool,
    /// Whitespace in particular, which ends a word where `_` or `-` would not.
    space_before: bool,
}

/// The digits view ([`digits_view`]) with the places where removed characters split it.
fn digit_cells(classes: &[Class]) -> Vec<Cell> {
    let mut cells = Vec::with_capacity(classes.len());
    let (mut gap, mut space) = (false, false);
    for class in classes {
        match *class {
            Class::Keep(c) => {
                cells.push(Cell {
                    ch: numeral(c),
                    gap_before: gap,
                    space_before: space,
                });
                (gap, space) = (false, false);
            }
            Class::Space => (gap, space) = (true, true),
            Class::Invisible | Class::Separator(_) => gap = true,
        }
    }
    cells
}

/// The view emails are read from: folded, separators kept (they are part of addresses),
/// whitespace marked as gaps, invisible characters dropped. `。` reads as `.`.
fn email_cells(classes: &[Class]) -> Vec<Cell> {
    let mut cells = Vec::with_capacity(classes.len());
    let mut gap = false;
    for class in classes {
        match *class {
            Class::Keep(c) | Class::Separator(c) => {
                let ch = if matches!(c, '\u{3002}' | '\u{FF61}') {
                    '.'
                } else {
                    c
                };
                cells.push(Cell {
                    ch,
                    gap_before: gap,
                    space_before: gap,
                });
                gap = false;
            }
            Class::Space => gap = true,
            Class::Invisible => {}
        }
    }
    cells
}

// ---------------------------------------------------------------------------------------------
// Phone numbers

/// Finds mobile and landline numbers in every run of digits.
fn find_numbers(cells: &[Cell], out: &mut Vec<Finding>) {
    let mut i = 0;
    while i < cells.len() {
        if !cells[i].ch.is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut run = String::new();
        // `boundary[k]`: a number may start or end before the k-th digit of the run.
        let mut boundary = vec![true];
        while let Some(cell) = cells.get(i).filter(|c| c.ch.is_ascii_digit()) {
            if i > start {
                boundary.push(cell.gap_before);
            }
            run.push(cell.ch);
            i += 1;
        }
        boundary.push(true);
        scan_run(run.as_bytes(), &boundary, out);
    }
}

/// Reads numbers left to right from boundary to boundary, without overlaps.
fn scan_run(digits: &[u8], boundary: &[bool], out: &mut Vec<Finding>) {
    let mut s = 0;
    while s < digits.len() {
        if boundary[s]
            && let Some((from, end, kind)) = number_at(digits, boundary, s)
        {
            out.push(Finding {
                kind,
                matched: String::from_utf8_lossy(&digits[from..end]).into_owned(),
            });
            s = end;
        } else {
            s += 1;
        }
    }
}

/// The digits (start and end, without a country prefix) and kind of a phone number starting
/// at `s`, if one does and ends on a boundary.
fn number_at(digits: &[u8], boundary: &[bool], s: usize) -> Option<(usize, usize, FindingKind)> {
    let rest = &digits[s..];
    let ends_at = |len: usize| rest.len() >= len && boundary[s + len];

    // With a country prefix first, so the prefix is consumed rather than left as digits.
    for prefix in [&b"0086"[..], b"86", b""] {
        let len = prefix.len() + 11;
        if ends_at(len) && rest.starts_with(prefix) && is_mobile(&rest[prefix.len()..len]) {
            return Some((s + prefix.len(), s + len, FindingKind::Phone));
        }
    }

    let area = match rest {
        [b'0', b'1', b'0', ..] | [b'0', b'2', ..] => 3,
        [b'0', b'3'..=b'9', ..] => 4,
        _ => return None,
    };
    [8, 7]
        .into_iter()
        .map(|local| area + local)
        .find(|&len| ends_at(len) && rest[area] != b'0')
        .map(|len| (s, s + len, FindingKind::Landline))
}

fn is_mobile(d: &[u8]) -> bool {
    matches!(d, [b'1', b'3'..=b'9', ..]) && d.len() == 11
}

// ---------------------------------------------------------------------------------------------
// WeChat and QQ

/// A word that introduces a contact id. `gaps`: whether it is still recognised with spaces or
/// separators inside (`v x`, `微 信`); off for `wechat`, which would catch English "we chat".
struct Marker {
    text: &'static str,
    gaps: bool,
}

impl Marker {
    const fn new(text: &'static str, gaps: bool) -> Self {
        Self { text, gaps }
    }
}

const WECHAT_MARKERS: &[Marker] = &[
    Marker::new("微信", true),
    Marker::new("威信", true),
    Marker::new("薇信", true),
    Marker::new("徽信", true),
    Marker::new("v信", true),
    Marker::new("vx", true),
    Marker::new("wx", true),
    Marker::new("weixin", true),
    Marker::new("wechat", false),
];

const QQ_MARKERS: &[Marker] = &[Marker::new("qq", true), Marker::new("扣扣", true)];

/// Characters that may stand between a marker and the id: `微信号：abc123`, `QQ群 12345`.
const CONNECTORS: &[char] = &[
    ':', '=', '~', '>', '<', '(', '[', '#', '号', '码', '是', '为', '群', '【', '「', '『',
];

/// Ids are at most 20 characters; anything longer is ordinary text running on.
const WECHAT_ID_MAX: usize = 20;
const WECHAT_ID_MIN: usize = 6;

fn find_marked_ids(cells: &[Cell], out: &mut Vec<Finding>) {
    for i in 0..cells.len() {
        for marker in WECHAT_MARKERS {
            if let Some(end) = marker_end(cells, i, marker)
                && let Some(id) = wechat_id(cells, skip_connectors(cells, end))
            {
                out.push(Finding {
                    kind: FindingKind::WeChat,
                    matched: id,
                });
            }
        }
        for marker in QQ_MARKERS {
            if let Some(end) = marker_end(cells, i, marker)
                && let Some(number) = qq_number(cells, skip_connectors(cells, end))
            {
                out.push(Finding {
                    kind: FindingKind::Qq,
                    matched: number,
                });
            }
        }
    }
}

/// Where `marker` ends if it starts at `i`. A Latin marker must not continue a word
/// (`new xbox` is not `wx`), unless a space or separator stands before it.
fn marker_end(cells: &[Cell], i: usize, marker: &Marker) -> Option<usize> {
    let mut j = i;
    for (k, m) in marker.text.chars().enumerate() {
        let cell = cells.get(j)?;
        if cell.ch != m || (k > 0 && cell.gap_before && !marker.gaps) {
            return None;
        }
        j += 1;
    }
    let latin = marker.text.starts_with(|c: char| c.is_ascii_alphabetic());
    if latin && i > 0 && !cells[i].gap_before && cells[i - 1].ch.is_ascii_alphanumeric() {
        return None;
    }
    Some(j)
}

fn skip_connectors(cells: &[Cell], mut j: usize) -> usize {
    for _ in 0..3 {
        match cells.get(j) {
            Some(cell) if CONNECTORS.contains(&cell.ch) => j += 1,
            _ => break,
        }
    }
    j
}

/// A WeChat id starting at `j`: a letter, then letters and digits (`_` and `-` are already
/// removed). Spaces inside are skipped until the id is long enough (`l i n l i 2026`); after
/// that a space ends it, so following English words are not swallowed.
fn wechat_id(cells: &[Cell], j: usize) -> Option<String> {
    if !cells.get(j)?.ch.is_ascii_lowercase() {
        return None;
    }
    let mut id = String::new();
    for cell in &cells[j..] {
        if !(cell.ch.is_ascii_lowercase() || cell.ch.is_ascii_digit())
            || (id.len() >= WECHAT_ID_MIN && cell.space_before)
        {
            break;
        }
        id.push(cell.ch);
        if id.len() == WECHAT_ID_MAX {
            break;
        }
    }
    (id.len() >= WECHAT_ID_MIN).then_some(id)
}

/// A QQ number starting at `j`: 5–11 digits, not starting with 0, ending at a split or the
/// end of the digits (so `QQ 12345678 2026年` reads 12345678).
fn qq_number(cells: &[Cell], j: usize) -> Option<String> {
    if !matches!(cells.get(j)?.ch, '1'..='9') {
        return None;
    }
    // One digit past the maximum is enough to know whether the run goes on.
    let run: Vec<Cell> = cells[j..]
        .iter()
        .take_while(|c| c.ch.is_ascii_digit())
        .take(12)
        .copied()
        .collect();
    let ends_after = |len: usize| match run.get(len) {
        Some(next) => next.gap_before,
        None => run.len() <= 11,
    };
    let len = (5..=run.len().min(11)).rev().find(|&len| ends_after(len))?;
    Some(run[..len].iter().map(|c| c.ch).collect())
}

// ---------------------------------------------------------------------------------------------
// Email

fn is_local_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-')
}

/// Finds `local@domain.tld` around every `@`. Spaces are allowed next to `@` and around dots
/// of the domain (`a.b @ example . com`), not elsewhere, so surrounding words stay out.
fn find_emails(cells: &[Cell], out: &mut Vec<Finding>) {
    for (at, cell) in cells.iter().enumerate() {
        if cell.ch != '@' {
            continue;
        }
        let mut start = at;
        while start > 0 && at - start < 64 {
            if !is_local_char(cells[start - 1].ch) || (start < at && cells[start].gap_before) {
                break;
            }
            start -= 1;
        }
        while start < at && !cells[start].ch.is_ascii_alphanumeric() {
            start += 1;
        }
        if start == at {
            continue;
        }

        let mut end = at + 1;
        while let Some(c) = cells.get(end) {
            let joined = end == at + 1 || !c.gap_before || c.ch == '.' || cells[end - 1].ch == '.';
            if !is_domain_char(c.ch) || !joined || end - at > 253 {
                break;
            }
            end += 1;
        }
        while end > at + 1 && !cells[end - 1].ch.is_ascii_alphanumeric() {
            end -= 1;
        }
        let domain: String = cells[at + 1..end].iter().map(|c| c.ch).collect();
        if is_domain(&domain) {
            let local: String = cells[start..at].iter().map(|c| c.ch).collect();
            out.push(Finding {
                kind: FindingKind::Email,
                matched: format!("{local}@{domain}"),
            });
        }
    }
}

/// At least two non-empty labels, the last one two or more letters.
fn is_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn list() -> WordList {
        WordList::new([
            WordRule::new("代开发票", Severity::Reject),
            WordRule::new("私下交易", Severity::Review),
            WordRule::new("Viagra", Severity::Reject),
            WordRule::new("赌", Severity::Review),
            WordRule::new("赌博", Severity::Reject),
        ])
    }

    fn kinds(v: &Verdict) -> Vec<FindingKind> {
        v.findings().iter().map(|f| f.kind).collect()
    }

    fn found(text: &str, kind: FindingKind) -> Vec<String> {
        check(text, &WordList::default())
            .findings()
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| f.matched.clone())
            .collect()
    }

    #[test]
    fn normalize_folds_width_case_spaces_invisibles_and_separators() {
        assert_eq!(normalize("Ｈｅｌｌｏ　Ｗｏｒｌｄ！"), "helloworld!");
        assert_eq!(
            normalize("代\u{200B}开\u{200D}发\u{FEFF}票\u{00AD}"),
            "代开发票"
        );
        assert_eq!(normalize("代.开-发_票*a|b/c\\d'e\"f,g"), "代开发票abcdefg");
        assert_eq!(normalize("代·开•发。票，好、的—啊…"), "代开发票好的啊");
        assert_eq!(normalize("ＶＸ：Linli\t2026\n"), "vx:linli2026");
        assert_eq!(normalize(""), "");
        // Other scripts keep their case: only ASCII is folded by hand.
        assert_eq!(normalize("ÄБ"), "ÄБ");
    }

    #[test]
    fn digits_view_reads_chinese_numerals() {
        assert_eq!(digits_view("一三八 一二三四 五六七八"), "13812345678");
        assert_eq!(digits_view("壹贰叁肆伍陆柒捌玖零〇幺"), "123456789001");
        assert_eq!(digits_view("①②③⑨⓪"), "12390");
        assert_eq!(digits_view("两室一厅"), "两室1厅");
        // Word matching does not see digits for numerals.
        assert_eq!(normalize("一次"), "一次");
    }

    #[test]
    fn word_list_normalises_ignores_empty_and_keeps_the_stronger_duplicate() {
        let list = WordList::new([
            WordRule::new("  ", Severity::Reject),
            WordRule::new("\u{200B}·", Severity::Reject),
            WordRule::new("", Severity::Review),
            WordRule::new("私下 交易", Severity::Review),
            WordRule::new("私下交易", Severity::Reject),
            WordRule::new("ＡＢＣ", Severity::Review),
            WordRule::new("abc", Severity::Review),
        ]);
        assert_eq!(list.len(), 2);
        assert_eq!(
            list.rules(),
            [
                WordRule::new("abc", Severity::Review),
                WordRule::new("私下交易", Severity::Reject),
            ]
        );
        assert!(WordList::default().is_empty());
        let collected: WordList = [WordRule::new("x", Severity::Review)].into_iter().collect();
        assert_eq!(collected.len(), 1);
        assert_eq!(format!("{list:?}"), "WordList { words: 2 }");
    }

    #[test]
    fn severity_names_round_trip() {
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Ok(s));
        }
        assert_eq!(
            Severity::parse("block"),
            Err(DomainError::Invalid("severity"))
        );
        assert!(Severity::Reject > Severity::Review);
    }

    #[test]
    fn evasions_of_a_listed_word_are_caught() {
        let list = list();
        for text in [
            "代开发票",
            "本店可代开发票哦",
            "代 开 发 票",
            "代\u{3000}开\u{3000}发\u{3000}票",
            "代\u{200B}开\u{200C}发\u{2060}票",
            "代.开-发_票",
            "代·开•发|票",
            "代*开/发\\票",
            "ＶＩＡＧＲＡ",
            "v i A g R a",
            "v\u{00AD}i\u{FEFF}a.g.r.a",
        ] {
            let verdict = check(text, &list);
            assert!(matches!(verdict, Verdict::Reject(_)), "{text}: {verdict:?}");
            assert!(
                kinds(&verdict).contains(&FindingKind::Word(Severity::Reject)),
                "{text}"
            );
        }
    }

    #[test]
    fn review_word_gives_review_with_the_normalised_word() {
        let verdict = check("可以 私下·交易 吗", &list());
        assert_eq!(
            verdict,
            Verdict::Review(vec![Finding {
                kind: FindingKind::Word(Severity::Review),
                matched: "私下交易".into(),
            }])
        );
    }

    #[test]
    fn overlapping_words_are_all_reported_once() {
        let verdict = check("赌博 赌博 赌", &list());
        let matched: Vec<&str> = verdict
            .findings()
            .iter()
            .map(|f| f.matched.as_str())
            .collect();
        assert_eq!(matched, ["赌", "赌博"]);
        assert!(matches!(verdict, Verdict::Reject(_)));
    }

    #[test]
    fn phone_spellings_are_found() {
        for text in [
            "13812345678",
            "电话 138 1234 5678",
            "138-1234-5678",
            "138.1234.5678",
            "+86 13812345678",
            "1 3 8 1 2 3 4 5 6 7 8",
            "一三八一二三四五六七八",
            "壹叁捌 壹贰叁肆 伍陆柒捌",
            "①③⑧①②③④⑤⑥⑦⑧",
            "幺三八一二三四五六七八",
            "1\u{200B}3\u{200B}8\u{200C}1\u{200D}2\u{2060}3\u{FEFF}4\u{00AD}5\u{200B}6\u{200B}7\u{200B}8",
            "１３８１２３４５６７８",
            "138 一二三四 5678 联系我",
            "找我 13812345678 谢谢",
        ] {
            let verdict = check(text, &WordList::default());
            assert!(matches!(verdict, Verdict::Review(_)), "{text}: {verdict:?}");
            assert_eq!(found(text, FindingKind::Phone), ["13812345678"], "{text}");
        }
    }

    #[test]
    fn country_prefixes_are_dropped_from_the_reported_number() {
        for text in [
            "+8613812345678",
            "8613812345678",
            "0086 138 1234 5678",
            "+86-138-1234-5678",
        ] {
            assert_eq!(found(text, FindingKind::Phone), ["13812345678"], "{text}");
        }
    }

    #[test]
    fn several_phones_are_each_reported_once() {
        assert_eq!(
            found(
                "13812345678 或 139 8765 4321，再说一遍 13812345678",
                FindingKind::Phone
            ),
            ["13812345678", "13987654321"]
        );
    }

    #[test]
    fn digit_runs_that_are_not_phones_are_left_alone() {
        for text in [
            "138 元",
            "1381234567",
            "138123456789",
            "12812345678",
            "订单号 20260501123",
            "2026 年 5 月 1 日",
            "1,200 元",
            "13:00-18:00",
        ] {
            assert_eq!(
                found(text, FindingKind::Phone),
                Vec::<String>::new(),
                "{text}"
            );
        }
    }

    #[test]
    fn known_false_positive_a_bare_list_of_numbers() {
        // Documented limit: groups joined by spaces that add up to a mobile number are read as
        // one. A unit between them is enough to keep them apart.
        assert_eq!(found("150 200 300 50", FindingKind::Phone), ["15020030050"]);
        assert!(found("150 元 200 元 300 元 50 元", FindingKind::Phone).is_empty());
    }

    #[test]
    fn landlines_are_found() {
        for (text, digits) in [
            ("021-12345678", "02112345678"),
            ("0755 1234 5678", "075512345678"),
            ("座机：010-8765-4321", "01087654321"),
            ("0571-8765432", "05718765432"),
            ("〇二一 一二三四五六七八", "02112345678"),
        ] {
            let verdict = check(text, &WordList::default());
            assert!(matches!(verdict, Verdict::Review(_)), "{text}");
            assert_eq!(found(text, FindingKind::Landline), [digits], "{text}");
        }
        // A 0 after the area code, or an area code that does not exist, is not a landline.
        assert!(found("021-01234567", FindingKind::Landline).is_empty());
        assert!(found("013-12345678", FindingKind::Landline).is_empty());
        assert!(found("0755 1234", FindingKind::Landline).is_empty());
    }

    #[test]
    fn wechat_ids_are_found() {
        for (text, id) in [
            ("加微信 abc_12345", "abc12345"),
            ("vx：linli2026", "linli2026"),
            ("VX: Linli2026", "linli2026"),
            ("微信号：linli_home 欢迎咨询", "linlihome"),
            ("威信 abc123456", "abc123456"),
            ("薇信是abcdef", "abcdef"),
            ("v信 hello123", "hello123"),
            ("wx=zhang-san-88", "zhangsan88"),
            ("WeChat: linli2026 for details", "linli2026"),
            ("wei xin linli2026", "linli2026"),
            ("微 信 l i n l i 2026", "linli2026"),
            ("my vx is abc123", "isabc123"),
        ] {
            let verdict = check(text, &WordList::default());
            assert!(matches!(verdict, Verdict::Review(_)), "{text}");
            assert_eq!(found(text, FindingKind::WeChat), [id], "{text}");
        }
        // Ids are at most 20 characters: the rest is reported cut off, still caught.
        assert_eq!(
            found("vx abcdefghijklmnopqrstuvwxyz", FindingKind::WeChat),
            ["abcdefghijklmnopqrst"]
        );
    }

    #[test]
    fn wechat_markers_without_an_id_or_inside_words_are_not_contacts() {
        for text in [
            "支持微信支付和支付宝",
            "加微信详聊",
            "微信 12345",
            "vx abc12",
            "new xbox controller repair",
            "we chat about your needs first",
            "TV xbox setup",
        ] {
            assert_eq!(
                found(text, FindingKind::WeChat),
                Vec::<String>::new(),
                "{text}"
            );
        }
    }

    #[test]
    fn qq_numbers_are_found() {
        for (text, number) in [
            ("QQ 12345678", "12345678"),
            ("qq号：987654321", "987654321"),
            ("扣扣 12345", "12345"),
            ("QQ群 123456 欢迎", "123456"),
            ("QQ 12345678 2026年", "12345678"),
            ("q q 一二三四五六", "123456"),
        ] {
            let verdict = check(text, &WordList::default());
            assert!(matches!(verdict, Verdict::Review(_)), "{text}");
            assert_eq!(found(text, FindingKind::Qq), [number], "{text}");
        }
        for text in ["QQ 1234", "QQ 012345", "QQ音乐", "QQ 123456789012"] {
            assert!(found(text, FindingKind::Qq).is_empty(), "{text}");
        }
    }

    #[test]
    fn emails_are_found() {
        for (text, email) in [
            ("a.b@example.com", "a.b@example.com"),
            ("邮箱是a.b@example.com谢谢", "a.b@example.com"),
            ("联系 A.B@Example.COM。", "a.b@example.com"),
            ("Ａ．Ｂ＠ＥＸＡＭＰＬＥ．ＣＯＭ", "a.b@example.com"),
            (
                "write to zhang_san+x @ mail.example . cn now",
                "zhang_san+x@mail.example.cn",
            ),
            ("12345@qq。com", "12345@qq.com"),
        ] {
            let verdict = check(text, &WordList::default());
            assert!(matches!(verdict, Verdict::Review(_)), "{text}");
            assert_eq!(found(text, FindingKind::Email), [email], "{text}");
        }
        for text in ["@张师傅 你好", "abc@qq", "a@b.c", "价格@120元", "x@.com"] {
            assert!(found(text, FindingKind::Email).is_empty(), "{text}");
        }
    }

    #[test]
    fn clean_listing_texts_pass() {
        let list = list();
        for text in [
            "专业家庭保洁，两室一厅 3 小时，收费 120 元，面积 90 平米，2026 年新服务",
            "上门维修空调，2026年5月1日起营业，营业时间 9:00-18:00，起步价 80 元",
            "搬家服务：3 名师傅、2 小时、300 元起，超出按 150 元/小时计",
            "宠物寄养每天 60 元，可接 10 公斤以下犬猫，一对一照顾",
            "支持微信支付和支付宝，下单后平台托管资金",
            "钢琴陪练 45 分钟/节，第一次课免费，三年教龄",
            "开荒保洁 ¥12/平米，100-200 平米另议",
            "Deep cleaning for 2-3 bedroom flats, 4 hours, 2 cleaners",
        ] {
            assert_eq!(check(text, &list), Verdict::Pass, "{text}");
        }
        assert!(check("", &list).is_pass());
    }

    #[test]
    fn a_reject_word_wins_over_review_findings() {
        let verdict = check("代开发票，私下交易加微信 abc12345 或 13812345678", &list());
        let Verdict::Reject(findings) = &verdict else {
            panic!("expected reject: {verdict:?}");
        };
        let kinds: Vec<FindingKind> = findings.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [
                FindingKind::Word(Severity::Reject),
                FindingKind::Word(Severity::Review),
                FindingKind::Phone,
                FindingKind::WeChat,
            ]
        );
    }

    #[test]
    fn debug_masks_contact_details_but_not_words() {
        let verdict = check("代开发票 13812345678 a.b@example.com", &list());
        let shown = format!("{verdict:?}");
        assert!(shown.contains("代开发票"), "{shown}");
        assert!(shown.contains("138****5678"), "{shown}");
        assert!(!shown.contains("13812345678"), "{shown}");
        assert!(!shown.contains("example"), "{shown}");
        // The admin still sees the real value.
        assert!(
            verdict
                .findings()
                .iter()
                .any(|f| f.matched == "13812345678")
        );
    }

    #[test]
    fn findings_severity_follows_kind() {
        assert_eq!(FindingKind::Phone.severity(), Severity::Review);
        assert_eq!(FindingKind::Email.severity(), Severity::Review);
        assert_eq!(
            FindingKind::Word(Severity::Reject).severity(),
            Severity::Reject
        );
        assert!(Verdict::Pass.findings().is_empty());
    }

    #[test]
    fn a_few_thousand_words_over_a_few_thousand_characters() {
        let words = (0..3000).map(|i| WordRule::new(format!("违禁词{i:04}"), Severity::Review));
        let list = WordList::new(words);
        assert_eq!(list.len(), 3000);
        let text = "违禁词".repeat(1000) + "违禁词2999";
        assert_eq!(
            check(&text, &list),
            Verdict::Review(vec![Finding {
                kind: FindingKind::Word(Severity::Review),
                matched: "违禁词2999".into(),
            }])
        );
    }

    /// Characters that exercise every path of the filter.
    fn tricky() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "1",
            "3",
            "8",
            "0",
            "5",
            "9",
            "一",
            "三",
            "八",
            "零",
            "①",
            " ",
            "-",
            ".",
            "_",
            "\u{200B}",
            "\u{3000}",
            "\u{FEFF}",
            "+",
            "@",
            "。",
            "微信",
            "vx",
            "v",
            "x",
            "qq",
            "扣扣",
            ":",
            "号",
            "a",
            "B",
            "z",
            "com",
            "元",
            "代",
            "开",
            "发",
            "票",
            "Ａ",
            "１",
            "\u{FF01}",
            "\u{FF5E}",
            "é",
            "İ",
            "\u{E0001}",
        ]);
        prop::collection::vec(pieces, 0..80).prop_map(|v| v.concat())
    }

    /// Separators and invisible characters an evader might put between characters.
    fn splitter() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "", " ", "  ", "-", ".", "_", "*", "·", "•", "|", "/", "\u{200B}", "\u{200D}",
            "\u{FEFF}", "\u{3000}", "\u{00AD}", "，", "。", "、", "—", "…",
        ])
    }

    proptest! {
        #[test]
        fn check_never_panics(s in ".{0,300}") {
            let _ = check(&s, &list());
        }

        #[test]
        fn check_never_panics_on_tricky_text(s in tricky()) {
            let _ = check(&s, &list());
        }

        #[test]
        fn normalize_is_idempotent(s in ".{0,200}") {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once);
        }

        #[test]
        fn normalize_is_idempotent_on_tricky_text(s in tricky()) {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once);
        }

        #[test]
        fn digits_view_is_what_number_detection_reads(s in tricky()) {
            let classes: Vec<Class> = s.chars().map(classify).collect();
            let cells: String = digit_cells(&classes).iter().map(|c| c.ch).collect();
            prop_assert_eq!(cells, digits_view(&s));
        }

        #[test]
        fn split_mobile_numbers_are_always_found(
            second in 3u8..=9,
            rest in "[0-9]{9}",
            splits in prop::collection::vec(splitter(), 10),
        ) {
            let number = format!("1{second}{rest}");
            let mut text = String::from("请联系");
            for (digit, split) in number.chars().zip(splits.iter().chain([&""])) {
                text.push(digit);
                text.push_str(split);
            }
            text.push_str("预约");
            let verdict = check(&text, &WordList::default());
            prop_assert!(matches!(verdict, Verdict::Review(_)), "{}", text);
            prop_assert_eq!(found(&text, FindingKind::Phone), vec![number]);
        }

        #[test]
        fn split_listed_words_are_always_caught(
            word in prop::sample::select(vec!["代开发票", "赌博", "viagra"]),
            splits in prop::collection::vec(splitter(), 6),
            upper in any::<bool>(),
        ) {
            let mut text = String::from("本店");
            for (c, split) in word.chars().zip(splits.iter()) {
                text.push(if upper { c.to_ascii_uppercase() } else { c });
                text.push_str(split);
            }
            prop_assert!(matches!(check(&text, &list()), Verdict::Reject(_)), "{}", text);
        }

        #[test]
        fn prices_areas_durations_and_years_pass(
            price in 0u32..100_000,
            area in 0u32..1000,
            hours in 0u32..24,
            year in 1990u32..2100,
        ) {
            let text = format!("收费 {price} 元，面积 {area} 平米，{hours} 小时，{year} 年");
            prop_assert_eq!(check(&text, &list()), Verdict::Pass, "{}", text);
        }
    }
}
