//! The world the app's booking and money tests share: the demo data, a customer with an
//! address the demo provider serves, a listing, and the sandbox payment provider.

#![allow(dead_code)] // each test file uses its own part of the world

use std::sync::Arc;

use linli_app::{
    Actor, App, AppConfig, AppError, Secret,
    money::Payments,
    orders::{Choice, OrderForm, OrderView, ScheduleForm},
    profile::AddressFields,
    visits::{CheckInForm, ServiceCodeForm},
};
use linli_domain::{
    ids::OrderId,
    time::{Clock, Day, MINUTE_MS},
};
use linli_store::{ListingRow, TokenKind};
use linli_testkit::{FakeClock, TestDb};

pub fn app(db: &TestDb, clock: &FakeClock) -> App {
    let dir = std::env::temp_dir().join(format!(
        "linli-orders-files-{}",
        linli_domain::ids::JobId::new()
    ));
    App::assemble(
        Arc::new(db.store.clone()),
        Arc::new(clock.clone()),
        AppConfig::new(Secret::new("test-secret"), true),
        dir,
    )
}

pub async fn act_as(app: &App, phone: &str) -> Actor {
    let u = app.store.user_by_phone(phone).await.unwrap().unwrap();
    let s = app.start_web_session(u.id).await.unwrap();
    app.authenticate(&s.secret, TokenKind::Session)
        .await
        .unwrap()
}

/// The demo world, a customer with an address the demo provider serves, and one of the
/// provider's fixed-price listings short enough for a morning.
pub struct World {
    pub app: App,
    pub clock: FakeClock,
    pub customer: Actor,
    pub provider: Actor,
    pub listing: ListingRow,
    pub address: String,
    /// A working day two or more days ahead.
    pub day: String,
}

pub async fn world(db: &TestDb) -> World {
    let clock = FakeClock::new();
    let app = app(db, &clock).with_payments(
        Payments::loopback_sandbox("http://127.0.0.1:9", Arc::new(clock.clone()), 1)
            .await
            .unwrap(),
    );
    linli_app::seed::seed_demo(&app).await.unwrap();
    let customer = act_as(&app, linli_app::seed::DEMO_CUSTOMERS[0].0).await;
    let provider = act_as(&app, linli_app::seed::DEMO_PROVIDER_PHONE).await;
    let p = app
        .store
        .provider_by_user(provider.member().unwrap().id)
        .await
        .unwrap()
        .unwrap();
    let areas = app.store.service_areas(p.id).await.unwrap();
    let district = areas
        .iter()
        .find(|a| a.kind == "districts")
        .and_then(|a| a.districts.first().cloned())
        .expect("the demo provider serves districts");
    let address = app
        .save_address(
            &customer,
            None,
            &AddressFields {
                district_code: district,
                detail: "幸福路 8 号 302 室".into(),
                contact_name: "王小明".into(),
                contact_phone: "13912345678".into(),
                is_default: true,
            },
        )
        .await
        .unwrap()
        .id;
    let effective = |l: &ListingRow| {
        if l.unit == "hour" {
            l.min_units * 60
        } else {
            l.minutes
        }
    };
    let listing = app
        .store
        .listings_of(p.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.status == "published" && !l.instant_book)
        .min_by_key(effective)
        .expect("a published demo listing that waits for acceptance");
    assert!(effective(&listing) <= 240, "{}", listing.title);
    // Long days, so every time the tests use fits the job.
    let mut weekly = vec!["08:00-22:00".to_owned(); 6];
    weekly.push(String::new());
    app.save_schedule(
        &provider,
        &ScheduleForm {
            weekly,
            exceptions: String::new(),
            capacity: 1,
            min_notice_min: 120,
            horizon_days: 14,
            buffer_min: 0,
        },
    )
    .await
    .unwrap();
    let mut day = Day::of(clock.now()).plus_days(2);
    while day.weekday_index() == 6 {
        day = day.plus_days(1);
    }
    World {
        app,
        clock,
        customer,
        provider,
        listing,
        address,
        day: day.to_string(),
    }
}

impl World {
    pub fn form(&self, time: &str) -> OrderForm {
        OrderForm {
            listing: self.listing.id.to_string(),
            variant: None,
            addons: Vec::new(),
            units: None,
            address: self.address.clone(),
            date: self.day.clone(),
            time: time.into(),
            note: String::new(),
        }
    }

    pub async fn place(&self, time: &str) -> Result<OrderId, AppError> {
        self.app
            .place_order(&self.customer, &self.form(time))
            .await
            .map(|o| o.id.parse().unwrap())
    }

    pub async fn slots(&self) -> Vec<String> {
        self.app
            .slots(
                &self.customer,
                self.listing.id,
                self.address.parse().unwrap(),
                &self.day,
                &Choice::default(),
            )
            .await
            .unwrap()
            .times
    }

    pub async fn status(&self, id: OrderId) -> String {
        self.app.store.order(id).await.unwrap().unwrap().status
    }

    /// The provider checks in standing at the order's address.
    pub async fn check_in(&self, id: OrderId) -> Result<OrderView, AppError> {
        let o = self.app.store.order(id).await.unwrap().unwrap();
        self.app
            .start_service(
                &self.provider,
                id,
                &CheckInForm {
                    lat_micro: Some(o.lat_micro),
                    lng_micro: Some(o.lng_micro),
                    reason: String::new(),
                },
            )
            .await
    }

    /// The provider enters the customer's service code, works through the checklist (with
    /// photos where required) and completes the job.
    pub async fn finish(&self, id: OrderId) -> Result<OrderView, AppError> {
        if let Some(code) = self.app.visit_view(&self.customer, id).await?.service_code {
            self.app
                .enter_service_code(&self.provider, id, &ServiceCodeForm { code })
                .await?;
        }
        let visit = self.app.visit_view(&self.provider, id).await?;
        for item in visit.checklist.iter().filter(|i| !i.done) {
            let photo = item.photo_required.then(jpeg);
            self.app
                .tick_checklist(&self.provider, id, item.index, photo)
                .await?;
        }
        self.app.complete_order(&self.provider, id).await
    }
}

/// Pays and accepts `id`, then moves the clock to half an hour before its start.
pub async fn accepted_and_due(w: &World, id: OrderId) {
    if w.status(id).await == "pending_payment" {
        w.app.mark_paid(id).await.unwrap();
    }
    if w.status(id).await == "awaiting_acceptance" {
        w.app.answer_order(&w.provider, id, true, "").await.unwrap();
    }
    assert_eq!(w.status(id).await, "accepted");
    let o = w.app.store.order(id).await.unwrap().unwrap();
    let now = w.clock.now().0;
    if o.start_at.0 - 30 * MINUTE_MS > now {
        w.clock.advance_ms(o.start_at.0 - 30 * MINUTE_MS - now);
    }
}

/// Pays, accepts, starts, completes and confirms an order; returns its total.
pub async fn serve_and_confirm(w: &World, id: OrderId) -> i64 {
    accepted_and_due(w, id).await;
    w.check_in(id).await.unwrap();
    w.finish(id).await.unwrap();
    w.app.confirm_order(&w.customer, id).await.unwrap();
    w.app.store.order(id).await.unwrap().unwrap().total_fen
}

impl World {
    /// The demo provider's published hourly service with the fewest minimum hours.
    pub async fn hourly_listing(&self) -> ListingRow {
        let p = self
            .app
            .store
            .provider_by_user(self.provider.member().unwrap().id)
            .await
            .unwrap()
            .unwrap();
        self.app
            .store
            .listings_of(p.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|l| l.status == "published" && l.unit == "hour" && l.min_units <= 4)
            .min_by_key(|l| l.min_units)
            .expect("the demo provider has an hourly service")
    }

    /// Books `listing` at `time` on the world's day.
    pub async fn place_listing(&self, listing: &ListingRow, time: &str) -> OrderId {
        let order = self
            .app
            .place_order(
                &self.customer,
                &OrderForm {
                    listing: listing.id.to_string(),
                    ..self.form(time)
                },
            )
            .await
            .unwrap();
        order.id.parse().unwrap()
    }
}

/// Delivers 30 signed notifications of `t` at once (25 nonces, so 5 are replays), as a payment
/// provider retrying over several connections might; each is accepted or refused as a replay.
pub async fn notify_thirty_at_once(w: &Arc<World>, t: &linli_pay::Transaction, nonce: &str) {
    let keys = linli_pay::Keys::for_tests();
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let (headers, body) = linli_pay::sign_notification(
                &keys,
                "TRANSACTION.SUCCESS",
                &linli_pay::Notice::Transaction(t.clone()),
                linli_domain::time::SystemClock.now().0 - (i % 5) * 1000,
                &format!("{nonce}-{}", i % 25),
            )
            .unwrap();
            let w = Arc::clone(w);
            tokio::spawn(async move {
                w.app
                    .payment_notification(
                        &linli_pay::NotificationHeaders::from_pairs(&headers),
                        &body,
                    )
                    .await
            })
        })
        .collect();
    for task in tasks {
        if let Err(e) = task.await.unwrap() {
            assert!(
                matches!(
                    e,
                    AppError::Payment {
                        code: "replayed_nonce",
                        ..
                    }
                ),
                "{e:?}"
            );
        }
    }
}

/// A small real JPEG.
pub fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(80, 60, |x, y| {
        image::Rgb([(x % 256) as u8, (y * 2 % 256) as u8, 120])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

pub fn code(e: &AppError) -> &str {
    match e {
        AppError::Conflict { code, .. } => code,
        AppError::Invalid(d) => d.code(),
        AppError::Unprocessable { code, .. } => code,
        AppError::NotFound => "not_found",
        _ => "other",
    }
}
