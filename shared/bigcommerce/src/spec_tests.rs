//! Our models decode the examples of BigCommerce's official specs (see `crate::spec_examples`).
// Test-only: compiled under #[cfg(test)] from its parent module.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::b2b::{Address, B2bOrder, Company, CompanyCreated, User, UserCreated};
use super::core::{CustomerGroup, Hook, HooksAdmin, Order, PriceList};
use super::error::{Api, ApiError};
use super::fulfillment::{OrderLine, Shipment};
use super::inventory::{Location, Transaction, VariantRef};
use crate::spec_examples::response_examples;

const COMPANY: &str = "docs/b2b-edition/specs/api-v3/company/company.yaml";
const USER: &str = "docs/b2b-edition/specs/api-v3/user/user.yaml";
const ADDRESS: &str = "docs/b2b-edition/specs/api-v3/address/address.yaml";
const QUOTE: &str = "docs/b2b-edition/specs/api-v3/quote/quote.yaml";
const ORDER: &str = "docs/b2b-edition/specs/api-v3/order/order.yaml";

fn decode<T: DeserializeOwned>(what: &str, v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}\n{v:#}"))
}

fn each<T: DeserializeOwned>(
    rel: &str,
    path: &str,
    method: &str,
    status: &str,
    at: &str,
) -> Vec<T> {
    response_examples(rel, path, method, status)
        .iter()
        .map(|ex| {
            let v = ex
                .pointer(at)
                .unwrap_or_else(|| panic!("{path}: no {at} in {ex:#}"));
            decode(&format!("{method} {path} {status}"), v)
        })
        .collect()
}

#[test]
fn b2b_company_examples() {
    for list in each::<Vec<Company>>(COMPANY, "/companies", "get", "200", "/data") {
        assert!(!list.is_empty());
        for c in list {
            assert!(c.company_id > 0);
        }
    }
    for c in each::<Company>(COMPANY, "/companies/{companyId}", "get", "200", "/data") {
        assert!(c.company_id > 0);
        assert!(c.company_name.is_some());
    }
    for created in each::<CompanyCreated>(COMPANY, "/companies", "post", "200", "/data") {
        assert_eq!(created.company_id, 1);
    }
}

#[test]
fn hierarchy_examples() {
    use super::hierarchy::HierarchyNode;
    for path in [
        "/companies/{companyId}/subsidiaries",
        "/companies/{companyId}/hierarchy",
    ] {
        let trees = each::<Vec<HierarchyNode>>(COMPANY, path, "get", "200", "/data");
        assert!(!trees.is_empty(), "{path} has examples");
        for tree in trees {
            for node in &tree {
                assert!(node.company_id > 0);
                assert!(node.contains(node.company_id));
            }
        }
    }
}

#[test]
fn terms_examples() {
    use super::terms::{CompanyCredit, CompanyPaymentMethod, PaymentTerms, StorePaymentMethod};
    const PAYMENT: &str = "docs/b2b-edition/specs/api-v3/payment/payment.yaml";
    let stores = each::<Vec<StorePaymentMethod>>(PAYMENT, "/payments", "get", "200", "/data");
    assert!(!stores.is_empty());
    assert!(stores.iter().flatten().all(|m| !m.payment_code.is_empty()));
    let company = "/companies/{companyId}";
    let methods = each::<Vec<CompanyPaymentMethod>>(
        PAYMENT,
        &format!("{company}/payments"),
        "get",
        "200",
        "/data",
    );
    assert!(!methods.is_empty());
    for method in ["get", "put"] {
        let credits = each::<CompanyCredit>(
            PAYMENT,
            &format!("{company}/credit"),
            method,
            "200",
            "/data",
        );
        assert!(!credits.is_empty(), "{method} credit");
        assert!(credits.iter().all(|c| c.available_credit.is_some()));
        let terms = each::<PaymentTerms>(
            PAYMENT,
            &format!("{company}/payment-terms"),
            method,
            "200",
            "/data",
        );
        assert!(!terms.is_empty(), "{method} terms");
    }
}

#[test]
fn staff_examples() {
    use super::staff::{
        SalesStaff, SalesStaffDetail, SuperAdmin, SuperAdminCompany, SuperAdminCreated,
    };
    const SALES: &str = "docs/b2b-edition/specs/api-v3/sales_staff/sales_staff.yaml";
    const SUPER: &str = "docs/b2b-edition/specs/api-v3/super_admin/super_admin.yaml";
    let lists = each::<Vec<SalesStaff>>(SALES, "/sales-staffs", "get", "200", "/data");
    assert!(lists.iter().flatten().all(|s| s.id > 0) && !lists.is_empty());
    let details =
        each::<SalesStaffDetail>(SALES, "/sales-staffs/{salesStaffId}", "get", "200", "/data");
    assert!(details
        .iter()
        .all(|d| d.assigned_companies.iter().all(|c| c.id > 0)));
    assert!(!details.is_empty());
    let admins = each::<Vec<SuperAdmin>>(SUPER, "/companies/super-admins", "get", "200", "/data");
    assert!(admins.iter().flatten().all(|a| a.id > 0) && !admins.is_empty());
    let companies = each::<Vec<SuperAdminCompany>>(
        SUPER,
        "/super-admins/{superAdminId}/companies",
        "get",
        "200",
        "/data",
    );
    assert!(!companies.is_empty());
    let created = each::<SuperAdminCreated>(SUPER, "/super-admins", "post", "200", "/data");
    assert!(created.iter().all(|c| c.user_id > 0) && !created.is_empty());
}

#[test]
fn b2b_user_examples() {
    for list in each::<Vec<User>>(USER, "/users", "get", "200", "/data") {
        for u in list {
            assert!(u.email.is_some());
        }
    }
    each::<User>(USER, "/users/{userId}", "get", "200", "/data");
    each::<User>(USER, "/users/customer/{customerId}", "get", "200", "/data");
    each::<UserCreated>(USER, "/users", "post", "200", "/data");
}

#[test]
fn b2b_address_quote_and_order_examples() {
    // Spec defect: the list endpoint declares `data` as one address, not an array (the API
    // paginates it like every list); we decode that element.
    for a in each::<Address>(ADDRESS, "/addresses", "get", "200", "/data") {
        assert_eq!(a.external_id.as_deref(), Some("123456"));
    }
    for list in each::<Vec<super::b2b::Quote>>(QUOTE, "/rfq", "get", "200", "/data/list") {
        for q in list {
            assert!(q.quote_id > 0);
        }
    }
    for list in each::<Vec<B2bOrder>>(ORDER, "/orders", "get", "200", "/data") {
        for o in list {
            assert!(o.bc_order_id > 0);
        }
    }
}

#[test]
fn core_examples() {
    for pl in each::<PriceList>(
        "reference/price_lists.v3.yml",
        "/pricelists/{price_list_id}",
        "get",
        "200",
        "/data",
    ) {
        assert_eq!(pl.id, 2);
    }
    for orders in each::<Vec<Order>>("reference/orders.v2.oas2.yml", "/orders", "get", "200", "") {
        for o in orders {
            assert!(o.modified_at().is_some(), "{:?}", o.date_modified);
        }
    }
    each::<Vec<CustomerGroup>>(
        "reference/customers.v2.yml",
        "/customer_groups",
        "get",
        "200",
        "",
    );
    each::<Vec<Hook>>("reference/webhooks.v3.yml", "/hooks", "get", "200", "/data");
    each::<Hook>(
        "reference/webhooks.v3.yml",
        "/hooks",
        "post",
        "200",
        "/data",
    );
    each::<HooksAdmin>(
        "reference/webhooks.v3.yml",
        "/hooks/admin",
        "get",
        "200",
        "/data",
    );
}

#[test]
fn fulfillment_examples() {
    const O2: &str = "reference/orders.v2.oas2.yml";
    let lists = each::<Vec<Shipment>>(O2, "/orders/{order_id}/shipments", "get", "200", "");
    let ids: Vec<i64> = lists.iter().flatten().map(|s| s.id).collect();
    assert_eq!(ids, [6, 7]);
    assert_eq!(lists[0][0].items[0].order_product_id, 188);
    assert_eq!(
        lists[0][0].tracking_number.as_deref(),
        Some("EJ958083578US")
    );
    for s in each::<Shipment>(O2, "/orders/{order_id}/shipments", "post", "201", "") {
        assert_eq!(
            (s.id, s.order_address_id, s.items.len()),
            (11, Some(131), 2)
        );
    }
    for lines in each::<Vec<OrderLine>>(O2, "/orders/{order_id}/products", "get", "200", "") {
        assert!(lines
            .iter()
            .all(|l| l.quantity > 0 && l.quantity_shipped.is_some()));
    }
    let locations = each::<Vec<Location>>(
        "reference/locations.v3.yml",
        "/inventory/locations",
        "get",
        "200",
        "/data",
    );
    assert!(
        locations.iter().flatten().all(|l| l.code.is_some()),
        "{locations:?}"
    );
    each::<Vec<VariantRef>>(
        "reference/catalog/product-variants_catalog.v3.yml",
        "/catalog/variants",
        "get",
        "200",
        "/data",
    );
    for path in [
        "/inventory/adjustments/absolute",
        "/inventory/adjustments/relative",
    ] {
        let method = if path.ends_with("absolute") {
            "put"
        } else {
            "post"
        };
        each::<Transaction>("reference/inventory.v3.yml", path, method, "200", "");
    }
}

#[test]
fn error_examples_parse_into_their_shapes() {
    for ex in response_examples(COMPANY, "/companies/{companyId}", "get", "404") {
        let body = serde_json::to_vec(&ex).unwrap();
        assert!(
            matches!(
                ApiError::parse(Api::B2b, &body),
                ApiError::B2b {
                    code: Some(404),
                    ..
                }
            ),
            "{ex}"
        );
    }
    // B2B field errors (`data.errMsg` as an object) reach the reason with their message.
    let user = "docs/b2b-edition/specs/api-v3/user/user.yaml";
    let mut field_examples = 0;
    for (path, method) in [("/users", "get"), ("/users", "post")] {
        for ex in response_examples(user, path, method, "422") {
            let body = serde_json::to_vec(&ex).unwrap();
            let parsed = ApiError::parse(Api::B2b, &body);
            let ApiError::B2b { fields, .. } = &parsed else {
                panic!("{ex}: {parsed:?}");
            };
            if let Some((_, message)) = fields.first() {
                assert!(parsed.to_string().contains(message.as_str()), "{parsed}");
                field_examples += 1;
            }
        }
    }
    assert!(field_examples >= 1, "user.yaml's 422 examples name fields");
    for ex in response_examples(
        "reference/price_lists.v3.yml",
        "/pricelists/{price_list_id}",
        "put",
        "422",
    ) {
        let body = serde_json::to_vec(&ex).unwrap();
        assert!(
            matches!(ApiError::parse(Api::Core, &body), ApiError::V3 { .. }),
            "{ex}"
        );
    }
    for ex in response_examples(
        "reference/price_lists.v3.yml",
        "/pricelists/{price_list_id}/records",
        "put",
        "422",
    ) {
        let body = serde_json::to_vec(&ex).unwrap();
        assert!(
            matches!(ApiError::parse(Api::Core, &body), ApiError::Batch(_)),
            "{ex}"
        );
    }
}

/// The Invoice Portal's spec (invoices, payments, receipts).
const PORTAL: &str = "docs/b2b-edition/specs/api-v3/invoice-management.yaml";

/// The examples of a portal answer, without the placeholder ones whose money values are the
/// word `string` (they hold no amount to decode).
fn portal_examples(path: &str, method: &str) -> Vec<Value> {
    response_examples(PORTAL, path, method, "200")
        .into_iter()
        .filter(|ex| !ex.to_string().contains(r#""value":"string""#))
        .collect()
}

#[test]
fn invoice_portal_examples() {
    use super::receivables::{Invoice, InvoiceFromOrder, Payment, Receipt, ReceiptLine};
    let decode_all = |path: &str, method: &str| {
        let examples = portal_examples(path, method);
        assert!(!examples.is_empty(), "{method} {path}: no real example");
        examples
    };
    let lists = decode_all("/invoices", "get");
    assert!(!lists.is_empty());
    for ex in &lists {
        let invoices: Vec<Invoice> = decode("GET /invoices", &ex["data"]);
        assert!(invoices
            .iter()
            .all(|i| i.id > 0 && !i.open_balance.code.is_empty()));
    }
    let details = decode_all("/invoices/{invoiceId}", "get");
    assert!(!details.is_empty());
    for ex in &details {
        let invoice: Invoice = decode("GET /invoices/{id}", &ex["data"]);
        assert_eq!(invoice.open_balance.value.to_string(), "913.4300");
        assert_eq!(invoice.invoice_number.as_deref(), Some("00000009"));
    }
    for ex in decode_all("/orders/{orderId}/invoices", "post") {
        let made: InvoiceFromOrder = decode("POST from order", &ex["data"]);
        assert_eq!(made.invoice_id, 36);
    }
    for ex in decode_all("/payments", "get") {
        let payments: Vec<Payment> = decode("GET /payments", &ex["data"]);
        assert!(payments.iter().all(|p| !p.line_items.is_empty()));
    }
    for ex in decode_all("/payments/{paymentId}", "get") {
        let p: Payment = decode("GET /payments/{id}", &ex["data"]);
        assert_eq!((p.id, p.line_items[0].invoice_id), (20, 9));
    }
    for ex in decode_all("/receipts", "get") {
        let receipts: Vec<Receipt> = decode("GET /receipts", &ex["data"]);
        assert!(receipts.iter().all(|r| r.payment_id.is_some()));
    }
    for path in ["/receipt-lines", "/receipts/{receiptId}/lines"] {
        for ex in decode_all(path, "get") {
            let lines: Vec<ReceiptLine> = decode(path, &ex["data"]);
            assert!(lines.iter().all(|l| l.receipt_id > 0 && l.invoice_id > 0));
        }
    }
}

#[test]
fn shopping_list_and_role_examples() {
    use super::b2b::CompanyRole;
    use super::shopping_lists::{ShoppingList, ShoppingListItem};
    const LISTS: &str = "docs/b2b-edition/specs/api-v3/shopping_list/shopping_list.yaml";
    let lists = each::<Vec<ShoppingList>>(LISTS, "/shopping-list", "get", "200", "/data");
    assert!(lists
        .iter()
        .flatten()
        .all(|l| l.id > 0 && l.company_id.is_some()));
    assert!(!lists.is_empty());
    let one = "/shopping-list/{shoppingListId}";
    let details = each::<ShoppingList>(LISTS, one, "get", "200", "/data");
    assert!(details.iter().all(|d| d.name.is_some()) && !details.is_empty());
    let items = each::<Vec<ShoppingListItem>>(LISTS, one, "get", "200", "/data/items");
    assert!(items
        .iter()
        .flatten()
        .all(|i| i.product_id > 0 && i.quantity > 0));
    let created = each::<Value>(LISTS, "/shopping-list", "post", "200", "/data");
    assert!(created
        .iter()
        .all(|c| c["shoppingListId"].as_i64().is_some()));
    let roles = each::<Vec<CompanyRole>>(COMPANY, "/companies/roles", "get", "200", "/data");
    assert!(roles.iter().flatten().all(|r| r.id > 0 && r.name.is_some()) && !roles.is_empty());
}
