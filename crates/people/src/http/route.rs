//! The route table: the one place the API's routes are defined.
//!
//! Each route is a method, a path template, the function (Lambda binary) that serves it and the
//! action it performs. Everything else is derived from [`ROUTES`]: the edge's routing, `HEAD` for
//! every `GET`, `OPTIONS` and `Allow` for every path, the export the infrastructure builds the API
//! Gateway routes from (`infra/routes.json`, see [`export`]), and the local gateway of `make dev`.
//! Tests fail when the committed export differs from the table.

use http::Method;
use serde::Serialize;

/// The API's Lambda functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Function {
    /// Reads one person; also the fallback (`$default`) that answers unknown routes and methods.
    #[serde(rename = "people-get")]
    Get,
    /// Creates, replaces and patches.
    #[serde(rename = "people-put")]
    Put,
    /// Lists.
    #[serde(rename = "people-list")]
    List,
    /// Deletes.
    #[serde(rename = "people-delete")]
    Delete,
}

impl Function {
    /// Every function.
    pub const ALL: [Function; 4] = [
        Function::Get,
        Function::Put,
        Function::List,
        Function::Delete,
    ];

    /// The binary (and deployed function) name.
    pub fn binary(self) -> &'static str {
        match self {
            Function::Get => "people-get",
            Function::Put => "people-put",
            Function::List => "people-list",
            Function::Delete => "people-delete",
        }
    }

    /// The function named by `binary`.
    pub fn from_binary(binary: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.binary() == binary)
    }
}

/// What a route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// A page of people.
    List,
    /// A new person with a server-chosen id.
    Create,
    /// One person.
    Read,
    /// A whole person, created or replaced.
    Replace,
    /// Some fields of a person.
    Patch,
    /// Remove a person.
    Delete,
}

impl Action {
    /// True when the action changes stored data.
    pub fn writes(self) -> bool {
        !matches!(self, Action::List | Action::Read)
    }

    /// The OAuth scopes of which a caller needs at least one. [`Scope::OwnPerson`] grants the action
    /// on the caller's own person only; the function enforces that.
    pub fn scopes(self) -> &'static [Scope] {
        if self.writes() {
            &[Scope::Write, Scope::OwnPerson]
        } else {
            &Scope::ALL
        }
    }
}

/// The API's OAuth scopes (the resource server `people`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Scope {
    /// Read any person.
    #[serde(rename = "people/read")]
    Read,
    /// Read, create, change and delete any person.
    #[serde(rename = "people/write")]
    Write,
    /// Create one person, and read, change and delete only that one.
    #[serde(rename = "people/self")]
    OwnPerson,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Write, Scope::OwnPerson];

    /// The scope's name in tokens (`people/read`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Scope::Read => "people/read",
            Scope::Write => "people/write",
            Scope::OwnPerson => "people/self",
        }
    }

    /// The scope named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// One route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The method (`HEAD` is derived from `GET`).
    pub method: Method,
    /// The path template; `{id}` matches one non-empty segment.
    pub path: &'static str,
    /// The function that serves it.
    pub function: Function,
    /// What it does.
    pub action: Action,
}

/// The route table.
pub static ROUTES: [Route; 6] = [
    route(Method::GET, "/people", Function::List, Action::List),
    route(Method::POST, "/people", Function::Put, Action::Create),
    route(Method::GET, "/people/{id}", Function::Get, Action::Read),
    route(Method::PUT, "/people/{id}", Function::Put, Action::Replace),
    route(Method::PATCH, "/people/{id}", Function::Put, Action::Patch),
    route(
        Method::DELETE,
        "/people/{id}",
        Function::Delete,
        Action::Delete,
    ),
];

/// The function that receives every request no route matches (API Gateway's `$default` route).
pub const FALLBACK: Function = Function::Get;

const fn route(method: Method, path: &'static str, function: Function, action: Action) -> Route {
    Route {
        method,
        path,
        function,
        action,
    }
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution<'a> {
    /// A route serves it; `id` is the `{id}` segment, if the template has one.
    Route {
        /// The route (the `GET` route for a `HEAD` request).
        route: &'static Route,
        /// The raw `{id}` segment.
        id: Option<&'a str>,
    },
    /// `OPTIONS` on a route's path: a CORS preflight or a question about the methods.
    Options {
        /// The path template.
        path: &'static str,
        /// The methods the path supports.
        allow: String,
    },
    /// The path is a route's, the method is not.
    MethodNotAllowed {
        /// The path template.
        path: &'static str,
        /// The methods the path supports.
        allow: String,
    },
    /// No route has this path. `suggestion` is the route path it would match without the trailing
    /// slash: paths are matched exactly, with no redirect.
    NotFound {
        /// The path without its trailing slashes, when that is a route.
        suggestion: Option<&'a str>,
    },
}

/// Routes a request the way API Gateway does: exact path segments, `{id}` one non-empty segment,
/// `HEAD` as `GET`.
pub fn resolve<'a>(method: &Method, path: &'a str) -> Resolution<'a> {
    let Some((template, id)) = match_path(path) else {
        let trimmed = path.trim_end_matches('/');
        let suggestion =
            (trimmed.len() < path.len() && match_path(trimmed).is_some()).then_some(trimmed);
        return Resolution::NotFound { suggestion };
    };
    let wanted = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    if let Some(route) = ROUTES
        .iter()
        .find(|r| r.path == template && r.method == wanted)
    {
        return Resolution::Route { route, id };
    }
    let allow = allow(template);
    if method == Method::OPTIONS {
        Resolution::Options {
            path: template,
            allow,
        }
    } else {
        Resolution::MethodNotAllowed {
            path: template,
            allow,
        }
    }
}

/// The template `path` matches and its `{id}` segment.
fn match_path(path: &str) -> Option<(&'static str, Option<&str>)> {
    ROUTES.iter().find_map(|route| {
        let mut id = None;
        let mut actual = path.strip_prefix('/')?.split('/');
        for expected in route.path.trim_start_matches('/').split('/') {
            let segment = actual.next().filter(|s| !s.is_empty())?;
            if expected == "{id}" {
                id = Some(segment);
            } else if expected != segment {
                return None;
            }
        }
        actual.next().is_none().then_some((route.path, id))
    })
}

/// Every method a path template supports, for `Allow`: its routes' methods, `HEAD` with `GET`, and
/// `OPTIONS`.
pub fn allow(template: &str) -> String {
    let mut methods: Vec<&str> = Vec::new();
    for route in ROUTES.iter().filter(|r| r.path == template) {
        methods.push(route.method.as_str());
        if route.method == Method::GET {
            methods.push(Method::HEAD.as_str());
        }
    }
    methods.push(Method::OPTIONS.as_str());
    methods.join(", ")
}

/// One entry of the export: a route with its derived `HEAD` twin listed separately, since API
/// Gateway matches methods exactly.
#[derive(Debug, Serialize)]
pub struct ExportedRoute {
    /// The exact method API Gateway matches.
    pub method: &'static str,
    /// The path template.
    pub path: &'static str,
    /// The function that serves it.
    pub function: Function,
    /// What it does.
    pub action: Action,
    /// Whether it changes stored data.
    pub writes: bool,
    /// The scopes of which a token needs at least one (API Gateway's `authorizationScopes`).
    pub scopes: &'static [Scope],
}

/// The route table as the infrastructure reads it (`infra/routes.json`).
#[derive(Debug, Serialize)]
pub struct Export {
    /// The `$default` route's function.
    pub fallback: Function,
    /// The `$default` route's scopes: any of the API's, since it only answers 404, 405 and `OPTIONS`.
    pub fallback_scopes: &'static [Scope],
    /// The routes, `HEAD` listed next to each `GET`.
    pub routes: Vec<ExportedRoute>,
}

/// The export of [`ROUTES`], with `HEAD` for every `GET`.
pub fn export() -> Export {
    let mut routes = Vec::new();
    for route in &ROUTES {
        let methods: &[Method] = if route.method == Method::GET {
            &[Method::GET, Method::HEAD]
        } else {
            std::slice::from_ref(&route.method)
        };
        for method in methods {
            routes.push(ExportedRoute {
                method: method.as_str(),
                path: route.path,
                function: route.function,
                action: route.action,
                writes: route.action.writes(),
                scopes: route.action.scopes(),
            });
        }
    }
    Export {
        fallback: FALLBACK,
        fallback_scopes: &Scope::ALL,
        routes,
    }
}

impl Export {
    /// Pretty JSON, as committed.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the route export serialises") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_export_is_the_route_table() {
        assert_eq!(
            export().to_json(),
            include_str!("../../../../infra/routes.json"),
            "infra/routes.json is stale: run `make routes`"
        );
    }

    #[test]
    fn paths_match_exactly() {
        let id = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
        let item = format!("/people/{id}");
        match resolve(&Method::HEAD, &item) {
            Resolution::Route {
                route,
                id: Some(got),
            } => {
                assert_eq!((route.action, got), (Action::Read, id));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            resolve(&Method::HEAD, "/people"),
            Resolution::Route { route, id: None } if route.action == Action::List
        ));
        assert_eq!(
            resolve(&Method::GET, "/people/"),
            Resolution::NotFound {
                suggestion: Some("/people")
            }
        );
        assert_eq!(
            resolve(&Method::GET, &format!("{item}/")),
            Resolution::NotFound {
                suggestion: Some(&item)
            }
        );
        assert_eq!(
            resolve(&Method::DELETE, "/people//"),
            Resolution::NotFound {
                suggestion: Some("/people")
            }
        );
        for path in [
            "",
            "/",
            "//people",
            "/PEOPLE",
            "/people//x",
            "//",
            "/people/a/b",
            "people",
            "/peoplex",
        ] {
            assert_eq!(
                resolve(&Method::GET, path),
                Resolution::NotFound { suggestion: None },
                "{path:?}"
            );
        }
        assert_eq!(
            resolve(&Method::TRACE, "/people"),
            Resolution::MethodNotAllowed {
                path: "/people",
                allow: "GET, HEAD, POST, OPTIONS".into()
            }
        );
        assert_eq!(
            resolve(&Method::OPTIONS, &item),
            Resolution::Options {
                path: "/people/{id}",
                allow: "GET, HEAD, PUT, PATCH, DELETE, OPTIONS".into()
            }
        );
    }

    #[test]
    fn every_function_serves_a_route_or_is_the_fallback() {
        for function in Function::ALL {
            assert!(
                function == FALLBACK || ROUTES.iter().any(|r| r.function == function),
                "{function:?}"
            );
            assert_eq!(Function::from_binary(function.binary()), Some(function));
        }
    }
}
