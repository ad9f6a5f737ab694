//! The listing part of the storage port: service listings, the moderation word list, and the
//! outbox events written with listing changes.

use async_trait::async_trait;
use linli_domain::{
    ids::{AddressId, ListingId, ProviderId, UserId},
    listing::{ListingAction, PriceOption, SopItem},
    time::Timestamp,
};

use crate::StoreResult;

/// A stored photo and its thumbnail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PhotoRef {
    /// Full image name.
    pub photo: String,
    /// Thumbnail name.
    pub thumb: String,
}

/// A listing.
#[derive(Debug, Clone)]
pub struct ListingRow {
    /// Id.
    pub id: ListingId,
    /// Owner.
    pub provider_id: ProviderId,
    /// Category slug.
    pub category: String,
    /// Title.
    pub title: String,
    /// Description (plain text).
    pub description: String,
    /// Pricing unit (`fixed`, `hour`, `sqm`, `item`).
    pub unit: String,
    /// Base price per unit, in 分.
    pub price_fen: i64,
    /// Minimum units.
    pub min_units: i64,
    /// Estimated minutes.
    pub minutes: i64,
    /// Variants and add-ons.
    pub options: Vec<PriceOption>,
    /// Service standard.
    pub sop: Vec<SopItem>,
    /// Attribute values: (name, value).
    pub attributes: Vec<(String, String)>,
    /// Photos, in display order.
    pub photos: Vec<PhotoRef>,
    /// Status.
    pub status: String,
    /// Operator's reason for rejecting.
    pub review_note: Option<String>,
    /// What the automatic filter flagged (for reviewers).
    pub flags: String,
    /// Orders sold (filled by the booking issue).
    pub sales: i64,
    /// Cancellation policy (`flexible`, `standard`, `strict`).
    pub cancel_policy: String,
    /// Accepted on payment, without the provider's confirmation.
    pub instant_book: bool,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A listing that can be booked now, with what booking it at one address needs, as
/// [`ListingStore::bookable_listing`] reads it in one statement.
#[derive(Debug, Clone)]
pub struct BookableListing {
    /// The listing.
    pub listing: ListingRow,
    /// The provider's account.
    pub provider_user: UserId,
    /// The deposit (保证金) the listing's category requires, 分: the larger of its own and its
    /// parent's requirement (0 when none).
    pub deposit_required_fen: i64,
    /// The customer's address asked for (None when it is not theirs or does not exist).
    pub address: Option<crate::AddressRow>,
    /// The provider's service areas, oldest first.
    pub areas: Vec<crate::AreaRow>,
}

/// Listing persistence. Each call is one transaction; changes write an outbox event.
#[async_trait]
pub trait ListingStore: Send + Sync {
    /// Inserts a new listing (status `draft`) or replaces the content of an existing one owned
    /// by the same provider while it is editable. Someone else's listing: NotFound.
    async fn save_listing(&self, row: &ListingRow, now: Timestamp) -> StoreResult<()>;
    /// Applies a status change; `owner` restricts it to that provider's listing. `flags` is
    /// stored with a submission.
    async fn transition_listing(
        &self,
        id: ListingId,
        owner: Option<ProviderId>,
        action: ListingAction,
        note: Option<&str>,
        flags: &str,
        now: Timestamp,
    ) -> StoreResult<ListingRow>;
    /// One listing.
    async fn listing(&self, id: ListingId) -> StoreResult<Option<ListingRow>>;
    /// A published listing whose provider is approved and not suspended, with the provider's
    /// account, the deposit its category requires, the provider's service areas and `user`'s
    /// address `address`: what booking at that address needs, in one read.
    async fn bookable_listing(
        &self,
        id: ListingId,
        user: UserId,
        address: AddressId,
    ) -> StoreResult<Option<BookableListing>>;
    /// A provider's listings, newest change first.
    async fn listings_of(&self, provider: ProviderId) -> StoreResult<Vec<ListingRow>>;
    /// Listings by status, oldest change first, with the total.
    async fn list_listings(
        &self,
        status: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<ListingRow>, i64)>;
    /// Published listings in any of `categories`, best sellers first, with the total.
    async fn published_in(
        &self,
        categories: &[String],
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<ListingRow>, i64)>;
    /// Published listings with ids after `after` (all of them when `None`), in id order: a
    /// key-set walk over the whole catalogue for reindexing, each page one index range scan.
    async fn published_after(
        &self,
        after: Option<ListingId>,
        limit: i64,
    ) -> StoreResult<Vec<ListingRow>>;
    /// Adds (true) or removes (false) a favourite; returns whether it is now a favourite.
    async fn set_favourite(
        &self,
        user: UserId,
        listing: ListingId,
        on: bool,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Whether a listing is a favourite of the user.
    async fn is_favourite(&self, user: UserId, listing: ListingId) -> StoreResult<bool>;
    /// The user's favourite listings, newest first.
    async fn favourites(&self, user: UserId) -> StoreResult<Vec<ListingRow>>;
    /// Follows (true) or unfollows (false) a provider; returns whether followed now.
    async fn set_follow(
        &self,
        user: UserId,
        provider: ProviderId,
        on: bool,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Whether the user follows the provider, and the provider's follower count.
    async fn follow_state(
        &self,
        user: Option<UserId>,
        provider: ProviderId,
    ) -> StoreResult<(bool, i64)>;
    /// Providers the user follows: (id, display name), newest first.
    async fn follows(&self, user: UserId) -> StoreResult<Vec<(ProviderId, String)>>;
    /// Records a search (for history and hot words).
    async fn log_search(
        &self,
        user: Option<UserId>,
        query: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// A user's recent distinct searches, newest first.
    async fn search_history(&self, user: UserId, limit: i64) -> StoreResult<Vec<String>>;
    /// Hides a user's history (the rows still count towards hot words, anonymously).
    async fn clear_search_history(&self, user: UserId) -> StoreResult<()>;
    /// The most searched queries since `since`: (query, count).
    async fn hot_searches(&self, since: Timestamp, limit: i64) -> StoreResult<Vec<(String, i64)>>;
    /// Synonym groups: (id, words).
    async fn synonym_groups(&self) -> StoreResult<Vec<(String, Vec<String>)>>;
    /// Adds a synonym group.
    async fn add_synonym_group(
        &self,
        id: &str,
        words: &[String],
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Removes a synonym group.
    async fn delete_synonym_group(&self, id: &str) -> StoreResult<()>;
    /// The moderation word list: (word, severity).
    async fn moderation_words(&self) -> StoreResult<Vec<(String, String)>>;
    /// Adds or updates a word.
    async fn put_moderation_word(
        &self,
        word: &str,
        severity: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Removes a word (missing is fine).
    async fn delete_moderation_word(&self, word: &str) -> StoreResult<()>;
    /// Unprocessed outbox events (id, topic, payload), oldest first.
    async fn pending_events(&self, limit: i64) -> StoreResult<Vec<(String, String, String)>>;
    /// Marks events processed.
    async fn mark_events_processed(&self, ids: &[String], now: Timestamp) -> StoreResult<()>;
}
