//! Where the search use cases spend their time outside the engine, modelled on the reads the
//! code makes today:
//! - `App::search`, per page: the catalogue (`categories`) once, then per hit its `listing` and
//!   `listing_view`'s `provider`;
//! - `App::reindex_all`: the catalogue once, each provider (`provider`, `service_areas`) once
//!   (its `DocCache`), and the listings in key-set pages (`published_after`), whose cost does
//!   not grow with depth (timed at the start and after a listing deep in the catalogue).
//!
//! Each call is timed alone, one after another on a quiet machine (after the measured
//! rounds), and the medians are multiplied out. These are estimates that explain the ratios,
//! not figures the goal is judged on; what a reindex spends beyond them is the index's own work.

use std::{
    future::Future,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use linli_domain::ids::ListingId;
use linli_store::Store;

use super::queries::PER_PAGE;
use crate::stats::median_duration;

/// Calls timed per store method.
const CALLS: usize = 200;
/// The page size `App::reindex_all` reads with.
const REINDEX_PAGE: i64 = 500;

/// Median time of each read.
pub struct StoreCosts {
    listing: Duration,
    provider: Duration,
    categories: Duration,
    service_areas: Duration,
    first_page: Duration,
    deep_page: Duration,
    docs: usize,
    providers: usize,
}

async fn median_of<F, Fut, T>(calls: usize, mut call: F) -> Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = linli_store::StoreResult<T>>,
{
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        call().await?;
        times.push(t.elapsed());
    }
    Ok(median_duration(&times))
}

/// Times the reads against `listing` (a hit of the mix) and its provider, for a catalogue of
/// `docs` listings over `providers` providers.
pub async fn measure(
    store: &dyn Store,
    listing: &str,
    docs: usize,
    providers: usize,
) -> Result<StoreCosts> {
    let id: ListingId = listing.parse().context("a hit id is not a listing id")?;
    let provider = store
        .listing(id)
        .await?
        .context("a hit's listing is missing")?
        .provider_id;
    Ok(StoreCosts {
        listing: median_of(CALLS, || store.listing(id)).await?,
        provider: median_of(CALLS, || store.provider(provider)).await?,
        categories: median_of(CALLS, || store.categories()).await?,
        service_areas: median_of(CALLS, || store.service_areas(provider)).await?,
        first_page: median_of(5, || store.published_after(None, REINDEX_PAGE)).await?,
        deep_page: median_of(5, || store.published_after(Some(id), REINDEX_PAGE)).await?,
        docs,
        providers,
    })
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

impl StoreCosts {
    /// Prints the estimate for one page of search and for a full reindex.
    pub fn print(&self) {
        let per_hit = self.listing + self.provider;
        let per_page = per_hit * PER_PAGE + self.categories;
        println!(
            "  where the time goes outside the engine (store reads timed alone, median of {CALLS}):"
        );
        println!(
            "    App::search, per page: categories {:.0} µs once, per hit listing {:.0} µs + \
             provider {:.0} µs; {PER_PAGE} hits = {} reads ≈ {:.1} ms of store time per page",
            us(self.categories),
            us(self.listing),
            us(self.provider),
            2 * PER_PAGE + 1,
            per_page.as_secs_f64() * 1e3
        );
        let per_provider = self.provider + self.service_areas;
        let providers = u32::try_from(self.providers).unwrap_or(u32::MAX);
        let pages = self.docs.div_ceil(REINDEX_PAGE as usize);
        let paging = (self.first_page + self.deep_page) / 2 * u32::try_from(pages).unwrap_or(0);
        println!(
            "    App::reindex_all: categories once, per provider provider {:.0} µs + \
             service_areas {:.0} µs ≈ {:.1} s for {} providers; published_after page of \
             {REINDEX_PAGE} first {:.1} ms, deep {:.1} ms ≈ {:.1} s for {pages} pages; \
             the rest of a reindex is the index's own work",
            us(self.provider),
            us(self.service_areas),
            (per_provider * providers).as_secs_f64(),
            self.providers,
            self.first_page.as_secs_f64() * 1e3,
            self.deep_page.as_secs_f64() * 1e3,
            paging.as_secs_f64()
        );
    }
}
