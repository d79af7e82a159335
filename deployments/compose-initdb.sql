-- The Prefect server's own database, beside vigil's store (compose.yaml).
CREATE DATABASE prefect OWNER vigil;
