"""Real servers on loopback for the tests and the benchmarks: HTTP (loopback_http) and SMTP
(smtp). Test code: never imported by the vigil package."""
