//! Service listings (服务发布): what a provider publishes, how it is priced, and how it moves
//! from draft to published.

use crate::{DomainError, account::bounded_text, money::Money};

/// How the price is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PricingUnit {
    /// One price for the job.
    Fixed,
    /// Per hour, with a minimum number of hours.
    Hourly,
    /// Per square metre, with a minimum area.
    PerSqm,
    /// Per item (e.g. per appliance), with a minimum count.
    PerItem,
}

impl PricingUnit {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Hourly => "hour",
            Self::PerSqm => "sqm",
            Self::PerItem => "item",
        }
    }
    /// Parses the stored or submitted text.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "fixed" => Ok(Self::Fixed),
            "hour" => Ok(Self::Hourly),
            "sqm" => Ok(Self::PerSqm),
            "item" => Ok(Self::PerItem),
            _ => Err(DomainError::Invalid("pricing unit")),
        }
    }
}

/// Where a listing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingStatus {
    /// Being written; invisible.
    Draft,
    /// Waiting for an operator (the automatic filter flagged it).
    Pending,
    /// Visible and bookable.
    Published,
    /// Refused by an operator, with a reason; editable.
    Rejected,
    /// Taken offline by its provider (or suspended); editable.
    Offline,
}

/// What happens to a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingAction {
    /// The provider submits; `clean` says whether the automatic filter passed it.
    Submit {
        /// The text passed the filter: publish at once.
        clean: bool,
    },
    /// An operator approves a pending listing.
    Approve,
    /// An operator rejects a pending listing.
    Reject,
    /// The provider takes it offline.
    TakeOffline,
}

impl ListingStatus {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Pending => "pending",
            Self::Published => "published",
            Self::Rejected => "rejected",
            Self::Offline => "offline",
        }
    }
    /// Parses the stored text.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "draft" => Ok(Self::Draft),
            "pending" => Ok(Self::Pending),
            "published" => Ok(Self::Published),
            "rejected" => Ok(Self::Rejected),
            "offline" => Ok(Self::Offline),
            _ => Err(DomainError::Invalid("listing status")),
        }
    }
    /// Whether the provider may edit the content now (not while an operator looks at it).
    pub fn editable(self) -> bool {
        !matches!(self, Self::Pending)
    }
    /// The status after `action`, or `InvalidTransition`.
    pub fn after(self, action: ListingAction) -> Result<Self, DomainError> {
        use ListingAction::*;
        use ListingStatus::*;
        match (self, action) {
            (Draft | Rejected | Offline | Published, Submit { clean: true }) => Ok(Published),
            (Draft | Rejected | Offline | Published, Submit { clean: false }) => Ok(Pending),
            (Pending, Approve) => Ok(Published),
            (Pending, Reject) => Ok(Rejected),
            (Published | Pending, TakeOffline) => Ok(Offline),
            _ => Err(DomainError::InvalidTransition),
        }
    }
}

/// A priced option: a variant replaces the base (两室 vs 三室), an add-on adds to it (+擦玻璃).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PriceOption {
    /// `variant` or `addon`.
    pub kind: String,
    /// Name (1–20 characters).
    pub name: String,
    /// Price in 分.
    pub price_fen: i64,
    /// Duration in minutes (0 for add-ons that take no extra time).
    pub minutes: i64,
}

/// One step of the service standard (SOP).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SopItem {
    /// What is done (2–60 characters).
    pub text: String,
    /// A photo is required at completion.
    pub photo: bool,
}

/// A validated listing.
#[derive(Debug, Clone)]
pub struct ListingInput {
    /// Category slug (a child category; checked against the catalogue by the caller).
    pub category: String,
    /// Title (4–40 characters).
    pub title: String,
    /// Description (10–2000 characters), shown as text (never as HTML).
    pub description: String,
    /// Pricing unit.
    pub unit: PricingUnit,
    /// Base price per unit.
    pub price: Money,
    /// Minimum units (hours, m², items); 1 for fixed prices.
    pub min_units: i64,
    /// Estimated duration in minutes (15–1440).
    pub minutes: i64,
    /// Variants and add-ons (at most 10).
    pub options: Vec<PriceOption>,
    /// Service standard (1–20 items).
    pub sop: Vec<SopItem>,
}

impl ListingInput {
    /// Validates raw fields.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        category: &str,
        title: &str,
        description: &str,
        unit: &str,
        price: &str,
        min_units: i64,
        minutes: i64,
        options: Vec<PriceOption>,
        sop: Vec<SopItem>,
    ) -> Result<Self, DomainError> {
        let unit = PricingUnit::parse(unit)?;
        let price = Money::parse_yuan(price)?;
        if price.fen() < 100 {
            return Err(DomainError::InvalidPrice);
        }
        let min_units = if unit == PricingUnit::Fixed {
            1
        } else {
            min_units
        };
        if !(1..=1000).contains(&min_units) {
            return Err(DomainError::Invalid("minimum units"));
        }
        if !(15..=1440).contains(&minutes) {
            return Err(DomainError::Invalid("duration"));
        }
        if options.len() > 10 {
            return Err(DomainError::Invalid("options"));
        }
        let mut clean_options = Vec::with_capacity(options.len());
        for o in options {
            if !matches!(o.kind.as_str(), "variant" | "addon")
                || !(0..=100_000_000).contains(&o.price_fen)
                || !(0..=1440).contains(&o.minutes)
            {
                return Err(DomainError::Invalid("options"));
            }
            clean_options.push(PriceOption {
                name: bounded_text("option", &o.name, 1, 20)?,
                ..o
            });
        }
        if sop.is_empty() || sop.len() > 20 {
            return Err(DomainError::Invalid("checklist"));
        }
        let mut clean_sop = Vec::with_capacity(sop.len());
        for item in sop {
            clean_sop.push(SopItem {
                text: bounded_text("checklist", &item.text, 2, 60)?,
                photo: item.photo,
            });
        }
        Ok(Self {
            category: category.trim().to_owned(),
            title: bounded_text("title", title, 4, 40)?,
            description: multiline_text("description", description, 10, 2000)?,
            unit,
            price,
            min_units,
            minutes,
            options: clean_options,
            sop: clean_sop,
        })
    }

    /// All text a person wrote, for the automatic filter.
    pub fn all_text(&self) -> String {
        let mut t = format!("{}\n{}", self.title, self.description);
        for o in &self.options {
            t.push('\n');
            t.push_str(&o.name);
        }
        for s in &self.sop {
            t.push('\n');
            t.push_str(&s.text);
        }
        t
    }
}

/// Like [`bounded_text`] but keeps line breaks (descriptions have paragraphs).
pub fn multiline_text(
    field: &'static str,
    input: &str,
    min: usize,
    max: usize,
) -> Result<String, DomainError> {
    let t = input.trim().replace("\r\n", "\n");
    let n = t.chars().count();
    if n < min || n > max || t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(DomainError::TextLength { field, min, max });
    }
    Ok(t)
}

/// Parses option lines `名称|价格|分钟` (one per line) of one kind.
pub fn parse_option_lines(kind: &str, text: &str) -> Result<Vec<PriceOption>, DomainError> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = line.split(['|', '｜']).map(str::trim).collect();
        let (name, price, minutes) = match parts.as_slice() {
            [n, p] => (*n, *p, "0"),
            [n, p, m] => (*n, *p, *m),
            _ => return Err(DomainError::Invalid("options")),
        };
        out.push(PriceOption {
            kind: kind.to_owned(),
            name: name.to_owned(),
            price_fen: Money::parse_yuan(price)?.fen(),
            minutes: minutes
                .parse()
                .map_err(|_| DomainError::Invalid("options"))?,
        });
    }
    Ok(out)
}

/// Parses checklist lines; a line starting with `*` (or `＊`) requires a photo.
pub fn parse_sop_lines(text: &str) -> Vec<SopItem> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.strip_prefix(['*', '＊']) {
            Some(rest) => SopItem {
                text: rest.trim().to_owned(),
                photo: true,
            },
            None => SopItem {
                text: l.to_owned(),
                photo: false,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sop() -> Vec<SopItem> {
        parse_sop_lines("上门穿鞋套\n*厨房油污清洁\n卫生间消毒")
    }

    #[test]
    fn listings_validate_and_parse_their_options() {
        let opts = parse_option_lines("variant", "两室一厅|180|180\n三室一厅 | 240 | 240").unwrap();
        assert_eq!(opts[1].price_fen, 24_000);
        let l = ListingInput::parse(
            "cleaning-daily",
            "日常保洁 3 小时",
            "专业保洁员上门，\n自带工具。",
            "hour",
            "45",
            3,
            180,
            opts,
            sop(),
        )
        .unwrap();
        assert_eq!((l.price.fen(), l.min_units, l.sop.len()), (4500, 3, 3));
        assert!(l.sop[1].photo && !l.sop[0].photo);
        assert!(l.description.contains('\n'));
        assert!(
            ListingInput::parse(
                "x",
                "日常保洁",
                "专业保洁员上门自带工具。",
                "fixed",
                "0.5",
                1,
                60,
                vec![],
                sop()
            )
            .is_err(),
            "at least ¥1"
        );
        assert!(
            ListingInput::parse(
                "x",
                "日常保洁",
                "专业保洁员上门自带工具。",
                "fixed",
                "50",
                1,
                60,
                vec![],
                vec![]
            )
            .is_err(),
            "a checklist is required"
        );
        assert!(
            ListingInput::parse(
                "x",
                "日常保洁",
                "专业保洁员上门自带工具。",
                "daily",
                "50",
                1,
                60,
                vec![],
                sop()
            )
            .is_err()
        );
        assert!(
            ListingInput::parse(
                "x",
                "日常保洁",
                "专业保洁员上门自带工具。",
                "fixed",
                "50",
                1,
                5,
                vec![],
                sop()
            )
            .is_err()
        );
        assert!(parse_option_lines("addon", "擦玻璃").is_err());
    }

    #[test]
    fn the_listing_state_machine() {
        use ListingAction::*;
        use ListingStatus::*;
        assert_eq!(Draft.after(Submit { clean: true }), Ok(Published));
        assert_eq!(Draft.after(Submit { clean: false }), Ok(Pending));
        assert_eq!(Pending.after(Approve), Ok(Published));
        assert_eq!(Pending.after(Reject), Ok(Rejected));
        assert_eq!(Published.after(TakeOffline), Ok(Offline));
        assert_eq!(Offline.after(Submit { clean: true }), Ok(Published));
        assert_eq!(
            Published.after(Approve),
            Err(DomainError::InvalidTransition)
        );
        assert_eq!(
            Pending.after(Submit { clean: true }),
            Err(DomainError::InvalidTransition)
        );
        assert_eq!(
            Draft.after(TakeOffline),
            Err(DomainError::InvalidTransition)
        );
        assert!(!Pending.editable() && Published.editable());
    }
}
