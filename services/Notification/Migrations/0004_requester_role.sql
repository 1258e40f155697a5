-- Whoever asked for a handoff hears how it ended when that was not the owner (a dispatcher, say): issue 12.
alter table deliveries drop constraint deliveries_recipient_role_check;
alter table deliveries add constraint deliveries_recipient_role_check
    check (recipient_role in ('complainant', 'owner', 'supervisor', 'requester'));
