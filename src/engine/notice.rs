//! A notice: the business document for one approved request — which secrets it carries and
//! when it is issued. No wording and no geometry (those are `templates/` and `render`).

use chrono::NaiveDate;
use serde::Deserialize;

use crate::engine::barcode::{Barcode, NoBarcode};
use crate::engine::config::Passwords;
use crate::engine::secrets::{Generator, Secret};
use crate::ground::model::{NoticeKind, Request};

/// The secrets a notice can carry; templates name them to place a password grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretSlot {
    /// 仮パスワード (login).
    TempPassword,
    /// 証明書発行用パスワード.
    CertPassword,
}

impl SecretSlot {
    /// The secrets each kind of notice carries.
    pub fn of(kind: NoticeKind) -> &'static [SecretSlot] {
        match kind {
            NoticeKind::Registration => &[SecretSlot::TempPassword, SecretSlot::CertPassword],
            NoticeKind::LoginReissue => &[SecretSlot::TempPassword],
            NoticeKind::CertPasswordReissue => &[SecretSlot::CertPassword],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SecretSlot::TempPassword => "仮パスワード",
            SecretSlot::CertPassword => "証明書発行用パスワード",
        }
    }
}

/// One notice to render: the request, its freshly drawn secrets, the issue date, and the
/// customer barcode of its address (worked out once, here).
pub struct Notice {
    pub request: Request,
    pub issue_date: NaiveDate,
    /// The list holds this office under more than one ユーザID (one per 請求先都道府県, seed
    /// 000's 他県ユーザID): its file names carry the ユーザID and the notice shows the prefecture.
    pub several_ids: bool,
    temp_password: Option<Secret>,
    cert_password: Option<Secret>,
    barcode: Result<Barcode, NoBarcode>,
}

/// Where a notice's secrets come from.
pub enum Secrets<'a> {
    /// Drawn for real (the OS CSPRNG in production).
    Drawn(&'a mut Generator),
    /// Specimens of the same length and classes, for `check`: nothing is issued, and the
    /// layout of a grid does not depend on which characters fill it.
    Specimen,
}

impl Notice {
    /// Gives the request the secrets its kind needs.
    pub fn issue(request: Request, issue_date: NaiveDate, policies: &Passwords, secrets: Secrets) -> Notice {
        let user_id = request.user_id.as_str().to_string();
        let needs = |slot: SecretSlot| SecretSlot::of(request.kind).contains(&slot);
        let (temp, cert) = (needs(SecretSlot::TempPassword), needs(SecretSlot::CertPassword));
        let (temp_password, cert_password) = match secrets {
            Secrets::Drawn(generator) => (
                temp.then(|| generator.generate(&policies.temp, &user_id)),
                cert.then(|| generator.generate(&policies.cert, &user_id)),
            ),
            Secrets::Specimen => {
                (temp.then(|| Secret::specimen(&policies.temp)), cert.then(|| Secret::specimen(&policies.cert)))
            }
        };
        let r = &request;
        let barcode = crate::engine::barcode::for_address(r.postal_code.digits(), &r.address, r.address2.as_deref());
        Notice { request, issue_date, several_ids: false, temp_password, cert_password, barcode }
    }

    /// A made-up notice of `kind` with realistic field lengths, rendered at start-up to check
    /// the templates before anything is issued. It is never written anywhere. It is the
    /// fullest page a kind can have: an office with several ユーザID, so the 請求先都道府県 shows.
    pub fn specimen(kind: NoticeKind) -> Notice {
        use crate::ground::model::{OfficeNo, PhoneNo, PostalCode, Prefecture, RequestId, UserId};
        let request = Request {
            row: 0,
            request_id: RequestId::parse("SPECIMEN").expect("valid"),
            kind,
            office_no: OfficeNo::parse("1311111114").expect("valid").0,
            office_name: "社会福祉法人見本福祉会 特別養護老人ホーム見本の里 居宅介護支援事業所".into(),
            postal_code: PostalCode::parse("100-0013").expect("valid"),
            address: "東京都千代田区霞が関一丁目3番2号 中央合同庁舎第5号館本館12階".into(),
            address2: None,
            phone: Some(PhoneNo::parse("03-1234-5678").expect("valid")),
            fax: Some(PhoneNo::parse("03-1234-5679").expect("valid")),
            user_id: UserId::parse("KJ131311111114").expect("valid"),
            prefecture: Some(Prefecture::parse("13").expect("valid")),
            attention: Some("管理者 見本 太郎".into()),
        };
        let date = NaiveDate::from_ymd_opt(2026, 1, 10).expect("valid date");
        let mut notice = Notice::issue(request, date, &Passwords::default(), Secrets::Specimen);
        notice.several_ids = true;
        notice
    }

    pub fn kind(&self) -> NoticeKind {
        self.request.kind
    }

    /// A secret of this notice; `None` when its kind does not carry it.
    pub fn secret(&self, slot: SecretSlot) -> Option<&Secret> {
        match slot {
            SecretSlot::TempPassword => self.temp_password.as_ref(),
            SecretSlot::CertPassword => self.cert_password.as_ref(),
        }
    }

    /// The Japan Post customer barcode of the addressee, or why there is none.
    pub fn barcode(&self) -> Result<&Barcode, &NoBarcode> {
        self.barcode.as_ref()
    }

    /// The secrets this notice carries, by slot.
    pub fn secrets(&self) -> Vec<(SecretSlot, &str)> {
        [SecretSlot::TempPassword, SecretSlot::CertPassword]
            .into_iter()
            .filter_map(|slot| self.secret(slot).map(|s| (slot, s.expose())))
            .collect()
    }

    /// File name without extension: `<事業所番号>_<通知種別>`, or `<事業所番号>_<ユーザID>_<通知種別>`
    /// for an office the list holds under several ユーザID, so that no two notices of a batch
    /// share a name (intake refuses two of one kind for one ユーザID).
    pub fn file_stem(&self) -> String {
        let r = &self.request;
        if self.several_ids {
            format!("{}_{}_{}", r.office_no, r.user_id, r.kind.label())
        } else {
            format!("{}_{}", r.office_no, r.kind.label())
        }
    }
}

impl std::fmt::Debug for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notice")
            .field("request", &self.request)
            .field("issue_date", &self.issue_date)
            .field("several_ids", &self.several_ids)
            .field("temp_password", &self.temp_password)
            .field("cert_password", &self.cert_password)
            .finish()
    }
}
