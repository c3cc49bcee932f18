"""HTTP layer: routers, dependencies and error mapping. Routes are thin: parse, authorize,
call a service, return a wire model."""
