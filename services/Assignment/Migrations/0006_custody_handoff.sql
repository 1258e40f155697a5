-- Which handoff a handoff interval came from, so its reason is credited to the person who asked,
-- not to the receiver who accepted (the console showed the receiver as its author).
alter table custody add column handoff_id uuid;

update custody k set handoff_id = h.handoff_id
from handoffs h
where k.transfer_kind = 'handoff' and h.case_id = k.case_id and h.state = 'accepted' and h.decided_at = k.from_at;
