//! Helpers shared by the integration tests: start a sandbox, send authenticated requests.
#![allow(dead_code)]

use bc_sandbox::{RunningSandbox, SandboxOptions};
use serde_json::Value;

pub const TOKEN: &str = "test-token";
pub const HASH: &str = "teststore";

pub fn opts() -> SandboxOptions {
    SandboxOptions {
        token: TOKEN.into(),
        store_hash: HASH.into(),
        ..SandboxOptions::default()
    }
}

pub struct Sb {
    pub sb: RunningSandbox,
    pub http: reqwest::Client,
}

pub async fn start(o: SandboxOptions) -> Sb {
    let sb = bc_sandbox::start(o).await.expect("sandbox starts");
    Sb {
        sb,
        http: reqwest::Client::new(),
    }
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

impl Sb {
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let r = req.send().await.expect("request sent");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body read");
        Resp {
            status,
            headers,
            text,
        }
    }

    pub fn core(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.sb.core_base_url()))
            .header("X-Auth-Token", TOKEN)
    }

    pub fn b2b(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.sb.b2b_base_url()))
            .header("X-Auth-Token", TOKEN)
            .header("X-Store-Hash", HASH)
    }

    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/__sandbox{path}", self.sb.base_url()))
    }

    pub async fn core_get(&self, path: &str) -> Resp {
        self.send(self.core(reqwest::Method::GET, path)).await
    }
    pub async fn b2b_get(&self, path: &str) -> Resp {
        self.send(self.b2b(reqwest::Method::GET, path)).await
    }
    /// `/rfq/{id}?date=MM/DD/YYYY` for quote `id`, its creation date read from the list, as a
    /// client must.
    pub async fn quote_path(&self, id: &Value) -> String {
        let list = self.b2b_get("/rfq?limit=250").await.json();
        let created = list["data"]["list"]
            .as_array()
            .and_then(|l| l.iter().find(|q| q["quoteId"] == *id))
            .and_then(|q| q["createdAt"].as_i64())
            .unwrap_or_else(|| panic!("quote {id} is not listed: {list}"));
        let day = chrono::DateTime::from_timestamp(created, 0)
            .unwrap_or_else(|| panic!("createdAt {created}"))
            .format("%m/%d/%Y");
        format!("/rfq/{id}?date={day}")
    }
    pub async fn core_json(&self, method: reqwest::Method, path: &str, body: Value) -> Resp {
        self.send(self.core(method, path).json(&body)).await
    }
    pub async fn b2b_json(&self, method: reqwest::Method, path: &str, body: Value) -> Resp {
        self.send(self.b2b(method, path).json(&body)).await
    }
    pub async fn admin_get(&self, path: &str) -> Value {
        self.send(self.admin(reqwest::Method::GET, path))
            .await
            .json()
    }
    pub async fn admin_post(&self, path: &str, body: Value) -> Resp {
        self.send(self.admin(reqwest::Method::POST, path).json(&body))
            .await
    }
}

pub fn company_body(n: u32) -> Value {
    serde_json::json!({
        "companyName": format!("Test Co {n}"),
        "companyPhone": "555-0100",
        "companyEmail": format!("co{n}@test.example"),
        "country": "US",
        "adminFirstName": "Ada",
        "adminLastName": "Admin",
        "adminEmail": format!("admin{n}@test.example"),
        "extraFields": [{"fieldName": "externalId", "fieldValue": format!("X-{n}")}],
    })
}

/// Options built from the test defaults plus a tweak.
pub struct SandboxOptionsExt;

impl SandboxOptionsExt {
    pub fn with(f: impl FnOnce(&mut SandboxOptions)) -> SandboxOptions {
        let mut o = opts();
        f(&mut o);
        o
    }
}
