//! Provider onboarding rules (服务商入驻): who applies, what they must give, how an application
//! moves through review, and how identity data is validated and masked.

use crate::{DomainError, account::bounded_text};

/// Individual tradesperson or registered company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// 个人.
    Individual,
    /// 企业.
    Company,
}

impl ProviderKind {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Individual => "individual",
            Self::Company => "company",
        }
    }
    /// Parses the stored or submitted text.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "individual" => Ok(Self::Individual),
            "company" => Ok(Self::Company),
            _ => Err(DomainError::Invalid("kind")),
        }
    }
}

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationStatus {
    /// Waiting for an operator.
    Pending,
    /// The operator asked for more information; the applicant edits and resubmits.
    NeedsInfo,
    /// Approved: the account is a provider.
    Approved,
    /// Rejected with a reason; the applicant may apply again.
    Rejected,
}

/// What an operator or applicant does to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewAction {
    /// The applicant (re)submits.
    Submit,
    /// Operator approves.
    Approve,
    /// Operator rejects.
    Reject,
    /// Operator asks for more information.
    RequestInfo,
}

impl ReviewAction {
    /// An operator's decision as submitted: `approve`, `reject` or `request_info`.
    pub fn parse_decision(s: &str) -> Result<Self, DomainError> {
        match s {
            "approve" => Ok(Self::Approve),
            "reject" => Ok(Self::Reject),
            "request_info" => Ok(Self::RequestInfo),
            _ => Err(DomainError::Invalid("action")),
        }
    }
}

impl ApplicationStatus {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::NeedsInfo => "needs_info",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    /// Parses the stored text.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "pending" => Ok(Self::Pending),
            "needs_info" => Ok(Self::NeedsInfo),
            "approved" => Ok(Self::Approved),
            "rejected" => Ok(Self::Rejected),
            _ => Err(DomainError::Invalid("status")),
        }
    }

    /// The status after `action`, or `InvalidTransition`. `None` as the current status means no
    /// application exists yet.
    pub fn after(current: Option<Self>, action: ReviewAction) -> Result<Self, DomainError> {
        use ApplicationStatus::*;
        use ReviewAction::*;
        match (current, action) {
            (None | Some(NeedsInfo) | Some(Rejected), Submit) => Ok(Pending),
            (Some(Pending), Approve) => Ok(Approved),
            (Some(Pending), Reject) => Ok(Rejected),
            (Some(Pending), RequestInfo) => Ok(NeedsInfo),
            _ => Err(DomainError::InvalidTransition),
        }
    }

    /// Whether the applicant may edit and resubmit.
    pub fn editable(current: Option<Self>) -> bool {
        matches!(current, None | Some(Self::NeedsInfo) | Some(Self::Rejected))
    }
}

/// A mainland resident identity number (居民身份证号码), checked with the GB 11643 checksum.
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber(String);

impl IdNumber {
    /// Accepts 18 characters: 17 digits and a check character (digit or X), spaces ignored.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18
            || !b[..17].iter().all(u8::is_ascii_digit)
            || !(b[17].is_ascii_digit() || b[17] == b'X')
        {
            return Err(DomainError::InvalidIdNumber);
        }
        const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        const CHECK: &[u8; 11] = b"10X98765432";
        let sum: u32 = b[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        if CHECK[(sum % 11) as usize] != b[17] {
            return Err(DomainError::InvalidIdNumber);
        }
        Ok(Self(s))
    }
    /// The full number (for encryption only).
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// `1101**********123X`: first four and last four.
    pub fn masked(&self) -> String {
        format!("{}**********{}", &self.0[..4], &self.0[14..])
    }
}

impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// Masks a real name: keeps the first character (张**, 李*).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
        None => String::new(),
    }
}

/// A document the applicant uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// 营业执照 (required for companies).
    BusinessLicence,
    /// 资质证书 (qualification certificate, e.g. 家政服务员证, 电工证).
    Qualification,
}

impl DocumentKind {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BusinessLicence => "licence",
            Self::Qualification => "qualification",
        }
    }
    /// Parses the stored or submitted text.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "licence" => Ok(Self::BusinessLicence),
            "qualification" => Ok(Self::Qualification),
            _ => Err(DomainError::Invalid("document kind")),
        }
    }
}

/// A validated application form.
#[derive(Debug, Clone)]
pub struct ApplicationInput {
    /// Individual or company.
    pub kind: ProviderKind,
    /// Shop or display name shown to customers (2–30 characters).
    pub display_name: String,
    /// Legal name of the person (or company representative), 2–30 characters.
    pub real_name: String,
    /// Identity number.
    pub id_number: IdNumber,
    /// Category slugs served (1–10).
    pub categories: Vec<String>,
    /// District codes served (1–16).
    pub districts: Vec<String>,
    /// Introduction (10–500 characters).
    pub intro: String,
}

impl ApplicationInput {
    /// Validates raw fields. Category slugs are checked against the catalogue by the caller.
    pub fn parse(
        kind: &str,
        display_name: &str,
        real_name: &str,
        id_number: &str,
        categories: &[String],
        districts: &[String],
        intro: &str,
    ) -> Result<Self, DomainError> {
        let mut categories: Vec<String> = categories
            .iter()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        categories.sort();
        categories.dedup();
        if categories.is_empty() || categories.len() > 10 {
            return Err(DomainError::Invalid("categories"));
        }
        let mut districts: Vec<String> = districts
            .iter()
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())
            .collect();
        districts.sort();
        districts.dedup();
        if districts.is_empty()
            || districts
                .iter()
                .any(|d| crate::district::by_code(d).is_none())
        {
            return Err(DomainError::UnknownDistrict);
        }
        Ok(Self {
            kind: ProviderKind::parse(kind)?,
            display_name: bounded_text("display_name", display_name, 2, 30)?,
            real_name: bounded_text("real_name", real_name, 2, 30)?,
            id_number: IdNumber::parse(id_number)?,
            categories,
            districts,
            intro: bounded_text("intro", intro, 10, 500)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_review_state_machine() {
        use ApplicationStatus::*;
        use ReviewAction::*;
        assert_eq!(ApplicationStatus::after(None, Submit), Ok(Pending));
        assert_eq!(
            ApplicationStatus::after(Some(Pending), Approve),
            Ok(Approved)
        );
        assert_eq!(
            ApplicationStatus::after(Some(Pending), Reject),
            Ok(Rejected)
        );
        assert_eq!(
            ApplicationStatus::after(Some(Pending), RequestInfo),
            Ok(NeedsInfo)
        );
        assert_eq!(
            ApplicationStatus::after(Some(NeedsInfo), Submit),
            Ok(Pending)
        );
        assert_eq!(
            ApplicationStatus::after(Some(Rejected), Submit),
            Ok(Pending)
        );
        for bad in [
            (Some(Approved), Submit),
            (Some(Approved), Reject),
            (Some(Pending), Submit),
            (None, Approve),
            (Some(NeedsInfo), Approve),
        ] {
            assert_eq!(
                ApplicationStatus::after(bad.0, bad.1),
                Err(DomainError::InvalidTransition),
                "{bad:?}"
            );
        }
        for s in [Pending, NeedsInfo, Approved, Rejected] {
            assert_eq!(ApplicationStatus::parse(s.as_str()), Ok(s));
        }
    }

    #[test]
    fn id_numbers_are_checksummed_and_masked() {
        // A well-known valid sample number (GB 11643 example).
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "1101**********002X");
        assert_eq!(format!("{id:?}"), "IdNumber(1101**********002X)");
        assert!(
            IdNumber::parse("110105194912310021").is_err(),
            "wrong check digit"
        );
        assert!(IdNumber::parse("1101051949123100").is_err());
        assert_eq!(
            IdNumber::parse("11010519491231002x").unwrap().expose(),
            "11010519491231002X"
        );
    }

    #[test]
    fn names_are_masked_after_the_first_character() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("李"), "李*");
    }

    #[test]
    fn applications_need_categories_districts_and_an_intro() {
        let ok = ApplicationInput::parse(
            "individual",
            "王师傅保洁",
            "王小明",
            "11010519491231002X",
            &["cleaning".into()],
            &["310115".into()],
            "十年家政经验，专注深度保洁。",
        );
        assert!(ok.is_ok());
        assert!(
            ApplicationInput::parse(
                "individual",
                "王师傅",
                "王小明",
                "11010519491231002X",
                &[],
                &["310115".into()],
                "十年家政经验，专注深度保洁。"
            )
            .is_err()
        );
        assert!(
            ApplicationInput::parse(
                "individual",
                "王师傅",
                "王小明",
                "11010519491231002X",
                &["cleaning".into()],
                &["999999".into()],
                "十年家政经验，专注深度保洁。"
            )
            .is_err()
        );
        assert!(
            ApplicationInput::parse(
                "robot",
                "王师傅",
                "王小明",
                "11010519491231002X",
                &["cleaning".into()],
                &["310115".into()],
                "十年家政经验，专注深度保洁。"
            )
            .is_err()
        );
    }
}
