//! Provider reliability (履约可靠度): a score from 0 to 100 for ranking and for the provider's
//! own page, computed over the last [`WINDOW_DAYS`] days from six parts.
//!
//! The score starts at 100 and each part takes off points, up to its cap:
//!
//! | part | deduction | cap |
//! |---|---|---|
//! | cancellations by the provider (`provider_cancel` marks) | 10 each | 30 |
//! | no-shows (`no_show` marks) | 15 each | 30 |
//! | missed acceptance deadlines (`missed_deadline` marks) | 5 each | 15 |
//! | disputes lost (complaints resolved against the provider) | 10 each | 20 |
//! | response time: median minutes from payment to acceptance | ≤ 30: 0, ≤ 120: 3, ≤ 720: 6, more: 10 | 10 |
//! | ratings: average stars ×10, floored (`rating_sum`, `rating_count`) | 1 per tenth of a star below 4.5 | 15 |
//!
//! The score is `max(0, 100 − Σ deductions)`. Without accepted orders the response part keeps
//! full marks; without reviews the ratings part does too.

use linli_domain::{
    ids::ProviderId,
    time::{DAY_MS, MINUTE_MS, Timestamp},
};
use linli_store::ReliabilityInputs;

use crate::{Actor, App, AppError, AppResult};

/// Days of history the score looks at.
pub const WINDOW_DAYS: i64 = 90;

/// One part of the score.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReliabilityPart {
    /// `provider_cancels`, `no_shows`, `missed_deadlines`, `disputes_lost`, `response_time`,
    /// `ratings`.
    pub key: String,
    /// The measured value: a count, the median minutes (−1 without data) or average stars ×10
    /// (−1 without reviews).
    pub value: i64,
    /// Points this part takes off.
    pub deduction: i64,
    /// Most points this part can take off.
    pub max_deduction: i64,
}

/// A provider's reliability score with its parts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reliability {
    /// 0–100.
    pub score: i64,
    /// Days of history counted.
    pub window_days: i64,
    /// The parts, in the order of the module's table.
    pub parts: Vec<ReliabilityPart>,
}

fn part(key: &str, value: i64, deduction: i64, max: i64) -> ReliabilityPart {
    ReliabilityPart {
        key: key.to_owned(),
        value,
        deduction: deduction.clamp(0, max),
        max_deduction: max,
    }
}

/// Median of sorted-or-not samples (the lower middle for an even count).
fn median(samples: &[i64]) -> Option<i64> {
    let mut s = samples.to_vec();
    s.sort_unstable();
    s.get(s.len().checked_sub(1)? / 2).copied()
}

/// The score from its inputs (pure; see the module table).
pub fn score(i: &ReliabilityInputs) -> Reliability {
    let response_min = median(&i.response_ms).map(|ms| ms.max(0) / MINUTE_MS);
    let response = match response_min {
        None => 0,
        Some(m) if m <= 30 => 0,
        Some(m) if m <= 120 => 3,
        Some(m) if m <= 720 => 6,
        Some(_) => 10,
    };
    let avg_x10 = (i.rating_count > 0).then(|| i.rating_sum * 10 / i.rating_count);
    let parts = vec![
        part(
            "provider_cancels",
            i.provider_cancels,
            i.provider_cancels * 10,
            30,
        ),
        part("no_shows", i.no_shows, i.no_shows * 15, 30),
        part(
            "missed_deadlines",
            i.missed_deadlines,
            i.missed_deadlines * 5,
            15,
        ),
        part("disputes_lost", i.disputes_lost, i.disputes_lost * 10, 20),
        part("response_time", response_min.unwrap_or(-1), response, 10),
        part(
            "ratings",
            avg_x10.unwrap_or(-1),
            avg_x10.map_or(0, |a| 45 - a),
            15,
        ),
    ];
    let total: i64 = parts.iter().map(|p| p.deduction).sum();
    Reliability {
        score: (100 - total).max(0),
        window_days: WINDOW_DAYS,
        parts,
    }
}

impl App {
    /// A provider's reliability now (for ranking and the provider's page).
    pub async fn reliability_of(&self, provider: ProviderId) -> AppResult<Reliability> {
        let since = Timestamp(self.now().0 - WINDOW_DAYS * DAY_MS);
        Ok(score(
            &self.store.reliability_inputs(provider, since).await?,
        ))
    }

    /// The signed-in provider's own reliability.
    pub async fn my_reliability(&self, actor: &Actor) -> AppResult<Reliability> {
        let m = actor.member()?;
        let p = self
            .store
            .provider_by_user(m.id)
            .await?
            .ok_or(AppError::Forbidden)?;
        self.reliability_of(p.id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_record_scores_full_marks() {
        assert_eq!(score(&ReliabilityInputs::default()).score, 100);
    }

    #[test]
    fn parts_take_off_points_up_to_their_caps() {
        let r = score(&ReliabilityInputs {
            provider_cancels: 5,
            no_shows: 1,
            missed_deadlines: 1,
            disputes_lost: 1,
            response_ms: vec![10 * MINUTE_MS, 200 * MINUTE_MS, 40 * MINUTE_MS],
            rating_sum: 47,
            rating_count: 10,
        });
        let d: Vec<i64> = r.parts.iter().map(|p| p.deduction).collect();
        assert_eq!(d, [30, 15, 5, 10, 3, 0]);
        assert_eq!(r.score, 37);
    }
}
