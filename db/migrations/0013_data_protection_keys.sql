-- ASP.NET Core Data Protection's key ring (the keys behind sign-in cookies and antiforgery tokens), shared by every
-- instance and kept across restarts. Each key's XML is encrypted by the app before it is written (docs/security.md).
-- Not a clinic's data: the runtime role reads and adds keys, and nothing else.
create table data_protection_keys (
    id            integer generated always as identity primary key,
    friendly_name text,
    xml           text not null
);
grant select, insert on data_protection_keys to clinic_app;
