//! Reviews (评价): what a customer may say about a confirmed order, what a provider may say
//! about a customer, and the Bayesian average that turns stars into a displayed rating.

use crate::DomainError;

/// Most photos one review may carry.
pub const MAX_PHOTOS: usize = 9;
/// Longest review or reply text, in characters.
pub const MAX_TEXT: usize = 500;
/// Longest report reason or customer-rating note, in characters.
pub const MAX_NOTE: usize = 200;
/// Days after confirmation before an unreviewed order gets the default positive review.
pub const DEFAULT_REVIEW_AFTER_DAYS: i64 = 7;

/// Prior mean of the Bayesian average, ×10 (4.5 stars).
pub const PRIOR_MEAN_X10: i64 = 45;
/// Weight of the prior, in reviews: the rating behaves as if every provider and service started
/// with this many 4.5-star reviews.
pub const PRIOR_WEIGHT: i64 = 5;

/// The displayed rating ×10 for `count` reviews whose stars add up to `sum`:
/// `(C·m + Σ stars) / (C + n)` with prior mean m = 4.5 and weight C = 5, rounded half up to one
/// decimal. One 5-star review gives (22.5 + 5) / 6 = 4.58 → 4.6, not 5.0; many 5-star reviews
/// approach 5.0. `None` without reviews (nothing is shown).
pub fn bayesian_x10(sum: i64, count: i64) -> Option<i64> {
    if count <= 0 {
        return None;
    }
    let num = PRIOR_WEIGHT * PRIOR_MEAN_X10 + 10 * sum;
    let den = PRIOR_WEIGHT + count;
    Some(((2 * num + den) / (2 * den)).clamp(10, 50))
}

/// A star score from 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stars(u8);

impl Stars {
    /// Five stars (the default positive review).
    pub const FIVE: Stars = Stars(5);

    /// Parses 1–5; anything else is `invalid stars`.
    pub fn new(n: i64) -> Result<Self, DomainError> {
        match u8::try_from(n) {
            Ok(v @ 1..=5) => Ok(Self(v)),
            _ => Err(DomainError::Invalid("stars")),
        }
    }

    /// The number.
    pub fn get(self) -> i64 {
        i64::from(self.0)
    }
}

fn text(field: &'static str, s: &str, max: usize) -> Result<String, DomainError> {
    let t = s.trim();
    if t.chars().count() > max {
        return Err(DomainError::TextLength { field, min: 0, max });
    }
    Ok(t.to_owned())
}

/// A checked review: overall stars, the three dimensions, text and how many photos.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewInput {
    /// Overall.
    pub stars: Stars,
    /// 准时 (on time).
    pub punctual: Stars,
    /// 专业 (skill).
    pub professional: Stars,
    /// 态度 (manner).
    pub attitude: Stars,
    /// Text, trimmed, at most [`MAX_TEXT`] characters.
    pub body: String,
    /// Shown as 匿名用户.
    pub anonymous: bool,
}

impl ReviewInput {
    /// Checks the raw values; `photos` is the number of photos attached. A dimension left out
    /// (0) takes the overall stars.
    pub fn parse(
        stars: i64,
        dims: [i64; 3],
        body: &str,
        photos: usize,
        anonymous: bool,
    ) -> Result<Self, DomainError> {
        let stars = Stars::new(stars)?;
        let dim = |d: i64| if d == 0 { Ok(stars) } else { Stars::new(d) };
        if photos > MAX_PHOTOS {
            return Err(DomainError::Invalid("photos (at most 9)"));
        }
        Ok(Self {
            stars,
            punctual: dim(dims[0])?,
            professional: dim(dims[1])?,
            attitude: dim(dims[2])?,
            body: text("text", body, MAX_TEXT)?,
            anonymous,
        })
    }

    /// The default positive review (系统默认好评): five stars everywhere, no text.
    pub fn default_positive() -> Self {
        Self {
            stars: Stars::FIVE,
            punctual: Stars::FIVE,
            professional: Stars::FIVE,
            attitude: Stars::FIVE,
            body: String::new(),
            anonymous: false,
        }
    }
}

/// A provider's reply, checked: 1–500 characters.
pub fn reply_text(s: &str) -> Result<String, DomainError> {
    let t = text("reply", s, MAX_TEXT)?;
    if t.is_empty() {
        return Err(DomainError::TextLength {
            field: "reply",
            min: 1,
            max: MAX_TEXT,
        });
    }
    Ok(t)
}

/// A report reason or customer-rating note, checked: 0–200 characters (a report needs 1).
pub fn note_text(field: &'static str, s: &str, required: bool) -> Result<String, DomainError> {
    let t = text(field, s, MAX_NOTE)?;
    if required && t.is_empty() {
        return Err(DomainError::TextLength {
            field,
            min: 1,
            max: MAX_NOTE,
        });
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_five_star_review_does_not_make_a_five() {
        assert_eq!(bayesian_x10(5, 1), Some(46));
        assert_eq!(bayesian_x10(0, 0), None);
        // Ten five-star reviews: (22.5 + 50) / 15 = 4.83.
        assert_eq!(bayesian_x10(50, 10), Some(48));
        // One one-star review: (22.5 + 1) / 6 = 3.92.
        assert_eq!(bayesian_x10(1, 1), Some(39));
        // A thousand fives approach 5.0.
        assert_eq!(bayesian_x10(5000, 1000), Some(50));
    }

    #[test]
    fn stars_and_lengths_are_checked() {
        assert!(ReviewInput::parse(0, [0; 3], "", 0, false).is_err());
        assert!(ReviewInput::parse(6, [0; 3], "", 0, false).is_err());
        assert!(ReviewInput::parse(5, [5, 7, 5], "", 0, false).is_err());
        assert!(ReviewInput::parse(5, [0; 3], "", 10, false).is_err());
        assert!(ReviewInput::parse(5, [0; 3], &"好".repeat(501), 0, false).is_err());
        let ok = ReviewInput::parse(4, [5, 0, 3], &"好".repeat(500), 9, true).unwrap();
        assert_eq!(ok.professional, Stars::new(4).unwrap());
        assert!(reply_text("  ").is_err());
    }
}
