-- Who may call this service: every person of the directory in force, whether active, and the roles the
-- directory gives them. A token can only narrow these (ServiceDefaults' DirectoryIdentity). Kept from
-- DirectoryPublished, so a restart does not have to wait for the next announcement.
create table people_in_force (
    person_id text    primary key,
    active    boolean not null,
    roles     text[]  not null
);

create table people_in_force_version (
    singleton boolean primary key default true check (singleton),
    version   bigint  not null
);
