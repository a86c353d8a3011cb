-- The worker's role for compose: it owns its database (it creates its schema and applies its migrations) and is no
-- superuser. Run once, when the volume is new.
CREATE ROLE avatar_worker LOGIN PASSWORD 'avatar-worker' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE avatar OWNER avatar_worker;
