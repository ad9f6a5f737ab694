//! Journeys several test files share: demo data, and a customer's orders with the demo
//! provider taken through the whole service (paid, accepted, checked in, service code,
//! checklist, completed, confirmed).

use linli_app::{
    Actor,
    orders::{OrderForm, ScheduleForm},
    profile::AddressFields,
    visits::{CheckInForm, ServiceCodeForm},
};
use linli_domain::{
    ids::{OrderId, ProviderId},
    time::{Clock, Day, MINUTE_MS},
};
use linli_store::{ListingRow, TokenKind};

use super::{TestApp, tiny_png};

pub async fn actor(t: &TestApp, phone: &str) -> Actor {
    let u = t.app.store.user_by_phone(phone).await.unwrap().unwrap();
    let s = t.app.start_web_session(u.id).await.unwrap();
    t.app
        .authenticate(&s.secret, TokenKind::Session)
        .await
        .unwrap()
}

/// The demo world ready to book: the first demo customer with an address the demo provider
/// serves, the provider's shortest published listing, working hours 08:00–22:00 on weekdays
/// and Saturday (capacity 2), and a bookable day two or more days ahead.
pub struct Booking {
    pub customer: Actor,
    pub provider: Actor,
    pub provider_id: ProviderId,
    pub listing: ListingRow,
    pub address: String,
    pub day: Day,
}

impl Booking {
    /// Seeds the demo data and prepares the booking.
    pub async fn demo(t: &TestApp) -> Self {
        linli_app::seed::seed_demo(&t.app).await.unwrap();
        let customer = actor(t, linli_app::seed::DEMO_CUSTOMERS[0].0).await;
        let provider = actor(t, linli_app::seed::DEMO_PROVIDER_PHONE).await;
        let p = t
            .app
            .store
            .provider_by_user(provider.member().unwrap().id)
            .await
            .unwrap()
            .unwrap();
        let district = t
            .app
            .store
            .service_areas(p.id)
            .await
            .unwrap()
            .iter()
            .find_map(|a| a.districts.first().cloned())
            .unwrap();
        let address = t
            .app
            .save_address(
                &customer,
                None,
                &AddressFields {
                    district_code: district,
                    detail: "幸福路 8 号".into(),
                    contact_name: "王小明".into(),
                    contact_phone: "13912345678".into(),
                    is_default: true,
                },
            )
            .await
            .unwrap()
            .id;
        let listing = t
            .app
            .store
            .listings_of(p.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|l| l.status == "published")
            .min_by_key(|l| {
                if l.unit == "hour" {
                    l.min_units * 60
                } else {
                    l.minutes
                }
            })
            .unwrap();
        let mut weekly = vec!["08:00-22:00".to_owned(); 6];
        weekly.push(String::new());
        t.app
            .save_schedule(
                &provider,
                &ScheduleForm {
                    weekly,
                    exceptions: String::new(),
                    capacity: 2,
                    min_notice_min: 120,
                    horizon_days: 14,
                    buffer_min: 0,
                },
            )
            .await
            .unwrap();
        let mut day = Day::of(t.clock.now()).plus_days(2);
        while day.weekday_index() == 6 {
            day = day.plus_days(1);
        }
        Self {
            customer,
            provider,
            provider_id: p.id,
            listing,
            address,
            day,
        }
    }

    /// The order form for a start time on the booking day.
    pub fn form(&self, time: &str) -> OrderForm {
        OrderForm {
            listing: self.listing.id.to_string(),
            variant: None,
            addons: Vec::new(),
            units: None,
            address: self.address.clone(),
            date: self.day.to_string(),
            time: time.into(),
            note: String::new(),
        }
    }

    /// Places an order at `time`, pays it and has the provider accept it.
    pub async fn place_paid(&self, t: &TestApp, time: &str) -> OrderId {
        let o = t
            .app
            .place_order(&self.customer, &self.form(time))
            .await
            .unwrap();
        let id: OrderId = o.id.parse().unwrap();
        t.app.mark_paid(id).await.unwrap();
        if t.app.store.order(id).await.unwrap().unwrap().status == "awaiting_acceptance" {
            t.app
                .answer_order(&self.provider, id, true, "")
                .await
                .unwrap();
        }
        id
    }

    /// Books the provider's published hourly service (fewest minimum hours) from now on.
    pub async fn hourly(mut self, t: &TestApp) -> Self {
        self.listing = t
            .app
            .store
            .listings_of(self.provider_id)
            .await
            .unwrap()
            .into_iter()
            .filter(|l| l.status == "published" && l.unit == "hour")
            .min_by_key(|l| l.min_units)
            .expect("the demo provider has an hourly service");
        self
    }

    /// Moves the clock to the order's check-in time and has the provider do the whole job
    /// through to `completed`.
    pub async fn serve(&self, t: &TestApp, id: OrderId) {
        self.serve_taking(t, id, 0).await;
    }

    /// [`Booking::serve`], checking out `minutes` after checking in (an hourly job that runs
    /// over ends `awaiting_supplement`).
    pub async fn serve_taking(&self, t: &TestApp, id: OrderId, minutes: i64) {
        let provider = &self.provider;
        let o = t.app.store.order(id).await.unwrap().unwrap();
        let now = t.clock.now().0;
        if o.start_at.0 - 30 * MINUTE_MS > now {
            t.clock.advance_ms(o.start_at.0 - 30 * MINUTE_MS - now);
        }
        t.app
            .start_service(
                provider,
                id,
                &CheckInForm {
                    lat_micro: Some(o.lat_micro),
                    lng_micro: Some(o.lng_micro),
                    reason: String::new(),
                },
            )
            .await
            .unwrap();
        if let Some(code) = t
            .app
            .visit_view(&self.customer, id)
            .await
            .unwrap()
            .service_code
        {
            t.app
                .enter_service_code(provider, id, &ServiceCodeForm { code })
                .await
                .unwrap();
        }
        let visit = t.app.visit_view(provider, id).await.unwrap();
        for item in visit.checklist.iter().filter(|i| !i.done) {
            let photo = item.photo_required.then(tiny_png);
            t.app
                .tick_checklist(provider, id, item.index, photo)
                .await
                .unwrap();
        }
        t.clock.advance_ms(minutes * MINUTE_MS);
        t.app.complete_order(provider, id).await.unwrap();
    }
}

/// Demo data and two orders of the demo provider for the first demo customer, one taken to
/// `confirmed` and one left `completed`. Returns `(confirmed, completed, provider id)`.
pub async fn two_orders(t: &TestApp) -> (OrderId, OrderId, String) {
    let b = Booking::demo(t).await;
    let ids = [
        b.place_paid(t, "09:00").await,
        b.place_paid(t, "14:00").await,
    ];
    for &id in &ids {
        b.serve(t, id).await;
    }
    t.app.confirm_order(&b.customer, ids[0]).await.unwrap();
    (ids[0], ids[1], b.provider_id.to_string())
}
