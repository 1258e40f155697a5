-- Early warnings about officers (issue 16) reach internal-affairs command as well as the officer's supervisors.
alter table deliveries drop constraint deliveries_recipient_role_check;
alter table deliveries add constraint deliveries_recipient_role_check
    check (recipient_role in ('complainant', 'owner', 'supervisor', 'requester', 'internal-affairs'));
