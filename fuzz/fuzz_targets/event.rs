//! Any bytes → an API Gateway v2 event (when they are one) → the edge's request path up to the
//! service call, for every function and with and without the authorizer's claims required.

#![no_main]

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use libfuzzer_sys::fuzz_target;
use people::http::fuzzing;
use people::{Access, Function};
use people_fuzz::{assert_client_error, check_extracted};

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<ApiGatewayV2httpRequest>(data) else {
        return;
    };
    for access in [Access::Open, Access::Verified] {
        for function in Function::ALL {
            match fuzzing::request_path(&request, access, function) {
                Ok((extracted, _actor)) => check_extracted(extracted, &request.headers),
                Err(problem) => assert_client_error(
                    problem,
                    &request.headers,
                    &(
                        &request.request_context.http.method,
                        &request.raw_path,
                        function,
                    ),
                ),
            }
        }
    }
});
